//! Database loss and recovery, start-up before the database, crashes and
//! graceful shutdown. Each test owns its SecantusDB process.

use common::testing::RequestExt;
use std::time::{Duration, Instant};

use e2e::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
    common::testing::mint_token(SECRET, uuid::Uuid::new_v4(), false)
}

#[tokio::test]
async fn a_lost_database_gives_fast_503s_and_the_service_recovers_without_a_restart() {
    let mut db = TestMongo::start().await;
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
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    db.stop();

    let started = Instant::now();
    let ready = client.get(carbon.url("/readyz")).sent().await;
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
        .sent()
        .await;
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
    eventually(Duration::from_secs(30), "recovery", async || {
        let r = client
            .get(carbon.url("/usages"))
            .bearer_auth(&token)
            .send()
            .await
            .ok()?;
        (r.status() == StatusCode::OK).then_some(())
    })
    .await;
    assert_eq!(
        client.get(carbon.url("/readyz")).sent().await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_service_started_before_its_database_retries_and_then_serves() {
    let mut db = TestMongo::start().await;
    db.stop();
    let uri = db.uri("users");
    let mut users = Service::spawn(
        "user-service",
        &[
            ("JWT_SECRET", SECRET),
            ("MONGODB_URI", uri.as_str()),
            ("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "300"),
            ("MAIL_TRANSPORT", "log"),
        ],
    );
    eventually(
        Duration::from_secs(20),
        "a logged connection attempt",
        async || {
            users
                .logs()
                .contains("database not reachable yet")
                .then_some(())
        },
    )
    .await;
    db.resume().await;
    users.wait_listening(Duration::from_secs(60)).await;
    users.wait_healthy(Duration::from_secs(30)).await;
    let r = reqwest::Client::new()
        .post(users.url("/auth/register"))
        .json(&json!({"email": unique_email(), "password": PASSWORD}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn after_a_sigkill_mid_load_every_acknowledged_write_is_there() {
    let db = TestMongo::start().await;
    let uri = db.uri("carbon");
    e2e::seed_uri(&uri);
    let env = carbon_env(&uri);
    let mut carbon = Service::start("carbon-service", &as_refs(&env)).await;
    let token = token();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (client, url, token) = (client.clone(), carbon.url("/usages"), token.clone());
            let acknowledged = acknowledged.clone();
            tokio::spawn(async move {
                for i in 0..400 {
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
                                let id = usage["id"].as_str().unwrap_or_default().to_owned();
                                acknowledged.lock().unwrap().push(id);
                            }
                        }
                        _ => break,
                    }
                }
            })
        })
        .collect();
    // Kill once the load is well under way, not after a fixed time.
    eventually(
        Duration::from_secs(30),
        "100 acknowledged writes",
        async || (acknowledged.lock().unwrap().len() >= 100).then_some(()),
    )
    .await;
    carbon.kill();
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let carbon = Service::start("carbon-service", &as_refs(&env)).await;
    for id in &acknowledged {
        let r = client
            .get(carbon.url(&format!("/usages/{id}")))
            .bearer_auth(&token)
            .sent()
            .await;
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "acknowledged usage {id} is missing"
        );
    }
    // Nothing half-written: every stored usage reads back whole through the API.
    let mut read = 0;
    let mut next = Some(carbon.url("/usages?limit=100"));
    while let Some(url) = next {
        let r = client.get(&url).bearer_auth(&token).sent().await;
        assert_eq!(r.status(), StatusCode::OK);
        next = r
            .headers()
            .get("x-next-cursor")
            .map(|c| carbon.url(&format!("/usages?limit=100&cursor={}", c.to_str().unwrap())));
        let page: Vec<Value> = r.json().await.unwrap();
        for usage in &page {
            assert!(
                usage["co2e"].is_number() && usage["usage_type"]["factor"].is_number(),
                "{usage}"
            );
        }
        read += page.len();
    }
    assert!(
        read >= acknowledged.len(),
        "{read} < {}",
        acknowledged.len()
    );
}

#[tokio::test]
async fn sigterm_finishes_a_request_in_flight_and_exits_zero() {
    let users_db = TestDatabase::new("e2e_sigterm");
    let mut users = start_users(&users_db, &[]).await;
    let body = json!({"email": unique_email(), "password": PASSWORD}).to_string();

    // Send the head of a request, with `Expect: 100-continue`: the server
    // answers "100 Continue" only once it has accepted the connection and
    // dispatched the request, which proves the request is in flight.
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", users.port))
        .await
        .unwrap();
    let head = format!(
        "POST /auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).await.unwrap();
    assert!(
        String::from_utf8_lossy(&interim).starts_with("HTTP/1.1 100 Continue"),
        "{}",
        String::from_utf8_lossy(&interim)
    );

    users.terminate();
    // The server is draining; the rest of the request must still be served.
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.1 201"),
        "the in-flight request was cut off: {response:?}"
    );

    let exit = users
        .wait_exit(Duration::from_secs(15))
        .await
        .expect("it exits within the shutdown timeout");
    assert_eq!(exit.code(), Some(0));
}
