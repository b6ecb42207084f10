//! Prometheus metrics: what is counted, and that no client can make the
//! label sets grow.

//! Each app records into its own registry: these figures are this test's
//! traffic and no other's.

use std::collections::BTreeSet;

use common::testing::label_values;

use crate::helpers::*;

#[tokio::test]
async fn made_up_methods_and_paths_add_no_label_values() {
    let app = spawn_app().await;
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
            .sent()
            .await;
        assert!(
            response.status().is_client_error(),
            "{path}: {}",
            response.status()
        );
    }
    let scrape = app.metrics.render();

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

#[tokio::test]
async fn metrics_are_served_apart_and_count_requests_by_route_template() {
    let app = spawn_app_with(&[("METRICS_ADDR", "127.0.0.1:0")]).await;
    let user = TestUser::new();
    let usage = app
        .created_usage(&user, 1.0, 100, "2026-01-01T00:00:00Z")
        .await;
    app.get_usage(&user, usage["id"].as_str().unwrap()).await;
    app.get("/usages/000000000000000000000000", &user)
        .sent()
        .await;
    app.post("/usages/import", &user)
        .header("content-type", "text/csv")
        .body("usage_at,usage_type_id,amount\n2026-01-01T00:00:00Z,100,1\n")
        .sent()
        .await;
    let port = app.metrics_port.expect("METRICS_ADDR starts the listener");
    let text = common::testing::scrape_metrics(port).await;
    for expected in [
        r#"http_requests_total{method="GET",route="/usages/{id}",status="200"}"#,
        r#"http_requests_total{method="GET",route="/usages/{id}",status="404"}"#,
        r#"http_request_duration_seconds_bucket{method="POST",route="/usages",status="201",le="0.005"}"#,
        r#"usages_created_total{route="single"}"#,
        r#"usages_created_total{route="import"}"#,
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    assert!(
        !text.contains(usage["id"].as_str().unwrap()),
        "a raw path with an id leaked into the labels"
    );
    // The API itself has no /metrics.
    assert_problem(app.client.get(app.url("/metrics")).sent().await, 404).await;
}
