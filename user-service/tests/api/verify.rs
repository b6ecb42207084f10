use reqwest::StatusCode;
use serde_json::{Value, json};
use user_service::mailer::MailKind;

use crate::helpers::*;

#[tokio::test]
async fn a_verification_token_verifies_the_email_once() {
    let app = spawn_app().await;
    app.signed_up("ada@example.com").await;
    let r = app
        .post_json(
            "/auth/request-verify-token",
            json!({"email": "ada@example.com"}),
        )
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let token = app
        .mailed_token("ada@example.com", MailKind::EmailVerification)
        .await;

    let r = app
        .post_json("/auth/verify", json!({"token": token}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let user: Value = r.json().await.unwrap();
    assert_eq!(user["is_verified"], true);

    let again = app
        .post_json("/auth/verify", json!({"token": token}))
        .sent()
        .await;
    assert_problem(again, 422).await;
}

#[tokio::test]
async fn request_verify_token_answers_an_unknown_email_exactly_like_a_known_one() {
    let app = spawn_app().await;
    app.signed_up("ada@example.com").await;
    let ask = |email: &'static str| {
        app.post_json("/auth/request-verify-token", json!({ "email": email }))
            .send()
    };
    let known = ask("ada@example.com").await.unwrap();
    let unknown = ask("nobody@example.com").await.unwrap();
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    common::testing::assert_same_answer(known, unknown).await;
}

#[tokio::test]
async fn a_token_for_an_address_since_changed_does_not_verify() {
    let app = spawn_app().await;
    let (access, _, _) = app.signed_up("ada@example.com").await;
    app.post_json(
        "/auth/request-verify-token",
        json!({"email": "ada@example.com"}),
    )
    .sent()
    .await;
    let token = app
        .mailed_token("ada@example.com", MailKind::EmailVerification)
        .await;
    let r = app
        .patch("/users/me", &access)
        .json(&json!({"email": "ada2@example.com", "current_password": PASSWORD}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post_json("/auth/verify", json!({"token": token}))
        .sent()
        .await;
    assert_problem(r, 422).await;
}
