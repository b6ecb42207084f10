use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn authorize_logs_in_at_the_configured_token_url() {
    let app =
        spawn_app_with(&[("AUTH_TOKEN_URL", "https://auth.example.com/auth/jwt/login")]).await;
    let doc: Value = app
        .client
        .get(app.url("/api-docs/openapi.json"))
        .json_body()
        .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let flow = &doc["components"]["securitySchemes"]["oauth2_password"]["flows"]["password"];
    assert_eq!(flow["tokenUrl"], "https://auth.example.com/auth/jwt/login");
}

#[tokio::test]
async fn every_documented_operation_is_served_and_no_other_method_is() {
    let app = spawn_app().await;
    let doc = common::testing::assert_document_matches_routes(
        &app.address,
        &TestUser::superuser().token,
        "100",
    )
    .await;
    let paths = doc["paths"].as_object().unwrap();
    for expected in [
        "/types",
        "/types/{id}",
        "/usages",
        "/usages/{id}",
        "/usages/summary",
        "/usages/export",
        "/usages/import",
        "/instruments",
        "/instruments/{id}",
        "/datasets",
        "/datasets/{id}",
        "/datasets/{id}/retire",
        "/units",
        "/gwp-sets",
        "/healthz",
        "/readyz",
    ] {
        assert!(paths.contains_key(expected), "{expected} is missing");
    }
}

#[tokio::test]
async fn the_document_describes_gases_units_and_the_gwp_set() {
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url("/api-docs/openapi.json"))
        .json_body()
        .await;
    let schemas = &doc["components"]["schemas"];
    for gas in ["co2", "ch4", "n2o", "other_co2e", "fgases"] {
        assert!(
            schemas["GasTotals"]["properties"][gas].is_object(),
            "by_gas.{gas}"
        );
    }
    assert!(schemas["UsageType"]["properties"]["gases"].is_object());
    assert!(schemas["DimensionResponse"]["properties"]["units"].is_object());
    let params = doc["paths"]["/usages/summary"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let gwp = params.iter().find(|p| p["name"] == "gwp").expect("gwp");
    assert_eq!(gwp["schema"]["$ref"], "#/components/schemas/GwpName");
    assert_eq!(
        schemas["GwpName"]["enum"],
        serde_json::json!(["AR4", "AR5", "AR6"])
    );
}

#[tokio::test]
async fn undocumented_paths_answer_404_problem() {
    for path in ["/usage", "/types/100/usages", "/admin", "/usages/summary/x"] {
        let app = spawn_app().await;
        assert_problem(app.client.get(app.url(path)).sent().await, 404).await;
    }
}

#[tokio::test]
async fn swagger_ui_is_served_at_docs() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/docs")).sent().await;
    assert_eq!(r.status(), StatusCode::OK, "redirected to /docs/");
    assert!(r.text().await.unwrap().contains("swagger"));
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
