//! Limits per client: registration and the mail endpoints, the hashing
//! pool's back-pressure, and who the client is behind a proxy.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn registration_and_mail_endpoints_are_limited_per_client_with_retry_after() {
    for (path, body) in [
        (
            "/auth/register",
            json!({"email": "x@example.com", "password": "short"}),
        ),
        ("/auth/forgot-password", json!({"email": "x@example.com"})),
        (
            "/auth/request-verify-token",
            json!({"email": "x@example.com"}),
        ),
    ] {
        let app = spawn_app_with(&[("SENSITIVE_RATE_LIMIT_PER_MINUTE", "2")]).await;
        for _ in 0..2 {
            let r = app.post_json(path, body.clone()).sent().await;
            assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        }
        let r = app.post_json(path, body.clone()).sent().await;
        assert!(r.headers().contains_key("retry-after"), "{path}");
        assert_problem(r, 429).await;
    }
}

#[tokio::test]
async fn a_saturated_hasher_answers_503_with_retry_after_instead_of_queueing() {
    let app = spawn_app_with(&[
        ("PASSWORD_HASH_CONCURRENCY", "1"),
        ("PASSWORD_HASH_MAX_WAIT_MS", "1"),
    ])
    .await;
    let emails: Vec<String> = (0..12).map(|i| format!("flood-{i}@example.com")).collect();
    let attempts = emails.iter().map(|email| app.register(email, PASSWORD));
    let responses = futures_util::future::join_all(attempts).await;
    let mut busy = 0;
    for r in responses {
        match r.status() {
            StatusCode::CREATED => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(r.headers().contains_key("retry-after"));
                assert_problem(r, 503).await;
                busy += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        busy > 0,
        "twelve concurrent hashes on one slot never waited past 1 ms"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let app = spawn_app_with(&[
        ("TRUSTED_PROXIES", "127.0.0.1/32"),
        ("LOGIN_RATE_LIMIT_PER_MINUTE", "1"),
        ("LOGIN_RATE_LIMIT_BURST", "1"),
    ])
    .await;
    assert_eq!(
        app.login_status_from("198.51.100.1").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.login_status_from("198.51.100.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        app.login_status_from("198.51.100.2").await,
        StatusCode::BAD_REQUEST
    );
    // One IPv6 /64 is one client.
    assert_eq!(
        app.login_status_from("2001:db8:0:1::1").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.login_status_from("2001:db8:0:1::2").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn without_trusted_proxies_x_forwarded_for_is_ignored() {
    let app = spawn_app_with(&[
        ("LOGIN_RATE_LIMIT_PER_MINUTE", "1"),
        ("LOGIN_RATE_LIMIT_BURST", "1"),
    ])
    .await;
    assert_eq!(
        app.login_status_from("198.51.100.1").await,
        StatusCode::BAD_REQUEST
    );
    // A made-up header does not buy a new budget.
    assert_eq!(
        app.login_status_from("198.51.100.2").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}
