//! Nothing is lost under concurrent writes.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn five_hundred_concurrent_creates_by_ten_users_are_all_stored_and_summed() {
    let app = spawn_app().await;
    let users: Vec<TestUser> = (0..10).map(|_| TestUser::new()).collect();
    let requests = (0..500).map(|i| {
        let user = &users[i % 10];
        let amount = (i % 17) as f64 + 0.5;
        let type_id = 100 + (i % 5) as i64;
        let app = &app;
        async move {
            let r = app
                .create_usage(user, json!({"amount": amount, "usage_type_id": type_id}))
                .await;
            assert_eq!(r.status(), StatusCode::CREATED);
            // Expected from the seeded factor, not the service's own co2e.
            (i % 10, amount * factor_of(type_id))
        }
    });
    let created = futures_util::future::join_all(requests).await;
    assert_eq!(app.stored_usages().await, 500);

    let mut expected: HashMap<usize, (u64, f64)> = HashMap::new();
    for (user, co2e) in created {
        let entry = expected.entry(user).or_default();
        entry.0 += 1;
        entry.1 += co2e;
    }
    for (index, user) in users.iter().enumerate() {
        let list = app
            .get("/usages?limit=1&include_total=true", user)
            .sent()
            .await;
        assert_eq!(list.headers()["x-total-count"], "50");
        let summary: Value = app.get("/usages/summary", user).json_body().await;
        let (count, co2e) = expected[&index];
        assert_eq!(summary["usage_count"].as_u64().unwrap(), count);
        let total = summary["total_co2e"].as_f64().unwrap();
        assert!(
            (total - co2e).abs() < 1e-6 * co2e.max(1.0),
            "{total} vs {co2e}"
        );
    }
}

/// A CSV of `rows` usages of type 100, one a minute from 2026-01-01.
fn csv_rows(rows: usize) -> String {
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap();
    let mut csv = String::from("usage_at,usage_type_id,amount\n");
    for i in 0..rows {
        let at = start + chrono::Duration::minutes(i as i64);
        csv.push_str(&format!("{},100,1.5\n", at.to_rfc3339()));
    }
    csv
}

#[tokio::test]
async fn a_concurrent_reader_never_sees_part_of_an_import() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let app = spawn_app().await;
    let user = TestUser::new();
    let csv = csv_rows(10_000);
    let answered = AtomicBool::new(false);
    let import = async {
        let r = app.import_csv(&user, &csv).await;
        answered.store(true, Ordering::SeqCst);
        r
    };
    let reader = async {
        let usages = app.database.collection::<bson::Document>("usages");
        let mut seen = Vec::new();
        let mut reads_during_import = 0;
        while !answered.load(Ordering::SeqCst) {
            let stored = usages
                .count_documents(bson::doc! {"user_id": user.id.to_string()})
                .await
                .unwrap();
            let summed = app
                .usages()
                .summary(
                    common::ids::OrgId::personal(user.user_id()),
                    &Default::default(),
                    Default::default(),
                )
                .await
                .unwrap()
                .usage_count;
            if !answered.load(Ordering::SeqCst) {
                reads_during_import += 1;
            }
            seen.push((stored, summed));
        }
        (seen, reads_during_import)
    };
    let (response, (seen, reads_during_import)) = futures_util::future::join(import, reader).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    // The race happened: the reader read while the import ran.
    assert!(reads_during_import > 0, "no read overlapped the import");
    for (stored, summed) in &seen {
        assert!(
            [0, 10_000].contains(stored) && [0, 10_000].contains(summed),
            "a reader saw {stored} stored and {summed} summed of 10000"
        );
    }
}

#[tokio::test]
async fn concurrent_creates_of_one_user_share_transactions_and_keep_the_quota_in_arrival_order() {
    use carbon_service::domain::usage::NewUsage;
    use carbon_service::service::usages::{UsageError, Usages};
    let app = spawn_app().await;
    let (db, log) = common::testing::monitored_database(&app.database_uri).await;
    let writes = Default::default();
    let usages = Usages {
        db: &db,
        types: app.context.type_cache(),
        quota: 10,
        writes: &writes,
        slots: &test_slots(),
    };
    let user = common::ids::UserId::new();
    let author = common::audit::Author::personal(user);
    let creates = (0..30).map(|i| {
        let new = NewUsage::parse(f64::from(i) + 1.0, 100, Some("2026-03-01T00:00:00Z")).unwrap();
        usages.create(&author, new, None)
    });
    let outcomes = futures_util::future::join_all(creates).await;
    // The race happened: the creates queued behind one another and were
    // written together, in far fewer transactions than creates.
    let commits = log
        .lock()
        .unwrap()
        .iter()
        .filter(|(command, _)| command == "commitTransaction")
        .count();
    assert!(
        (1..=5).contains(&commits),
        "{commits} transactions for 30 creates"
    );
    // The first ten in arrival order fit the quota, the rest are refused.
    for (i, outcome) in outcomes.iter().enumerate() {
        match outcome {
            Ok(created) if i < 10 => assert_eq!(created.value.amount, i as f64 + 1.0),
            Err(UsageError::QuotaReached { quota: 10 }) if i >= 10 => {}
            other => panic!("create {i}: {other:?}"),
        }
    }
    assert_eq!(app.stored_usages().await, 10);
    let report = carbon_service::service::rollups::verify(&app.database, false)
        .await
        .unwrap();
    assert!(report.is_clean(), "{report:?}");
}

#[tokio::test]
async fn a_key_repeated_within_one_batch_replays_its_first_create_or_shares_its_refusal() {
    use carbon_service::domain::usage::{IdempotencyKey, NewUsage};
    use carbon_service::service::usages::{UsageError, Usages};
    let app = spawn_app().await;
    let writes = Default::default();
    let usages = Usages {
        db: &app.database,
        types: app.context.type_cache(),
        quota: 2,
        writes: &writes,
        slots: &test_slots(),
    };
    let user = common::ids::UserId::new();
    let author = common::audit::Author::personal(user);
    let new = || NewUsage::parse(1.0, 100, Some("2026-03-01T00:00:00Z")).unwrap();
    let (a, b) = (
        IdempotencyKey::parse(b"a").unwrap(),
        IdempotencyKey::parse(b"b").unwrap(),
    );
    let body = b"{}".as_slice();
    // The first create runs alone; the other five queue behind it and are
    // written as one batch, with one unit of quota left.
    let outcomes = futures_util::future::join_all([
        usages.create(&author, new(), None),
        usages.create(&author, new(), Some((&a, body))),
        usages.create(&author, new(), Some((&a, body))),
        usages.create(&author, new(), Some((&b, body))),
        usages.create(&author, new(), Some((&b, body))),
        usages.create(&author, new(), Some((&a, b"other".as_slice()))),
    ])
    .await;
    let first_a = outcomes[1].as_ref().unwrap();
    let again_a = outcomes[2].as_ref().unwrap();
    assert!(!first_a.replayed && again_a.replayed);
    assert_eq!(first_a.value.id, again_a.value.id);
    assert!(matches!(
        outcomes[3],
        Err(UsageError::QuotaReached { quota: 2 })
    ));
    assert!(matches!(
        outcomes[4],
        Err(UsageError::QuotaReached { quota: 2 })
    ));
    assert!(matches!(outcomes[5], Err(UsageError::KeyReused)));
    assert_eq!(app.stored_usages().await, 2);
}
