use common::jwt::{AccessTokenVerifier, JwtSettings};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn login_returns_a_bearer_token_that_the_shared_verifier_accepts() {
    let app = spawn_app().await;
    let (_, _, user) = app.signed_up("ada@example.com").await;
    let response = app.login("ADA@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["refresh_token"].as_str().unwrap().len(), 43);

    let verifier = AccessTokenVerifier::new(&JwtSettings::with_secret(SECRET).unwrap());
    let claims = verifier
        .verify_access_token(body["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims.sub.to_string(), user["id"].as_str().unwrap());
    assert_eq!(claims.email, "ada@example.com");
    assert!(!claims.superuser);
    assert_eq!(claims.exp - claims.iat, 900);
}

#[tokio::test]
async fn a_wrong_password_is_invalid_grant() {
    let app = spawn_app().await;
    app.signed_up("ada@example.com").await;
    assert_oauth_error(
        app.login("ada@example.com", "wrong password!").await,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_email_is_invalid_grant_and_still_verifies_a_hash() {
    let app = spawn_app().await;
    let before = app.hasher.verification_count();
    let response = app.login("nobody@example.com", PASSWORD).await;
    assert_eq!(
        app.hasher.verification_count(),
        before + 1,
        "a dummy hash must be verified"
    );
    assert_oauth_error(response, "invalid_grant").await;
}

#[tokio::test]
async fn unknown_email_and_wrong_password_answers_are_identical() {
    let app = spawn_app().await;
    app.signed_up("ada@example.com").await;
    let wrong: Value = app
        .login("ada@example.com", "not the password")
        .await
        .json()
        .await
        .unwrap();
    let unknown: Value = app
        .login("nobody@example.com", "not the password")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(wrong, unknown);
}

#[tokio::test]
async fn an_inactive_user_cannot_log_in() {
    let app = spawn_app().await;
    let (_, _, user) = app.signed_up("ada@example.com").await;
    let admin = app.superuser_token().await;
    let path = format!("/users/{}", user["id"].as_str().unwrap());
    let r = app
        .patch(&path, &admin)
        .json(&serde_json::json!({"is_active": false}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_oauth_error(
        app.login("ada@example.com", PASSWORD).await,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn missing_fields_are_invalid_request() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.url("/auth/jwt/login"))
        .form(&[("username", "ada@example.com")])
        .sent()
        .await;
    assert_oauth_error(r, "invalid_request").await;
}

#[tokio::test]
async fn a_json_body_is_invalid_request() {
    let app = spawn_app().await;
    let r = app
        .post_json(
            "/auth/jwt/login",
            serde_json::json!({"username": "a@example.com", "password": PASSWORD}),
        )
        .sent()
        .await;
    assert_oauth_error(r, "invalid_request").await;
}

#[tokio::test]
async fn another_grant_type_is_unsupported_grant_type() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.url("/auth/jwt/login"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("username", "a@example.com"),
            ("password", PASSWORD),
        ])
        .sent()
        .await;
    assert_oauth_error(r, "unsupported_grant_type").await;
}

#[tokio::test]
async fn scope_and_client_fields_are_ignored() {
    let app = spawn_app().await;
    app.signed_up("ada@example.com").await;
    let r = app
        .client
        .post(app.url("/auth/jwt/login"))
        .form(&[
            ("username", "ada@example.com"),
            ("password", PASSWORD),
            ("scope", "anything"),
            ("client_id", ""),
        ])
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn past_the_rate_limit_login_is_429_with_retry_after() {
    let app = spawn_app_with(&[
        ("LOGIN_RATE_LIMIT_PER_MINUTE", "2"),
        ("LOGIN_RATE_LIMIT_BURST", "3"),
    ])
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.login("nobody@example.com", PASSWORD).await.status(),
            StatusCode::BAD_REQUEST
        );
    }
    let limited = app.login("nobody@example.com", PASSWORD).await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_problem(limited, 429).await;
    // Refreshes have a budget of their own, per login: a client that used
    // up its logins (a NAT full of users, say) still refreshes.
    assert_oauth_error(app.refresh("whatever").await, "invalid_grant").await;
}

#[tokio::test]
async fn ten_failures_lock_the_account_even_for_the_right_password() {
    let app = spawn_app().await;
    app.signed_up("ada@example.com").await;
    for _ in 0..10 {
        assert_oauth_error(
            app.login("ada@example.com", "wrong password!").await,
            "invalid_grant",
        )
        .await;
    }
    assert_oauth_error(
        app.login("ada@example.com", PASSWORD).await,
        "invalid_grant",
    )
    .await;
}
