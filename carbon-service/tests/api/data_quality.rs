//! Data quality and evidence: each usage may say how its amount was
//! obtained and cite an invoice or document; the summary reports the share
//! of CO₂e by quality, and the CSV carries both, in and out.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_usage_keeps_its_data_quality_and_evidence_and_a_change_can_clear_them() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let created = app
        .created_usage_from(
            &user,
            json!({"amount": 5, "usage_type_id": 100, "usage_at": "2026-03-01T00:00:00Z",
                "data_quality": "measured", "evidence": "INV-2026-0412"}),
        )
        .await;
    assert_eq!(created["data_quality"], "measured");
    assert_eq!(created["evidence"], "INV-2026-0412");
    let id = created["id"].as_str().unwrap();
    let changed: Value = app
        .put_usage(
            &user,
            id,
            json!({"data_quality": "estimated", "evidence": ""}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(changed["data_quality"], "estimated");
    assert!(changed.get("evidence").is_none());
}

#[tokio::test]
async fn an_unknown_quality_or_an_overlong_evidence_is_named() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let refused = app
        .create_usage(
            &user,
            json!({"amount": 5, "usage_type_id": 100, "data_quality": "guessed", "evidence": "x".repeat(501)}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = refused.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["data_quality", "evidence"]);
}

#[tokio::test]
async fn the_summary_gives_the_share_of_co2e_by_data_quality() {
    let app = spawn_app().await;
    let user = TestUser::new();
    for (amount, quality) in [(3.0, Some("measured")), (1.0, None)] {
        let mut body =
            json!({"amount": amount, "usage_type_id": 100, "usage_at": "2026-03-01T00:00:00Z"});
        if let Some(q) = quality {
            body["data_quality"] = json!(q);
        }
        app.created_usage_from(&user, body).await;
    }
    let summary = app.summary_of(&user, "").await;
    let lines = summary["by_data_quality"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["data_quality"], "measured");
    assert!(close(lines[0]["share_percent"].as_f64().unwrap(), 75.0));
    assert_eq!(lines[1]["data_quality"], Value::Null);
    assert!(close(lines[1]["share_percent"].as_f64().unwrap(), 25.0));
}

#[tokio::test]
async fn the_csv_carries_quality_and_evidence_in_and_out() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let csv = "usage_at,usage_type_id,amount,data_quality,evidence\n\
        2026-01-05T00:00:00Z,100,10,measured,INV-1\n\
        2026-01-06T00:00:00Z,100,20,spend_based,=HYPERLINK(\"x\")\n";
    assert_eq!(
        app.import_csv(&user, csv).await.status(),
        StatusCode::CREATED
    );
    let exported = app.export(&user, "", None).await.text().await.unwrap();
    let header = exported.lines().next().unwrap();
    assert!(header.ends_with(",data_quality,evidence"));
    assert!(exported.contains(",measured,INV-1"));
    // A formula is neutralized for spreadsheets, and imports back as given.
    assert!(exported.contains(",spend_based,\"'=HYPERLINK(\"\"x\"\")\""));
    let other = TestUser::new();
    assert_eq!(
        app.import_csv(&other, &exported).await.status(),
        StatusCode::CREATED
    );
    let evidence: Vec<Value> = app
        .usages_of(&other, "")
        .await
        .iter()
        .map(|u| u["evidence"].clone())
        .collect();
    assert!(
        evidence.contains(&json!("=HYPERLINK(\"x\")")),
        "{evidence:?}"
    );
    let bad = "usage_at,usage_type_id,amount,data_quality\n2026-01-05T00:00:00Z,100,10,maybe\n";
    assert_eq!(
        app.import_csv(&user, bad).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn the_trail_keeps_the_evidence_after_an_erasure() {
    let app = spawn_app().await;
    let user = TestUser::new();
    app.created_usage_from(
        &user,
        json!({"amount": 5, "usage_type_id": 100, "usage_at": "2026-03-01T00:00:00Z", "evidence": "INV-7"}),
    )
    .await;
    assert_eq!(app.erase(&user).await.status(), StatusCode::NO_CONTENT);
    let trail = app
        .get("/audit/export", &user)
        .sent()
        .await
        .text()
        .await
        .unwrap();
    assert!(trail.lines().any(|l| l.contains("\"evidence\":\"INV-7\"")));
}
