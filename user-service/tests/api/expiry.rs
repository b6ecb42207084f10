//! Expired tokens and claims are removed by TTL indexes, not by hand.

use std::time::Duration;

use bson::doc;

use crate::helpers::*;

#[tokio::test]
async fn refresh_tokens_action_tokens_and_claims_expire_by_ttl_index() {
    let app = spawn_app().await;
    app.signed_up("ada@example.com").await;
    for collection in ["refresh_tokens", "action_tokens", "token_claims"] {
        common::testing::assert_ttl_index(&app.database, collection, "expires_at").await;
    }
}

#[tokio::test]
async fn an_expired_refresh_token_and_claim_disappear_and_live_ones_stay() {
    let app = spawn_app().await;
    app.signed_up("ada@example.com").await;
    let past = bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() - 1000);
    let tokens = app.database.collection::<bson::Document>("refresh_tokens");
    let claims = app.database.collection::<bson::Document>("token_claims");
    tokens
        .insert_one(
            doc! {"_id": "expired", "user_id": "u", "family_id": "f", "created_at": past,
            "expires_at": past, "used": false, "revoked": false},
        )
        .await
        .unwrap();
    claims
        .insert_one(doc! {"_id": "refresh:expired", "claimed_at": past, "expires_at": past})
        .await
        .unwrap();
    if !common::testing::shorten_ttl_monitor(&app.database).await {
        return; // a server that keeps its 60 s TTL pass: the index test above covers it
    }
    common::testing::eventually(Duration::from_secs(30), "a TTL pass", async || {
        let expired_token = tokens.find_one(doc! {"_id": "expired"}).await.ok()?;
        let expired_claim = claims
            .find_one(doc! {"_id": "refresh:expired"})
            .await
            .ok()?;
        (expired_token.is_none() && expired_claim.is_none()).then_some(())
    })
    .await;
    assert_eq!(
        tokens.count_documents(doc! {}).await.unwrap(),
        1,
        "the live token stays"
    );
}
