//! The driver against the real test database (SecantusDB, or a mongod).

use common::config::MongoSettings;
use common::db;
use common::testing::TestDatabase;
use mongodb::IndexModel;
use mongodb::bson::{Document, doc};
use mongodb::options::IndexOptions;
use std::time::Duration;

fn settings(uri: &str) -> MongoSettings {
    MongoSettings {
        uri: uri.to_owned(),
        server_selection_timeout: Duration::from_secs(2),
        connect_attempts: 3,
    }
}

#[tokio::test]
async fn a_document_round_trips_through_the_driver() {
    let test_db = TestDatabase::new("common");
    let database = db::connect(&settings(&test_db.uri), "common-tests")
        .await
        .unwrap();
    let things = database.collection::<Document>("things");
    let now = mongodb::bson::DateTime::now();
    things
        .insert_one(doc! { "_id": "a", "amount": 12.5, "tags": ["x", "y"], "at": now, "nested": { "n": 3_i64 } })
        .await
        .unwrap();

    let found = things.find_one(doc! { "_id": "a" }).await.unwrap().unwrap();
    assert_eq!(found.get_f64("amount").unwrap(), 12.5);
    assert_eq!(found.get_datetime("at").unwrap(), &now);
    assert_eq!(
        found.get_document("nested").unwrap().get_i64("n").unwrap(),
        3
    );
    assert_eq!(found.get_array("tags").unwrap().len(), 2);
}

#[tokio::test]
async fn a_unique_index_violation_is_a_duplicate_key_error() {
    let test_db = TestDatabase::new("common");
    let database = db::connect(&settings(&test_db.uri), "common-tests")
        .await
        .unwrap();
    let index = IndexModel::builder()
        .keys(doc! { "email": 1 })
        .options(IndexOptions::builder().unique(true).build())
        .build();
    db::ensure_indexes(&database, "people", vec![index.clone()], &[])
        .await
        .unwrap();
    // Idempotent: creating the same index again succeeds.
    db::ensure_indexes(&database, "people", vec![index], &[])
        .await
        .unwrap();

    let people = database.collection::<Document>("people");
    people
        .insert_one(doc! { "email": "a@example.com" })
        .await
        .unwrap();
    let err = people
        .insert_one(doc! { "email": "a@example.com" })
        .await
        .unwrap_err();
    assert!(db::is_duplicate_key(&err), "expected code 11000, got {err}");
    assert_eq!(people.count_documents(doc! {}).await.unwrap(), 1);
}

#[tokio::test]
async fn a_taken_id_inside_a_transaction_is_a_duplicate_on_the_primary_key() {
    use db::Context;
    let test_db = TestDatabase::new("common");
    let database = db::connect(&settings(&test_db.uri), "common-tests")
        .await
        .unwrap();
    let things = database.collection::<Document>("things");
    things.insert_one(doc! { "_id": "a" }).await.unwrap();
    let err = db::in_transaction(&database, "inserting a thing", async |session| {
        things
            .insert_one(doc! { "_id": "a" })
            .session(session)
            .await
            .map(|_| ())
            .context("inserting a thing")
    })
    .await
    .unwrap_err();
    assert!(err.is_duplicate_on(db::PRIMARY_KEY), "{err}");
}

#[tokio::test]
async fn a_uri_without_a_database_name_is_refused() {
    let uri = common::testing::with_database(&common::testing::test_server_uri(), "");
    let err = db::connect(&settings(&uri), "common-tests")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("MONGODB_URI"), "{err}");
}

#[tokio::test]
async fn an_unreachable_database_gives_up_after_the_configured_attempts() {
    let mut s = settings("mongodb://127.0.0.1:9/nothing");
    s.server_selection_timeout = Duration::from_millis(200);
    s.connect_attempts = 2;
    let err = db::connect(&s, "common-tests").await.unwrap_err();
    assert!(
        matches!(
            err,
            db::DatabaseStartupError::Unreachable { attempts: 2, .. }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_unique_index_violation_in_an_update_is_a_duplicate_key_error() {
    let test_db = TestDatabase::new("common");
    let database = db::connect(&settings(&test_db.uri), "common-tests")
        .await
        .unwrap();
    let index = IndexModel::builder()
        .keys(doc! { "email": 1 })
        .options(IndexOptions::builder().unique(true).build())
        .build();
    db::ensure_indexes(&database, "people", vec![index], &[])
        .await
        .unwrap();
    let people = database.collection::<Document>("people");
    people
        .insert_one(doc! { "_id": 1, "email": "a@example.com" })
        .await
        .unwrap();
    people
        .insert_one(doc! { "_id": 2, "email": "b@example.com" })
        .await
        .unwrap();
    let err = people
        .find_one_and_update(
            doc! { "_id": 2 },
            doc! { "$set": { "email": "a@example.com" } },
        )
        .await
        .unwrap_err();
    assert!(
        db::is_duplicate_key(&err),
        "expected code 11000, got {err:?}"
    );
}

#[tokio::test]
async fn ensuring_a_set_of_indexes_twice_is_a_no_op() {
    let test_db = TestDatabase::new("common");
    let database = db::connect(&settings(&test_db.uri), "common-tests")
        .await
        .unwrap();
    let indexes = || {
        vec![
            IndexModel::builder()
                .keys(doc! { "email": 1 })
                .options(
                    IndexOptions::builder()
                        .unique(true)
                        .name("email_unique".to_owned())
                        .build(),
                )
                .build(),
            IndexModel::builder()
                .keys(doc! { "user_id": 1, "at": -1 })
                .build(),
        ]
    };
    db::ensure_indexes(&database, "things", indexes(), &[])
        .await
        .unwrap();
    db::ensure_indexes(&database, "things", indexes(), &[])
        .await
        .unwrap();
    let mut names = database
        .collection::<Document>("things")
        .list_index_names()
        .await
        .unwrap();
    names.sort();
    assert_eq!(names, ["_id_", "email_unique", "user_id_1_at_-1"]);
}

#[tokio::test]
async fn an_obsolete_index_is_dropped_and_its_replacement_created() {
    let test_db = TestDatabase::new("common");
    let database = db::connect(&settings(&test_db.uri), "common-tests")
        .await
        .unwrap();
    let old = IndexModel::builder().keys(doc! { "user_id": 1 }).build();
    db::ensure_indexes(&database, "things", vec![old], &[])
        .await
        .unwrap();
    let new = IndexModel::builder()
        .keys(doc! { "user_id": 1, "at": -1 })
        .options(IndexOptions::builder().name("user_at".to_owned()).build())
        .build();
    for _ in 0..2 {
        db::ensure_indexes(&database, "things", vec![new.clone()], &["user_id_1"])
            .await
            .unwrap();
    }
    let mut names = database
        .collection::<Document>("things")
        .list_index_names()
        .await
        .unwrap();
    names.sort();
    assert_eq!(names, ["_id_", "user_at"]);
}

#[tokio::test]
async fn a_backfill_updates_in_batches_of_a_thousand_until_no_old_document_is_left() {
    let test_db = TestDatabase::new("common");
    let (database, log) = common::testing::monitored_database(&test_db.uri).await;
    let things = database.collection::<Document>("things");
    let old: Vec<Document> = (0..2_500).map(|n| doc! { "n": n }).collect();
    things.insert_many(old).await.unwrap();
    log.lock().unwrap().clear();
    let changed = db::update_in_batches(
        &things,
        doc! { "done": { "$exists": false } },
        doc! { "$set": { "done": true } },
        "marking things",
    )
    .await
    .unwrap();
    assert_eq!(changed, 2_500);
    let updates = log
        .lock()
        .unwrap()
        .iter()
        .filter(|(command, _)| command == "update")
        .count();
    assert_eq!(updates, 3, "1,000 + 1,000 + 500");
    assert_eq!(
        things.count_documents(doc! { "done": true }).await.unwrap(),
        2_500
    );
    // A second run finds nothing to do.
    let again = db::update_in_batches(
        &things,
        doc! { "done": { "$exists": false } },
        doc! { "$set": { "done": true } },
        "marking things",
    )
    .await
    .unwrap();
    assert_eq!(again, 0);
}
