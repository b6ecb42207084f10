//! Whole writes: an import is all or nothing even when the database or the
//! service dies while its rows go in; a deployment without transactions is
//! refused at start-up; `verify-rollups` finds and repairs a difference.
//! Each test owns its SecantusDB process (a single-node replica set).

use std::process::Command;
use std::time::Duration;

use common::testing::RequestExt;
use e2e::*;
use reqwest::StatusCode;
use serde_json::Value;

const ROWS: usize = 10_000;

fn env_for(uri: &str) -> Vec<(&'static str, String)> {
    vec![
        ("JWT_SECRET", SECRET.to_owned()),
        ("MONGODB_URI", uri.to_owned()),
        // Shows each batch an import inserts inside its transaction.
        (
            "RUST_LOG",
            "info,carbon_service::storage::usages=debug".to_owned(),
        ),
    ]
}

fn as_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn csv_rows(rows: usize) -> String {
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap();
    let mut csv = String::from("usage_at,usage_type_id,amount\n");
    for i in 0..rows {
        let at = start + chrono::Duration::minutes(i as i64);
        csv.push_str(&format!("{},100,1.5\n", at.to_rfc3339()));
    }
    csv
}

/// Sends an import of [`ROWS`] rows as the owner of `token`.
fn import_rows(
    carbon: &Service,
    token: &str,
) -> impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + use<> {
    reqwest::Client::new()
        .post(carbon.url("/usages/import"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv_rows(ROWS))
        .timeout(Duration::from_secs(90))
        .send()
}

const BATCH_LOGGED: &str = "batch of usages inserted, not yet committed";

/// Waits until the import has inserted its first batch inside its
/// transaction (polled every 50 ms, within the import's few hundred).
async fn first_batch_inserted(carbon: &Service) {
    let seen = common::testing::poll_until(Duration::from_secs(30), async || {
        tokio::time::sleep(Duration::from_millis(2)).await;
        carbon.logs().contains(BATCH_LOGGED).then_some(())
    })
    .await;
    assert!(seen.is_some(), "the import never inserted a batch");
}

/// The caller's stored usages by the list's total and by the summary.
async fn stored_and_summed(carbon: &Service, token: &str) -> (u64, u64) {
    let client = reqwest::Client::new();
    let list = client
        .get(carbon.url("/usages?limit=1&include_total=true"))
        .bearer_auth(token)
        .sent()
        .await;
    assert_eq!(list.status(), StatusCode::OK);
    let stored = list.headers()["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let summary: Value = client
        .get(carbon.url("/usages/summary"))
        .bearer_auth(token)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    (stored, summary["usage_count"].as_u64().unwrap())
}

fn verify_rollups(uri: &str, repair: bool) -> std::process::Output {
    let mut command = Command::new(binary("carbon-service"));
    command
        .arg("verify-rollups")
        .env_clear()
        .env("JWT_SECRET", SECRET)
        .env("MONGODB_URI", uri);
    if repair {
        command.arg("--repair");
    }
    command.output().expect("verify-rollups runs")
}

#[tokio::test]
async fn a_database_killed_mid_import_keeps_none_or_all_of_its_rows() {
    let mut db = TestMongo::start().await;
    let uri = db.uri("carbon");
    seed_uri(&uri);
    let env = env_for(&uri);
    let carbon = Service::start("carbon-service", &as_refs(&env)).await;
    let token = common::testing::mint_token(SECRET, uuid::Uuid::new_v4(), false);
    let import = import_rows(&carbon, &token);
    let kill = async {
        first_batch_inserted(&carbon).await;
        db.stop();
    };
    let (answer, ()) = futures_util::future::join(import, kill).await;
    // The race happened: the database died after rows went in, before the
    // import committed.
    let status = answer.map(|r| r.status());
    assert!(
        !matches!(status, Ok(StatusCode::CREATED)),
        "the import committed before the database was killed"
    );

    db.resume().await;
    eventually(
        Duration::from_secs(60),
        "the service reading again",
        async || {
            let list = reqwest::Client::new()
                .get(carbon.url("/usages?limit=1"))
                .bearer_auth(&token)
                .send()
                .await
                .ok()?;
            (list.status() == StatusCode::OK).then_some(())
        },
    )
    .await;
    let (stored, summed) = stored_and_summed(&carbon, &token).await;
    assert!(
        stored == 0 || stored == ROWS as u64,
        "{stored} of {ROWS} rows are stored"
    );
    assert_eq!(summed, stored, "the rollups disagree with the usages");
    let verified = verify_rollups(&uri, false);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

#[tokio::test]
async fn a_service_killed_mid_import_keeps_none_or_all_of_its_rows() {
    let db = TestMongo::start().await;
    let uri = db.uri("carbon");
    seed_uri(&uri);
    let env = env_for(&uri);
    let mut carbon = Service::start("carbon-service", &as_refs(&env)).await;
    let token = common::testing::mint_token(SECRET, uuid::Uuid::new_v4(), false);
    let import = import_rows(&carbon, &token);
    let kill = async {
        first_batch_inserted(&carbon).await;
        carbon.kill();
    };
    let (answer, ()) = futures_util::future::join(import, kill).await;
    assert!(
        answer.is_err(),
        "the import was answered before the service was killed"
    );

    let carbon = Service::start("carbon-service", &as_refs(&env)).await;
    let (stored, summed) = stored_and_summed(&carbon, &token).await;
    assert!(
        stored == 0 || stored == ROWS as u64,
        "{stored} of {ROWS} rows are stored"
    );
    assert_eq!(summed, stored, "the rollups disagree with the usages");
}

#[tokio::test]
async fn both_services_refuse_a_database_without_transactions_naming_mongodb_uri() {
    let db = TestMongo::start_standalone().await;
    for name in ["carbon-service", "user-service"] {
        let uri = db.uri("standalone");
        let mut service = Service::spawn(
            name,
            &[
                ("JWT_SECRET", SECRET),
                ("MONGODB_URI", uri.as_str()),
                ("MAIL_TRANSPORT", "log"),
            ],
        );
        let status = service
            .wait_exit(Duration::from_secs(60))
            .await
            .unwrap_or_else(|| panic!("{name} kept running on a standalone server"));
        assert!(!status.success(), "{name} exited {status}");
        let logs = service.logs();
        assert!(
            logs.contains("MONGODB_URI") && logs.contains("replica set"),
            "{name}: {logs}"
        );
    }
}

#[tokio::test]
async fn verify_rollups_reports_a_difference_and_repairs_it() {
    let db = TestMongo::start().await;
    let uri = db.uri("carbon");
    seed_uri(&uri);
    let env = env_for(&uri);
    let carbon = Service::start("carbon-service", &as_refs(&env)).await;
    let token = common::testing::mint_token(SECRET, uuid::Uuid::new_v4(), false);
    let r = reqwest::Client::new()
        .post(carbon.url("/usages/import"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv_rows(50))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let clean = verify_rollups(&uri, false);
    assert!(clean.status.success());

    // A rollup changed behind the service's back.
    let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
    client
        .database("carbon")
        .collection::<bson::Document>("org_rollups")
        .update_one(
            bson::doc! {},
            bson::doc! {"$inc": {"usage_count": 3_i64, "co2e": 1.0}},
        )
        .await
        .unwrap();
    let found = verify_rollups(&uri, false);
    let report = String::from_utf8_lossy(&found.stdout);
    assert_eq!(found.status.code(), Some(1), "{report}");
    assert!(
        report.contains("1 rollups and 0 usage counts differ"),
        "{report}"
    );

    let repaired = verify_rollups(&uri, true);
    assert!(repaired.status.success());
    assert!(
        String::from_utf8_lossy(&repaired.stdout).contains("repaired 1 users"),
        "{}",
        String::from_utf8_lossy(&repaired.stdout)
    );
    assert!(verify_rollups(&uri, false).status.success());
}
