//! Start-up migrations: data written before GHG scopes existed.

use bson::doc;
use carbon_service::configuration::Settings;
use carbon_service::startup::Application;
use common::config::Env;
use common::testing::TestDatabase;

use crate::helpers::*;

fn settings(db: &TestDatabase) -> Settings {
    Settings::from_env(&Env::from_pairs([
        ("JWT_SECRET", SECRET),
        ("MONGODB_URI", db.uri.as_str()),
        ("HOST", "127.0.0.1"),
        ("PORT", "0"),
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
        let app = Application::build(settings(&test_db)).await.unwrap();
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
    let Err(err) = Application::build(settings(&test_db)).await else {
        panic!("the service started with an unscoped type");
    };
    let message = err.to_string();
    assert!(
        message.contains("777") && message.contains("scope"),
        "{message}"
    );
}
