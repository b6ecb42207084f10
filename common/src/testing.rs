//! Test support (feature `testing`), shared by every crate's tests: a
//! freshly named database per test on the server named by `MONGODB_TEST_URI`
//! (dropped when the test ends), access-token minting, problem+json
//! assertions and the route-inventory check.

use uuid::Uuid;

use crate::jwt::{AccessTokenIssuer, JwtSettings, TokenSubject};

/// An access token for `user_id`, signed with `secret` as user-service would
/// right after a login.
pub fn mint_token(secret: &str, user_id: Uuid, superuser: bool) -> String {
    mint_token_authenticated_at(secret, user_id, superuser, chrono::Utc::now().timestamp())
}

/// [`mint_token`] for a login at `auth_time` (Unix seconds): a token that
/// refreshes kept alive since then.
pub fn mint_token_authenticated_at(
    secret: &str,
    user_id: Uuid,
    superuser: bool,
    auth_time: i64,
) -> String {
    let settings = JwtSettings::with_secret(secret).expect("a test secret of 32+ bytes");
    let subject = TokenSubject {
        user_id,
        email: format!("{user_id}@example.com"),
        superuser,
        session_generation: 0,
        auth_time,
    };
    let key = settings.signing.as_ref().expect("with_secret signs");
    AccessTokenIssuer::new(key, &settings)
        .issue(&subject, chrono::Duration::minutes(15))
        .expect("the token signs")
        .token
}

/// Sending a test request and reading its answer, written once.
#[allow(async_fn_in_trait)]
pub trait RequestExt {
    /// Sends; a transport failure fails the test.
    async fn sent(self) -> reqwest::Response;
    /// Sends and reads a JSON body; either failing fails the test.
    async fn json_body<T: serde::de::DeserializeOwned>(self) -> T;
}

impl RequestExt for reqwest::RequestBuilder {
    async fn sent(self) -> reqwest::Response {
        self.send().await.expect("the request is answered")
    }

    async fn json_body<T: serde::de::DeserializeOwned>(self) -> T {
        self.sent().await.json().await.expect("a JSON body")
    }
}

/// `base` with `overrides` replacing or adding variables (later wins): the
/// one way every test merges settings, in-process or for a process.
pub fn merged_env<'a>(
    base: &[(&'a str, &'a str)],
    overrides: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut vars: Vec<(&str, &str)> = Vec::new();
    for &(key, value) in base.iter().chain(overrides) {
        vars.retain(|(k, _)| *k != key);
        vars.push((key, value));
    }
    vars
}

/// The settings a test app starts with: [`merged_env`] as an [`Env`](crate::config::Env).
pub fn env_with(base: &[(&str, &str)], overrides: &[(&str, &str)]) -> crate::config::Env {
    crate::config::Env::from_pairs(merged_env(base, overrides))
}

/// The distinct values of `label` among the `metric` series of a
/// Prometheus text exposition.
pub fn label_values(
    exposition: &str,
    metric: &str,
    label: &str,
) -> std::collections::BTreeSet<String> {
    let needle = format!("{label}=\"");
    let prefix = format!("{metric}{{");
    exposition
        .lines()
        .filter(|line| line.starts_with(&prefix))
        .filter_map(|line| {
            let start = line.find(&needle)? + needle.len();
            let end = start + line[start..].find('"')?;
            Some(line[start..end].to_owned())
        })
        .collect()
}

/// Polls `read` every 50 ms until it yields a value, or `None` after
/// `timeout`. Tests wait for conditions this way, never for a fixed time.
pub async fn poll_until<T>(
    timeout: std::time::Duration,
    mut read: impl AsyncFnMut() -> Option<T>,
) -> Option<T> {
    let started = std::time::Instant::now();
    loop {
        if let Some(value) = read().await {
            return Some(value);
        }
        if started.elapsed() >= timeout {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// [`poll_until`], failing the test after `timeout`.
pub async fn eventually<T>(
    timeout: std::time::Duration,
    what: &str,
    read: impl AsyncFnMut() -> Option<T>,
) -> T {
    match poll_until(timeout, read).await {
        Some(value) => value,
        None => panic!("timed out waiting for {what}"),
    }
}

/// Asserts that `collection` has a TTL index on `field` that deletes each
/// document once that date has passed (`expireAfterSeconds: 0`).
pub async fn assert_ttl_index(database: &mongodb::Database, collection: &str, field: &str) {
    use futures_util::TryStreamExt;
    let indexes: Vec<mongodb::IndexModel> = database
        .collection::<mongodb::bson::Document>(collection)
        .list_indexes()
        .await
        .expect("the indexes are listed")
        .try_collect()
        .await
        .expect("the indexes are read");
    let ttl = indexes
        .iter()
        .find(|i| i.keys == mongodb::bson::doc! { field: 1 })
        .unwrap_or_else(|| panic!("{collection} has no index on {field}"));
    let expire_after = ttl.options.as_ref().and_then(|o| o.expire_after);
    assert_eq!(
        expire_after,
        Some(std::time::Duration::ZERO),
        "{collection}.{field} is not a TTL index expiring at the date"
    );
}

/// Asks the server to run its TTL pass every second instead of every 60
/// (`setParameter ttlMonitorSleepSecs`). `false` when the server refuses,
/// as a mongod may: then a test can only check the index, not see a pass.
pub async fn shorten_ttl_monitor(database: &mongodb::Database) -> bool {
    database
        .client()
        .database("admin")
        .run_command(mongodb::bson::doc! { "setParameter": 1, "ttlMonitorSleepSecs": 1 })
        .await
        .is_ok()
}

/// The stages of the winning plan of an `explain` answer, each with the
/// index it scans (if any). Rejected plans are left out. Works on the
/// shapes both MongoDB's classic and SBE engines (and SecantusDB) produce.
pub fn winning_stages(explain: &mongodb::bson::Document) -> Vec<(String, Option<String>)> {
    use mongodb::bson::Bson;
    fn walk(value: &Bson, out: &mut Vec<(String, Option<String>)>) {
        match value {
            Bson::Document(doc) => {
                if let Ok(stage) = doc.get_str("stage") {
                    let index = doc.get_str("indexName").ok().map(str::to_owned);
                    out.push((stage.to_owned(), index));
                }
                for (key, child) in doc {
                    if key != "rejectedPlans" && key != "allPlansExecution" {
                        walk(child, out);
                    }
                }
            }
            Bson::Array(items) => items.iter().for_each(|item| walk(item, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&Bson::Document(explain.clone()), &mut out);
    out
}

/// Asserts that two answers cannot be told apart: same status, same body,
/// same headers (except the per-response `date` and `x-request-id`). For
/// enumeration tests: a known and an unknown account must look alike.
pub async fn assert_same_answer(known: reqwest::Response, unknown: reqwest::Response) {
    let headers = |r: &reqwest::Response| {
        let mut h: Vec<(String, String)> = r
            .headers()
            .iter()
            .filter(|(name, _)| *name != "date" && *name != "x-request-id")
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("").to_owned()))
            .collect();
        h.sort();
        h
    };
    assert_eq!(known.status(), unknown.status(), "statuses differ");
    assert_eq!(headers(&known), headers(&unknown), "headers differ");
    let (known, unknown) = (
        known.bytes().await.expect("a body"),
        unknown.bytes().await.expect("a body"),
    );
    assert_eq!(known, unknown, "bodies differ");
}

/// A command for a service binary with nothing from the developer's shell
/// or `.env` leaking in (only `PATH`), run from `dir`.
pub fn clean_command(binary: &str, dir: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(binary);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir);
    cmd
}

/// A forged or hand-made JWT: `claims` signed with `alg` and `secret`, with
/// header `typ` (user-service uses `at+jwt`).
pub fn sign_jwt<C: serde::Serialize>(
    alg: jsonwebtoken::Algorithm,
    typ: Option<&str>,
    secret: &str,
    claims: &C,
) -> String {
    let header = jsonwebtoken::Header {
        typ: typ.map(str::to_owned),
        ..jsonwebtoken::Header::new(alg)
    };
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("the claims serialize")
}

/// The Prometheus text a service's metrics listener serves.
pub async fn scrape_metrics(port: u16) -> String {
    reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .expect("the metrics listener answers")
        .text()
        .await
        .expect("a text body")
}

/// Asserts a problem+json answer with `status` (RFC 9457: `type`, `title`,
/// `status`, `detail`), returning the body.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    assert_eq!(
        response.headers()["content-type"],
        crate::error::PROBLEM_JSON,
        "not problem+json"
    );
    let body: serde_json::Value = response.json().await.expect("a JSON body");
    assert_eq!(body["status"], status);
    assert!(
        body["title"].is_string() && body["detail"].is_string() && body["type"].is_string(),
        "not a whole problem: {body}"
    );
    body
}

/// The field names of a 422 problem's `errors`.
pub fn error_fields(problem: &serde_json::Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .expect("an errors array")
        .iter()
        .map(|e| e["field"].as_str().expect("a field name").to_owned())
        .collect()
}

/// The test server, as started by `scripts/test` (or any `mongod`).
pub fn test_server_uri() -> String {
    std::env::var("MONGODB_TEST_URI").unwrap_or_else(|_| {
        panic!(
            "MONGODB_TEST_URI is not set: run the tests with scripts/test (it starts a test \
             database), or point MONGODB_TEST_URI at a MongoDB server, e.g. mongodb://127.0.0.1:27017"
        )
    })
}

/// Replaces the path (database name) of a `mongodb://` URI, keeping options.
pub fn with_database(server_uri: &str, database: &str) -> String {
    let (base, options) = match server_uri.split_once('?') {
        Some((b, o)) => (b, Some(o)),
        None => (server_uri, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let hosts_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    let mut uri = format!("{}/{}", &base[..hosts_end], database);
    if let Some(options) = options {
        uri.push('?');
        uri.push_str(options);
    }
    uri
}

/// The commands a [`monitored_database`] has sent: (command name, the
/// collection it names, if any), in order.
pub type CommandLog = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A handle on the database `uri` names whose client records every command
/// it sends, so a test can compare what two flows do to the database.
pub async fn monitored_database(uri: &str) -> (mongodb::Database, CommandLog) {
    use mongodb::event::EventHandler;
    use mongodb::event::command::CommandEvent;
    let log = CommandLog::default();
    let mut options = mongodb::options::ClientOptions::parse(uri)
        .await
        .expect("a valid URI");
    let recorder = log.clone();
    options.command_event_handler = Some(EventHandler::callback(move |event| {
        if let CommandEvent::Started(started) = event {
            let collection = started
                .command
                .get_str(&started.command_name)
                .unwrap_or_default()
                .to_owned();
            if let Ok(mut log) = recorder.lock() {
                log.push((started.command_name.clone(), collection));
            }
        }
    }));
    let name = options
        .default_database
        .clone()
        .expect("a database in the URI");
    let client = mongodb::Client::with_options(options).expect("a client");
    (client.database(&name), log)
}

/// A database that exists for one test and is dropped afterwards.
pub struct TestDatabase {
    pub name: String,
    pub uri: String,
}

impl TestDatabase {
    pub fn new(prefix: &str) -> Self {
        let name = format!(
            "test_{prefix}_{}",
            &Uuid::new_v4().simple().to_string()[..12]
        );
        let uri = with_database(&test_server_uri(), &name);
        Self { name, uri }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop is synchronous and may run inside the test's runtime, so the
        // clean-up gets a thread and a runtime of its own.
        let uri = self.uri.clone();
        let name = self.name.clone();
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(client) = mongodb::Client::with_uri_str(&uri).await {
                    let _ = client.database(&name).drop().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// API9 (inventory): every operation in the service's OpenAPI document is
/// served (and none answers 5xx), every other method on a documented path
/// answers 405 with an `Allow` header listing exactly the documented ones. `{id}` is replaced by
/// `id`; `token` authorizes the calls.
pub async fn assert_document_matches_routes(
    base: &str,
    token: &str,
    id: &str,
) -> serde_json::Value {
    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
    let client = reqwest::Client::new();
    let doc: serde_json::Value = client
        .get(format!("{base}/api-docs/openapi.json"))
        .send()
        .await
        .expect("the document is served")
        .json()
        .await
        .expect("the document is JSON");
    let paths = doc["paths"].as_object().expect("paths").clone();
    for (path, item) in &paths {
        let url = format!("{base}{}", path.replace("{id}", id));
        let documented: Vec<String> = METHODS
            .iter()
            .filter(|m| item.get(**m).is_some())
            .map(|m| m.to_uppercase())
            .collect();
        for method in METHODS {
            let verb =
                reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            let response = client
                .request(verb, &url)
                .bearer_auth(token)
                .send()
                .await
                .expect("an answer");
            let status = response.status().as_u16();
            assert!(
                status < 500,
                "{method} {path} answered {status}: a documented route must not fail"
            );
            if let Some(operation) = item.get(method) {
                assert!(
                    operation["responses"]
                        .as_object()
                        .is_some_and(|r| !r.is_empty()),
                    "{method} {path} documents no responses"
                );
                // A made-up {id} may rightly be 404; a fixed path must not be.
                let unknown_route = status == 404 && !path.contains("{id}");
                assert!(
                    status != 405 && !unknown_route,
                    "{method} {path} is documented but answered {status}"
                );
            } else {
                assert_eq!(
                    status, 405,
                    "{method} {path} is not documented but answered {status}"
                );
                let allow = response
                    .headers()
                    .get("allow")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                assert_eq!(allow, documented.join(", "), "Allow of {path}");
            }
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_replaces_the_path_and_keeps_options() {
        assert_eq!(with_database("mongodb://h:1", "db"), "mongodb://h:1/db");
        assert_eq!(with_database("mongodb://h:1/", "db"), "mongodb://h:1/db");
        assert_eq!(
            with_database("mongodb://h:1/old?w=1", "db"),
            "mongodb://h:1/db?w=1"
        );
        assert_eq!(
            with_database("mongodb://u:p@h:1,h:2/?rs=x", "db"),
            "mongodb://u:p@h:1,h:2/db?rs=x"
        );
    }
}
