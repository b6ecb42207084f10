//! Prometheus metrics: each app records into its own registry, so these
//! figures are this test's traffic and no other's.

use crate::helpers::*;

#[tokio::test]
async fn login_and_refresh_outcomes_and_hash_permits_are_exported_after_traffic() {
    let app = spawn_app_with(&[
        ("METRICS_ADDR", "127.0.0.1:0"),
        ("REFRESH_RATE_LIMIT_PER_MINUTE", "1"),
        ("REFRESH_RATE_LIMIT_BURST", "1"),
    ])
    .await;
    let (_, refresh_token, _) = app.signed_up("ada@example.com").await; // success
    app.login("ada@example.com", "a wrong guess").await; // invalid
    let rotated: serde_json::Value = app.refresh(&refresh_token).await.json().await.unwrap(); // success
    let successor = rotated["refresh_token"].as_str().unwrap();
    let limited = app.refresh(successor).await; // rate limited (the family's burst is used up)
    assert_eq!(limited.status(), 429);
    let port = app.metrics_port.expect("METRICS_ADDR starts the listener");
    let text = common::testing::scrape_metrics(port).await;
    for expected in [
        r#"logins_total{outcome="success"}"#,
        r#"logins_total{outcome="invalid"}"#,
        r#"token_refreshes_total{outcome="success"}"#,
        r#"token_refreshes_total{outcome="rate_limited"}"#,
        "password_hash_permits_in_use",
        r#"http_requests_total{method="POST",route="/auth/jwt/login",status="200"}"#,
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}

#[tokio::test]
async fn reuse_and_lockout_outcomes_are_counted() {
    let app = spawn_app().await;
    let (_, refresh_token, _) = app.signed_up("ada@example.com").await;
    app.refresh(&refresh_token).await;
    app.refresh(&refresh_token).await; // reuse
    for _ in 0..11 {
        app.login("ada@example.com", "a wrong guess").await;
    }
    let text = app.metrics.render();
    for expected in [
        r#"token_refreshes_total{outcome="reuse_detected"}"#,
        r#"logins_total{outcome="locked"}"#,
    ] {
        assert!(text.contains(expected), "{expected} missing");
    }
}
