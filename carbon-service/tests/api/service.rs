//! The flows of `service::usages` and `service::types`, called directly:
//! no HTTP involved, and their errors are the service's own.

use carbon_service::domain::dataset::DatasetId;
use carbon_service::domain::usage::{IdempotencyKey, IfMatch, NewUsage, UsageChanges};
use carbon_service::domain::usage_type::UsageTypeFields;
use carbon_service::service::types::TypeError;
use carbon_service::service::usages::UsageError;
use common::ids::UserId;

use crate::helpers::*;

fn new_usage(amount: f64, usage_type_id: i64) -> NewUsage {
    NewUsage::parse(amount, usage_type_id, Some("2026-05-01T00:00:00Z")).unwrap()
}

#[tokio::test]
async fn an_idempotent_create_replays_the_first_usage_and_stores_one() {
    let app = spawn_app().await;
    let (ada, bob) = (UserId::new(), UserId::new());
    let key = IdempotencyKey::parse(b"k-1").unwrap();
    let request = br#"{"amount":2.0,"usage_type_id":101}"#.as_slice();
    let first = app
        .usages()
        .create(
            &common::audit::Author::personal(ada),
            new_usage(2.0, 101),
            Some((&key, request)),
        )
        .await
        .unwrap();
    let again = app
        .usages()
        .create(
            &common::audit::Author::personal(ada),
            new_usage(2.0, 101),
            Some((&key, request)),
        )
        .await
        .unwrap();
    assert!(!first.replayed && again.replayed);
    assert_eq!(first.value.id, again.value.id);
    assert_eq!(app.stored_usages().await, 1);
    // The same key from another user is another key.
    let other = app
        .usages()
        .create(
            &common::audit::Author::personal(bob),
            new_usage(2.0, 101),
            Some((&key, request)),
        )
        .await
        .unwrap();
    assert!(!other.replayed && other.value.id != first.value.id);
    let reused = app
        .usages()
        .create(
            &common::audit::Author::personal(ada),
            new_usage(3.0, 101),
            Some((&key, b"{}".as_slice())),
        )
        .await;
    assert!(matches!(reused, Err(UsageError::KeyReused)), "{reused:?}");
}

#[tokio::test]
async fn a_create_of_an_unknown_type_names_the_type() {
    let app = spawn_app().await;
    let err = app
        .usages()
        .create(
            &common::audit::Author::personal(UserId::new()),
            new_usage(1.0, 999),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, UsageError::UnknownType(id) if id == type_id(999)),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_update_recomputes_co2e_and_refuses_a_stale_version() {
    let app = spawn_app().await;
    let ada = UserId::new();
    let created = app
        .usages()
        .create(
            &common::audit::Author::personal(ada),
            new_usage(2.0, 100),
            None,
        )
        .await
        .unwrap();
    let id = created.value.id;
    let changes = UsageChanges::parse(Some(4.0), Some(104), None).unwrap();
    let first_version = IfMatch::parse("\"1\"").unwrap();
    let updated = app
        .usages()
        .update(
            &common::audit::Author::personal(ada),
            id,
            &changes,
            Some(&first_version),
        )
        .await
        .unwrap();
    assert!(close(updated.co2e, 4.0 * factor_of(104)));
    assert_eq!(updated.version, 2);
    let stale = app
        .usages()
        .update(
            &common::audit::Author::personal(ada),
            id,
            &changes,
            Some(&first_version),
        )
        .await;
    assert!(matches!(stale, Err(UsageError::Stale)), "{stale:?}");
    let foreign = app
        .usages()
        .update(
            &common::audit::Author::personal(UserId::new()),
            id,
            &changes,
            None,
        )
        .await;
    assert!(matches!(foreign, Err(UsageError::NotFound)), "{foreign:?}");
}

#[tokio::test]
async fn the_summary_folds_one_aggregation() {
    let app = spawn_app().await;
    let ada = UserId::new();
    for (amount, type_id) in [(1.0, 100), (2.0, 100), (3.0, 101)] {
        app.usages()
            .create(
                &common::audit::Author::personal(ada),
                new_usage(amount, type_id),
                None,
            )
            .await
            .unwrap();
    }
    let summary = app
        .usages()
        .summary(
            common::ids::OrgId::personal(ada),
            &Default::default(),
            Default::default(),
        )
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

fn water() -> UsageTypeFields {
    UsageTypeFields {
        name: "water".into(),
        unit: "m3".into(),
        factor: Some(0.3),
        scope: 3,
        ..UsageTypeFields::default()
    }
}

#[tokio::test]
async fn a_type_id_taken_is_its_own_error_and_a_type_in_use_cannot_be_deleted() {
    let app = spawn_app().await;
    let admin = UserId::new();
    let types = app.context.types();
    let custom = DatasetId::custom();
    let taken = types.create(100, &custom, &water(), admin).await;
    assert!(
        matches!(taken, Err(TypeError::IdTaken(id)) if id == type_id(100)),
        "{taken:?}"
    );
    types.create(900, &custom, &water(), admin).await.unwrap();
    app.usages()
        .create(
            &common::audit::Author::personal(UserId::new()),
            new_usage(1.0, 900),
            None,
        )
        .await
        .unwrap();
    let in_use = types.delete(type_id(900), admin).await;
    assert!(matches!(in_use, Err(TypeError::InUse(_))), "{in_use:?}");
    let missing = types.delete(type_id(901), admin).await;
    assert!(
        matches!(missing, Err(TypeError::NotFound(_))),
        "{missing:?}"
    );
}

#[tokio::test]
async fn a_published_datasets_types_are_read_only_and_an_unknown_dataset_is_named() {
    let app = spawn_app().await;
    let admin = UserId::new();
    let types = app.context.types();
    let example = DatasetId::example();
    let published = types.create(900, &example, &water(), admin).await;
    assert!(
        matches!(published, Err(TypeError::ReadOnly(_))),
        "{published:?}"
    );
    let replaced = types.replace(type_id(100), &water(), admin).await;
    assert!(
        matches!(replaced, Err(TypeError::ReadOnly(_))),
        "{replaced:?}"
    );
    let deleted = types.delete(type_id(100), admin).await;
    assert!(
        matches!(deleted, Err(TypeError::ReadOnly(_))),
        "{deleted:?}"
    );
    let unknown = DatasetId::parse("dataset", "nope").unwrap();
    let missing = types.create(900, &unknown, &water(), admin).await;
    assert!(
        matches!(missing, Err(TypeError::UnknownDataset(_))),
        "{missing:?}"
    );
}
