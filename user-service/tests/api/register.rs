use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn register_returns_201_with_the_user_and_no_password_hash() {
    let app = spawn_app().await;
    let response = app.register("  Ada@Example.COM ", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let text = response.text().await.unwrap();
    assert_no_secrets(&text);
    let user: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["is_active"], true);
    assert_eq!(user["is_superuser"], false);
    assert_eq!(user["is_verified"], false);
    assert!(uuid::Uuid::parse_str(user["id"].as_str().unwrap()).is_ok());
    let keys: Vec<&String> = user.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 7, "{keys:?}");
}

#[tokio::test]
async fn the_same_email_in_another_letter_case_is_409() {
    let app = spawn_app().await;
    assert_eq!(
        app.register("ada@example.com", PASSWORD).await.status(),
        StatusCode::CREATED
    );
    assert_problem(app.register("ADA@example.com", PASSWORD).await, 409).await;
}

#[tokio::test]
async fn an_invalid_email_is_422_naming_the_field() {
    let app = spawn_app().await;
    for email in [
        "not-an-email",
        "",
        &format!("{}@example.com", "a".repeat(250)),
    ] {
        let problem = assert_problem(app.register(email, PASSWORD).await, 422).await;
        assert_eq!(error_fields(&problem), ["email"], "{email}");
    }
}

#[tokio::test]
async fn a_password_outside_the_policy_is_422_naming_the_field() {
    let app = spawn_app().await;
    for password in ["short", &"x".repeat(129), "ada@example.com"] {
        let problem = assert_problem(app.register("ada@example.com", password).await, 422).await;
        assert_eq!(error_fields(&problem), ["password"]);
    }
}

#[tokio::test]
async fn both_invalid_fields_are_reported_together() {
    let app = spawn_app().await;
    let problem = assert_problem(app.register("nope", "short").await, 422).await;
    assert_eq!(error_fields(&problem), ["email", "password"]);
}

#[tokio::test]
async fn mass_assignment_of_privileged_fields_is_422_and_creates_nothing() {
    let app = spawn_app().await;
    for field in ["is_superuser", "is_active", "is_verified", "id"] {
        let response = app
            .post_json(
                "/auth/register",
                json!({"email": "eve@example.com", "password": PASSWORD, field: true}),
            )
            .sent()
            .await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(error_fields(&problem), [field]);
    }
    assert_oauth_error(
        app.login("eve@example.com", PASSWORD).await,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn a_wrong_typed_field_is_422() {
    let app = spawn_app().await;
    let response = app
        .post_json("/auth/register", json!({"email": 5, "password": PASSWORD}))
        .sent()
        .await;
    assert_eq!(
        error_fields(&assert_problem(response, 422).await),
        ["email"]
    );
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/auth/register"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .sent()
        .await;
    assert_problem(response, 400).await;
}

#[tokio::test]
async fn a_body_over_16_kib_is_413() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/auth/register",
            json!({"email": "a@example.com", "password": "x".repeat(17 * 1024)}),
        )
        .sent()
        .await;
    assert_problem(response, 413).await;
}
