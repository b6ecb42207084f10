//! Browser sessions: with `X-Token-Delivery: cookie` the refresh token
//! travels only in an HttpOnly cookie, never in a body page scripts read.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

fn refresh_cookie(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("refresh_token="))
        .expect("a refresh_token cookie")
        .to_owned()
}

fn cookie_value(set_cookie: &str) -> &str {
    set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.strip_prefix("refresh_token="))
        .unwrap()
}

#[tokio::test]
async fn cookie_delivery_keeps_the_refresh_token_out_of_the_body_and_rotates_it() {
    let app = spawn_app().await;
    app.register("ada@example.com", PASSWORD).await;
    let r = app
        .client
        .post(app.url("/auth/jwt/login"))
        .header("x-token-delivery", "cookie")
        .form(&[("username", "ada@example.com"), ("password", PASSWORD)])
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let set_cookie = refresh_cookie(&r);
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/auth/jwt", "Secure"] {
        assert!(
            set_cookie.contains(attribute),
            "{attribute} missing: {set_cookie}"
        );
    }
    let body: Value = r.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
    let first = cookie_value(&set_cookie).to_owned();

    let refresh = |cookie: String| {
        app.client
            .post(app.url("/auth/jwt/refresh"))
            .header("x-token-delivery", "cookie")
            .header("cookie", format!("refresh_token={cookie}"))
            .form(&[("grant_type", "refresh_token")])
            .send()
    };
    let r = refresh(first.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let second = cookie_value(&refresh_cookie(&r)).to_owned();
    assert_ne!(first, second);
    // The used one is reuse, as in the body flow.
    assert_oauth_error(refresh(first).await.unwrap(), "invalid_grant").await;
}

#[tokio::test]
async fn the_cookie_is_read_only_with_the_delivery_header() {
    let app = spawn_app().await;
    let (_, refresh_token, _) = app.signed_up("ada@example.com").await;
    // A cross-site form post cannot set the header: the cookie alone is ignored.
    let r = app
        .client
        .post(app.url("/auth/jwt/refresh"))
        .header("cookie", format!("refresh_token={refresh_token}"))
        .form(&[("grant_type", "refresh_token")])
        .sent()
        .await;
    assert_oauth_error(r, "invalid_request").await;
}

#[tokio::test]
async fn logout_with_the_cookie_alone_ends_that_session_and_clears_the_cookie() {
    let app = spawn_app().await;
    let (_, refresh_token, _) = app.signed_up("ada@example.com").await;
    // No access token: the web app's may have expired, or its refresh failed.
    let r = app
        .client
        .post(app.url("/auth/jwt/logout"))
        .header("x-token-delivery", "cookie")
        .header("cookie", format!("refresh_token={refresh_token}"))
        .json(&json!({}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(refresh_cookie(&r).contains("Max-Age=0"));
    assert_oauth_error(app.refresh(&refresh_token).await, "invalid_grant").await;
}

#[tokio::test]
async fn a_failed_logout_still_clears_the_cookie() {
    let app = spawn_app().await;
    for body in [
        json!({"refresh_token": ""}),
        json!({"all": true}),
        json!({}),
    ] {
        let r = app
            .client
            .post(app.url("/auth/jwt/logout"))
            .header("x-token-delivery", "cookie")
            .json(&body)
            .sent()
            .await;
        assert!(r.status().is_client_error(), "{body}");
        assert!(refresh_cookie(&r).contains("Max-Age=0"), "{body}");
    }
}
