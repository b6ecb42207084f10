//! The OWASP API Security Top 10 (2023), as tests against both services
//! running as processes. Each section names the risk it covers.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::testing::RequestExt;
use e2e::*;
use jsonwebtoken::Algorithm;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

fn claims(edit: impl FnOnce(&mut Value)) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({
        "sub": uuid::Uuid::new_v4(), "email": "x@example.com", "superuser": false,
        "aud": "carbon-platform", "iss": "user-service", "iat": now, "exp": now + 600,
        "jti": uuid::Uuid::new_v4(), "sgen": 0, "auth_time": now,
    });
    edit(&mut c);
    c
}

/// Signs as user-service does: an RFC 9068 access token (`typ: at+jwt`).
fn sign(alg: Algorithm, secret: &str, claims: &Value) -> String {
    sign_typed(alg, Some("at+jwt"), secret, claims)
}

fn sign_typed(alg: Algorithm, typ: Option<&str>, secret: &str, claims: &Value) -> String {
    common::testing::sign_jwt(alg, typ, secret, claims)
}

fn unsigned(header: &str, claims: &Value) -> String {
    format!("{}.{}.", B64.encode(header), B64.encode(claims.to_string()))
}

async fn status_with_token(client: &Client, url: &str, token: &str) -> StatusCode {
    client.get(url).bearer_auth(token).sent().await.status()
}

// API1: broken object-level authorization.
#[tokio::test]
async fn api1_another_users_usage_is_404_for_every_verb_and_unchanged() {
    let pair = Pair::start().await;
    let client = Client::new();
    let owner = sign_up(&pair.users, &unique_email()).await;
    let intruder = sign_up(&pair.users, &unique_email()).await;
    let owner_token = owner["access_token"].as_str().unwrap();
    let intruder_token = intruder["access_token"].as_str().unwrap();
    let usage: Value = client
        .post(pair.carbon.url("/usages"))
        .bearer_auth(owner_token)
        .json(&json!({"amount": 5, "usage_type_id": 100}))
        .json_body()
        .await;
    let url = pair
        .carbon
        .url(&format!("/usages/{}", usage["id"].as_str().unwrap()));
    for request in [
        client.get(&url),
        client.put(&url).json(&json!({"amount": 1})),
        client.delete(&url),
    ] {
        let r = request.bearer_auth(intruder_token).sent().await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    let after: Value = client.get(&url).bearer_auth(owner_token).json_body().await;
    assert_eq!(after, usage);
}

// API2: broken authentication.
#[tokio::test]
async fn api2_forged_expired_misaddressed_and_malformed_tokens_are_401_everywhere() {
    let pair = Pair::start().await;
    let client = Client::new();
    let valid = sign(Algorithm::HS256, SECRET, &claims(|_| {}));
    let now = chrono::Utc::now().timestamp();
    let bad_tokens = vec![
        (
            "alg none",
            unsigned(r#"{"alg":"none","typ":"JWT"}"#, &claims(|_| {})),
        ),
        (
            "HS512 with the right secret",
            sign(Algorithm::HS512, SECRET, &claims(|_| {})),
        ),
        ("RS256 header (key confusion)", {
            let parts: Vec<&str> = valid.split('.').collect();
            format!(
                "{}.{}.{}",
                B64.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
                parts[1],
                parts[2]
            )
        }),
        (
            "expired",
            sign(
                Algorithm::HS256,
                SECRET,
                &claims(|c| {
                    c["iat"] = json!(now - 7200);
                    c["exp"] = json!(now - 3600);
                }),
            ),
        ),
        (
            "not yet valid",
            sign(
                Algorithm::HS256,
                SECRET,
                &claims(|c| c["nbf"] = json!(now + 3600)),
            ),
        ),
        (
            "issued in the future",
            sign(
                Algorithm::HS256,
                SECRET,
                &claims(|c| c["iat"] = json!(now + 3600)),
            ),
        ),
        (
            "wrong audience",
            sign(
                Algorithm::HS256,
                SECRET,
                &claims(|c| c["aud"] = json!("another-app")),
            ),
        ),
        (
            "wrong issuer",
            sign(
                Algorithm::HS256,
                SECRET,
                &claims(|c| c["iss"] = json!("evil")),
            ),
        ),
        (
            "wrong secret",
            sign(
                Algorithm::HS256,
                "not-the-secret-not-the-secret-not-the",
                &claims(|_| {}),
            ),
        ),
        (
            "a plain JWT, not typed as an access token",
            sign_typed(Algorithm::HS256, Some("JWT"), SECRET, &claims(|_| {})),
        ),
        (
            "no typ at all",
            sign_typed(Algorithm::HS256, None, SECRET, &claims(|_| {})),
        ),
        (
            "living longer than ACCESS_TOKEN_MAX_TTL_SECONDS",
            sign(
                Algorithm::HS256,
                SECRET,
                &claims(|c| c["exp"] = json!(now + 3601)),
            ),
        ),
        (
            "a superuser claim living longer than five minutes",
            sign(
                Algorithm::HS256,
                SECRET,
                &claims(|c| c["superuser"] = json!(true)),
            ),
        ),
        (
            "a lifetime that overflows",
            sign(
                Algorithm::HS256,
                SECRET,
                &claims(|c| c["iat"] = json!(i64::MIN)),
            ),
        ),
        ("truncated", valid[..valid.len() - 8].to_owned()),
        ("garbage", "garbage".to_owned()),
        ("empty", String::new()),
    ];
    for (name, token) in &bad_tokens {
        for url in [
            pair.carbon.url("/usages"),
            pair.carbon.url("/usages/summary"),
            pair.users.url("/users/me"),
        ] {
            assert_eq!(
                status_with_token(&client, &url, token).await,
                StatusCode::UNAUTHORIZED,
                "{name} at {url}"
            );
        }
    }
    // The valid token works (its user is unknown to user-service's database).
    assert_eq!(
        status_with_token(&client, &pair.carbon.url("/usages"), &valid).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn api2_a_token_in_the_query_string_is_not_accepted() {
    let pair = Pair::start().await;
    let tokens = sign_up(&pair.users, &unique_email()).await;
    let token = tokens["access_token"].as_str().unwrap();
    let client = Client::new();
    for url in [
        pair.carbon.url(&format!("/usages?access_token={token}")),
        pair.users.url(&format!("/users/me?access_token={token}")),
    ] {
        assert_eq!(
            client.get(url).sent().await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn api2_login_answers_do_not_reveal_whether_an_email_exists() {
    let pair = Pair::start().await;
    let email = unique_email();
    sign_up(&pair.users, &email).await;
    let client = Client::new();
    let attempt = |username: String| {
        let client = client.clone();
        let url = pair.users.url("/auth/jwt/login");
        async move {
            let r = client
                .post(url)
                .form(&[
                    ("username", username.as_str()),
                    ("password", "wrong password!!"),
                ])
                .sent()
                .await;
            (r.status(), r.text().await.unwrap())
        }
    };
    assert_eq!(attempt(email).await, attempt(unique_email()).await);
    let forgot = |email: String| {
        let client = client.clone();
        let url = pair.users.url("/auth/forgot-password");
        async move {
            let r = client.post(url).json(&json!({"email": email})).sent().await;
            (r.status(), r.text().await.unwrap())
        }
    };
    assert_eq!(forgot(unique_email()).await.0, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn api2_a_deleted_users_token_is_refused_by_user_service() {
    let pair = Pair::start().await;
    let tokens = sign_up(&pair.users, &unique_email()).await;
    let token = tokens["access_token"].as_str().unwrap();
    let client = Client::new();
    let r = client
        .delete(pair.users.url("/users/me"))
        .bearer_auth(token)
        .json(&json!({"current_password": PASSWORD}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        status_with_token(&client, &pair.users.url("/users/me"), token).await,
        StatusCode::UNAUTHORIZED
    );
}

// API3: broken object-property-level authorization.
#[tokio::test]
async fn api3_mass_assignment_is_refused_and_no_secret_is_ever_returned() {
    let pair = Pair::start().await;
    let client = Client::new();
    for field in ["is_superuser", "is_active", "is_verified", "id"] {
        let r = client
            .post(pair.users.url("/auth/register"))
            .json(&json!({"email": unique_email(), "password": PASSWORD, field: true}))
            .sent()
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
    }
    let email = unique_email();
    let tokens = sign_up(&pair.users, &email).await;
    let token = tokens["access_token"].as_str().unwrap();
    let r = client
        .patch(pair.users.url("/users/me"))
        .bearer_auth(token)
        .json(&json!({"is_superuser": true, "current_password": PASSWORD}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["user_id", "co2e", "id", "created_at"] {
        let r = client
            .post(pair.carbon.url("/usages"))
            .bearer_auth(token)
            .json(&json!({"amount": 1, "usage_type_id": 100, field: "x"}))
            .sent()
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
    }
    let mut bodies = Vec::new();
    for url in [pair.users.url("/users/me")] {
        bodies.push(
            client
                .get(url)
                .bearer_auth(token)
                .sent()
                .await
                .text()
                .await
                .unwrap(),
        );
    }
    let refreshed = client
        .post(pair.users.url("/auth/jwt/refresh"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])
        .sent()
        .await
        .text()
        .await
        .unwrap();
    bodies.push(refreshed);
    for body in bodies {
        for secret in ["hashed_password", "$argon2", "token_hash", "family_id"] {
            assert!(!body.contains(secret), "{secret} leaked: {body}");
        }
    }
}

// API4: unrestricted resource consumption.
#[tokio::test]
async fn api4_limits_bodies_and_nesting_are_bounded() {
    let pair = Pair::start().await;
    let client = Client::new();
    let tokens = sign_up(&pair.users, &unique_email()).await;
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        status_with_token(&client, &pair.carbon.url("/usages?limit=1000"), token).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        client
            .get(pair.carbon.url("/types?limit=101"))
            .sent()
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let huge = format!(
        r#"{{"amount": 1, "usage_type_id": 100, "pad": "{}"}}"#,
        "x".repeat(64 * 1024)
    );
    let r = client
        .post(pair.carbon.url("/usages"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(huge)
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let deep = format!(
        r#"{{"amount": {}1{}, "usage_type_id": 100}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let r = client
        .post(pair.carbon.url("/usages"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(deep)
        .sent()
        .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    let nested = format!(
        r#"{{"amount": 1, "usage_type_id": {}1{}}}"#,
        "[".repeat(2000),
        "]".repeat(2000)
    );
    let r = client
        .post(pair.carbon.url("/usages"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(nested)
        .sent()
        .await;
    assert!(r.status().is_client_error());
    // Unharmed.
    assert_eq!(
        client
            .get(pair.carbon.url("/healthz"))
            .sent()
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn api4_a_login_flood_is_throttled_with_retry_after() {
    let db = TestDatabase::new("e2e_flood");
    let users = start_users(
        &db,
        &[
            ("LOGIN_RATE_LIMIT_PER_MINUTE", "10"),
            ("LOGIN_RATE_LIMIT_BURST", "5"),
        ],
    )
    .await;
    let client = Client::new();
    let mut limited = None;
    for _ in 0..20 {
        let r = client
            .post(users.url("/auth/jwt/login"))
            .form(&[("username", "a@example.com"), ("password", "whatever!")])
            .sent()
            .await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("the flood was never throttled");
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

// API5: broken function-level authorization.
#[tokio::test]
async fn api5_type_writes_and_admin_endpoints_refuse_normal_users() {
    let pair = Pair::start().await;
    let client = Client::new();
    let tokens = sign_up(&pair.users, &unique_email()).await;
    let token = tokens["access_token"].as_str().unwrap();
    let some_id = uuid::Uuid::new_v4();
    let requests = [
        client
            .post(pair.carbon.url("/types"))
            .json(&json!({"id": 900, "name": "x", "unit": "y", "factor": 1})),
        client
            .put(pair.carbon.url("/types/100"))
            .json(&json!({"name": "x", "unit": "y", "factor": 0})),
        client.delete(pair.carbon.url("/types/100")),
        client.get(pair.users.url("/users")),
        client.get(pair.users.url(&format!("/users/{some_id}"))),
        client
            .patch(pair.users.url(&format!("/users/{some_id}")))
            .json(&json!({"is_superuser": true})),
        client.delete(pair.users.url(&format!("/users/{some_id}"))),
    ];
    for request in requests {
        let r = request.bearer_auth(token).sent().await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{}", r.url());
    }
}

// API8: security misconfiguration.
#[tokio::test]
async fn api8_cors_headers_and_error_bodies_are_locked_down() {
    // An explicit list: the test does not lean on the default one.
    let pair = Pair::start_with(&[("CORS_ALLOWED_ORIGINS", "https://app.example.com")]).await;
    let client = Client::new();
    for service in [&pair.users, &pair.carbon] {
        let preflight = client
            .request(reqwest::Method::OPTIONS, service.url("/usages"))
            .header("origin", "https://evil.example")
            .header("access-control-request-method", "GET")
            .sent()
            .await;
        assert!(
            !preflight
                .headers()
                .contains_key("access-control-allow-origin")
        );
        let allowed = client
            .request(reqwest::Method::OPTIONS, service.url("/healthz"))
            .header("origin", "https://app.example.com")
            .header("access-control-request-method", "GET")
            .sent()
            .await;
        assert_eq!(
            allowed.headers()["access-control-allow-origin"],
            "https://app.example.com"
        );
        let r = client.get(service.url("/healthz")).sent().await;
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    }
    let tokens = client
        .post(pair.users.url("/auth/register"))
        .json(&json!({"email": unique_email(), "password": PASSWORD}))
        .sent()
        .await;
    assert_eq!(tokens.status(), StatusCode::CREATED);
    let login = client
        .post(pair.users.url("/auth/jwt/login"))
        .form(&[("username", "nobody@example.com"), ("password", "x")])
        .sent()
        .await;
    assert_eq!(login.headers()["cache-control"], "no-store");

    let hostile = [
        client
            .post(pair.carbon.url("/usages"))
            .header("content-type", "application/json")
            .body("{\"amount\": ]"),
        client.get(pair.carbon.url("/usages/%FF%FE")),
        client.get(pair.carbon.url("/types/99999999999999999999999")),
        client
            .post(pair.users.url("/auth/register"))
            .header("content-type", "application/json")
            .body("\u{0}\u{1}"),
        client
            .post(pair.users.url("/auth/jwt/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("%%%"),
    ];
    for request in hostile {
        let r = request.sent().await;
        assert!(r.status().is_client_error(), "{}", r.status());
        let body = r.text().await.unwrap();
        for leak in [
            "panicked",
            "Kind:",
            "mongodb",
            "serde",
            "RUST_BACKTRACE",
            "src/",
        ] {
            assert!(!body.contains(leak), "{leak} in {body}");
        }
    }
}
