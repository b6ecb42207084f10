use carbon_service::configuration::Settings;
use carbon_service::startup::Application;
use common::config::Env;
use common::testing::TestDatabase;
pub use common::testing::{assert_problem, error_fields, mint_token};
use mongodb::Database;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

pub const SECRET: &str = "test-secret-test-secret-test-secret-0002";
/// The default per-user usage quota, for calls to the service layer.
pub const QUOTA: u64 = carbon_service::configuration::DEFAULT_USAGE_QUOTA;

pub struct TestApp {
    pub address: String,
    pub database: Database,
    pub client: reqwest::Client,
    pub cache: Arc<carbon_service::type_cache::UsageTypeCache>,
    pub metrics_port: Option<u16>,
    pub database_uri: String,
    _db: TestDatabase,
}

/// A caller: a user id and an access token for it.
pub struct TestUser {
    pub id: Uuid,
    pub token: String,
}

impl TestUser {
    pub fn new() -> Self {
        let id = Uuid::new_v4();
        Self {
            id,
            token: mint_token(SECRET, id, false),
        }
    }

    /// A caller whose login (`auth_time`) was `seconds` ago, kept alive by
    /// refreshes since.
    pub fn logged_in_ago(seconds: i64) -> Self {
        let id = Uuid::new_v4();
        let auth_time = chrono::Utc::now().timestamp() - seconds;
        Self {
            id,
            token: common::testing::mint_token_authenticated_at(SECRET, id, false, auth_time),
        }
    }

    pub fn superuser() -> Self {
        let id = Uuid::new_v4();
        Self {
            id,
            token: mint_token(SECRET, id, true),
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    // `TEST_LOG=1 cargo test ...` shows the app's logs.
    if std::env::var_os("TEST_LOG").is_some() {
        common::telemetry::init(common::config::LogFormat::Pretty, "info");
    }
    let test_db = TestDatabase::new("carbon");
    let mut vars: Vec<(String, String)> = vec![
        ("JWT_SECRET".into(), SECRET.into()),
        ("MONGODB_URI".into(), test_db.uri.clone()),
        ("HOST".into(), "127.0.0.1".into()),
        ("PORT".into(), "0".into()),
        // Every test user is its own; only the limit tests turn these on.
        ("IMPORT_RATE_LIMIT_PER_MINUTE".into(), "0".into()),
        ("EXPORT_RATE_LIMIT_PER_MINUTE".into(), "0".into()),
        ("SUMMARY_RATE_LIMIT_PER_MINUTE".into(), "0".into()),
    ];
    for (k, v) in overrides {
        vars.retain(|(key, _)| key != k);
        vars.push(((*k).into(), (*v).into()));
    }
    let settings = Settings::from_env(&Env::from_pairs(vars)).expect("test settings");
    let app = Application::build(settings).await.expect("the app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let database = app.database().clone();
    let cache = app.type_cache().into_inner();
    let metrics_port = app.metrics_port();
    let types = carbon_service::seed::parse_seed(carbon_service::seed::BUILT_IN).unwrap();
    carbon_service::seed::seed(
        &database,
        &types,
        carbon_service::seed::SeedMode::InsertOnly,
    )
    .await
    .unwrap();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        database,
        client: reqwest::Client::new(),
        cache,
        metrics_port,
        database_uri: test_db.uri.clone(),
        _db: test_db,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn create_usage(&self, user: &TestUser, body: Value) -> Response {
        self.client
            .post(self.url("/usages"))
            .bearer_auth(&user.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Creates a usage that must succeed; returns its JSON.
    pub async fn created_usage(
        &self,
        user: &TestUser,
        amount: f64,
        type_id: i64,
        at: &str,
    ) -> Value {
        let r = self
            .create_usage(
                user,
                json!({"amount": amount, "usage_type_id": type_id, "usage_at": at}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        r.json().await.unwrap()
    }

    pub fn get(&self, path: &str, user: &TestUser) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(&user.token)
    }

    pub fn put(&self, path: &str, user: &TestUser) -> reqwest::RequestBuilder {
        self.client.put(self.url(path)).bearer_auth(&user.token)
    }

    pub fn post(&self, path: &str, user: &TestUser) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(&user.token)
    }

    pub fn delete(&self, path: &str, user: &TestUser) -> reqwest::RequestBuilder {
        self.client.delete(self.url(path)).bearer_auth(&user.token)
    }

    pub async fn stored_usages(&self) -> u64 {
        self.database
            .collection::<bson::Document>("usages")
            .count_documents(bson::doc! {})
            .await
            .unwrap()
    }
}

/// The reference types as the seed file defines them: (id, factor, scope).
/// Tests compute expected CO₂e from these, never from the service's answer.
pub const SEEDED: [(i64, f64, u8); 5] = [
    (100, 1.5, 2),
    (101, 26.93, 3),
    (102, 3.892, 2),
    (103, 8.57, 1),
    (104, 19.456, 1),
];

pub fn factor_of(type_id: i64) -> f64 {
    SEEDED
        .iter()
        .find(|t| t.0 == type_id)
        .expect("a seeded type")
        .1
}

pub fn scope_of(type_id: i64) -> u8 {
    SEEDED
        .iter()
        .find(|t| t.0 == type_id)
        .expect("a seeded type")
        .2
}

/// Relative closeness for sums of floats.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}
