//! The two services as separate processes, on separate databases, sharing
//! nothing but the JWT secret.

use common::testing::RequestExt;
use e2e::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_user_registers_logs_in_records_usages_and_reads_the_footprint_then_logs_out() {
    let pair = Pair::start().await;
    let client = reqwest::Client::new();
    let email = unique_email();
    let tokens = sign_up(&pair.users, &email).await;
    let access = tokens["access_token"].as_str().unwrap();

    for (amount, type_id, at) in [
        (100.0, 100, "2026-10-05T08:00:00Z"),
        (2.0, 101, "2026-11-02T08:00:00Z"),
    ] {
        let r = client
            .post(pair.carbon.url("/usages"))
            .bearer_auth(access)
            .json(&json!({"amount": amount, "usage_type_id": type_id, "usage_at": at}))
            .sent()
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let list = client
        .get(pair.carbon.url("/usages?include_total=true"))
        .bearer_auth(access)
        .sent()
        .await;
    assert_eq!(list.headers()["x-total-count"], "2");

    let summary: Value = client
        .get(pair.carbon.url("/usages/summary"))
        .bearer_auth(access)
        .json_body()
        .await;
    assert_eq!(summary["usage_count"], 2);
    assert!((summary["total_co2e"].as_f64().unwrap() - (150.0 + 2.0 * 26.93)).abs() < 1e-9);

    let refresh = |token: String| {
        let client = client.clone();
        let url = pair.users.url("/auth/jwt/refresh");
        async move {
            client
                .post(url)
                .form(&[("grant_type", "refresh_token"), ("refresh_token", &token)])
                .sent()
                .await
        }
    };
    let refreshed: Value = refresh(tokens["refresh_token"].as_str().unwrap().to_owned())
        .await
        .json()
        .await
        .unwrap();
    let new_access = refreshed["access_token"].as_str().unwrap();
    let new_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
    let r = client
        .get(pair.carbon.url("/usages"))
        .bearer_auth(new_access)
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    let r = client
        .post(pair.users.url("/auth/jwt/logout"))
        .bearer_auth(new_access)
        .json(&json!({"refresh_token": new_refresh}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let refused = refresh(new_refresh).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn carbon_service_refuses_a_token_signed_with_another_secret() {
    let pair = Pair::start().await;
    let other_db = TestDatabase::new("e2e_users_other");
    let impostor = start_users(
        &other_db,
        &[("JWT_SECRET", "a-different-secret-a-different-secret-xx")],
    )
    .await;
    let tokens = sign_up(&impostor, &unique_email()).await;
    let r = reqwest::Client::new()
        .get(pair.carbon.url("/usages"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
}

#[tokio::test]
async fn after_a_secret_rotation_old_and_new_tokens_both_work() {
    const NEW_SECRET: &str = "rotated-secret-rotated-secret-rotated-01";
    let mut pair = Pair::start().await;
    let email = unique_email();
    let old = sign_up(&pair.users, &email).await;

    // Restart both with the new secret, keeping the old one for verification.
    let rotated = [("JWT_SECRET", NEW_SECRET), ("JWT_PREVIOUS_SECRETS", SECRET)];
    pair.users.kill();
    pair.carbon.kill();
    let users = start_users(&pair.users_db, &rotated).await;
    let carbon = start_carbon(&pair.carbon_db, &users, &rotated).await;

    let new = login(&users, &email).await;
    let client = reqwest::Client::new();
    for token in [&old["access_token"], &new["access_token"]] {
        let r = client
            .get(carbon.url("/usages"))
            .bearer_auth(token.as_str().unwrap())
            .sent()
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    // New tokens are signed with the new secret only.
    let only_old = start_carbon(&TestDatabase::new("e2e_carbon_old"), &users, &[]).await;
    let r = client
        .get(only_old.url("/usages"))
        .bearer_auth(new["access_token"].as_str().unwrap())
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// `JWT_ALGORITHM=EdDSA`: user-service signs with its private key; carbon-
/// service holds only the public keys user-service publishes, and no secret
/// that could sign.
#[tokio::test]
async fn in_eddsa_mode_carbon_service_verifies_with_the_public_keys_only() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let dir = std::env::temp_dir().join(format!("e2e-eddsa-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let private = dir.join("jwt-private.pem");
    std::fs::write(&private, common::jwk::PrivateKey::generate_pem()).unwrap();
    let (users_db, carbon_db) = (
        TestDatabase::new("e2e_users"),
        TestDatabase::new("e2e_carbon"),
    );
    let users = start_users(
        &users_db,
        &[
            ("JWT_SECRET", ""),
            ("JWT_ALGORITHM", "EdDSA"),
            ("JWT_PRIVATE_KEY_FILE", private.to_str().unwrap()),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let jwks: Value = client
        .get(users.url("/.well-known/jwks.json"))
        .json_body()
        .await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    let public = dir.join("jwks.json");
    std::fs::write(&public, jwks.to_string()).unwrap();
    let carbon = start_carbon(
        &carbon_db,
        &users,
        &[
            ("JWT_SECRET", ""),
            ("JWT_ALGORITHM", "EdDSA"),
            ("JWT_PUBLIC_KEYS_FILE", public.to_str().unwrap()),
        ],
    )
    .await;
    seed(&carbon_db);

    let tokens = sign_up(&users, &unique_email()).await;
    let access = tokens["access_token"].as_str().unwrap();
    let r = client
        .post(carbon.url("/usages"))
        .bearer_auth(access)
        .json(&json!({"amount": 3, "usage_type_id": 100}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let me = client
        .get(users.url("/users/me"))
        .bearer_auth(access)
        .sent()
        .await;
    assert_eq!(me.status(), StatusCode::OK, "user-service verifies its own");

    // The same claims under HS256, keyed with the published public key.
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(access.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let x = jwks["keys"][0]["x"].as_str().unwrap();
    let forged =
        common::testing::sign_jwt(jsonwebtoken::Algorithm::HS256, Some("at+jwt"), x, &claims);
    for url in [carbon.url("/usages"), users.url("/users/me")] {
        let r = client.get(url).bearer_auth(&forged).sent().await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }

    // `user-service jwks` prints what the endpoint serves.
    let printed = std::process::Command::new(binary("user-service"))
        .arg("jwks")
        .env_clear()
        .env("JWT_ALGORITHM", "EdDSA")
        .env("JWT_PRIVATE_KEY_FILE", &private)
        .output()
        .unwrap();
    assert!(
        printed.status.success(),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&printed.stdout).unwrap(),
        jwks
    );
}
