//! Ending sessions: every session means refreshes in flight too; logins
//! have an absolute lifetime; access tokens are typed.

use bson::doc;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_refresh_racing_logout_everywhere_yields_no_surviving_session() {
    let app = spawn_app().await;
    let (_, _, _) = app.signed_up("ada@example.com").await;
    let mut refresh_won = 0;
    for round in 0..60_u64 {
        let tokens: Value = app
            .login("ada@example.com", PASSWORD)
            .await
            .json()
            .await
            .unwrap();
        let access = tokens["access_token"].as_str().unwrap().to_owned();
        let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
        let refresh = app.refresh(&refresh_token);
        // The logout starts a little later each round (0 to 6 ms), so that
        // across the rounds it lands at every step of the refresh.
        let logout_all = async {
            tokio::time::sleep(std::time::Duration::from_micros(round % 13 * 500)).await;
            app.client
                .post(app.url("/auth/jwt/logout"))
                .bearer_auth(&access)
                .json(&json!({"all": true}))
                .send()
                .await
        };
        let (refreshed, logged_out) = futures_util::future::join(refresh, logout_all).await;
        assert_eq!(logged_out.unwrap().status(), StatusCode::NO_CONTENT);
        if refreshed.status() == StatusCode::OK {
            refresh_won += 1;
            let body: Value = refreshed.json().await.unwrap();
            let successor = body["refresh_token"].as_str().unwrap();
            // The refresh won its race; its successor must still be dead.
            assert_oauth_error(app.refresh(successor).await, "invalid_grant").await;
            if refresh_won == 3 {
                break;
            }
        }
    }
    // The race happened: some refreshes got in before the logout landed,
    // so the successor check above ran.
    assert!(refresh_won > 0, "no refresh ever beat the logout");
}

#[tokio::test]
async fn deactivation_and_a_password_change_end_every_session() {
    let app = spawn_app().await;
    let (access, refresh_token, user) = app.signed_up("ada@example.com").await;
    let r = app
        .patch("/users/me", &access)
        .json(&json!({"password": "a brand new passphrase", "current_password": PASSWORD}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_oauth_error(app.refresh(&refresh_token).await, "invalid_grant").await;

    let tokens: Value = app
        .login("ada@example.com", "a brand new passphrase")
        .await
        .json()
        .await
        .unwrap();
    let admin = app.superuser_token().await;
    app.patch(&format!("/users/{}", user["id"].as_str().unwrap()), &admin)
        .json(&json!({"is_active": false}))
        .sent()
        .await;
    assert_oauth_error(
        app.refresh(tokens["refresh_token"].as_str().unwrap()).await,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn a_family_past_its_maximum_lifetime_is_refused_however_recently_rotated() {
    let app = spawn_app_with(&[("REFRESH_TOKEN_MAX_LIFETIME_SECONDS", "3600")]).await;
    let (_, refresh_token, _) = app.signed_up("ada@example.com").await;
    let r = app.refresh(&refresh_token).await;
    let rotated: Value = r.json().await.unwrap();
    let successor = rotated["refresh_token"].as_str().unwrap().to_owned();
    let tokens = app.database.collection::<bson::Document>("refresh_tokens");
    let stored = tokens
        .find_one(doc! {"used": false})
        .await
        .unwrap()
        .unwrap();
    let family_end = *stored.get_datetime("family_expires_at").unwrap();
    let token_end = *stored.get_datetime("expires_at").unwrap();
    assert!(token_end <= family_end, "no token outlives its family");
    assert!(
        family_end.timestamp_millis() - bson::DateTime::now().timestamp_millis() <= 3_600_000,
        "the family ends an hour after login"
    );
    // Time passes: the family's hour is over, though the token itself is fresh.
    let past = bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() - 1000);
    tokens
        .update_many(doc! {}, doc! {"$set": {"family_expires_at": past}})
        .await
        .unwrap();
    assert_oauth_error(app.refresh(&successor).await, "invalid_grant").await;
}

#[tokio::test]
async fn issued_access_tokens_are_typed_at_jwt() {
    let app = spawn_app().await;
    let (access, _, _) = app.signed_up("ada@example.com").await;
    let header = jsonwebtoken::decode_header(&access).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
}
