use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::*;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[tokio::test]
async fn authorize_logs_in_at_the_configured_token_url() {
    let app =
        spawn_app_with(&[("AUTH_TOKEN_URL", "https://auth.example.com/auth/jwt/login")]).await;
    let doc: Value = app
        .client
        .get(app.url("/api-docs/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let flow = &doc["components"]["securitySchemes"]["oauth2_password"]["flows"]["password"];
    assert_eq!(flow["tokenUrl"], "https://auth.example.com/auth/jwt/login");
}

#[tokio::test]
async fn every_documented_operation_is_served_and_no_other_method_is() {
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url("/api-docs/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let user = TestUser::superuser();
    for (path, item) in paths {
        let concrete = path.replace("{id}", "100");
        for method in METHODS {
            let r = app
                .client
                .request(
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    app.url(&concrete),
                )
                .bearer_auth(&user.token)
                .send()
                .await
                .unwrap();
            if item.get(method).is_some() {
                let unknown_route = r.status() == StatusCode::NOT_FOUND && !path.contains("{id}");
                assert!(
                    r.status() != StatusCode::METHOD_NOT_ALLOWED && !unknown_route,
                    "{method} {path}: {}",
                    r.status()
                );
            } else {
                assert_eq!(
                    r.status(),
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is not documented"
                );
            }
        }
    }
    for expected in [
        "/types",
        "/types/{id}",
        "/usages",
        "/usages/{id}",
        "/usages/summary",
        "/healthz",
        "/readyz",
    ] {
        assert!(paths.contains_key(expected), "{expected} is missing");
    }
}

#[tokio::test]
async fn undocumented_paths_answer_404_problem() {
    for path in ["/usage", "/types/100/usages", "/admin", "/usages/summary/x"] {
        let app = spawn_app().await;
        assert_problem(app.client.get(app.url(path)).send().await.unwrap(), 404).await;
    }
}

#[tokio::test]
async fn swagger_ui_is_served_at_docs() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "redirected to /docs/");
    assert!(r.text().await.unwrap().contains("swagger"));
}
