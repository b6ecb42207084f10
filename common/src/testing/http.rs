//! Requests and answers: sending, problem+json assertions, the
//! route-inventory check, metrics.

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

/// An audit export (`GET .../audit/export`): 200, JSON Lines, one entry
/// per line, oldest first.
pub async fn audit_lines(response: reqwest::Response) -> Vec<serde_json::Value> {
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/jsonl");
    let body = response.text().await.expect("an export body");
    body.lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// Each entry as `<action> <entity>` (`create usage`), in order.
pub fn audit_actions(entries: &[serde_json::Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| {
            let header = &e["header"];
            let text = |field: &str| header[field].as_str().unwrap_or("?").to_owned();
            format!("{} {}", text("action"), text("entity"))
        })
        .collect()
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
    let doc = openapi_document(base).await;
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

/// An authorization matrix covers `routes` (a route table's `(path,
/// method)` operations) exactly: every route has a row, every row is a
/// route.
pub fn assert_matrix_covers<'a>(
    routes: &[(String, String)],
    rows: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let rows: Vec<(&str, &str)> = rows.into_iter().collect();
    for (path, method) in routes {
        assert!(
            rows.iter().any(|(m, p)| m == method && p == path),
            "{method} {path} has no row in the authorization matrix"
        );
    }
    for (method, path) in &rows {
        assert!(
            routes.iter().any(|(p, m)| m == method && p == path),
            "{method} {path} is in the matrix but not a route"
        );
    }
}

/// Swagger UI's *Try it out* fills a parameter in with its example, so an
/// optional filter with one answers a newcomer's first call from a
/// filtered (often empty) list, and an optional header changes what the
/// call does: the service at `base` documents none (their examples belong
/// in the description).
pub async fn assert_no_optional_parameter_has_an_example(base: &str) {
    let doc = openapi_document(base).await;
    assert_eq!(
        optional_parameters_with_examples(&doc),
        Vec::<String>::new()
    );
}

/// Every problem+json answer the service at `base` documents shows an
/// example of its own status, not the schema's 422 under a 401 or a 409.
pub async fn assert_every_problem_example_has_its_status(base: &str) {
    let doc = openapi_document(base).await;
    assert_eq!(
        problem_examples_of_another_status(&doc),
        Vec::<String>::new()
    );
}

/// The problem+json answers whose example (their own, else the schema's)
/// has another status, as `METHOD path status: example status`.
fn problem_examples_of_another_status(doc: &serde_json::Value) -> Vec<String> {
    let schema_example = &doc["components"]["schemas"]["ProblemDetails"]["example"];
    let mut found = Vec::new();
    for (path, operations) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in operations.as_object().into_iter().flatten() {
            for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                let content = &response["content"][crate::error::PROBLEM_JSON];
                if content.is_null() {
                    continue;
                }
                let example = if content["example"].is_null() {
                    schema_example
                } else {
                    &content["example"]
                };
                if example["status"].as_u64() != status.parse().ok() {
                    found.push(format!(
                        "{} {path} {status}: {}",
                        method.to_uppercase(),
                        example["status"]
                    ));
                }
            }
        }
    }
    found
}

/// The service's OpenAPI document.
async fn openapi_document(base: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("{base}/api-docs/openapi.json"))
        .send()
        .await
        .expect("the document is served")
        .json()
        .await
        .expect("the document is JSON")
}

/// The optional parameters of an OpenAPI document that carry an example,
/// as `METHOD path name`.
fn optional_parameters_with_examples(doc: &serde_json::Value) -> Vec<String> {
    let mut found = Vec::new();
    let Some(paths) = doc["paths"].as_object() else {
        return found;
    };
    for (path, operations) in paths {
        let Some(operations) = operations.as_object() else {
            continue;
        };
        for (method, operation) in operations {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let required = parameter["required"].as_bool().unwrap_or(false);
                let example = !parameter["example"].is_null()
                    || !parameter["schema"]["example"].is_null()
                    || !parameter["examples"].is_null();
                if !required && example {
                    found.push(format!(
                        "{} {path} {}",
                        method.to_uppercase(),
                        parameter["name"].as_str().unwrap_or_default()
                    ));
                }
            }
        }
    }
    found
}
