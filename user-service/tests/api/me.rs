use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn me_returns_the_callers_account() {
    let app = spawn_app().await;
    let (access, _, user) = app.signed_up("ada@example.com").await;
    let r = app.get("/users/me", &access).sent().await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert_no_secrets(&text);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), user);
}

#[tokio::test]
async fn me_without_a_token_is_401_bearer() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/users/me")).sent().await;
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_problem(r, 401).await;
}

#[tokio::test]
async fn me_with_a_bad_token_is_401_invalid_token() {
    let app = spawn_app().await;
    let r = app.get("/users/me", "not.a.token").sent().await;
    assert_eq!(
        r.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    assert_problem(r, 401).await;
}

#[tokio::test]
async fn a_new_email_resets_verification() {
    let app = spawn_app().await;
    let (access, _, user) = app.signed_up("ada@example.com").await;
    app.database
        .collection::<bson::Document>("users")
        .update_one(
            bson::doc! {"_id": user["id"].as_str().unwrap()},
            bson::doc! {"$set": {"is_verified": true}},
        )
        .await
        .unwrap();
    let r = app
        .patch("/users/me", &access)
        .json(&json!({"email": "Lovelace@Example.com", "current_password": PASSWORD}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(updated["email"], "lovelace@example.com");
    assert_eq!(updated["is_verified"], false);
}

#[tokio::test]
async fn changes_need_the_current_password() {
    let app = spawn_app().await;
    let (access, _, _) = app.signed_up("ada@example.com").await;
    let missing = app
        .patch("/users/me", &access)
        .json(&json!({"email": "b@example.com"}))
        .sent()
        .await;
    assert_eq!(
        error_fields(&assert_problem(missing, 422).await),
        ["current_password"]
    );
    let wrong = app
        .patch("/users/me", &access)
        .json(&json!({"email": "b@example.com", "current_password": "not my password"}))
        .sent()
        .await;
    assert_eq!(
        error_fields(&assert_problem(wrong, 422).await),
        ["current_password"]
    );
}

#[tokio::test]
async fn privileged_fields_cannot_be_set_through_me() {
    let app = spawn_app().await;
    let (access, _, _) = app.signed_up("ada@example.com").await;
    for field in ["is_superuser", "is_active", "is_verified", "id"] {
        let r = app
            .patch("/users/me", &access)
            .json(&json!({field: true, "current_password": PASSWORD}))
            .sent()
            .await;
        assert_eq!(error_fields(&assert_problem(r, 422).await), [field]);
    }
    let me: Value = app.get("/users/me", &access).json_body().await;
    assert_eq!(me["is_superuser"], false);
}

#[tokio::test]
async fn a_new_password_works_and_revokes_refresh_tokens() {
    let app = spawn_app().await;
    let (access, refresh_token, _) = app.signed_up("ada@example.com").await;
    let r = app
        .patch("/users/me", &access)
        .json(&json!({"password": "a brand new passphrase", "current_password": PASSWORD}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.login("ada@example.com", "a brand new passphrase")
            .await
            .status(),
        StatusCode::OK
    );
    assert_oauth_error(app.refresh(&refresh_token).await, "invalid_grant").await;
}

#[tokio::test]
async fn a_taken_email_is_409() {
    let app = spawn_app().await;
    app.signed_up("taken@example.com").await;
    let (access, _, _) = app.signed_up("ada@example.com").await;
    let r = app
        .patch("/users/me", &access)
        .json(&json!({"email": "TAKEN@example.com", "current_password": PASSWORD}))
        .sent()
        .await;
    assert_problem(r, 409).await;
}

#[tokio::test]
async fn an_empty_change_is_422() {
    let app = spawn_app().await;
    let (access, _, _) = app.signed_up("ada@example.com").await;
    let r = app
        .patch("/users/me", &access)
        .json(&json!({"current_password": PASSWORD}))
        .sent()
        .await;
    assert_problem(r, 422).await;
}

#[tokio::test]
async fn deleting_me_needs_the_password_and_then_the_token_is_refused() {
    let app = spawn_app().await;
    let (access, refresh_token, _) = app.signed_up("ada@example.com").await;
    let wrong = app
        .delete("/users/me", &access)
        .json(&json!({"current_password": "nope nope nope"}))
        .sent()
        .await;
    assert_problem(wrong, 422).await;
    let r = app
        .delete("/users/me", &access)
        .json(&json!({"current_password": PASSWORD}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get("/users/me", &access).sent().await, 401).await;
    assert_oauth_error(app.refresh(&refresh_token).await, "invalid_grant").await;
    assert_oauth_error(
        app.login("ada@example.com", PASSWORD).await,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn a_deactivated_users_token_is_refused_on_me() {
    let app = spawn_app().await;
    let (access, _, user) = app.signed_up("ada@example.com").await;
    let admin = app.superuser_token().await;
    app.patch(&format!("/users/{}", user["id"].as_str().unwrap()), &admin)
        .json(&json!({"is_active": false}))
        .sent()
        .await;
    assert_problem(app.get("/users/me", &access).sent().await, 401).await;
}
