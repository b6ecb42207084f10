//! Every per-user query is served by the index meant for it: the planner's
//! own `explain` shows an index scan, never a collection scan, and the list
//! is never sorted in memory. Dropping or changing an index fails here.

//!
//! Each test explains the very query the storage layer builds
//! (`usages::page_query`, `usages::list_order`, ...), not a copy of it.

use bson::{Document, doc};
use carbon_service::domain::ids::UsageId;
use carbon_service::domain::usage_query::{PageStart, UsageCursor, UsageFilter};
use carbon_service::storage::usages::{
    self, BY_FACILITY_INDEX, BY_ORG_INDEX, BY_TYPE_AND_ORG_INDEX,
};
use common::testing::winning_stages;

use crate::helpers::*;

/// Enough usages of two users that a scan and an index differ in cost.
async fn app_with_usages() -> (TestApp, TestUser) {
    let app = spawn_app().await;
    let user = TestUser::new();
    let other = TestUser::new();
    for i in 0..40 {
        let at = format!("2026-{:02}-{:02}T12:00:00Z", 1 + i % 10, 1 + i % 28);
        let owner = if i % 2 == 0 { &user } else { &other };
        app.created_usage(owner, 1.0 + i as f64, 100 + (i % 5) as i64, &at)
            .await;
    }
    (app, user)
}

async fn explain(app: &TestApp, command: Document) -> Vec<(String, Option<String>)> {
    let answer = app
        .database
        .run_command(doc! { "explain": command, "verbosity": "queryPlanner" })
        .await
        .unwrap();
    winning_stages(&answer)
}

fn find(filter: Document, sort: Option<Document>, limit: Option<i64>) -> Document {
    let mut command = doc! { "find": usages::COLLECTION, "filter": filter };
    if let Some(sort) = sort {
        command.insert("sort", sort);
    }
    if let Some(limit) = limit {
        command.insert("limit", limit);
    }
    command
}

/// The list's own query for its first page (or the page after `cursor`),
/// sorted as the list sorts, limited as a page of 10 is.
fn list_query(user: &TestUser, filter: &UsageFilter, cursor: Option<UsageCursor>) -> Document {
    let start = cursor.map_or(PageStart::Offset(0), PageStart::After);
    let (query, _) =
        usages::page_query(common::ids::OrgId::personal(user.user_id()), filter, start);
    find(query, Some(usages::list_order()), Some(11))
}

/// An index scan on one of `indexes`, no collection scan, and (with
/// `sorted_by_index`) no in-memory sort.
fn assert_served_by(stages: &[(String, Option<String>)], indexes: &[&str], sorted_by_index: bool) {
    assert!(
        !stages.iter().any(|(stage, _)| stage == "COLLSCAN"),
        "a collection scan: {stages:?}"
    );
    let scans: Vec<&str> = stages
        .iter()
        .filter(|(stage, _)| stage.contains("IXSCAN") || stage == "COUNT_SCAN" || stage == "IDHACK")
        .filter_map(|(stage, index)| index.as_deref().or((stage == "IDHACK").then_some("_id_")))
        .collect();
    assert!(
        !scans.is_empty() && scans.iter().all(|index| indexes.contains(index)),
        "expected a scan of {indexes:?}: {stages:?}"
    );
    if sorted_by_index {
        assert!(
            !stages.iter().any(|(stage, _)| stage.contains("SORT")),
            "sorted in memory: {stages:?}"
        );
    }
}

#[tokio::test]
async fn the_list_is_an_index_scan_in_list_order() {
    let (app, user) = app_with_usages().await;
    let stages = explain(&app, list_query(&user, &UsageFilter::default(), None)).await;
    assert_served_by(&stages, &[BY_ORG_INDEX], true);
}

#[tokio::test]
async fn the_list_in_a_window_is_an_index_scan_in_list_order() {
    let (app, user) = app_with_usages().await;
    let filter = UsageFilter::parse(
        None,
        Some("2026-03-01T00:00:00Z"),
        Some("2026-06-01T00:00:00Z"),
    )
    .unwrap();
    let stages = explain(&app, list_query(&user, &filter, None)).await;
    assert_served_by(&stages, &[BY_ORG_INDEX], true);
}

#[tokio::test]
async fn the_list_of_one_type_is_an_index_scan_in_list_order() {
    let (app, user) = app_with_usages().await;
    let filter = UsageFilter::parse(Some(101), None, None).unwrap();
    let stages = explain(&app, list_query(&user, &filter, None)).await;
    assert_served_by(&stages, &[BY_TYPE_AND_ORG_INDEX], true);
}

#[tokio::test]
async fn a_page_after_a_cursor_is_an_index_scan_in_list_order() {
    let (app, user) = app_with_usages().await;
    let cursor = UsageCursor {
        usage_at: bson::DateTime::parse_rfc3339_str("2026-05-05T12:00:00Z").unwrap(),
        id: UsageId::new(),
    };
    let stages = explain(
        &app,
        list_query(&user, &UsageFilter::default(), Some(cursor)),
    )
    .await;
    assert_served_by(&stages, &[BY_ORG_INDEX], true);
}

#[tokio::test]
async fn the_total_is_counted_from_the_index() {
    let (app, user) = app_with_usages().await;
    let query = usages::matching(
        common::ids::OrgId::personal(user.user_id()),
        &UsageFilter::default(),
    );
    let stages = explain(&app, doc! { "count": usages::COLLECTION, "query": query }).await;
    assert_served_by(&stages, &[BY_ORG_INDEX], false);
}

#[tokio::test]
async fn the_summary_aggregation_starts_with_an_index_scan() {
    let (app, user) = app_with_usages().await;
    let pipeline = usages::summary_pipeline(
        common::ids::OrgId::personal(user.user_id()),
        &UsageFilter::default(),
        carbon_service::domain::rollup::Grain::Day,
    );
    let stages = explain(
        &app,
        doc! { "aggregate": usages::COLLECTION, "pipeline": pipeline, "cursor": {} },
    )
    .await;
    assert_served_by(&stages, &[BY_ORG_INDEX], false);
}

#[tokio::test]
async fn a_lookup_by_id_uses_the_id_index() {
    let (app, user) = app_with_usages().await;
    let query = usages::by_id(common::ids::OrgId::personal(user.user_id()), UsageId::new());
    let stages = explain(&app, find(query, None, Some(1))).await;
    assert_served_by(&stages, &["_id_"], false);
}

#[tokio::test]
async fn the_export_is_an_index_scan_in_time_order() {
    let (app, user) = app_with_usages().await;
    let query = usages::matching(
        common::ids::OrgId::personal(user.user_id()),
        &UsageFilter::default(),
    );
    let stages = explain(&app, find(query, Some(usages::export_order()), None)).await;
    assert_served_by(&stages, &[BY_ORG_INDEX], true);
}

/// No server needs a hint to find the list's index: a query on the user
/// alone has exactly one candidate, so no plan is trialled against it.
#[tokio::test]
async fn the_plain_list_has_no_competing_plan() {
    let (app, user) = app_with_usages().await;
    let answer = app
        .database
        .run_command(doc! {
            "explain": list_query(&user, &UsageFilter::default(), None),
            "verbosity": "queryPlanner",
        })
        .await
        .unwrap();
    let rejected = answer
        .get_document("queryPlanner")
        .and_then(|planner| planner.get_array("rejectedPlans"))
        .expect("explain names the rejected plans")
        .len();
    assert_eq!(rejected, 0, "competing plans: {answer}");
}

#[tokio::test]
async fn the_type_reference_check_uses_the_type_index() {
    let (app, _) = app_with_usages().await;
    let stages = explain(&app, find(usages::of_type(type_id(102)), None, Some(1))).await;
    assert_served_by(&stages, &[BY_TYPE_AND_ORG_INDEX], false);
}

#[tokio::test]
async fn indexes_replaced_by_newer_ones_are_dropped_at_start() {
    let app = spawn_app().await;
    let collection = app.database.collection::<Document>(usages::COLLECTION);
    for (keys, name) in [
        (
            doc! { "user_id": 1, "usage_type_id": 1, "usage_at": -1, "_id": -1 },
            "user_type_usage_at",
        ),
        (doc! { "usage_type_id": 1 }, "usage_type_id"),
    ] {
        let options = mongodb::options::IndexOptions::builder()
            .name(name.to_owned())
            .build();
        collection
            .create_index(
                mongodb::IndexModel::builder()
                    .keys(keys)
                    .options(options)
                    .build(),
            )
            .await
            .unwrap();
    }

    carbon_service::storage::create_indexes(&app.database)
        .await
        .unwrap();

    let mut names = collection.list_index_names().await.unwrap();
    names.sort();
    assert_eq!(
        names,
        [
            "_id_",
            BY_FACILITY_INDEX,
            BY_ORG_INDEX,
            BY_TYPE_AND_ORG_INDEX
        ]
    );
}
