//! Races on registration and refresh.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn twenty_concurrent_registrations_of_one_email_make_one_account() {
    // Twenty hashes queue for the pool: on a loaded machine the default
    // wait would answer some with 503, which is not what this race is about.
    let app = spawn_app_with(&[("PASSWORD_HASH_MAX_WAIT_MS", "60000")]).await;
    let spellings = [
        "race@example.com",
        "RACE@example.com",
        "Race@Example.com",
        "rAcE@eXaMpLe.CoM",
    ];
    let attempts = (0..20).map(|i| app.register(spellings[i % spellings.len()], PASSWORD));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        19,
        "{statuses:?}"
    );
    let accounts = app
        .database
        .collection::<bson::Document>("users")
        .count_documents(bson::doc! {"email": "race@example.com"})
        .await
        .unwrap();
    assert_eq!(accounts, 1);
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_let_exactly_one_through_and_revoke_the_family() {
    let app = spawn_app().await;
    let (_, refresh_token, _) = app.signed_up("ada@example.com").await;
    let attempts = (0..10).map(|_| app.refresh(&refresh_token));
    let responses = futures_util::future::join_all(attempts).await;
    let mut winners = Vec::new();
    for r in responses {
        if r.status() == StatusCode::OK {
            let body: Value = r.json().await.unwrap();
            winners.push(body["refresh_token"].as_str().unwrap().to_owned());
        } else {
            assert_oauth_error(r, "invalid_grant").await;
        }
    }
    assert_eq!(winners.len(), 1, "{} refreshes succeeded", winners.len());
    // The losers presented a used token: reuse detection revoked the family,
    // the winner's successor included.
    for token in winners {
        assert_oauth_error(app.refresh(&token).await, "invalid_grant").await;
    }
}

#[tokio::test]
async fn concurrent_uses_of_one_reset_token_let_exactly_one_through() {
    use serde_json::json;
    let app = spawn_app().await;
    app.signed_up("ada@example.com").await;
    let token = app.reset_token_for("ada@example.com").await;
    let attempts = (0..8).map(|i| {
        app.post_json(
            "/auth/reset-password",
            json!({"token": token, "password": format!("new passphrase number {i}")}),
        )
        .send()
    });
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap().status())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
}
