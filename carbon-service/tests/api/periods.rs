//! Reporting periods: a locked fiscal year refuses every write that would
//! change its usages, from every route that writes one, until the owner
//! unlocks it with a reason; locks, unlocks and settings are audited.

use std::time::{Duration, Instant};

use chrono::Datelike;
use common::ids::OrgId;
use common::org::OrgRole;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// An organization with an owner, an admin and an editor, and one usage
/// in FY2025 (a calendar year by default) and one in FY2026.
struct Org {
    owner: TestUser,
    admin: TestUser,
    editor: TestUser,
    in_2025: String,
    in_2026: String,
}

async fn org(app: &TestApp) -> Org {
    let org = OrgId::new();
    let editor = TestUser::member(org, OrgRole::Editor);
    let in_2025 = app
        .created_usage(&editor, 10.0, 100, "2025-06-01T00:00:00Z")
        .await;
    let in_2026 = app
        .created_usage(&editor, 20.0, 100, "2026-02-01T00:00:00Z")
        .await;
    Org {
        owner: TestUser::member(org, OrgRole::Owner),
        admin: TestUser::member(org, OrgRole::Admin),
        editor,
        in_2025: in_2025["id"].as_str().unwrap().to_owned(),
        in_2026: in_2026["id"].as_str().unwrap().to_owned(),
    }
}

async fn lock(app: &TestApp, who: &TestUser, name: &str) -> reqwest::Response {
    app.post(&format!("/periods/{name}/lock"), who).sent().await
}

async fn unlock(app: &TestApp, who: &TestUser, name: &str, reason: &str) -> reqwest::Response {
    app.post(&format!("/periods/{name}/unlock"), who)
        .json(&json!({"reason": reason}))
        .sent()
        .await
}

async fn refused_naming_fy2025(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let problem: Value = response.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("FY2025"),
        "{problem}"
    );
}

#[tokio::test]
async fn settings_default_to_calendar_years_and_a_five_percent_threshold() {
    let app = spawn_app().await;
    let owner = TestUser::new();
    let settings: Value = app.get("/inventory/settings", &owner).json_body().await;
    assert_eq!(
        settings,
        json!({"fiscal_year_start_month": 1, "base_year": null, "significance_threshold_percent": 5.0})
    );
    let stored: Value = app
        .put("/inventory/settings", &owner)
        .json(&json!({"fiscal_year_start_month": 7, "base_year": 2024, "significance_threshold_percent": 2.5}))
        .json_body()
        .await;
    assert_eq!(stored["fiscal_year_start_month"], 7);
    let periods: Value = app.get("/periods", &owner).json_body().await;
    let base = periods
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["is_base_year"] == true)
        .unwrap();
    // July starts: 2024 is mostly in the fiscal year ending June 2025.
    assert_eq!(base["name"], "FY2025");
    assert_eq!(base["from"], "2024-07-01T00:00:00Z");
    let bad = app
        .put("/inventory/settings", &owner)
        .json(&json!({"fiscal_year_start_month": 13, "significance_threshold_percent": 0}))
        .sent()
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_periods_list_holds_every_fiscal_year_with_usages_newest_first() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let periods: Value = app.get("/periods", &org.editor).json_body().await;
    let names: Vec<&str> = periods
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.ends_with(&["FY2026", "FY2025"]), "{names:?}");
    assert!(
        periods
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "open")
    );
}

#[tokio::test]
async fn a_locked_period_refuses_creates_changes_moves_deletes_imports_and_erasure() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let locked: Value = lock(&app, &org.admin, "FY2025").await.json().await.unwrap();
    assert_eq!(locked["status"], "locked");

    let create = app
        .create_usage(
            &org.editor,
            json!({"amount": 1, "usage_type_id": 100, "usage_at": "2025-03-01T00:00:00Z"}),
        )
        .await;
    refused_naming_fy2025(create).await;
    refused_naming_fy2025(
        app.put_usage(&org.editor, &org.in_2025, json!({"amount": 11}))
            .await,
    )
    .await;
    // Moving a usage out of it, or into it.
    refused_naming_fy2025(
        app.put_usage(
            &org.editor,
            &org.in_2025,
            json!({"usage_at": "2026-03-01T00:00:00Z"}),
        )
        .await,
    )
    .await;
    refused_naming_fy2025(
        app.put_usage(
            &org.editor,
            &org.in_2026,
            json!({"usage_at": "2025-03-01T00:00:00Z"}),
        )
        .await,
    )
    .await;
    refused_naming_fy2025(app.delete_usage(&org.editor, &org.in_2025).await).await;
    let csv =
        "usage_at,usage_type_id,amount\n2026-01-05T00:00:00Z,100,1\n2025-12-31T23:59:59Z,100,2\n";
    refused_naming_fy2025(app.import_csv(&org.editor, csv).await).await;
    refused_naming_fy2025(app.delete("/usages?confirm=true", &org.owner).sent().await).await;
    refused_naming_fy2025(app.delete("/org?confirm=true", &org.owner).sent().await).await;
    let instrument = app
        .post("/instruments", &org.admin)
        .json(&json!({"kind": "certificate", "scheme": "REC", "region": "US",
            "from": "2025-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z", "amount": 600, "unit": "kWh"}))
        .sent()
        .await;
    refused_naming_fy2025(instrument).await;
    let restart = app
        .put("/inventory/settings", &org.admin)
        .json(&json!({"fiscal_year_start_month": 4}))
        .sent()
        .await;
    refused_naming_fy2025(restart).await;

    // Outside the period, writes go on.
    assert_eq!(
        app.put_usage(&org.editor, &org.in_2026, json!({"amount": 21}))
            .await
            .status(),
        200
    );
    let usages = app.usages_of(&org.editor, "").await;
    assert_eq!(usages.len(), 2);
}

#[tokio::test]
async fn locking_takes_an_admin_or_owner_with_a_fresh_login_and_records_the_trail_head() {
    let app = spawn_app().await;
    let org = org(&app).await;
    assert_eq!(
        lock(&app, &org.editor, "FY2025").await.status(),
        StatusCode::FORBIDDEN
    );
    let stale = TestUser::logged_in_ago(3_600);
    assert_eq!(
        lock(&app, &stale, "FY2025").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        lock(&app, &org.admin, "2025").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let head_before: Value = app.get("/audit/verify", &org.owner).json_body().await;
    let locked: Value = lock(&app, &org.admin, "FY2025").await.json().await.unwrap();
    assert_eq!(locked["head"]["hash"], head_before["head"]["hash"]);
    assert_eq!(
        lock(&app, &org.owner, "FY2025").await.status(),
        StatusCode::CONFLICT
    );
    let page: Value = app
        .get("/audit?entity=period", &org.owner)
        .json_body()
        .await;
    let entry = &page["entries"][0];
    assert_eq!(entry["header"]["action"], "lock");
    assert_eq!(entry["header"]["entity_id"], "FY2025");
    assert_eq!(
        entry["payload"]["head"]["hash"],
        head_before["head"]["hash"]
    );
}

#[tokio::test]
async fn a_period_that_has_not_ended_cannot_be_locked_yet() {
    let app = spawn_app().await;
    let org = org(&app).await;
    // Calendar years by default: the current one ends on 31 December.
    let year = chrono::Utc::now().year();
    for name in [format!("FY{year}"), format!("FY{}", year + 1)] {
        let response = lock(&app, &org.owner, &name).await;
        assert_eq!(response.status(), StatusCode::CONFLICT, "{name}");
        let problem: Value = response.json().await.unwrap();
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(&name), "{problem}");
        assert!(detail.contains("-12-31"), "{problem}");
    }
    let periods: Vec<Value> = app.get("/periods", &org.owner).json_body().await;
    let current = periods
        .iter()
        .find(|p| p["name"] == format!("FY{year}"))
        .unwrap();
    assert_eq!(current["status"], "open");
    assert!(current["locked_at"].is_null(), "{current}");
    let trail: Value = app
        .get("/audit?entity=period", &org.owner)
        .json_body()
        .await;
    assert_eq!(trail["entries"], json!([]));
}

#[tokio::test]
async fn a_period_name_that_is_not_fy_and_a_year_is_422_naming_it_before_the_body() {
    let app = spawn_app().await;
    let owner = TestUser::member(OrgId::new(), OrgRole::Owner);
    for response in [
        lock(&app, &owner, "2025").await,
        // The blank reason would be refused too: the name is checked first.
        unlock(&app, &owner, "FY25", " ").await,
    ] {
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "name", "{problem}");
        assert_eq!(problem["errors"].as_array().unwrap().len(), 1, "{problem}");
    }
}

#[tokio::test]
async fn unlocking_takes_the_owner_a_reason_and_a_fresh_login_and_is_audited() {
    let app = spawn_app().await;
    let org = org(&app).await;
    lock(&app, &org.admin, "FY2025").await;
    assert_eq!(
        unlock(&app, &org.admin, "FY2025", "typo").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        unlock(&app, &org.owner, "FY2025", "  ").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let reason = "Invoice 4471 was entered twice";
    let opened: Value = unlock(&app, &org.owner, "FY2025", reason)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(opened["status"], "open");
    assert_eq!(opened["unlock_reason"], reason);
    assert_eq!(
        unlock(&app, &org.owner, "FY2025", reason).await.status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.put_usage(&org.editor, &org.in_2025, json!({"amount": 12}))
            .await
            .status(),
        200
    );
    let page: Value = app
        .get("/audit?action=unlock", &org.owner)
        .json_body()
        .await;
    let entry = &page["entries"][0];
    assert_eq!(entry["payload"]["reason"], reason);
    assert_eq!(entry["header"]["actor"]["role"], "owner");
}

#[tokio::test]
async fn the_summary_of_a_period_says_whether_it_is_locked() {
    let app = spawn_app().await;
    let org = org(&app).await;
    lock(&app, &org.admin, "FY2025").await;
    let summary = app.summary_of(&org.editor, "?period=FY2025").await;
    assert_eq!(summary["period"], json!({"name": "FY2025", "locked": true}));
    assert_eq!(summary["usage_count"], 1);
    assert_eq!(summary["from"], "2025-01-01T00:00:00Z");
    let open = app.summary_of(&org.editor, "?period=FY2026").await;
    assert_eq!(open["period"]["locked"], false);
    // With `from`, the part of the period after it.
    let part = app
        .summary_of(&org.editor, "?period=FY2025&from=2025-07-01T00:00:00Z")
        .await;
    assert_eq!(part["usage_count"], 0);
    assert_eq!(part["from"], "2025-07-01T00:00:00Z");
    assert_eq!(part["to"], "2026-01-01T00:00:00Z");
}

/// Creates in FY2025 keep arriving while an admin locks it: every create
/// the service acknowledged committed before the lock (its audit entry
/// comes before the lock's), every later one is refused, none is lost.
#[tokio::test]
async fn a_lock_racing_writes_lets_none_commit_into_the_locked_period() {
    let app = spawn_app_with(&[("USAGE_WRITE_RATE_LIMIT_PER_MINUTE", "0")]).await;
    let org = org(&app).await;
    let began = Instant::now();
    let writers: Vec<_> = (0..6)
        .map(|n| {
            let (url, token) = (app.url("/usages"), org.editor.token.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut answers = Vec::new();
                while began.elapsed() < Duration::from_millis(1_500) {
                    let sent = began.elapsed();
                    let status = http
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({"amount": 1 + n, "usage_type_id": 100, "usage_at": "2025-06-01T00:00:00Z"}))
                        .send()
                        .await
                        .unwrap()
                        .status();
                    answers.push((sent, began.elapsed(), status));
                }
                answers
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let lock_sent = began.elapsed();
    assert_eq!(
        lock(&app, &org.admin, "FY2025").await.status(),
        StatusCode::OK
    );
    let lock_done = began.elapsed();
    let mut answers = Vec::new();
    for writer in writers {
        answers.extend(writer.await.unwrap());
    }
    // The race happened: creates were acknowledged while the lock was in
    // flight or just before, and creates sent before it finished were
    // refused.
    let created = answers
        .iter()
        .filter(|a| a.2 == StatusCode::CREATED)
        .count();
    let refused = answers
        .iter()
        .filter(|a| a.2 == StatusCode::CONFLICT)
        .count();
    assert!(
        answers
            .iter()
            .all(|a| a.2 == StatusCode::CREATED || a.2 == StatusCode::CONFLICT)
    );
    assert!(
        answers
            .iter()
            .any(|a| a.2 == StatusCode::CREATED && a.1 > lock_sent - Duration::from_millis(50))
            && answers
                .iter()
                .any(|a| a.2 == StatusCode::CONFLICT && a.0 < lock_done),
        "no write overlapped the lock ({created} created, {refused} refused)"
    );
    // Every acknowledged create is stored, and committed before the lock.
    let stored = app.summary_of(&org.editor, "?period=FY2025").await;
    assert_eq!(stored["usage_count"], 1 + created as u64);
    let trail = app
        .get("/audit/export", &org.owner)
        .sent()
        .await
        .text()
        .await
        .unwrap();
    let entries: Vec<Value> = trail
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let lock_seq = entries
        .iter()
        .position(|e| e["header"]["action"] == "lock")
        .unwrap();
    let creates_after_lock = entries[lock_seq..]
        .iter()
        .filter(|e| {
            e["header"]["action"] == "create"
                && e["payload"]["after"]["usage_at"]
                    .as_str()
                    .unwrap()
                    .starts_with("2025")
        })
        .count();
    assert_eq!(creates_after_lock, 0);
}
