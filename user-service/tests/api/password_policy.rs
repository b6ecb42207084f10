//! New passwords are checked against common and breached passwords and the
//! account's own email wherever they are set (issue #18, item 2).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

const COMMON: [&str; 4] = ["password", "12345678", "qwertyuiop", "password123"];

async fn assert_refused_password(response: reqwest::Response) {
    let problem = assert_problem(response, 422).await;
    assert_eq!(error_fields(&problem), ["password"], "{problem}");
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("too easy to guess") || message.contains("email"),
        "{message}"
    );
}

#[tokio::test]
async fn registration_refuses_common_passwords_naming_the_field() {
    let app = spawn_app().await;
    for password in COMMON {
        assert_refused_password(app.register("ada@example.com", password).await).await;
    }
}

#[tokio::test]
async fn registration_refuses_a_password_made_of_the_emails_name() {
    let app = spawn_app().await;
    let r = app
        .register("ada.lovelace@example.com", "Ada.Lovelace!1")
        .await;
    assert_refused_password(r).await;
}

#[tokio::test]
async fn a_password_change_refuses_common_passwords() {
    let app = spawn_app().await;
    let (access, _, _) = app.signed_up("ada@example.com").await;
    let r = app
        .patch("/users/me", &access)
        .json(&json!({"password": "password123", "current_password": PASSWORD}))
        .sent()
        .await;
    assert_refused_password(r).await;
}

#[tokio::test]
async fn a_reset_refuses_common_passwords_and_keeps_the_token() {
    let app = spawn_app().await;
    app.signed_up("ada@example.com").await;
    let token = app.reset_token_for("ada@example.com").await;
    let reset = |password: &str| {
        app.post_json(
            "/auth/reset-password",
            json!({"token": token, "password": password}),
        )
        .send()
    };
    assert_refused_password(reset("qwertyuiop").await.unwrap()).await;
    assert_eq!(
        reset("a brand new passphrase").await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_administrator_cannot_set_a_common_password() {
    let app = spawn_app().await;
    let admin = app.superuser_token().await;
    let (_, _, user) = app.signed_up("ada@example.com").await;
    let r = app
        .patch(&format!("/users/{}", user["id"].as_str().unwrap()), &admin)
        .json(&json!({"password": "12345678"}))
        .sent()
        .await;
    assert_refused_password(r).await;
}
