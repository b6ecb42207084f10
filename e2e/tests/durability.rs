//! Load and crash: clients keep creating usages with `Idempotency-Key`s
//! while the database process is killed (SIGKILL) and started again. Every
//! usage the service acknowledged must still exist afterwards, exactly
//! once, the rollups must still equal the usages, and each usage has its
//! audit entry and each entry its usage (written in one transaction: both
//! or neither survive the kill). Bounded: about 15 s
//! of load on loopback, then the checks.

use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::time::{Duration, Instant};

use common::testing::RequestExt;
use e2e::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const CLIENTS: usize = 12;
/// Users the clients write as: several clients share each user, so group
/// commit batches several creates into one transaction.
const USERS: usize = 3;
const KILL_AT: Duration = Duration::from_secs(4);
const DOWN_FOR: Duration = Duration::from_secs(2);
/// When clients stop starting new creates (each then finishes its last).
const LOAD_FOR: Duration = Duration::from_secs(10);
/// The longest a client keeps retrying one key.
const RETRY_FOR: Duration = Duration::from_secs(60);

/// What one client saw.
#[derive(Default)]
struct Seen {
    /// key → the usage id of its 201.
    acknowledged: HashMap<String, String>,
    /// When each key's first attempt was sent and its 201 came, since
    /// the load began.
    acknowledged_at: Vec<(Duration, Duration)>,
    /// Answers other than 201 and transport failures, retried.
    failures: u64,
}

/// Creates usages with fresh keys until `LOAD_FOR` has passed, each retried
/// with its own key until it is answered 201.
async fn client(carbon_url: String, token: String, n: usize, began: Instant) -> Seen {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut seen = Seen::default();
    let mut i = 0;
    while began.elapsed() < LOAD_FOR {
        let key = format!("crash-{n}-{i}");
        let body = json!({"amount": 1.0 + i as f64, "usage_type_id": 100, "usage_at": "2026-03-15T12:00:00Z"});
        let started = Instant::now();
        let sent_at = began.elapsed();
        loop {
            assert!(
                started.elapsed() < RETRY_FOR,
                "key {key} was never answered"
            );
            let answer = http
                .post(format!("{carbon_url}/usages"))
                .bearer_auth(&token)
                .header("Idempotency-Key", &key)
                .json(&body)
                .send()
                .await;
            match answer {
                Ok(r) if r.status() == StatusCode::CREATED => {
                    let usage: Value = r.json().await.unwrap();
                    seen.acknowledged
                        .insert(key.clone(), usage["id"].as_str().unwrap().to_owned());
                    seen.acknowledged_at.push((sent_at, began.elapsed()));
                    break;
                }
                Ok(r) => {
                    // 503 (database gone), 409 (the key's first attempt is
                    // still settling): the same key again.
                    assert!(
                        matches!(r.status().as_u16(), 409 | 500..=599),
                        "unexpected answer {} for {key}",
                        r.status()
                    );
                    seen.failures += 1;
                }
                Err(_) => seen.failures += 1,
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        i += 1;
    }
    seen
}

/// The ids of the usages the caller's audit trail says were created, and
/// whether the chain verifies.
async fn audited_ids(carbon: &Service, token: &str) -> (Vec<String>, bool) {
    let trail = reqwest::Client::new()
        .get(carbon.url("/audit/export"))
        .bearer_auth(token)
        .sent()
        .await
        .text()
        .await
        .unwrap();
    let created = trail
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|e| e["header"]["action"] == "create" && e["header"]["entity"] == "usage")
        .map(|e| e["header"]["entity_id"].as_str().unwrap().to_owned())
        .collect();
    let verified: Value = reqwest::Client::new()
        .get(carbon.url("/audit/verify"))
        .bearer_auth(token)
        .json_body()
        .await;
    (created, verified["valid"] == true)
}

/// Every usage of the caller, by the export (JSON).
async fn stored_ids(carbon: &Service, token: &str) -> Vec<String> {
    let usages: Vec<Value> = reqwest::Client::new()
        .get(carbon.url("/usages/export"))
        .bearer_auth(token)
        .header("accept", "application/json")
        .json_body()
        .await;
    usages
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn acknowledged_usages_survive_a_killed_database_exactly_once() {
    let mut db = TestMongo::start().await;
    let uri = db.uri("carbon");
    seed_uri(&uri);
    let carbon = Service::start(
        "carbon-service",
        &[
            ("JWT_SECRET", SECRET),
            ("MONGODB_URI", uri.as_str()),
            ("USAGE_WRITE_RATE_LIMIT_PER_MINUTE", "0"),
        ],
    )
    .await;
    let tokens: Vec<String> = (0..USERS)
        .map(|_| common::testing::mint_token(SECRET, uuid::Uuid::new_v4(), false))
        .collect();

    let began = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            tokio::spawn(client(
                carbon.base.clone(),
                tokens[n % USERS].clone(),
                n,
                began,
            ))
        })
        .collect();
    tokio::time::sleep(KILL_AT).await;
    db.stop();
    let killed_at = began.elapsed();
    tokio::time::sleep(DOWN_FOR).await;
    db.resume().await;
    let back_at = began.elapsed();

    let mut acknowledged: Vec<HashMap<String, String>> = vec![HashMap::new(); USERS];
    let mut failures = 0;
    let mut times = Vec::new();
    for (n, task) in clients.into_iter().enumerate() {
        let seen = task.await.expect("a client finished");
        failures += seen.failures;
        times.extend(seen.acknowledged_at);
        acknowledged[n % USERS].extend(seen.acknowledged);
    }
    // The race happened: creates were acknowledged right up to the kill,
    // some were in flight across the outage (failed and retried, or held
    // by the driver until the server was back), and more came after.
    let before = times.iter().filter(|(_, at)| *at < killed_at).count();
    let just_before = times
        .iter()
        .filter(|(_, at)| *at < killed_at && *at + Duration::from_millis(500) > killed_at)
        .count();
    let across = times
        .iter()
        .filter(|(sent, at)| *sent < killed_at && *at > back_at)
        .count();
    let after = times.iter().filter(|(sent, _)| *sent > back_at).count();
    assert!(
        before > 100 && just_before > 0 && across > 0 && after > 0,
        "acknowledged: {before} before the kill ({just_before} in its last 0.5 s), \
         {across} sent before it and answered after the restart, {after} sent after; \
         {failures} failed attempts"
    );

    for (user, token) in tokens.iter().enumerate() {
        let ids = stored_ids(&carbon, token).await;
        let distinct: HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "a usage is listed twice");
        let lost: Vec<&String> = acknowledged[user]
            .values()
            .filter(|id| !distinct.contains(id))
            .collect();
        assert!(
            lost.is_empty(),
            "{} of {} acknowledged usages of user {user} are gone: {lost:?}",
            lost.len(),
            acknowledged[user].len()
        );
        // One usage per key: a retried key created nothing more.
        assert_eq!(
            ids.len(),
            acknowledged[user].len(),
            "user {user} has usages no key acknowledged"
        );
        let (mut audited, valid) = audited_ids(&carbon, token).await;
        let mut stored = ids.clone();
        audited.sort();
        stored.sort();
        assert_eq!(
            audited, stored,
            "user {user}: usages and their audit entries differ"
        );
        assert!(
            valid,
            "user {user}'s audit trail does not verify after the kill"
        );
    }

    let verified = Command::new(binary("carbon-service"))
        .arg("verify-rollups")
        .env_clear()
        .env("JWT_SECRET", SECRET)
        .env("MONGODB_URI", &uri)
        .output()
        .expect("verify-rollups runs");
    assert!(
        verified.status.success(),
        "verify-rollups found differences: {}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
}
