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
        "_id": bson::oid::ObjectId::new(), "user_id": "u", "amount": 2.0,
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

#[tokio::test]
async fn metrics_are_served_apart_and_count_requests_by_route_template() {
    let app = spawn_app_with(&[("METRICS_ADDR", "127.0.0.1:0")]).await;
    let user = TestUser::new();
    let usage = app
        .created_usage(&user, 1.0, 100, "2026-01-01T00:00:00Z")
        .await;
    app.get(&format!("/usages/{}", usage["id"].as_str().unwrap()), &user)
        .send()
        .await
        .unwrap();
    app.get("/usages/000000000000000000000000", &user)
        .send()
        .await
        .unwrap();
    app.post("/usages/import", &user)
        .header("content-type", "text/csv")
        .body("usage_at,usage_type_id,amount\n2026-01-01T00:00:00Z,100,1\n")
        .send()
        .await
        .unwrap();
    let port = app.metrics_port.expect("METRICS_ADDR starts the listener");
    let text = common::testing::scrape_metrics(port).await;
    for expected in [
        r#"http_requests_total{method="GET",route="/usages/{id}",status="200"}"#,
        r#"http_requests_total{method="GET",route="/usages/{id}",status="404"}"#,
        r#"http_request_duration_seconds_bucket{method="POST",route="/usages",status="201",le="0.005"}"#,
        r#"usages_created_total{route="single"}"#,
        r#"usages_created_total{route="import"}"#,
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    assert!(
        !text.contains(usage["id"].as_str().unwrap()),
        "a raw path with an id leaked into the labels"
    );
    // The API itself has no /metrics.
    assert_problem(
        app.client.get(app.url("/metrics")).send().await.unwrap(),
        404,
    )
    .await;
}
