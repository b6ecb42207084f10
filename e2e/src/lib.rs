//! Runs the real `user-service` and `carbon-service` binaries as separate
//! processes, the way they run in production.
//!
//! The binaries are taken from `E2E_BIN_DIR`, else `target/debug` of this
//! workspace (`scripts/test` builds them first).

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub use common::testing::TestDatabase;

pub const SECRET: &str = "e2e-secret-e2e-secret-e2e-secret-00001";
pub const PASSWORD: &str = "correct horse battery staple";

pub fn binary(name: &str) -> PathBuf {
    let dir = std::env::var_os("E2E_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug"));
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --bins` (scripts/test does)",
        path.display()
    );
    path
}

/// A free loopback port (there is a small window before the service binds it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running service process; killed when dropped.
pub struct Service {
    child: Child,
    pub port: u16,
    pub base: String,
    pub log: PathBuf,
}

impl Service {
    /// Starts `name` on a free port with `env` (plus HOST/PORT) and waits
    /// until `/healthz` answers.
    pub async fn start(name: &str, env: &[(&str, &str)]) -> Service {
        Self::start_on(name, free_port(), env).await
    }

    pub async fn start_on(name: &str, port: u16, env: &[(&str, &str)]) -> Service {
        let service = Self::spawn(name, port, env);
        service.wait_healthy(Duration::from_secs(30)).await;
        service
    }

    /// Starts without waiting for health.
    pub fn spawn(name: &str, port: u16, env: &[(&str, &str)]) -> Service {
        let log = std::env::temp_dir().join(format!(
            "e2e-{name}-{port}-{}.log",
            uuid::Uuid::new_v4().simple()
        ));
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut cmd = Command::new(binary(name));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("RUST_LOG", "info")
            .env("LOG_FORMAT", "json")
            .envs(env.iter().copied())
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::from(log_file.try_clone().expect("log file")))
            .stderr(Stdio::from(log_file));
        let child = cmd.spawn().expect("the service starts");
        Service {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub async fn wait_healthy(&self, timeout: Duration) {
        let client = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Ok(r) = client
                .get(self.url("/healthz"))
                .timeout(Duration::from_secs(1))
                .send()
                .await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{} did not become healthy; its log:\n{}",
            self.base,
            self.logs()
        );
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
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
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
        let users_db = TestDatabase::new("e2e_users");
        let carbon_db = TestDatabase::new("e2e_carbon");
        let users = start_users(&users_db, &[]).await;
        let carbon = start_carbon(&carbon_db, &users, &[]).await;
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
    let mut out: Vec<(&str, &str)> = Vec::new();
    for (k, v) in env {
        out.retain(|(key, _)| *key != k);
        out.push((k, v));
    }
    out
}

/// Runs `carbon-service seed` against `db`.
pub fn seed(db: &TestDatabase) {
    seed_uri(&db.uri);
}

/// Runs `carbon-service seed` against the database at `uri`.
pub fn seed_uri(uri: &str) {
    let out = Command::new(binary("carbon-service"))
        .arg("seed")
        .env_clear()
        .env("JWT_SECRET", SECRET)
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

/// A FerretDB process of a test's own, to stop and start under a service.
/// Its binary comes from `FERRETDB_BIN` (exported by `scripts/test-db`).
pub struct FerretDb {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
}

impl FerretDb {
    pub async fn start() -> FerretDb {
        let dir =
            std::env::temp_dir().join(format!("e2e-ferretdb-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("data dir");
        let mut db = FerretDb {
            child: None,
            port: free_port(),
            dir,
        };
        db.resume().await;
        db
    }

    pub fn uri(&self, database: &str) -> String {
        format!("mongodb://127.0.0.1:{}/{database}", self.port)
    }

    /// Starts (again) on the same port and data.
    pub async fn resume(&mut self) {
        let bin = std::env::var("FERRETDB_BIN").expect("FERRETDB_BIN is set by scripts/test-db");
        let dir = self.dir.display().to_string();
        let child = Command::new(bin)
            .arg(format!("--listen-addr=127.0.0.1:{}", self.port))
            .args([
                "--handler=sqlite",
                "--telemetry=disable",
                "--debug-addr=-",
                "--log-level=error",
            ])
            .arg(format!("--sqlite-url=file:{dir}/"))
            .arg(format!("--state-dir={dir}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("FerretDB starts");
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "FerretDB did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the server (a lost database).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for FerretDb {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
