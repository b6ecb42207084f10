//! Test support (feature `testing`): a freshly named database per test on the
//! server named by `MONGODB_TEST_URI`, dropped when the test ends.

use uuid::Uuid;

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
/// served, every other method on a documented path answers 405 with an
/// `Allow` header listing exactly the documented ones. `{id}` is replaced by
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
