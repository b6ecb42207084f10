//! Database loss and recovery, start-up before the database, crashes and
//! graceful shutdown. Each test owns its FerretDB process.

use std::time::{Duration, Instant};

use e2e::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn carbon_env(uri: &str) -> Vec<(&'static str, String)> {
    vec![
        ("JWT_SECRET", SECRET.to_owned()),
        ("MONGODB_URI", uri.to_owned()),
    ]
}

fn as_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn token() -> String {
    // A token as user-service would sign it.
    let issuer = common::jwt::AccessTokenIssuer::new(
        &common::jwt::JwtSettings::with_secret(SECRET).unwrap(),
    );
    let subject = common::jwt::TokenSubject {
        user_id: uuid::Uuid::new_v4(),
        email: "f@example.com".into(),
        superuser: false,
    };
    issuer
        .issue(&subject, chrono::Duration::minutes(15))
        .unwrap()
        .token
}

#[tokio::test]
async fn a_lost_database_gives_fast_503s_and_the_service_recovers_without_a_restart() {
    let mut db = FerretDb::start().await;
    let uri = db.uri("carbon");
    let env = carbon_env(&uri);
    let carbon = Service::start("carbon-service", &as_refs(&env)).await;
    let token = token();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let r = client
        .get(carbon.url("/usages"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    db.stop();

    let started = Instant::now();
    let ready = client.get(carbon.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "readyz took {:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let data = client
        .get(carbon.url("/usages"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(data.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(data.headers()["content-type"], "application/problem+json");
    assert!(data.headers().contains_key("retry-after"));
    let body = data.text().await.unwrap();
    assert!(
        !body.contains("Kind") && !body.contains("127.0.0.1") && !body.contains("Server selection"),
        "{body}"
    );
    assert!(
        elapsed < Duration::from_secs(4),
        "a data request took {elapsed:?} with the database gone"
    );

    db.resume().await;
    let started = Instant::now();
    loop {
        let r = client
            .get(carbon.url("/usages"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::OK {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no recovery: {}",
            r.status()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        client
            .get(carbon.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_service_started_before_its_database_retries_and_then_serves() {
    let mut db = FerretDb::start().await;
    db.stop();
    let uri = db.uri("users");
    let users = Service::spawn(
        "user-service",
        free_port(),
        &[
            ("JWT_SECRET", SECRET),
            ("MONGODB_URI", uri.as_str()),
            ("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "300"),
        ],
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        users.logs().contains("database not reachable yet"),
        "each attempt is logged:\n{}",
        users.logs()
    );
    db.resume().await;
    users.wait_healthy(Duration::from_secs(30)).await;
    let r = reqwest::Client::new()
        .post(users.url("/auth/register"))
        .json(&json!({"email": unique_email(), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn after_a_sigkill_mid_load_every_acknowledged_write_is_there() {
    let db = FerretDb::start().await;
    let uri = db.uri("carbon");
    e2e::seed_uri(&uri);
    let env = carbon_env(&uri);
    let port = free_port();
    let mut carbon = Service::start_on("carbon-service", port, &as_refs(&env)).await;
    let token = token();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    let writers = (0..8).map(|w| {
        let (client, url, token) = (client.clone(), carbon.url("/usages"), token.clone());
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0..200 {
                let body = json!({"amount": i as f64, "usage_type_id": 100 + (w % 5)});
                match client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        if let Ok(usage) = r.json::<Value>().await {
                            acknowledged.push(usage["id"].as_str().unwrap_or_default().to_owned());
                        }
                    }
                    _ => break,
                }
            }
            acknowledged
        })
    });
    let writers: Vec<_> = writers.collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    carbon.kill();
    let mut acknowledged = Vec::new();
    for w in writers {
        acknowledged.extend(w.await.unwrap());
    }
    assert!(
        !acknowledged.is_empty(),
        "the load produced no writes before the kill"
    );

    let carbon = Service::start_on("carbon-service", free_port(), &as_refs(&env)).await;
    for id in &acknowledged {
        let r = client
            .get(carbon.url(&format!("/usages/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "acknowledged usage {id} is missing"
        );
    }
    // Nothing half-written: every stored usage reads back whole through the API.
    let total: u64 = client
        .get(carbon.url("/usages?limit=1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .headers()["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(total >= acknowledged.len() as u64);
    let mut offset = 0;
    while offset < total {
        let r = client
            .get(carbon.url(&format!("/usages?limit=100&offset={offset}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let page: Vec<Value> = r.json().await.unwrap();
        for usage in &page {
            assert!(
                usage["co2e"].is_number() && usage["usage_type"]["factor"].is_number(),
                "{usage}"
            );
        }
        offset += 100;
    }
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_and_exits_zero() {
    let users_db = TestDatabase::new("e2e_sigterm");
    let mut users = start_users(&users_db, &[]).await;
    let client = reqwest::Client::new();
    // Registrations hash a password on the blocking pool: slow enough to be in flight.
    let in_flight: Vec<_> = (0..6)
        .map(|_| {
            let (client, url) = (client.clone(), users.url("/auth/register"));
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&json!({"email": unique_email(), "password": PASSWORD}))
                    .send()
                    .await
                    .map(|r| r.status())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(40)).await;
    users.terminate();
    for request in in_flight {
        let status = request
            .await
            .unwrap()
            .expect("an in-flight request was cut off");
        assert_eq!(status, StatusCode::CREATED);
    }
    let exit = users
        .wait_exit(Duration::from_secs(15))
        .await
        .expect("it exits within the shutdown timeout");
    assert_eq!(exit.code(), Some(0));
}
