//! Prometheus metrics: what is counted, and that no client can make the
//! label sets grow.

use std::collections::BTreeSet;

use crate::helpers::*;

/// The distinct values of `label` among the `metric` series of a scrape.
fn label_values(scrape: &str, metric: &str, label: &str) -> BTreeSet<String> {
    let needle = format!("{label}=\"");
    scrape
        .lines()
        .filter(|line| line.starts_with(&format!("{metric}{{")))
        .filter_map(|line| {
            let start = line.find(&needle)? + needle.len();
            let end = start + line[start..].find('"')?;
            Some(line[start..end].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn made_up_methods_and_paths_add_no_label_values() {
    let app = spawn_app_with(&[("METRICS_ADDR", "127.0.0.1:0")]).await;
    let user = TestUser::new();
    for i in 0..300 {
        let method = reqwest::Method::from_bytes(format!("MADEUP{i}").as_bytes()).unwrap();
        let path = if i % 2 == 0 {
            "/usages".to_owned()
        } else {
            format!("/no-such-path-{i}")
        };
        let response = app
            .client
            .request(method, app.url(&path))
            .bearer_auth(&user.token)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_client_error(),
            "{path}: {}",
            response.status()
        );
    }
    let scrape = common::testing::scrape_metrics(app.metrics_port.unwrap()).await;

    let methods = label_values(&scrape, "http_requests_total", "method");
    let standard: BTreeSet<String> = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other",
    ]
    .map(String::from)
    .into();
    assert!(
        methods.contains("other"),
        "the made-up methods were not counted: {methods:?}"
    );
    assert!(
        methods.is_subset(&standard),
        "unbounded method labels: {methods:?}"
    );

    let routes = label_values(&scrape, "http_requests_total", "route");
    assert!(routes.contains("unmatched"), "{routes:?}");
    assert!(
        routes.iter().all(|r| !r.contains("no-such-path")),
        "a raw path became a label: {routes:?}"
    );
    let statuses = label_values(&scrape, "http_requests_total", "status");
    assert!(
        statuses.iter().all(|s| s.parse::<u16>().is_ok()),
        "{statuses:?}"
    );
}
