//! Runs the real `user-service` and `carbon-service` binaries as separate
//! processes, the way they run in production.
//!
//! The binaries are taken from `E2E_BIN_DIR`, else from the `debug`
//! directory of Cargo's target directory (which honours `CARGO_TARGET_DIR`);
//! `scripts/test` builds them first.
//!
//! Every server a test starts binds port 0 and reports the port it got, so
//! tests running at once can never connect to each other's servers.

use common::testing::poll_until;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

pub use common::testing::{TestDatabase, eventually};

pub const SECRET: &str = "e2e-secret-e2e-secret-e2e-secret-00001";
pub const PASSWORD: &str = "correct horse battery staple";

/// Cargo's target directory, as `cargo metadata` reports it.
fn target_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo metadata runs");
        let metadata: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
        PathBuf::from(
            metadata["target_directory"]
                .as_str()
                .expect("cargo metadata names the target directory"),
        )
    })
}

pub fn binary(name: &str) -> PathBuf {
    let dir = std::env::var_os("E2E_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("debug"));
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --bins` (scripts/test does)",
        path.display()
    );
    path
}

/// The port a service reported in its JSON log ("… listening", `port`).
fn reported_port(log: &str, name: &str) -> Option<u16> {
    let listening = format!("{name} listening");
    log.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|entry| entry["fields"]["message"] == listening.as_str())
        .and_then(|entry| entry["fields"]["port"].as_u64())
        .and_then(|port| u16::try_from(port).ok())
}

/// A running service process; killed when dropped.
pub struct Service {
    child: Child,
    pub name: String,
    pub port: u16,
    pub base: String,
    pub log: PathBuf,
}

impl Service {
    /// Starts `name` with `env` (plus HOST and PORT=0), learns its port from
    /// its log and waits until `/healthz` answers.
    pub async fn start(name: &str, env: &[(&str, &str)]) -> Service {
        let mut service = Self::spawn(name, env);
        service.wait_listening(Duration::from_secs(60)).await;
        service.wait_healthy(Duration::from_secs(30)).await;
        service
    }

    /// Starts without waiting: `port` stays 0 until [`Service::wait_listening`].
    pub fn spawn(name: &str, env: &[(&str, &str)]) -> Service {
        let log =
            std::env::temp_dir().join(format!("e2e-{name}-{}.log", uuid::Uuid::new_v4().simple()));
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut cmd = Command::new(binary(name));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("RUST_LOG", "info")
            .env("LOG_FORMAT", "json")
            .envs(env.iter().copied())
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::from(log_file.try_clone().expect("log file")))
            .stderr(Stdio::from(log_file));
        let child = cmd.spawn().expect("the service starts");
        Service {
            child,
            name: name.to_owned(),
            port: 0,
            base: String::new(),
            log,
        }
    }

    /// Waits until the process reports the port it bound.
    pub async fn wait_listening(&mut self, timeout: Duration) {
        let port = poll_until(timeout, async || {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited ({status}); its log:\n{}", self.name, self.logs());
            }
            reported_port(&self.logs(), &self.name)
        })
        .await;
        let Some(port) = port else {
            panic!("{} reported no port; its log:\n{}", self.name, self.logs());
        };
        self.port = port;
        self.base = format!("http://127.0.0.1:{port}");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub async fn wait_healthy(&self, timeout: Duration) {
        let client = reqwest::Client::new();
        let healthy = poll_until(timeout, async || {
            let answer = client
                .get(self.url("/healthz"))
                .timeout(Duration::from_secs(1))
                .send()
                .await;
            answer.is_ok_and(|r| r.status().is_success()).then_some(())
        })
        .await;
        if healthy.is_none() {
            panic!(
                "{} did not become healthy; its log:\n{}",
                self.base,
                self.logs()
            );
        }
    }

    /// Sends SIGTERM (graceful shutdown).
    pub fn terminate(&self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
    }

    /// Sends SIGKILL (a crash).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        poll_until(timeout, async || self.child.try_wait().ok().flatten()).await
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// Both services, each on its own database.
pub struct Pair {
    pub users: Service,
    pub carbon: Service,
    pub users_db: TestDatabase,
    pub carbon_db: TestDatabase,
}

impl Pair {
    pub async fn start() -> Pair {
        Pair::start_with(&[]).await
    }

    /// Both services with `extra` settings.
    pub async fn start_with(extra: &[(&str, &str)]) -> Pair {
        let users_db = TestDatabase::new("e2e_users");
        let carbon_db = TestDatabase::new("e2e_carbon");
        let users = start_users(&users_db, extra).await;
        let carbon = start_carbon(&carbon_db, &users, extra).await;
        seed(&carbon_db);
        Pair {
            users,
            carbon,
            users_db,
            carbon_db,
        }
    }
}

pub async fn start_users(db: &TestDatabase, extra: &[(&str, &str)]) -> Service {
    let mut env = vec![
        ("JWT_SECRET", SECRET),
        ("MONGODB_URI", db.uri.as_str()),
        ("LOGIN_RATE_LIMIT_PER_MINUTE", "0"),
        ("SENSITIVE_RATE_LIMIT_PER_MINUTE", "0"),
        ("MAIL_TRANSPORT", "log"),
    ];
    env.extend_from_slice(extra);
    Service::start("user-service", &dedupe(env)).await
}

pub async fn start_carbon(db: &TestDatabase, users: &Service, extra: &[(&str, &str)]) -> Service {
    let token_url = users.url("/auth/jwt/login");
    let mut env = vec![
        ("JWT_SECRET", SECRET),
        ("MONGODB_URI", db.uri.as_str()),
        ("AUTH_TOKEN_URL", token_url.as_str()),
    ];
    env.extend_from_slice(extra);
    Service::start("carbon-service", &dedupe(env)).await
}

/// Later entries win.
fn dedupe<'a>(env: Vec<(&'a str, &'a str)>) -> Vec<(&'a str, &'a str)> {
    common::testing::merged_env(&env, &[])
}

/// Runs `carbon-service seed --examples` against `db` (the tests use the
/// example types 100 to 104).
pub fn seed(db: &TestDatabase) {
    seed_uri(&db.uri);
}

/// Runs `carbon-service seed --examples` against the database at `uri`.
pub fn seed_uri(uri: &str) {
    let out = Command::new(binary("carbon-service"))
        .args(["seed", "--examples"])
        .env_clear()
        .env("MONGODB_URI", uri)
        .output()
        .expect("seed runs");
    assert!(
        out.status.success(),
        "seed failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn unique_email() -> String {
    format!(
        "e2e-{}@example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

/// Registers and logs in through user-service: the token response JSON.
pub async fn sign_up(users: &Service, email: &str) -> serde_json::Value {
    let client = reqwest::Client::new();
    let r = client
        .post(users.url("/auth/register"))
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("register");
    assert_eq!(r.status().as_u16(), 201, "register");
    login(users, email).await
}

pub async fn login(users: &Service, email: &str) -> serde_json::Value {
    let r = reqwest::Client::new()
        .post(users.url("/auth/jwt/login"))
        .form(&[("username", email), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status().as_u16(), 200, "login");
    r.json().await.expect("token json")
}

/// A SecantusDB process of a test's own, to stop and start under a service.
/// Its binary comes from `SECANTUS_BIN` (exported by `scripts/test-db`).
/// It runs as a single-node replica set, as the services require.
pub struct TestMongo {
    child: Option<Child>,
    /// Bound by the server itself on first start (`--port 0`), then reused.
    pub port: u16,
    dir: PathBuf,
    /// Started with `--standalone`: no transactions (a start-up check test).
    standalone: bool,
    /// WiredTiger's cache (`--cache-size`).
    cache: &'static str,
}

impl TestMongo {
    pub async fn start() -> TestMongo {
        // An import of 10,000 rows is one transaction, held in the cache
        // until it commits.
        Self::start_with(false, "256M").await
    }

    /// A server that advertises itself as standalone, which cannot run
    /// multi-document transactions.
    pub async fn start_standalone() -> TestMongo {
        Self::start_with(true, "256M").await
    }

    /// A server whose cache is `cache` (e.g. `"32M"`).
    pub async fn start_with_cache(cache: &'static str) -> TestMongo {
        Self::start_with(false, cache).await
    }

    async fn start_with(standalone: bool, cache: &'static str) -> TestMongo {
        let dir =
            std::env::temp_dir().join(format!("e2e-secantus-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("data dir");
        let mut db = TestMongo {
            child: None,
            port: 0,
            dir,
            standalone,
            cache,
        };
        db.resume().await;
        db
    }

    pub fn uri(&self, database: &str) -> String {
        format!("mongodb://127.0.0.1:{}/{database}", self.port)
    }

    /// Starts (again) on the same data, and on the same port once it has one.
    pub async fn resume(&mut self) {
        let bin = std::env::var("SECANTUS_BIN").expect("SECANTUS_BIN is set by scripts/test-db");
        let log = self
            .dir
            .join(format!("secantus-{}.log", uuid::Uuid::new_v4().simple()));
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut command = Command::new(bin);
        if self.standalone {
            command.arg("--standalone");
        }
        let child = command
            .args(["--host", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .arg("--storage-path")
            .arg(self.dir.join("data"))
            .args([
                // Acknowledged commits reach the OS before the answer (see
                // scripts/lib.sh): a killed server loses none of them.
                "--sync-on-commit",
                "--cache-size",
                self.cache,
                "--log-file-max",
                "16MB",
                "--log-level",
                "ERROR",
            ])
            .stdout(Stdio::from(log_file.try_clone().expect("log file")))
            .stderr(Stdio::from(log_file))
            .spawn()
            .expect("SecantusDB starts");
        self.child = Some(child);
        // It prints "secantusd-rs listening on 127.0.0.1:PORT" once bound.
        let port = eventually(
            Duration::from_secs(30),
            "SecantusDB to listen",
            async || {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let (_, rest) = text.split_once("listening on ")?;
                let address = rest.split_whitespace().next()?;
                address.rsplit_once(':')?.1.parse::<u16>().ok()
            },
        )
        .await;
        assert!(
            self.port == 0 || self.port == port,
            "SecantusDB came back on port {port}, not {}",
            self.port
        );
        self.port = port;
    }

    /// Kills the server (a lost database).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for TestMongo {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
