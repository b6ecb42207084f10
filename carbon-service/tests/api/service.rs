//! The flows of `service::usages`, called directly: no HTTP involved.

use bson::oid::ObjectId;
use carbon_service::domain::usage::{CreateUsageRequest, IdempotencyKey, IfMatch, UsageChanges};
use carbon_service::service::usages as service;
use common::ApiError;

use crate::helpers::*;

fn request(amount: f64, usage_type_id: i64) -> CreateUsageRequest {
    CreateUsageRequest {
        amount,
        usage_type_id,
        usage_at: Some("2026-05-01T00:00:00Z".into()),
    }
}

#[tokio::test]
async fn an_idempotent_create_replays_the_first_answer_and_stores_one_usage() {
    let app = spawn_app().await;
    let key = IdempotencyKey::parse(b"k-1").unwrap();
    let first = service::create(
        &app.database,
        &app.cache,
        "u1",
        &request(2.0, 101),
        Some(&key),
        QUOTA,
    )
    .await
    .unwrap();
    let again = service::create(
        &app.database,
        &app.cache,
        "u1",
        &request(2.0, 101),
        Some(&key),
        QUOTA,
    )
    .await
    .unwrap();
    assert!(!first.replayed && again.replayed);
    assert_eq!(first.body, again.body);
    assert_eq!(app.stored_usages().await, 1);
    // The same key from another user is another key.
    let other = service::create(
        &app.database,
        &app.cache,
        "u2",
        &request(2.0, 101),
        Some(&key),
        QUOTA,
    )
    .await
    .unwrap();
    assert!(!other.replayed && other.id != first.id);
    let reused = service::create(
        &app.database,
        &app.cache,
        "u1",
        &request(3.0, 101),
        Some(&key),
        QUOTA,
    )
    .await;
    assert!(matches!(reused, Err(ApiError::Validation(_))));
}

#[tokio::test]
async fn a_create_of_an_unknown_type_is_a_validation_error() {
    let app = spawn_app().await;
    let err = service::create(
        &app.database,
        &app.cache,
        "u1",
        &request(1.0, 999),
        None,
        QUOTA,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ApiError::Validation(ref e) if e[0].field == "usage_type_id"));
}

#[tokio::test]
async fn an_update_recomputes_co2e_and_refuses_a_stale_version() {
    let app = spawn_app().await;
    let created = service::create(
        &app.database,
        &app.cache,
        "u1",
        &request(2.0, 100),
        None,
        QUOTA,
    )
    .await
    .unwrap();
    let id = ObjectId::parse_str(&created.id).unwrap();
    let changes = UsageChanges {
        amount: Some(4.0),
        usage_type_id: Some(104),
        usage_at: None,
    };
    let updated = service::update(
        &app.database,
        &app.cache,
        "u1",
        id,
        &changes,
        Some(&IfMatch::parse("\"1\"").unwrap()),
    )
    .await
    .unwrap();
    assert!(close(updated.co2e, 4.0 * factor_of(104)));
    assert_eq!(updated.version, 2);
    let stale = service::update(
        &app.database,
        &app.cache,
        "u1",
        id,
        &changes,
        Some(&IfMatch::parse("\"1\"").unwrap()),
    )
    .await;
    assert!(matches!(stale, Err(ApiError::PreconditionFailed(_))));
    let foreign = service::update(&app.database, &app.cache, "u2", id, &changes, None).await;
    assert!(matches!(foreign, Err(ApiError::NotFound(_))));
}

#[tokio::test]
async fn the_summary_folds_one_aggregation() {
    let app = spawn_app().await;
    for (amount, type_id) in [(1.0, 100), (2.0, 100), (3.0, 101)] {
        service::create(
            &app.database,
            &app.cache,
            "u1",
            &request(amount, type_id),
            None,
            QUOTA,
        )
        .await
        .unwrap();
    }
    let summary = service::summary(&app.database, &app.cache, "u1", &Default::default())
        .await
        .unwrap();
    assert_eq!(summary.usage_count, 3);
    assert!(close(
        summary.total_co2e,
        3.0 * factor_of(100) + 3.0 * factor_of(101)
    ));
    assert_eq!(summary.by_month.len(), 1);
    assert_eq!(summary.by_scope.len(), 2);
}
