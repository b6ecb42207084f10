use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_replay_returns_the_original_201_and_stores_one_usage() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let body = json!({"amount": 3, "usage_type_id": 100});
    let first = app
        .create_usage_with_key(&user, "key-1", body.clone())
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let replay = app.create_usage_with_key(&user, "key-1", body).await;
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay, first);
    assert_eq!(app.stored_usages().await, 1);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422() {
    let app = spawn_app().await;
    let user = TestUser::new();
    app.create_usage_with_key(&user, "key-1", json!({"amount": 3, "usage_type_id": 100}))
        .await;
    let r = app
        .create_usage_with_key(&user, "key-1", json!({"amount": 4, "usage_type_id": 100}))
        .await;
    assert_eq!(
        error_fields(&assert_problem(r, 422).await),
        ["Idempotency-Key"]
    );
    assert_eq!(app.stored_usages().await, 1);
}

#[tokio::test]
async fn keys_are_per_user() {
    let app = spawn_app().await;
    let body = json!({"amount": 3, "usage_type_id": 100});
    let a: Value = app
        .create_usage_with_key(&TestUser::new(), "shared", body.clone())
        .await
        .json()
        .await
        .unwrap();
    let b: Value = app
        .create_usage_with_key(&TestUser::new(), "shared", body)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(a["id"], b["id"]);
    assert_eq!(app.stored_usages().await, 2);
}

#[tokio::test]
async fn a_replay_after_the_usage_was_deleted_is_410_and_records_nothing() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let body = json!({"amount": 3, "usage_type_id": 100});
    let first: Value = app
        .create_usage_with_key(&user, "k", body.clone())
        .await
        .json()
        .await
        .unwrap();
    app.delete_usage(&user, first["id"].as_str().unwrap()).await;
    let replay = app.create_usage_with_key(&user, "k", body).await;
    let problem = assert_problem(replay, 410).await;
    assert!(!problem.to_string().contains(first["id"].as_str().unwrap()));
    assert_eq!(app.stored_usages().await, 0);
    assert!(app.usages_of(&user, "").await.is_empty());
}

#[tokio::test]
async fn a_replay_answers_the_usage_as_it_is_now() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let body = json!({"amount": 3, "usage_type_id": 100});
    let first: Value = app
        .create_usage_with_key(&user, "k", body.clone())
        .await
        .json()
        .await
        .unwrap();
    let id = first["id"].as_str().unwrap();
    app.put_usage(&user, id, json!({"amount": 5})).await;
    let replay = app.create_usage_with_key(&user, "k", body).await;
    assert_eq!(replay.status(), StatusCode::CREATED);
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(
        (replay["id"].as_str(), replay["amount"].as_f64()),
        (Some(id), Some(5.0))
    );
}

#[tokio::test]
async fn a_key_record_holds_the_usage_id_and_status_not_a_copy_of_the_usage() {
    let app = spawn_app().await;
    let user = TestUser::new();
    app.create_usage_with_key(&user, "k", json!({"amount": 3, "usage_type_id": 100}))
        .await;
    let record = app
        .database
        .collection::<bson::Document>("idempotency_keys")
        .find_one(bson::doc! {})
        .await
        .unwrap()
        .unwrap();
    let mut fields: Vec<&str> = record.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "_id",
            "created_at",
            "expires_at",
            "fingerprint",
            "org_id",
            "outcome",
            "usage_id",
            "user_id"
        ]
    );
    assert_eq!(
        record.get_document("outcome").unwrap(),
        &bson::doc! {"kind": "recorded", "status": 201}
    );
}

#[tokio::test]
async fn erasure_leaves_no_idempotency_record_of_the_user() {
    let app = spawn_app().await;
    let (user, other) = (TestUser::new(), TestUser::new());
    let body = json!({"amount": 3, "usage_type_id": 100});
    for key in ["a", "b"] {
        app.create_usage_with_key(&user, key, body.clone()).await;
    }
    app.post("/usages/import", &user)
        .header("content-type", "text/csv")
        .header("idempotency-key", "c")
        .body("usage_at,usage_type_id,amount\n2026-01-01T00:00:00Z,100,1\n")
        .sent()
        .await;
    app.create_usage_with_key(&other, "a", body).await;
    let records = app
        .database
        .collection::<bson::Document>("idempotency_keys");
    let of = |u: &TestUser| bson::doc! {"user_id": u.id.to_string()};
    assert_eq!(records.count_documents(of(&user)).await.unwrap(), 3);

    assert_eq!(app.erase(&user).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(records.count_documents(of(&user)).await.unwrap(), 0);
    assert_eq!(records.count_documents(of(&other)).await.unwrap(), 1);
}

#[tokio::test]
async fn over_the_write_limit_a_usage_write_is_429_before_its_body_is_read() {
    let app = spawn_app_with(&[
        ("USAGE_WRITE_RATE_LIMIT_PER_MINUTE", "1"),
        ("USAGE_WRITE_RATE_LIMIT_BURST", "1"),
    ])
    .await;
    let user = TestUser::new();
    let r = app
        .create_usage(&user, json!({"amount": 3, "usage_type_id": 100}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Not JSON at all: the limit answers before the body is parsed.
    let r = app.post("/usages", &user).body("{not json").sent().await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429).await;
    // Per caller: another user still writes.
    let r = app
        .create_usage(&TestUser::new(), json!({"amount": 3, "usage_type_id": 100}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_key_over_255_characters_is_422() {
    let app = spawn_app().await;
    let r = app
        .create_usage_with_key(
            &TestUser::new(),
            &"k".repeat(256),
            json!({"amount": 3, "usage_type_id": 100}),
        )
        .await;
    assert_eq!(
        error_fields(&assert_problem(r, 422).await),
        ["Idempotency-Key"]
    );
}

#[tokio::test]
async fn fifty_concurrent_requests_with_one_key_create_one_usage_and_replay_it_49_times() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let body = json!({"amount": 7, "usage_type_id": 102});
    let requests = (0..50).map(|_| app.create_usage_with_key(&user, "burst", body.clone()));
    let responses = futures_util::future::join_all(requests).await;
    let mut ids = std::collections::HashSet::new();
    let mut replayed = 0;
    for r in responses {
        // One instance queues a user's writes: none is told to retry.
        assert_eq!(r.status(), StatusCode::CREATED);
        if r.headers().contains_key("idempotent-replayed") {
            replayed += 1;
        }
        let usage: Value = r.json().await.unwrap();
        ids.insert(usage["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(replayed, 49);
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(app.stored_usages().await, 1);
}

#[tokio::test]
async fn a_request_whose_key_is_held_by_a_running_request_is_told_to_retry() {
    use carbon_service::storage::idempotency::{self, IdempotencyRecord, Outcome};
    let app = spawn_app().await;
    let user = TestUser::new();
    let csv = "usage_at,usage_type_id,amount\n2026-01-01T00:00:00Z,100,1\n";
    // The first import with the key is running: its transaction has written
    // the key's record and not committed yet...
    let mut running = app.database.client().start_session().await.unwrap();
    running.start_transaction().await.unwrap();
    let record = IdempotencyRecord::new(
        idempotency::record_id(
            common::ids::OrgId::personal(user.user_id()),
            user.user_id(),
            "batch-7",
        ),
        common::ids::OrgId::personal(user.user_id()),
        user.user_id(),
        idempotency::sha256_hex(&[b"import", csv.as_bytes()]),
        bson::oid::ObjectId::new(),
        Outcome::Imported { imported: 1 },
    );
    idempotency::insert(&app.database, &mut running, &record)
        .await
        .unwrap();
    // ...so its retry must neither wait nor store a second copy of the rows.
    let retry = app
        .post("/usages/import", &user)
        .header("idempotency-key", "batch-7")
        .header("content-type", "text/csv")
        .body(csv)
        .sent()
        .await;
    assert_eq!(retry.headers()["retry-after"], "1");
    assert_problem(retry, 409).await;
    running.abort_transaction().await.unwrap();
    assert_eq!(app.stored_usages().await, 0);
}

#[tokio::test]
async fn a_key_whose_request_failed_is_free_for_the_retry() {
    let app = spawn_app_with(&[("USAGE_QUOTA_PER_USER", "1")]).await;
    let user = TestUser::new();
    let spent = app
        .created_usage(&user, 1.0, 100, "2026-01-01T00:00:00Z")
        .await;
    // Over the quota: the request fails, and its key's record goes with
    // the transaction that would have stored the usage.
    let body = json!({"amount": 7, "usage_type_id": 102});
    let refused = app.create_usage_with_key(&user, "k1", body.clone()).await;
    assert_problem(refused, 409).await;
    app.delete_usage(&user, spent["id"].as_str().unwrap()).await;
    let retried = app.create_usage_with_key(&user, "k1", body).await;
    assert_eq!(retried.status(), StatusCode::CREATED);
    assert!(!retried.headers().contains_key("idempotent-replayed"));
}

#[tokio::test]
async fn an_expired_key_is_removed_by_the_ttl_index_and_a_live_one_kept() {
    let app = spawn_app().await;
    let user = TestUser::new();
    app.create_usage_with_key(&user, "fresh", json!({"amount": 1, "usage_type_id": 100}))
        .await;
    common::testing::assert_ttl_index(&app.database, "idempotency_keys", "expires_at").await;
    let keys = app
        .database
        .collection::<bson::Document>("idempotency_keys");
    let past = bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() - 1000);
    keys.insert_one(
        bson::doc! {"_id": "old", "fingerprint": "x", "usage_id": bson::oid::ObjectId::new(),
        "response": null, "created_at": past, "expires_at": past},
    )
    .await
    .unwrap();
    if common::testing::shorten_ttl_monitor(&app.database).await {
        common::testing::eventually(Duration::from_secs(30), "a TTL pass", async || {
            let left = keys.count_documents(bson::doc! {}).await.ok()?;
            (left == 1).then_some(())
        })
        .await;
        let kept = keys.find_one(bson::doc! {}).await.unwrap().unwrap();
        assert_ne!(kept.get_str("_id").unwrap(), "old");
    }
}

#[tokio::test]
async fn a_key_with_spaces_is_422() {
    let app = spawn_app().await;
    let r = app
        .create_usage_with_key(
            &TestUser::new(),
            "two words",
            json!({"amount": 3, "usage_type_id": 100}),
        )
        .await;
    assert_eq!(
        error_fields(&assert_problem(r, 422).await),
        ["Idempotency-Key"]
    );
}
