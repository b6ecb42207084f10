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
        imports: &tokio::sync::Semaphore::new(2),
    };
    let refused = usages
        .import(common::ids::UserId::new(), csv.as_bytes(), None)
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
