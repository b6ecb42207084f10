use reqwest::StatusCode;
use serde_json::{Value, json};
use user_service::mailer::MailKind;

use crate::helpers::*;

const NEW_PASSWORD: &str = "an entirely new passphrase";

#[tokio::test]
async fn forgot_password_answers_an_unknown_email_exactly_like_a_known_one() {
    let app = spawn_app().await;
    app.signed_up("ada@example.com").await;
    let ask = |email: &'static str| {
        app.post_json("/auth/forgot-password", json!({ "email": email }))
            .send()
    };
    let known = ask("ada@example.com").await.unwrap();
    let unknown = ask("nobody@example.com").await.unwrap();
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    common::testing::assert_same_answer(known, unknown).await;
}

#[tokio::test]
async fn a_reset_for_an_unknown_email_sends_nothing() {
    use user_service::service::accounts;
    use user_service::storage::action_tokens::TokenPurpose;
    let app = spawn_app().await;
    // The flow the endpoint runs in the background, awaited here: no wait
    // on a guessed delay.
    accounts::mail_token(
        &app.database,
        &app.state,
        "nobody@example.com",
        TokenPurpose::ResetPassword,
        LOCALHOST,
    )
    .await
    .unwrap();
    assert_eq!(app.mail_count(), 0);
}

#[tokio::test]
async fn a_reset_token_sets_the_password_once_and_revokes_sessions() {
    let app = spawn_app().await;
    let (_, refresh_token, _) = app.signed_up("ada@example.com").await;
    let r = app
        .post_json("/auth/forgot-password", json!({"email": "ADA@example.com"}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let token = app
        .mailed_token("ada@example.com", MailKind::PasswordReset)
        .await;

    let r = app.reset_password(&token, NEW_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert_no_secrets(&text);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["email"],
        "ada@example.com"
    );

    assert_eq!(
        app.login("ada@example.com", NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_oauth_error(
        app.login("ada@example.com", PASSWORD).await,
        "invalid_grant",
    )
    .await;
    assert_oauth_error(app.refresh(&refresh_token).await, "invalid_grant").await;

    let again = app.reset_password(&token, "yet another passphrase").await;
    assert_eq!(error_fields(&assert_problem(again, 422).await), ["token"]);
}

#[tokio::test]
async fn a_rejected_password_does_not_use_the_token_up() {
    let app = spawn_app().await;
    app.signed_up("ada@example.com").await;
    let token = app.reset_token_for("ada@example.com").await;
    let r = app.reset_password(&token, "short").await;
    assert_eq!(error_fields(&assert_problem(r, 422).await), ["password"]);
    let r = app.reset_password(&token, NEW_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_made_up_reset_token_is_422() {
    let app = spawn_app().await;
    let r = app
        .post_json(
            "/auth/reset-password",
            json!({"token": "nope", "password": NEW_PASSWORD}),
        )
        .sent()
        .await;
    assert_eq!(error_fields(&assert_problem(r, 422).await), ["token"]);
}
