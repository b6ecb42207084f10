//! What one user may cost: per-user limits on imports, exports and
//! summaries, the usage quota, one query for an import's types, and the
//! fresh login that erasing needs (issue #18, items 5, 8 and 10).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

const ONE_ROW: &str = "usage_at,usage_type_id,amount\n2026-01-01T00:00:00Z,100,1\n";

async fn assert_limited(response: reqwest::Response) {
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_problem(response, 429).await;
}

#[tokio::test]
async fn imports_are_limited_per_user_with_retry_after() {
    let app = spawn_app_with(&[
        ("IMPORT_RATE_LIMIT_PER_MINUTE", "2"),
        ("IMPORT_RATE_LIMIT_BURST", "2"),
    ])
    .await;
    let (ada, bob) = (TestUser::new(), TestUser::new());
    for _ in 0..2 {
        assert_eq!(
            app.import_csv(&ada, ONE_ROW).await.status(),
            StatusCode::CREATED
        );
    }
    assert_limited(app.import_csv(&ada, ONE_ROW).await).await;
    // Another user is not affected.
    assert_eq!(
        app.import_csv(&bob, ONE_ROW).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn exports_and_summaries_are_limited_per_user() {
    let app = spawn_app_with(&[
        ("EXPORT_RATE_LIMIT_PER_MINUTE", "1"),
        ("EXPORT_RATE_LIMIT_BURST", "1"),
        ("SUMMARY_RATE_LIMIT_PER_MINUTE", "1"),
        ("SUMMARY_RATE_LIMIT_BURST", "1"),
    ])
    .await;
    let user = TestUser::new();
    for path in ["/usages/export", "/usages/summary"] {
        let first = app.get(path, &user).sent().await;
        assert_eq!(first.status(), StatusCode::OK, "{path}");
        assert_limited(app.get(path, &user).sent().await).await;
    }
}

#[tokio::test]
async fn a_user_cannot_store_more_usages_than_the_quota() {
    let app = spawn_app_with(&[("USAGE_QUOTA_PER_USER", "3")]).await;
    let user = TestUser::new();
    for day in 1..=2 {
        app.created_usage(&user, 1.0, 100, &format!("2026-01-0{day}T00:00:00Z"))
            .await;
    }
    // Two rows would make four: the whole import is refused.
    let two_rows = format!("{ONE_ROW}2026-01-05T00:00:00Z,100,1\n");
    let refused = app.import_csv(&user, &two_rows).await;
    let problem = assert_problem(refused, 409).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("quota"),
        "{problem}"
    );
    assert_eq!(app.stored_usages().await, 2);
    app.created_usage(&user, 1.0, 100, "2026-01-03T00:00:00Z")
        .await;
    let over = app
        .create_usage(&user, json!({"amount": 1, "usage_type_id": 100}))
        .await;
    assert_problem(over, 409).await;
    // Deleting frees room again.
    let first: Vec<serde_json::Value> = app.get("/usages", &user).json_body().await;
    let id = first[0]["id"].as_str().unwrap();
    let r = app.delete(&format!("/usages/{id}"), &user).sent().await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.create_usage(&user, json!({"amount": 1, "usage_type_id": 100}))
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn an_import_resolves_its_types_in_one_query_however_many_are_unknown() {
    use carbon_service::service::usages::Usages;
    let app = spawn_app().await;
    let mut csv = String::from("usage_at,usage_type_id,amount\n");
    for i in 0..2_000 {
        csv.push_str(&format!("2026-01-01T00:00:00Z,{},1\n", 50_000 + i));
    }
    let (db, log) = common::testing::monitored_database(&app.database_uri).await;
    // A cache of its own, cold, so that it loads the type list too.
    let cache = carbon_service::type_cache::UsageTypeCache::new(std::time::Duration::from_secs(30));
    let usages = Usages {
        db: &db,
        types: &cache,
        quota: 1_000_000,
        writes: &Default::default(),
        slots: &test_slots(),
    };
    let user = common::ids::UserId::new();
    let turn = usages
        .begin_import(common::ids::OrgId::personal(user))
        .unwrap();
    let refused = usages
        .import(
            turn,
            &common::audit::Author::personal(user),
            csv.as_bytes(),
            None,
        )
        .await;
    assert!(refused.is_err());
    let type_queries = log
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, collection)| collection == "usage_types")
        .count();
    assert!(
        type_queries <= 2,
        "{type_queries} queries for the import's types"
    );
}

#[tokio::test]
async fn erasing_every_usage_needs_a_login_within_five_minutes() {
    let app = spawn_app().await;
    let stale = TestUser::logged_in_ago(301);
    app.created_usage(&stale, 1.0, 100, "2026-01-01T00:00:00Z")
        .await;
    let refused = app.erase(&stale).await;
    let challenge = refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains("insufficient_user_authentication"),
        "{challenge}"
    );
    assert!(challenge.contains("max_age=300"), "{challenge}");
    assert_problem(refused, 401).await;
    assert_eq!(app.stored_usages().await, 1);

    let fresh = TestUser::logged_in_ago(10);
    let r = app.erase(&fresh).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_superuser_erases_another_users_usages_and_nobody_else_can() {
    let app = spawn_app().await;
    let (ada, bob, admin) = (TestUser::new(), TestUser::new(), TestUser::superuser());
    app.created_usage(&ada, 1.0, 100, "2026-01-01T00:00:00Z")
        .await;
    app.created_usage(&bob, 1.0, 100, "2026-01-01T00:00:00Z")
        .await;
    let path = format!("/users/{}/usages?confirm=true", ada.id);
    assert_problem(app.delete(&path, &bob).sent().await, 403).await;
    let unconfirmed = format!("/users/{}/usages", ada.id);
    assert_problem(app.delete(&unconfirmed, &admin).sent().await, 422).await;
    let r = app.delete(&path, &admin).sent().await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let left: Vec<serde_json::Value> = app.get("/usages", &ada).json_body().await;
    assert!(left.is_empty());
    let kept: Vec<serde_json::Value> = app.get("/usages", &bob).json_body().await;
    assert_eq!(kept.len(), 1);
}

#[tokio::test]
async fn a_superuser_token_living_longer_than_five_minutes_is_refused() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "sub": uuid::Uuid::new_v4(), "email": "x@example.com", "superuser": true,
        "aud": "carbon-platform", "iss": "user-service", "iat": now, "exp": now + 900,
        "jti": uuid::Uuid::new_v4(), "sgen": 0, "auth_time": now,
    });
    let token = common::testing::sign_jwt(
        jsonwebtoken::Algorithm::HS256,
        Some("at+jwt"),
        SECRET,
        &claims,
    );
    let r = app
        .client
        .post(app.url("/types"))
        .bearer_auth(token)
        .json(&json!({"id": 900, "name": "x", "unit": "kg", "factor": 1, "scope": 1}))
        .sent()
        .await;
    assert_problem(r, 401).await;
}

async fn assert_busy(response: reqwest::Response) {
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, 503).await;
}

/// `rows` usages of type 100 on 2026-03-10, an hour apart or less.
fn one_days_rows(rows: usize) -> String {
    let mut csv = String::from("usage_at,usage_type_id,amount\n");
    for i in 0..rows {
        let seconds = i % 86_400;
        csv.push_str(&format!(
            "2026-03-10T{:02}:{:02}:{:02}Z,100,1\n",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        ));
    }
    csv
}

#[tokio::test]
async fn a_summary_whose_usages_take_longer_than_query_max_time_is_503_with_retry_after() {
    let app = spawn_app_with(&[("QUERY_MAX_TIME_MS", "1")]).await;
    let user = TestUser::new();
    let r = app.import_csv(&user, one_days_rows(10_000)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Both edges inside the one day: its 10,000 usages are aggregated.
    let path = "/usages/summary?from=2026-03-10T00:00:00.5Z&to=2026-03-10T23:59:59Z";
    assert_busy(app.get(path, &user).sent().await).await;
    // A window of whole days reads the rollups only: within any limit.
    let whole_days = "/usages/summary?from=2026-03-10T00:00:00Z&to=2026-03-11T00:00:00Z";
    let summary: serde_json::Value = app.get(whole_days, &user).json_body().await;
    assert_eq!(summary["usage_count"], 10_000);
}

#[tokio::test]
async fn with_every_heavy_read_slot_taken_a_summary_or_a_count_is_503() {
    use carbon_service::service::slots::Slot;
    let app = spawn_app_with(&[("HEAVY_READ_CONCURRENCY", "1"), ("SLOT_MAX_WAIT_MS", "50")]).await;
    let user = TestUser::new();
    let held = app.context.slots().acquire(Slot::HeavyRead).await.unwrap();
    assert_busy(app.get("/usages/summary", &user).sent().await).await;
    assert_busy(app.list_usages(&user, "?include_total=true").await).await;
    // A plain page is not a heavy read.
    assert_eq!(app.list_usages(&user, "").await.status(), StatusCode::OK);
    drop(held);
    assert_eq!(
        app.get("/usages/summary", &user).sent().await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn with_every_export_slot_taken_an_export_is_503() {
    use carbon_service::service::slots::Slot;
    let app = spawn_app_with(&[("EXPORT_CONCURRENCY", "1"), ("SLOT_MAX_WAIT_MS", "50")]).await;
    let user = TestUser::new();
    let held = app.context.slots().acquire(Slot::Export).await.unwrap();
    assert_busy(app.export(&user, "", None).await).await;
    drop(held);
    assert_eq!(app.export(&user, "", None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn with_every_import_slot_taken_an_import_or_an_erase_is_503_and_changes_nothing() {
    use carbon_service::service::slots::Slot;
    let app = spawn_app_with(&[("IMPORT_CONCURRENCY", "1"), ("SLOT_MAX_WAIT_MS", "50")]).await;
    let user = TestUser::new();
    app.created_usage(&user, 1.0, 100, "2026-01-01T00:00:00Z")
        .await;
    let held = app.context.slots().acquire(Slot::Import).await.unwrap();
    assert_busy(app.import_csv(&user, ONE_ROW).await).await;
    assert_busy(app.erase(&user).await).await;
    assert_eq!(app.stored_usages().await, 1);
    drop(held);
    assert_eq!(
        app.import_csv(&user, ONE_ROW).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_second_import_of_one_user_while_the_first_runs_is_409_with_retry_after() {
    let app = spawn_app().await;
    let (ada, bob) = (TestUser::new(), TestUser::new());
    let usages = app.context.usages();
    let running = usages
        .begin_import(common::ids::OrgId::personal(ada.user_id()))
        .unwrap();
    let r = app.import_csv(&ada, ONE_ROW).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 409).await;
    assert_eq!(
        app.import_csv(&bob, ONE_ROW).await.status(),
        StatusCode::CREATED
    );
    drop(running);
    assert_eq!(
        app.import_csv(&ada, ONE_ROW).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn an_import_waiting_for_its_users_lock_holds_no_slot_so_others_import() {
    let app = spawn_app_with(&[("IMPORT_CONCURRENCY", "1"), ("SLOT_MAX_WAIT_MS", "2000")]).await;
    let (ada, bob) = (TestUser::new(), TestUser::new());
    // Ada's writes are busy (a long erase, say).
    let busy = app
        .context
        .writes()
        .lock(common::ids::OrgId::personal(ada.user_id()))
        .await;
    let waiting = tokio::spawn({
        let request = app
            .post("/usages/import", &ada)
            .header("content-type", "text/csv")
            .body(ONE_ROW);
        async move { request.sent().await.status() }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "ada's import waits for her lock");
    // Bob's import gets the one slot meanwhile.
    assert_eq!(
        app.import_csv(&bob, ONE_ROW).await.status(),
        StatusCode::CREATED
    );
    drop(busy);
    assert_eq!(waiting.await.unwrap(), StatusCode::CREATED);
}

#[tokio::test]
async fn an_import_over_its_limit_or_not_csv_is_refused_before_its_body_is_read() {
    let app = spawn_app_with(&[
        ("IMPORT_RATE_LIMIT_PER_MINUTE", "1"),
        ("IMPORT_RATE_LIMIT_BURST", "1"),
    ])
    .await;
    let user = TestUser::new();
    // Over 5 MiB: read, it would be 413.
    let huge = "x".repeat(6 * 1024 * 1024);
    let r = app
        .post("/usages/import", &user)
        .header("content-type", "application/json")
        .body(huge.clone())
        .sent()
        .await;
    assert_problem(r, 415).await;
    let r = app
        .post("/usages/import", &user)
        .header("content-type", "text/csv")
        .body(huge)
        .sent()
        .await;
    assert_limited(r).await;
}

#[tokio::test]
async fn counted_and_deep_pages_are_limited_per_user() {
    let app = spawn_app_with(&[
        ("DEEP_READ_RATE_LIMIT_PER_MINUTE", "1"),
        ("DEEP_READ_RATE_LIMIT_BURST", "1"),
    ])
    .await;
    let user = TestUser::new();
    let counted = app.list_usages(&user, "?include_total=true").await;
    assert_eq!(counted.status(), StatusCode::OK);
    assert_limited(app.list_usages(&user, "?include_total=true").await).await;
    assert_limited(app.list_usages(&user, "?offset=1000").await).await;
    // Shallow pages without a count are not.
    assert_eq!(
        app.list_usages(&user, "?offset=999").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn erasing_another_users_usages_or_retiring_a_dataset_needs_a_recent_login() {
    let app = spawn_app().await;
    let stale = TestUser::superuser_logged_in_ago(600);
    let target = TestUser::new();
    let r = app
        .delete(&format!("/users/{}/usages?confirm=true", target.id), &stale)
        .sent()
        .await;
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_user_authentication")
    );
    assert_problem(r, 401).await;
    let r = app.post("/datasets/custom/retire", &stale).sent().await;
    assert_problem(r, 401).await;
    let fresh = TestUser::superuser();
    let r = app
        .delete(&format!("/users/{}/usages?confirm=true", target.id), &fresh)
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn settings_and_period_changes_count_against_the_write_limit_as_their_documents_say() {
    let app = spawn_app_with(&[
        ("USAGE_WRITE_RATE_LIMIT_PER_MINUTE", "1"),
        ("USAGE_WRITE_RATE_LIMIT_BURST", "1"),
    ])
    .await;
    let owner = TestUser::member(common::ids::OrgId::new(), common::org::OrgRole::Owner);
    let settings = json!({"fiscal_year_start_month": 1});
    let first = app
        .put("/inventory/settings", &owner)
        .json(&settings)
        .sent()
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_limited(
        app.put("/inventory/settings", &owner)
            .json(&settings)
            .sent()
            .await,
    )
    .await;
    let doc: serde_json::Value = app
        .client
        .get(app.url("/api-docs/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, method) in [
        ("/inventory/settings", "put"),
        ("/periods/{name}/lock", "post"),
        ("/periods/{name}/unlock", "post"),
    ] {
        let answers = &doc["paths"][path][method]["responses"];
        assert!(
            answers["429"].is_object(),
            "{method} {path} documents no 429"
        );
    }
}
