use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn refresh_returns_new_access_and_refresh_tokens() {
    let app = spawn_app().await;
    let (_, refresh_token, _) = app.signed_up("ada@example.com").await;
    let response = app.refresh(&refresh_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_ne!(body["refresh_token"], refresh_token.as_str());
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/users/me", access).sent().await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_family() {
    let app = spawn_app().await;
    let (_, first, _) = app.signed_up("ada@example.com").await;
    let second: Value = app.refresh(&first).await.json().await.unwrap();
    let second = second["refresh_token"].as_str().unwrap().to_owned();

    assert_oauth_error(app.refresh(&first).await, "invalid_grant").await;
    // The legitimate successor dies with its family.
    assert_oauth_error(app.refresh(&second).await, "invalid_grant").await;
}

#[tokio::test]
async fn reuse_in_one_session_leaves_other_sessions_alone() {
    let app = spawn_app().await;
    let (_, first, _) = app.signed_up("ada@example.com").await;
    let other: Value = app
        .login("ada@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    app.refresh(&first).await;
    app.refresh(&first).await;
    assert_eq!(
        app.refresh(other["refresh_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_unknown_refresh_token_is_invalid_grant() {
    let app = spawn_app().await;
    assert_oauth_error(app.refresh("made-up-token").await, "invalid_grant").await;
}

#[tokio::test]
async fn the_wrong_grant_type_or_a_missing_token_is_refused() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.url("/auth/jwt/refresh"))
        .form(&[("grant_type", "password")])
        .sent()
        .await;
    assert_oauth_error(r, "unsupported_grant_type").await;
    let r = app
        .client
        .post(app.url("/auth/jwt/refresh"))
        .form(&[("grant_type", "refresh_token")])
        .sent()
        .await;
    assert_oauth_error(r, "invalid_request").await;
}

#[tokio::test]
async fn an_inactive_user_cannot_refresh() {
    let app = spawn_app().await;
    let (_, refresh_token, user) = app.signed_up("ada@example.com").await;
    let admin = app.superuser_token().await;
    app.patch(&format!("/users/{}", user["id"].as_str().unwrap()), &admin)
        .json(&json!({"is_active": false}))
        .sent()
        .await;
    assert_oauth_error(app.refresh(&refresh_token).await, "invalid_grant").await;
}

#[tokio::test]
async fn logout_revokes_the_session_refresh_token() {
    let app = spawn_app().await;
    let (access, refresh_token, _) = app.signed_up("ada@example.com").await;
    let r = app
        .logout(&access, json!({"refresh_token": refresh_token}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_oauth_error(app.refresh(&refresh_token).await, "invalid_grant").await;
}

#[tokio::test]
async fn logout_all_revokes_every_session() {
    let app = spawn_app().await;
    let (access, first, _) = app.signed_up("ada@example.com").await;
    let second: Value = app
        .login("ada@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let r = app.logout(&access, json!({"all": true})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_oauth_error(app.refresh(&first).await, "invalid_grant").await;
    assert_oauth_error(
        app.refresh(second["refresh_token"].as_str().unwrap()).await,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn logout_cannot_revoke_another_users_session() {
    let app = spawn_app().await;
    let (_, victim_refresh, _) = app.signed_up("victim@example.com").await;
    let (attacker, _, _) = app.signed_up("attacker@example.com").await;
    let r = app
        .logout(&attacker, json!({"refresh_token": victim_refresh}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.refresh(&victim_refresh).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_without_a_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let r = app
        .post_json("/auth/jwt/logout", json!({"all": true}))
        .sent()
        .await;
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_problem(r, 401).await;
}

#[tokio::test]
async fn logout_with_neither_token_nor_all_is_422() {
    let app = spawn_app().await;
    let (access, _, _) = app.signed_up("ada@example.com").await;
    let r = app.logout(&access, json!({})).await;
    assert_eq!(
        error_fields(&assert_problem(r, 422).await),
        ["refresh_token"]
    );
}

#[tokio::test]
async fn logout_with_an_empty_refresh_token_is_422_even_with_all() {
    let app = spawn_app().await;
    let (access, _, _) = app.signed_up("ada@example.com").await;
    let r = app
        .logout(&access, json!({"all": true, "refresh_token": ""}))
        .await;
    assert_eq!(
        error_fields(&assert_problem(r, 422).await),
        ["refresh_token"]
    );
}
