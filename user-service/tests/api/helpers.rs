use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::metrics::Metrics;
use common::testing::{TestDatabase, env_with};
use mongodb::Database;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use user_service::configuration::Settings;
use user_service::mailer::{MailKind, MailSender, OutgoingMail, SendFuture};
use user_service::password::PasswordHasher;

pub use common::testing::{RequestExt, assert_problem, error_fields, eventually};

pub const SECRET: &str = "test-secret-test-secret-test-secret-0001";
pub const PASSWORD: &str = "correct horse battery staple";
/// Where every test request comes from.
pub const LOCALHOST: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// Keeps every mail, for tests to read the tokens.
pub struct RecordingMailer(pub Arc<Mutex<Vec<OutgoingMail>>>);

impl MailSender for RecordingMailer {
    fn send(&self, mail: OutgoingMail) -> SendFuture<'_> {
        Box::pin(async move {
            if let Ok(mut outbox) = self.0.lock() {
                outbox.push(mail);
            }
        })
    }
}

pub struct TestApp {
    pub address: String,
    pub database: Database,
    pub outbox: Arc<Mutex<Vec<OutgoingMail>>>,
    pub client: reqwest::Client,
    pub hasher: PasswordHasher,
    /// What the flows share, for calling them without HTTP.
    pub state: actix_web::web::Data<user_service::service::ServiceContext>,
    /// This app's own metrics (no other test's traffic is in them).
    pub metrics: Metrics,
    pub metrics_port: Option<u16>,
    pub database_uri: String,
    _db: Option<TestDatabase>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the app with the test defaults overridden by `overrides`.
/// Starts another instance on `running`'s database (a restart, or a second
/// instance); the database stays `running`'s.
pub async fn spawn_app_on(running: &TestApp, overrides: &[(&str, &str)]) -> TestApp {
    start(None, &running.database_uri, overrides).await
}

pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let test_db = TestDatabase::new("users");
    let uri = test_db.uri.clone();
    start(Some(test_db), &uri, overrides).await
}

async fn start(test_db: Option<TestDatabase>, uri: &str, overrides: &[(&str, &str)]) -> TestApp {
    // `TEST_LOG=1 cargo test ...` shows the app's logs.
    if std::env::var_os("TEST_LOG").is_some() {
        common::telemetry::init(common::config::LogFormat::Pretty, "info");
    }
    let env = env_with(
        &[
            ("JWT_SECRET", SECRET),
            ("MONGODB_URI", uri),
            ("HOST", "127.0.0.1"),
            ("PORT", "0"),
            // Every test client is 127.0.0.1; only the limit tests turn them on.
            ("LOGIN_RATE_LIMIT_PER_MINUTE", "0"),
            ("REFRESH_RATE_LIMIT_PER_MINUTE", "0"),
            ("SENSITIVE_RATE_LIMIT_PER_MINUTE", "0"),
            ("ACCOUNT_RATE_LIMIT_PER_MINUTE", "0"),
            ("MAIL_TRANSPORT", "log"),
        ],
        overrides,
    );
    let settings = Settings::from_env(&env).expect("test settings");
    let outbox = Arc::new(Mutex::new(Vec::new()));
    let app = user_service::startup::build_with_mailer(
        settings,
        Arc::new(RecordingMailer(outbox.clone())),
    )
    .await
    .expect("the app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let database = app.database().clone();
    let state = app.context();
    let hasher = state.hasher.clone();
    let metrics = app.metrics().clone();
    let metrics_port = app.metrics_port();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        database,
        outbox,
        client: reqwest::Client::new(),
        hasher,
        state,
        metrics,
        metrics_port,
        database_uri: uri.to_owned(),
        _db: test_db,
    }
}

pub fn unique_email() -> String {
    format!(
        "user-{}@example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn register(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/auth/register"))
            .json(&json!({"email": email, "password": password}))
            .sent()
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/auth/jwt/login"))
            .form(&[
                ("username", email),
                ("password", password),
                ("grant_type", "password"),
            ])
            .sent()
            .await
    }

    /// A login as the client that a (trusted) proxy names in `X-Forwarded-For`.
    pub async fn login_from(&self, email: &str, password: &str, client: &str) -> Response {
        self.client
            .post(self.url("/auth/jwt/login"))
            .header("x-forwarded-for", client)
            .form(&[("username", email), ("password", password)])
            .sent()
            .await
    }

    /// A failed login as the client that a proxy names in `X-Forwarded-For`.
    pub async fn login_status_from(&self, forwarded_for: &str) -> StatusCode {
        self.client
            .post(self.url("/auth/jwt/login"))
            .header("x-forwarded-for", forwarded_for)
            .form(&[("username", "x@example.com"), ("password", "whatever1")])
            .sent()
            .await
            .status()
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.client
            .post(self.url("/auth/jwt/refresh"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ])
            .sent()
            .await
    }

    /// Registers `email` and logs in: `(access_token, refresh_token, user json)`.
    pub async fn signed_up(&self, email: &str) -> (String, String, Value) {
        let registered = self.register(email, PASSWORD).await;
        assert_eq!(registered.status(), StatusCode::CREATED);
        let user: Value = registered.json().await.unwrap();
        let tokens: Value = self.login(email, PASSWORD).await.json().await.unwrap();
        (
            tokens["access_token"].as_str().unwrap().to_owned(),
            tokens["refresh_token"].as_str().unwrap().to_owned(),
            user,
        )
    }

    /// A fresh access token of an existing account with [`PASSWORD`].
    pub async fn signed_in_token(&self, email: &str) -> String {
        let tokens: Value = self.login(email, PASSWORD).await.json().await.unwrap();
        tokens["access_token"]
            .as_str()
            .expect("logged in")
            .to_owned()
    }

    /// Marks the account's address verified, as the mailed token would.
    pub async fn mark_verified(&self, email: &str) {
        self.database
            .collection::<bson::Document>("users")
            .update_one(
                bson::doc! { "email": email },
                bson::doc! { "$set": { "is_verified": true } },
            )
            .await
            .unwrap();
    }

    /// A logged-in superuser's access token.
    pub async fn superuser_token(&self) -> String {
        let email = unique_email();
        user_service::service::accounts::ensure_superuser(
            &self.database,
            &self.hasher,
            &email,
            PASSWORD,
            false,
        )
        .await
        .unwrap();
        let tokens: Value = self.login(&email, PASSWORD).await.json().await.unwrap();
        tokens["access_token"].as_str().unwrap().to_owned()
    }

    pub fn get(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(token)
    }

    pub fn patch(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client.patch(self.url(path)).bearer_auth(token)
    }

    pub fn delete(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client.delete(self.url(path)).bearer_auth(token)
    }

    pub fn post_json(&self, path: &str, body: Value) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).json(&body)
    }

    // POST /auth/forgot-password, then the token it mailed.
    pub async fn reset_token_for(&self, email: &str) -> String {
        self.post_json("/auth/forgot-password", json!({ "email": email }))
            .sent()
            .await;
        self.mailed_token(email, MailKind::PasswordReset).await
    }

    // POST /auth/reset-password
    pub async fn reset_password(&self, token: &str, password: &str) -> Response {
        self.post_json(
            "/auth/reset-password",
            json!({ "token": token, "password": password }),
        )
        .sent()
        .await
    }

    // POST /auth/jwt/logout with an access token
    pub async fn logout(&self, access: &str, body: Value) -> Response {
        self.client
            .post(self.url("/auth/jwt/logout"))
            .bearer_auth(access)
            .json(&body)
            .sent()
            .await
    }

    /// The newest mail of `kind` to `to`; mail goes out in the background,
    /// so this waits for it (up to 5 s).
    pub async fn mailed_token(&self, to: &str, kind: MailKind) -> String {
        eventually(Duration::from_secs(5), "the mail", async || {
            self.outbox
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|m| m.to == to && m.kind == kind)
                .map(|m| m.token.clone())
        })
        .await
    }

    pub fn mail_count(&self) -> usize {
        self.outbox.lock().unwrap().len()
    }

    /// Mails of `kind` sent to `to` so far.
    pub fn mails_to(&self, to: &str, kind: MailKind) -> usize {
        self.outbox
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.to == to && m.kind == kind)
            .count()
    }
}

/// Asserts an RFC 6749 error answer, returning its `error` code.
pub async fn assert_oauth_error(response: Response, code: &str) {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(body["error_description"].is_string());
}

/// No password hash, in any form, in `text`.
pub fn assert_no_secrets(text: &str) {
    assert!(!text.contains("hashed_password"), "{text}");
    assert!(!text.contains("$argon2"), "{text}");
}

/// The id of a user as the API returned it.
pub fn user_id_of(user: &Value) -> common::ids::UserId {
    user["id"].as_str().expect("an id").parse().expect("a UUID")
}

/// The stored document of the user with this email.
pub async fn user_doc(app: &TestApp, email: &str) -> bson::Document {
    app.database
        .collection::<bson::Document>("users")
        .find_one(bson::doc! {"email": email})
        .await
        .unwrap()
        .expect("the user exists")
}
