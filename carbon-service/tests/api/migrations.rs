//! Start-up migrations: documents of every older shape are brought to the
//! one the strict stored types read, once, under a lease.

use bson::doc;
use carbon_service::configuration::Settings;
use common::config::Env;
use common::testing::TestDatabase;

use crate::helpers::*;

fn settings(db: &TestDatabase) -> Settings {
    settings_on_port(db, 0)
}

fn settings_on_port(db: &TestDatabase, port: u16) -> Settings {
    let port = port.to_string();
    Settings::from_env(&Env::from_pairs([
        ("JWT_SECRET", SECRET),
        ("MONGODB_URI", db.uri.as_str()),
        ("HOST", "127.0.0.1"),
        ("PORT", port.as_str()),
    ]))
    .unwrap()
}

async fn database(db: &TestDatabase) -> mongodb::Database {
    let client = mongodb::Client::with_uri_str(&db.uri).await.unwrap();
    client.database(&db.name)
}

#[tokio::test]
async fn snapshots_and_reference_types_without_a_scope_are_backfilled_once() {
    let test_db = TestDatabase::new("carbon_migrate");
    let db = database(&test_db).await;
    // As an earlier version stored them: no scope anywhere.
    db.collection::<bson::Document>("usage_types")
        .insert_one(doc! {"id": 101_i64, "name": "water", "unit": "kg", "factor": 26.93})
        .await
        .unwrap();
    let old_usage = doc! {
        "_id": bson::oid::ObjectId::new(), "user_id": common::ids::UserId::new().to_string(), "amount": 2.0,
        "usage_type": {"id": 101_i64, "name": "water", "unit": "kg", "factor": 26.93},
        "usage_type_id": 101_i64, "usage_at": bson::DateTime::now(), "co2e": 53.86,
        "created_at": bson::DateTime::now(), "updated_at": bson::DateTime::now(),
    };
    db.collection::<bson::Document>("usages")
        .insert_one(old_usage)
        .await
        .unwrap();

    for _ in 0..2 {
        // Idempotent: a second start changes nothing and still starts.
        let app = carbon_service::startup::build(settings(&test_db))
            .await
            .unwrap();
        drop(app);
    }
    let usage_type = db
        .collection::<bson::Document>("usage_types")
        .find_one(doc! {"id": 101_i64})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        usage_type
            .get_i64("scope")
            .ok()
            .or(usage_type.get_i32("scope").ok().map(i64::from)),
        Some(3)
    );
    let usage = db
        .collection::<bson::Document>("usages")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    let scope = usage
        .get_document("usage_type")
        .unwrap()
        .get("scope")
        .cloned();
    assert!(
        matches!(
            scope,
            Some(bson::Bson::Int64(3)) | Some(bson::Bson::Int32(3))
        ),
        "{usage}"
    );
}

#[tokio::test]
async fn a_custom_type_without_a_scope_stops_the_start_naming_it() {
    let test_db = TestDatabase::new("carbon_migrate");
    let db = database(&test_db).await;
    db.collection::<bson::Document>("usage_types")
        .insert_one(doc! {"id": 777_i64, "name": "steam", "unit": "kg", "factor": 0.2})
        .await
        .unwrap();
    let Err(err) = carbon_service::startup::build(settings(&test_db)).await else {
        panic!("the service started with an unscoped type");
    };
    let message = common::error::cause_chain(&err);
    assert!(
        message.contains("777") && message.contains("scope"),
        "{message}"
    );
}

/// A usage as the version before rollups stored it.
fn stored_usage(
    user: &str,
    amount: f64,
    at: &str,
    import_id: Option<bson::oid::ObjectId>,
) -> bson::Document {
    let at = bson::DateTime::parse_rfc3339_str(at).unwrap();
    let mut usage = doc! {
        "_id": bson::oid::ObjectId::new(), "user_id": user, "amount": amount,
        "usage_type": {"id": 100_i64, "name": "electricity", "unit": "kWh", "factor": 0.5, "scope": 2_i64},
        "usage_type_id": 100_i64, "usage_at": at, "co2e": amount * 0.5,
        "created_at": at, "updated_at": at, "version": 1_i64,
    };
    if let Some(import_id) = import_id {
        usage.insert("import_id", import_id);
    }
    usage
}

#[tokio::test]
async fn usages_stored_before_rollups_get_rollups_and_counts_at_start() {
    let test_db = TestDatabase::new("carbon_migrate");
    let db = database(&test_db).await;
    seed_types(&db).await;
    let user = common::ids::UserId::new();
    let rows = [
        (2.0, "2026-01-05T00:00:00Z"),
        (3.0, "2026-01-20T00:00:00Z"),
        (4.0, "2026-02-01T00:00:00Z"),
    ];
    let old: Vec<_> = rows
        .iter()
        .map(|(amount, at)| stored_usage(&user.to_string(), *amount, at, None))
        .collect();
    db.collection::<bson::Document>("usages")
        .insert_many(old)
        .await
        .unwrap();

    let app = carbon_service::startup::build(settings(&test_db))
        .await
        .unwrap();
    let report = carbon_service::service::rollups::verify(&db, false)
        .await
        .unwrap();
    assert!(report.is_clean(), "{report:?}");
    // Two month cells and three day cells.
    assert_eq!((report.users, report.cells), (1, 5));
    // The summary of a whole year is read from those rollups.
    let filter = carbon_service::domain::usage_query::UsageFilter::parse(
        None,
        Some("2026-01-01T00:00:00Z"),
        Some("2027-01-01T00:00:00Z"),
    )
    .unwrap();
    let summary = app
        .context()
        .usages()
        .summary(
            common::ids::OrgId::personal(user),
            &filter,
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(summary.usage_count, 3);
    assert!((summary.total_co2e - 4.5).abs() < 1e-9);
    // Each got its type's unit, its amount in the factor's unit, and its
    // CO₂e as a CO₂e-only figure; its snapshot got the example dataset.
    let usage = db
        .collection::<bson::Document>("usages")
        .find_one(doc! {"amount": 2.0})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(usage.get_str("unit").unwrap(), "kWh");
    assert_eq!(usage.get_f64("factor_amount").unwrap(), 2.0);
    assert_eq!(
        usage
            .get_document("gases")
            .unwrap()
            .get_f64("other_co2e")
            .unwrap(),
        1.0
    );
    assert_eq!(
        usage
            .get_document("usage_type")
            .unwrap()
            .get_str("dataset")
            .unwrap(),
        "example"
    );
}

#[tokio::test]
async fn an_import_interrupted_before_transactions_is_removed_at_start_and_its_key_freed() {
    let test_db = TestDatabase::new("carbon_migrate");
    let db = database(&test_db).await;
    seed_types(&db).await;
    let user = common::ids::UserId::new();
    let import_id = bson::oid::ObjectId::new();
    // Half of an import whose request died, and its unfinished key.
    db.collection::<bson::Document>("usages")
        .insert_many(vec![
            stored_usage(
                &user.to_string(),
                1.0,
                "2026-03-01T00:00:00Z",
                Some(import_id),
            ),
            stored_usage(
                &user.to_string(),
                1.0,
                "2026-03-02T00:00:00Z",
                Some(import_id),
            ),
            stored_usage(&user.to_string(), 5.0, "2026-03-03T00:00:00Z", None),
        ])
        .await
        .unwrap();
    let now = bson::DateTime::now();
    // Not yet expired: other tests speed up the TTL monitor.
    let tomorrow = bson::DateTime::from_millis(now.timestamp_millis() + 86_400_000);
    db.collection::<bson::Document>("idempotency_keys")
        .insert_one(doc! {
            "_id": "a-key", "fingerprint": "f", "usage_id": import_id,
            "outcome": null, "lease_until": now, "created_at": now, "expires_at": tomorrow,
        })
        .await
        .unwrap();

    let _app = carbon_service::startup::build(settings(&test_db))
        .await
        .unwrap();
    let left = db
        .collection::<bson::Document>("usages")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(left, 1, "the partial import is still there");
    let keys = db
        .collection::<bson::Document>("idempotency_keys")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(keys, 0, "the unfinished key still holds");
    let report = carbon_service::service::rollups::verify(&db, false)
        .await
        .unwrap();
    assert!(report.is_clean(), "{report:?}");
}

async fn seed_types(db: &mongodb::Database) {
    db.collection::<bson::Document>("usage_types")
        .insert_one(doc! {"id": 100_i64, "name": "electricity", "unit": "kWh", "factor": 0.5, "scope": 2_i64})
        .await
        .unwrap();
}

#[tokio::test]
async fn custom_types_stored_before_private_datasets_become_private_at_start() {
    let test_db = TestDatabase::new("carbon_migrate");
    let db = database(&test_db).await;
    db.collection::<bson::Document>("usage_types")
        .insert_one(
            doc! {"id": 778_i64, "name": "steam", "unit": "GJ", "factor": 60.0,
            "scope": 2_i64, "dataset": "custom"},
        )
        .await
        .unwrap();
    let app = carbon_service::startup::build(settings(&test_db))
        .await
        .unwrap();
    let stored = db
        .collection::<bson::Document>("usage_types")
        .find_one(doc! {"id": 778_i64})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.get_bool("private"), Ok(true), "{stored}");
    drop(app);
}

#[tokio::test]
async fn idempotency_records_holding_a_copy_of_their_usage_are_slimmed_at_start() {
    let test_db = TestDatabase::new("carbon_migrate");
    let db = database(&test_db).await;
    let owner = common::ids::UserId::new().to_string();
    let usage_id = bson::oid::ObjectId::new();
    let tomorrow =
        bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() + 86_400_000);
    db.collection::<bson::Document>("idempotency_keys")
        .insert_one(doc! {
            "_id": "legacy", "fingerprint": "f", "usage_id": usage_id,
            "outcome": {"kind": "created", "usage": {"_id": usage_id, "user_id": &owner, "amount": 2.0}},
            // Not yet expired: other tests speed up the TTL monitor.
            "created_at": bson::DateTime::now(), "expires_at": tomorrow,
        })
        .await
        .unwrap();
    let app = carbon_service::startup::build(settings(&test_db))
        .await
        .unwrap();
    let record = db
        .collection::<bson::Document>("idempotency_keys")
        .find_one(doc! {"_id": "legacy"})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.get_str("user_id"), Ok(owner.as_str()));
    assert_eq!(record.get_object_id("usage_id"), Ok(usage_id));
    assert_eq!(
        record.get_document("outcome").unwrap(),
        &doc! {"kind": "recorded", "status": 201}
    );
    drop(app);
}

#[tokio::test]
async fn rollups_of_both_grains_are_built_at_start_for_usages_from_before_organizations() {
    let test_db = TestDatabase::new("carbon_migrate");
    let db = database(&test_db).await;
    seed_types(&db).await;
    let user = common::ids::UserId::new();
    let usage = stored_usage(&user.to_string(), 2.0, "2026-01-05T10:00:00Z", None);
    db.collection::<bson::Document>("usages")
        .insert_one(usage)
        .await
        .unwrap();
    // A first start builds both grains; then the day rollups and the
    // schema version are dropped, as a database from before organizations
    // would have neither.
    drop(
        carbon_service::startup::build(settings(&test_db))
            .await
            .unwrap(),
    );
    for collection in ["org_day_rollups", "schema"] {
        db.collection::<bson::Document>(collection)
            .drop()
            .await
            .unwrap();
    }
    drop(
        carbon_service::startup::build(settings(&test_db))
            .await
            .unwrap(),
    );
    let days = db
        .collection::<bson::Document>("org_day_rollups")
        .count_documents(doc! {"org_id": user.to_string(), "day": "2026-01-05"})
        .await
        .unwrap();
    assert_eq!(days, 1);
}

async fn schema_doc(db: &mongodb::Database) -> bson::Document {
    db.collection::<bson::Document>("schema")
        .find_one(doc! {})
        .await
        .unwrap()
        .expect("the schema document")
}

#[tokio::test]
async fn the_migrations_run_once_in_order_and_each_is_recorded() {
    let test_db = TestDatabase::new("carbon_migrate");
    let db = database(&test_db).await;
    drop(
        carbon_service::startup::build(settings(&test_db))
            .await
            .unwrap(),
    );
    let schema = schema_doc(&db).await;
    let latest = i64::from(carbon_service::migrate::LATEST);
    assert_eq!(schema.get_i64("version").unwrap(), latest);
    let versions: Vec<i64> = schema
        .get_array("applied")
        .unwrap()
        .iter()
        .map(|a| a.as_document().unwrap().get_i64("version").unwrap())
        .collect();
    assert_eq!(versions, (1..=latest).collect::<Vec<_>>());
    assert!(
        schema.get("lease_owner").is_none(),
        "the lease is given back"
    );
    // A second start finds the schema current and runs nothing again.
    drop(
        carbon_service::startup::build(settings(&test_db))
            .await
            .unwrap(),
    );
    assert_eq!(
        schema_doc(&db).await.get_array("applied").unwrap().len() as i64,
        latest
    );
}

#[tokio::test]
async fn a_database_a_newer_version_migrated_is_refused_naming_both_versions() {
    let test_db = TestDatabase::new("carbon_migrate");
    let db = database(&test_db).await;
    let newer = i64::from(carbon_service::migrate::LATEST) + 1;
    db.collection::<bson::Document>("schema")
        .insert_one(doc! {"_id": "carbon-service", "version": newer})
        .await
        .unwrap();
    let refused = match carbon_service::startup::build(settings(&test_db)).await {
        Ok(_) => panic!("an older binary started on a newer schema"),
        Err(e) => common::error::cause_chain(&e),
    };
    assert!(
        refused.contains(&format!("version {newer}")) && refused.contains("newer"),
        "{refused}"
    );
}

#[tokio::test]
async fn while_another_instance_holds_the_lease_a_start_waits_until_the_schema_is_current() {
    let test_db = TestDatabase::new("carbon_migrate");
    let db = database(&test_db).await;
    let until = bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() + 60_000);
    db.collection::<bson::Document>("schema")
        .insert_one(doc! {"_id": "carbon-service", "version": 0_i64, "lease_owner": "other", "lease_until": until})
        .await
        .unwrap();
    let port = free_port();
    let start = carbon_service::startup::build(settings_on_port(&test_db, port));
    let other_instance = async {
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        // Still waiting: nothing ran, the lease is the other's.
        let schema = schema_doc(&db).await;
        assert_eq!(schema.get_str("lease_owner").unwrap(), "other");
        assert!(schema.get("applied").is_none());
        // Meanwhile it is alive but not ready, and serves nothing else.
        let http = reqwest::Client::new();
        let at = |path: &str| format!("http://127.0.0.1:{port}{path}");
        let ready = http.get(at("/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), 503);
        assert_eq!(ready.headers()["retry-after"], "1");
        assert_eq!(ready.headers()["content-type"], "application/problem+json");
        let live = http.get(at("/healthz")).send().await.unwrap();
        assert_eq!(live.status(), 200);
        let types = http.get(at("/usage-types")).send().await.unwrap();
        assert_eq!(types.status(), 503);
        // The other instance finishes.
        let latest = i64::from(carbon_service::migrate::LATEST);
        db.collection::<bson::Document>("schema")
            .update_one(
                doc! {"_id": "carbon-service"},
                doc! {"$set": {"version": latest}, "$unset": {"lease_owner": "", "lease_until": ""}},
            )
            .await
            .unwrap();
    };
    let (started, ()) = tokio::join!(start, other_instance);
    let app = started.unwrap();
    assert_eq!(app.port(), port);
    drop(app);
    assert!(
        schema_doc(&db).await.get("applied").is_none(),
        "it ran nothing itself"
    );
}

/// A port nothing listens on (the start's listener takes it right after).
fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

#[tokio::test]
async fn documents_of_every_older_shape_read_with_the_strict_types_after_the_migrations() {
    use carbon_service::domain::dataset::Dataset;
    use carbon_service::domain::usage::Usage;
    use carbon_service::domain::usage_type::UsageType;
    use carbon_service::storage::idempotency::{IdempotencyRecord, Outcome};

    let test_db = TestDatabase::new("carbon_migrate");
    let db = database(&test_db).await;
    let owner = common::ids::UserId::new();
    let now = bson::DateTime::now();
    // Not yet expired: other tests speed up the TTL monitor.
    let tomorrow = bson::DateTime::from_millis(now.timestamp_millis() + 86_400_000);
    // A dataset from before notes and flags.
    db.collection::<bson::Document>("datasets")
        .insert_one(
            doc! {"_id": "old-ds", "name": "Old", "publisher": "P", "edition": "1",
            "licence": "CC0", "gwp_basis": "AR5"},
        )
        .await
        .unwrap();
    db.collection::<bson::Document>("usage_types")
        .insert_many(vec![
            // Before datasets, gases, categories and flags.
            doc! {"id": 779_i64, "name": "power", "unit": "kWh", "factor": 0.4, "scope": 2_i64},
            // With a dataset and gases, before the flags.
            doc! {"id": 780_i64, "name": "gas", "unit": "therm", "factor": 5.3, "scope": 1_i64,
                "dataset": "old-ds", "gases": {"co2": 5.3}, "gwp_basis": "AR5", "category": "stationary_combustion"},
        ])
        .await
        .unwrap();
    let user = owner.to_string();
    let bare_snapshot = doc! {"id": 779_i64, "name": "power", "unit": "kWh", "factor": 0.4};
    let (first, blank_unit, empty_gases) = (
        bson::oid::ObjectId::new(),
        bson::oid::ObjectId::new(),
        bson::oid::ObjectId::new(),
    );
    db.collection::<bson::Document>("usages")
        .insert_many(vec![
            // The first shape: no version, unit, factor amount or gases.
            doc! {"_id": first, "user_id": &user, "amount": 10.0, "usage_type": bare_snapshot.clone(),
                "usage_type_id": 779_i64, "usage_at": now, "co2e": 4.0, "created_at": now, "updated_at": now},
            // A blank unit and a null version, its snapshot without flags.
            doc! {"_id": blank_unit, "user_id": &user, "amount": 2.0, "unit": "", "factor_amount": 2.0,
                "gases": {"co2": 10.6}, "version": null,
                "usage_type": {"id": 780_i64, "name": "gas", "unit": "therm", "factor": 5.3, "scope": 1_i64,
                    "dataset": "old-ds", "gases": {"co2": 5.3}, "gwp_basis": "AR5", "category": "stationary_combustion"},
                "usage_type_id": 780_i64, "usage_at": now, "co2e": 10.6, "created_at": now, "updated_at": now},
            // Empty gases, in the usage and its snapshot.
            doc! {"_id": empty_gases, "user_id": &user, "amount": 1.0, "unit": "kWh", "factor_amount": 1.0,
                "gases": {}, "version": 3_i64, "usage_type": {"id": 779_i64, "name": "power", "unit": "kWh", "factor": 0.4, "gases": {}, "scope": 2_i64},
                "usage_type_id": 779_i64, "usage_at": now, "co2e": 0.4, "created_at": now, "updated_at": now},
        ])
        .await
        .unwrap();
    let gone = bson::oid::ObjectId::new();
    db.collection::<bson::Document>("idempotency_keys")
        .insert_many(vec![
            // Answered before outcomes (and owners) were kept: a create...
            doc! {"_id": "answered-create", "fingerprint": "f", "usage_id": first,
                "response": format!("{{\"id\":\"{first}\"}}"), "created_at": now, "expires_at": tomorrow},
            // ...and an import.
            doc! {"_id": "answered-import", "fingerprint": "f", "usage_id": bson::oid::ObjectId::new(),
                "user_id": &user, "response": "{\"imported\":3}", "created_at": now, "expires_at": tomorrow},
            // Before owners, what it wrote since deleted.
            doc! {"_id": "ownerless-gone", "fingerprint": "f", "usage_id": gone,
                "outcome": {"kind": "recorded", "status": 201_i32}, "created_at": now, "expires_at": tomorrow},
        ])
        .await
        .unwrap();

    let app = carbon_service::startup::build(settings(&test_db))
        .await
        .unwrap();
    drop(app);

    let all = |name: &'static str| {
        let db = db.clone();
        async move {
            use futures_util::TryStreamExt;
            db.collection::<bson::Document>(name)
                .find(doc! {})
                .await
                .unwrap()
                .try_collect::<Vec<_>>()
                .await
                .unwrap()
        }
    };
    for stored in all("datasets").await {
        let dataset: Dataset = bson::from_document(stored.clone())
            .unwrap_or_else(|e| panic!("{stored} does not read as a Dataset: {e}"));
        if dataset.id.as_str() == "old-ds" {
            assert!(dataset.notes.is_empty() && !dataset.retired && !dataset.private);
        }
    }
    for stored in all("usage_types").await {
        let _: UsageType = bson::from_document(stored.clone())
            .unwrap_or_else(|e| panic!("{stored} does not read as a UsageType: {e}"));
    }
    let mut usages = std::collections::HashMap::new();
    for stored in all("usages").await {
        let usage: Usage = bson::from_document(stored.clone())
            .unwrap_or_else(|e| panic!("{stored} does not read as a Usage: {e}"));
        usages.insert(usage.id.object_id(), usage);
    }
    let first = &usages[&first];
    assert_eq!((first.version, first.unit.as_str()), (0, "kWh"));
    assert_eq!(first.factor_amount, 10.0);
    assert_eq!(first.gases.other_co2e, Some(4.0));
    assert_eq!(first.usage_type.gases.other_co2e, Some(0.4));
    let blank_unit = &usages[&blank_unit];
    assert_eq!((blank_unit.version, blank_unit.unit.as_str()), (0, "therm"));
    assert_eq!(blank_unit.gases.co2, Some(10.6));
    let empty_gases = &usages[&empty_gases];
    assert_eq!(empty_gases.version, 3);
    assert_eq!(empty_gases.gases.other_co2e, Some(0.4));
    assert_eq!(empty_gases.usage_type.gases.other_co2e, Some(0.4));

    let mut records = std::collections::HashMap::new();
    for stored in all("idempotency_keys").await {
        let record: IdempotencyRecord = bson::from_document(stored.clone())
            .unwrap_or_else(|e| panic!("{stored} does not read as an IdempotencyRecord: {e}"));
        assert!(stored.get("response").is_none(), "{stored}");
        records.insert(record.id.clone(), record);
    }
    let create = &records["answered-create"];
    assert_eq!(create.user_id, owner);
    assert!(matches!(create.outcome, Outcome::Recorded { status: 201 }));
    assert!(matches!(
        records["answered-import"].outcome,
        Outcome::Imported { imported: 3 }
    ));
    assert!(
        !records.contains_key("ownerless-gone"),
        "a record whose usage is gone and whose owner is unknown is forgotten"
    );
}

#[tokio::test]
async fn biofuel_usages_recorded_as_fossil_co2_move_it_to_the_biogenic_memo() {
    use carbon_service::domain::usage::Usage;

    let test_db = TestDatabase::new("carbon_migrate");
    let db = database(&test_db).await;
    // A database at version 11, holding Biodiesel (100%) as an earlier
    // version shipped it (9.45 kg fossil CO₂ per gallon) and a usage of it.
    drop(
        carbon_service::startup::build(settings(&test_db))
            .await
            .unwrap(),
    );
    db.collection::<bson::Document>("schema")
        .update_one(
            doc! {"_id": "carbon-service"},
            doc! {"$set": {"version": 11_i64}},
        )
        .await
        .unwrap();
    let epa = carbon_service::seed::parse_seed(carbon_service::seed::EPA_GHG_HUB_2025).unwrap();
    let mut biodiesel = epa
        .types
        .iter()
        .find(|t| t.id.get() == 30002)
        .unwrap()
        .clone();
    biodiesel.gases.co2 = biodiesel.gases.biogenic_co2.take();
    biodiesel.factor = 9.45;
    db.collection::<carbon_service::domain::usage_type::UsageType>("usage_types")
        .insert_one(&biodiesel)
        .await
        .unwrap();
    let user = common::ids::UserId::new();
    let unit = carbon_service::domain::units::check_unit("gal", "gal").unwrap();
    let usage = Usage::new(
        carbon_service::domain::ids::UsageId::new(),
        carbon_service::domain::actor::Actor::personal(user),
        10.0,
        unit,
        biodiesel,
        chrono::Utc::now(),
    );
    assert_eq!(usage.co2e, 94.5, "recorded as scope 1 CO₂");
    db.collection::<Usage>("usages")
        .insert_one(&usage)
        .await
        .unwrap();

    drop(
        carbon_service::startup::build(settings(&test_db))
            .await
            .unwrap(),
    );

    let migrated: Usage = db
        .collection::<Usage>("usages")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(migrated.gases.co2, None);
    assert_eq!(migrated.gases.biogenic_co2, Some(94.5));
    assert_eq!(migrated.co2e, 0.0);
    assert_eq!(migrated.usage_type.factor, 0.0);
    assert_eq!(migrated.usage_type.gases.biogenic_co2, Some(9.45));
    let report = carbon_service::service::rollups::verify(&db, false)
        .await
        .unwrap();
    assert!(report.is_clean(), "the rollups were rebuilt: {report:?}");
    let rollup = db
        .collection::<bson::Document>("org_rollups")
        .find_one(doc! {"org_id": user.to_string()})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rollup.get_f64("biogenic_co2"), Ok(94.5), "{rollup}");
    assert_eq!(rollup.get_f64("co2e"), Ok(0.0), "{rollup}");
}

#[tokio::test]
async fn freight_stored_with_one_category_gets_the_hubs_two_and_its_usages_keep_theirs() {
    use carbon_service::domain::usage::Usage;

    let test_db = TestDatabase::new("carbon_migrate");
    let db = database(&test_db).await;
    drop(
        carbon_service::startup::build(settings(&test_db))
            .await
            .unwrap(),
    );
    db.collection::<bson::Document>("schema")
        .update_one(
            doc! {"_id": "carbon-service"},
            doc! {"$set": {"version": 12_i64}},
        )
        .await
        .unwrap();
    // Freight as an earlier version stored it: category 4 alone, no list.
    let epa = carbon_service::seed::parse_seed(carbon_service::seed::EPA_GHG_HUB_2025).unwrap();
    let freight = epa.types.iter().find(|t| t.id.get() == 40001).unwrap();
    let mut stored = bson::to_document(freight).unwrap();
    stored.remove("scope3_categories");
    db.collection::<bson::Document>("usage_types")
        .insert_one(&stored)
        .await
        .unwrap();
    let unit = carbon_service::domain::units::check_unit("vehicle_mi", "vehicle_mi").unwrap();
    let user = common::ids::UserId::new();
    let usage = Usage::new(
        carbon_service::domain::ids::UsageId::new(),
        carbon_service::domain::actor::Actor::personal(user),
        100.0,
        unit,
        freight.clone(),
        chrono::Utc::now(),
    );
    let mut usage = bson::to_document(&usage).unwrap();
    usage.remove("scope3_category");
    usage
        .get_document_mut("usage_type")
        .unwrap()
        .remove("scope3_categories");
    db.collection::<bson::Document>("usages")
        .insert_one(usage)
        .await
        .unwrap();

    drop(
        carbon_service::startup::build(settings(&test_db))
            .await
            .unwrap(),
    );

    let retagged = db
        .collection::<carbon_service::domain::usage_type::UsageType>("usage_types")
        .find_one(doc! {"id": 40001_i64})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retagged.scope3_categories, vec![4, 9]);
    let migrated: Usage = db
        .collection::<Usage>("usages")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(migrated.scope3_category, Some(4));
    assert_eq!(migrated.usage_type.scope3_categories, vec![4, 9]);
    let report = carbon_service::service::rollups::verify(&db, false)
        .await
        .unwrap();
    assert!(report.is_clean(), "{report:?}");
}

#[tokio::test]
async fn usages_and_instruments_from_before_organizations_belong_to_the_personal_one() {
    let test_db = TestDatabase::new("carbon_migrate");
    let db = database(&test_db).await;
    seed_types(&db).await;
    let user = common::ids::UserId::new();
    let usage = stored_usage(&user.to_string(), 2.0, "2026-01-05T10:00:00Z", None);
    let usage_id = usage.get_object_id("_id").unwrap();
    db.collection::<bson::Document>("usages")
        .insert_one(usage)
        .await
        .unwrap();
    drop(
        carbon_service::startup::build(settings(&test_db))
            .await
            .unwrap(),
    );
    // As a database from before organizations: usages and instruments of
    // a user, rollups keyed by user, and schema 14.
    db.collection::<bson::Document>("usages")
        .update_many(
            doc! {},
            vec![
                doc! {"$set": {"user_id": "$org_id"}},
                doc! {"$unset": ["org_id", "created_by", "updated_by"]},
            ],
        )
        .await
        .unwrap();
    db.collection::<bson::Document>("instruments")
        .insert_one(doc! {
            "_id": bson::oid::ObjectId::new(), "user_id": user.to_string(), "kind": "certificate",
            "scheme": "REC", "region": "US", "from": "2026-01-01", "to": "2026-12-31",
            "amount": 100.0, "created_at": bson::DateTime::now(),
        })
        .await
        .unwrap();
    db.collection::<bson::Document>("rollups")
        .insert_one(doc! {"user_id": user.to_string(), "month": "2026-01"})
        .await
        .unwrap();
    db.collection::<bson::Document>("schema")
        .update_one(
            doc! {"_id": "carbon-service"},
            doc! {"$set": {"version": 14_i64}},
        )
        .await
        .unwrap();

    drop(
        carbon_service::startup::build(settings(&test_db))
            .await
            .unwrap(),
    );

    let personal = common::ids::OrgId::personal(user);
    let moved = carbon_service::storage::usages::find(
        &db,
        personal,
        carbon_service::domain::ids::UsageId::from(usage_id),
    )
    .await
    .unwrap()
    .expect("the usage is in the personal organization");
    assert_eq!((moved.created_by, moved.updated_by), (user, user));
    let instrument = db
        .collection::<bson::Document>("instruments")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(instrument.get_str("org_id"), Ok(user.to_string().as_str()));
    assert!(instrument.get("user_id").is_none());
    let report = carbon_service::service::rollups::verify(&db, false)
        .await
        .unwrap();
    assert!(report.is_clean(), "{report:?}");
    let names = db.list_collection_names().await.unwrap();
    assert!(
        !names.iter().any(|n| n == "rollups" || n == "day_rollups"),
        "the per-user rollups are gone: {names:?}"
    );
    let rollups = db
        .collection::<bson::Document>("org_rollups")
        .count_documents(doc! {"org_id": user.to_string()})
        .await
        .unwrap();
    assert_eq!(rollups, 1);
}

#[tokio::test]
async fn an_organization_holding_data_before_the_trail_begins_it_with_a_genesis_of_that_data() {
    use futures_util::TryStreamExt;
    let test_db = TestDatabase::new("carbon_migrate");
    let db = database(&test_db).await;
    seed_types(&db).await;
    let user = common::ids::UserId::new();
    db.collection::<bson::Document>("usages")
        .insert_one(stored_usage(
            &user.to_string(),
            2.0,
            "2026-01-05T10:00:00Z",
            None,
        ))
        .await
        .unwrap();
    drop(
        carbon_service::startup::build(settings(&test_db))
            .await
            .unwrap(),
    );

    let org = common::ids::OrgId::personal(user);
    let entries: Vec<common::audit::Entry> = common::audit::store::stream(&db, org)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    let genesis = &entries[0].sealed;
    assert_eq!(genesis.header["action"], "genesis");
    assert_eq!(genesis.header["actor"], serde_json::Value::Null);
    let payload = genesis.payload.as_ref().unwrap();
    assert_eq!(payload["usages"], "1");
    let usage = carbon_service::storage::usages::stream(&db, org, &Default::default())
        .await
        .unwrap()
        .try_next()
        .await
        .unwrap()
        .unwrap();
    let record =
        common::audit::audit_value(&carbon_service::domain::audit::UsageRecord::from(&usage));
    let line = format!("{}\n", common::audit::canonical::canonical(&record));
    assert_eq!(
        payload["usages_sha256"],
        common::audit::chain::sha256_hex(line.as_bytes())
    );
    assert!(common::audit::verify(&db, org).await.unwrap().valid);
}
