//! The OpenAPI document and the served routes agree.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn the_document_is_openapi_3_1_with_the_password_flow() {
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url("/api-docs/openapi.json"))
        .json_body()
        .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let flow = &doc["components"]["securitySchemes"]["oauth2_password"]["flows"]["password"];
    assert_eq!(flow["tokenUrl"], "/auth/jwt/login");
}

#[tokio::test]
async fn every_documented_operation_is_served_and_no_other_method_is() {
    let app = spawn_app().await;
    let token = app.superuser_token().await;
    let doc = common::testing::assert_document_matches_routes(
        &app.address,
        &token,
        &uuid::Uuid::new_v4().to_string(),
    )
    .await;
    let paths = doc["paths"].as_object().unwrap();
    for expected in [
        "/auth/register",
        "/auth/jwt/login",
        "/auth/jwt/refresh",
        "/auth/jwt/logout",
        "/auth/forgot-password",
        "/auth/reset-password",
        "/auth/request-verify-token",
        "/auth/verify",
        "/users/me",
        "/users",
        "/users/{id}",
        "/.well-known/jwks.json",
        "/healthz",
        "/readyz",
    ] {
        assert!(
            paths.contains_key(expected),
            "{expected} is missing from the document"
        );
    }
}

#[tokio::test]
async fn undocumented_paths_answer_404_problem() {
    let app = spawn_app().await;
    for path in [
        "/auth/login",
        "/auth/jwt",
        "/admin",
        "/users/me/sessions",
        "/api/users",
        "/debug",
    ] {
        let response = app.client.get(app.url(path)).sent().await;
        assert_problem(response, 404).await;
    }
}

#[tokio::test]
async fn swagger_ui_is_served_at_docs() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/docs/")).sent().await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn health_and_readiness_answer_200() {
    let app = spawn_app().await;
    assert_eq!(
        app.client.get(app.url("/healthz")).sent().await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.client.get(app.url("/readyz")).sent().await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn in_hs256_mode_the_jwks_document_lists_no_key() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"keys": []})
    );
}

#[tokio::test]
async fn swagger_ui_fills_in_no_optional_parameter_a_reader_did_not_choose() {
    let app = spawn_app().await;
    common::testing::assert_no_optional_parameter_has_an_example(&app.address).await;
}

#[tokio::test]
async fn each_error_answer_shows_an_example_of_its_own_status() {
    let app = spawn_app().await;
    common::testing::assert_every_problem_example_has_its_status(&app.address).await;
}
