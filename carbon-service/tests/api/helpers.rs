//! The app under test and one named helper per endpoint, so that a test
//! body reads as the behaviour it checks.

use actix_web::web;
use carbon_service::configuration::Settings;
use carbon_service::context::AppContext;
use carbon_service::service::usages::Usages;
use common::metrics::Metrics;
pub use common::testing::{RequestExt, assert_problem, error_fields, mint_token};
use common::testing::{TestDatabase, env_with};
use mongodb::Database;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

pub const SECRET: &str = "test-secret-test-secret-test-secret-0002";

pub struct TestApp {
    pub address: String,
    pub database: Database,
    pub database_uri: String,
    pub client: reqwest::Client,
    /// What the handlers share: the service objects, the type cache.
    pub context: web::Data<AppContext>,
    /// This app's own metrics (no other test's traffic is in them).
    pub metrics: Metrics,
    pub metrics_port: Option<u16>,
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

    /// A superuser whose login was `seconds` ago.
    pub fn superuser_logged_in_ago(seconds: i64) -> Self {
        let id = Uuid::new_v4();
        let auth_time = chrono::Utc::now().timestamp() - seconds;
        Self {
            id,
            token: common::testing::mint_token_authenticated_at(SECRET, id, true, auth_time),
        }
    }

    pub fn superuser() -> Self {
        let id = Uuid::new_v4();
        Self {
            id,
            token: mint_token(SECRET, id, true),
        }
    }

    /// A member of `org` with `role`, logged into it.
    pub fn member(org: common::ids::OrgId, role: common::org::OrgRole) -> Self {
        let id = Uuid::new_v4();
        Self {
            id,
            token: common::testing::mint_org_token(SECRET, id, org, role),
        }
    }

    pub fn user_id(&self) -> common::ids::UserId {
        common::ids::UserId::from(self.id)
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
    let env = env_with(
        &[
            ("JWT_SECRET", SECRET),
            ("MONGODB_URI", &test_db.uri),
            ("HOST", "127.0.0.1"),
            ("PORT", "0"),
            // Every test user is its own; only the limit tests turn these on.
            ("IMPORT_RATE_LIMIT_PER_MINUTE", "0"),
            ("EXPORT_RATE_LIMIT_PER_MINUTE", "0"),
            ("SUMMARY_RATE_LIMIT_PER_MINUTE", "0"),
        ],
        overrides,
    );
    let settings = Settings::from_env(&env).expect("test settings");
    let app = carbon_service::startup::build(settings)
        .await
        .expect("the app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let database = app.database().clone();
    let context = app.context();
    let metrics = app.metrics().clone();
    let metrics_port = app.metrics_port();
    // The five example types (ids 100 to 104), whose factors the tests
    // compute expected figures from.
    let examples = carbon_service::seed::parse_seed(carbon_service::seed::EXAMPLES).unwrap();
    carbon_service::seed::seed(
        &database,
        &examples,
        carbon_service::seed::SeedMode::InsertOnly,
    )
    .await
    .unwrap();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        database,
        database_uri: test_db.uri.clone(),
        client: reqwest::Client::new(),
        context,
        metrics,
        metrics_port,
        _db: test_db,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The usage flows, called without HTTP.
    pub fn usages(&self) -> Usages<'_> {
        self.context.usages()
    }

    /// Loads the bundled EPA GHG Emission Factors Hub 2025 dataset, as
    /// `carbon-service seed` does.
    pub async fn seed_epa(&self) {
        let epa = carbon_service::seed::parse_seed(carbon_service::seed::EPA_GHG_HUB_2025)
            .expect("the bundled dataset parses");
        carbon_service::seed::seed(
            &self.database,
            &epa,
            carbon_service::seed::SeedMode::InsertOnly,
        )
        .await
        .expect("the bundled dataset seeds");
    }

    pub fn get(&self, path: &str, user: &TestUser) -> RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(&user.token)
    }

    pub fn put(&self, path: &str, user: &TestUser) -> RequestBuilder {
        self.client.put(self.url(path)).bearer_auth(&user.token)
    }

    pub fn post(&self, path: &str, user: &TestUser) -> RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(&user.token)
    }

    pub fn delete(&self, path: &str, user: &TestUser) -> RequestBuilder {
        self.client.delete(self.url(path)).bearer_auth(&user.token)
    }

    // POST /usages
    pub async fn create_usage(&self, user: &TestUser, body: Value) -> Response {
        self.post("/usages", user).json(&body).sent().await
    }

    /// Creates a usage that must succeed; returns its JSON.
    pub async fn created_usage(
        &self,
        user: &TestUser,
        amount: f64,
        type_id: i64,
        at: &str,
    ) -> Value {
        self.created_usage_from(
            user,
            json!({"amount": amount, "usage_type_id": type_id, "usage_at": at}),
        )
        .await
    }

    /// Creates a usage from `body` that must succeed; returns its JSON.
    pub async fn created_usage_from(&self, user: &TestUser, body: Value) -> Value {
        let r = self.create_usage(user, body).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        r.json().await.unwrap()
    }

    // GET /usages
    pub async fn list_usages(&self, user: &TestUser, query: &str) -> Response {
        self.get(&format!("/usages{query}"), user).sent().await
    }

    /// The caller's usages on the page `query` asks for.
    pub async fn usages_of(&self, user: &TestUser, query: &str) -> Vec<Value> {
        let r = self.list_usages(user, query).await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    // GET /usages/{id}
    pub async fn get_usage(&self, user: &TestUser, id: &str) -> Response {
        self.get(&format!("/usages/{id}"), user).sent().await
    }

    // PUT /usages/{id}
    pub async fn put_usage(&self, user: &TestUser, id: &str, body: Value) -> Response {
        self.put(&format!("/usages/{id}"), user)
            .json(&body)
            .sent()
            .await
    }

    // DELETE /usages/{id}
    pub async fn delete_usage(&self, user: &TestUser, id: &str) -> Response {
        self.delete(&format!("/usages/{id}"), user).sent().await
    }

    // GET /usages/summary
    pub async fn summary_of(&self, user: &TestUser, query: &str) -> Value {
        let r = self
            .get(&format!("/usages/summary{query}"), user)
            .sent()
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    // POST /usages with Idempotency-Key
    pub async fn create_usage_with_key(&self, user: &TestUser, key: &str, body: Value) -> Response {
        self.post("/usages", user)
            .header("Idempotency-Key", key)
            .json(&body)
            .sent()
            .await
    }

    // POST /usages/import
    pub async fn import_csv(&self, user: &TestUser, csv: impl AsRef<[u8]>) -> Response {
        self.post("/usages/import", user)
            .header("content-type", "text/csv")
            .body(csv.as_ref().to_vec())
            .sent()
            .await
    }

    // GET /usages/export, with an Accept header when given
    pub async fn export(&self, user: &TestUser, query: &str, accept: Option<&str>) -> Response {
        let mut request = self.get(&format!("/usages/export{query}"), user);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        request.sent().await
    }

    // DELETE /usages?confirm=true
    pub async fn erase(&self, user: &TestUser) -> Response {
        self.delete("/usages?confirm=true", user).sent().await
    }

    // GET /types, as a signed-in user (who sees private datasets' types)
    pub async fn types(&self, query: &str) -> Response {
        self.get(&format!("/types{query}"), &TestUser::new())
            .sent()
            .await
    }

    // GET /types/{id}, as a signed-in user
    pub async fn get_type(&self, id: &str) -> Response {
        self.get(&format!("/types/{id}"), &TestUser::new())
            .sent()
            .await
    }

    /// A GET without a token.
    pub async fn anonymous_get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).sent().await
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

/// A usage type id, for calls to the service layer.
pub fn type_id(id: i64) -> carbon_service::domain::ids::UsageTypeId {
    carbon_service::domain::ids::UsageTypeId::parse("id", id).unwrap()
}

/// The instance's slots as the defaults configure them, for a `Usages`
/// built by hand.
pub fn test_slots() -> carbon_service::service::slots::Slots {
    carbon_service::service::slots::Slots::new(&carbon_service::service::slots::SlotSettings {
        heavy_reads: 8,
        exports: 4,
        imports: 2,
        max_wait: std::time::Duration::from_secs(2),
        query_max_time: std::time::Duration::from_secs(10),
    })
}
