//! Restatement: a small inventory restated under two datasets and two GWP
//! sets gives the differences worked out by hand, flags a base-year
//! change above the 5 % threshold, and tells a grid update from a change
//! of methodology.

use common::ids::OrgId;
use common::org::OrgRole;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

fn dataset_path(id: &str) -> String {
    format!("/datasets?id={id}&name={id}&publisher=Test&edition=1&licence=CC0&gwp_basis=AR5")
}

/// The factors the inventory was recorded with: boiler gas (scope 1,
/// 0.2 kg CO₂ and 0.00001 kg CH₄ per kWh) and grid electricity (scope 2,
/// 0.4 kg CO₂ per kWh).
const BASE: &str = "id,name,unit,scope,co2,ch4,factor_basis\n\
    9101,Boiler gas,kWh,1,0.2,0.00001,\n\
    9102,Grid,kWh,2,0.4,,location_based\n";
/// A new edition: 10 % more CO₂ for the boiler, a cleaner grid.
const NEXT: &str = "id,name,unit,scope,co2,ch4,factor_basis,replaces_type_id\n\
    9201,Boiler gas 2026,kWh,1,0.22,0.00001,,9101\n\
    9202,Grid 2026,kWh,2,0.3,,location_based,9102\n";
/// The same boiler factor, a cleaner grid only.
const GRID_ONLY: &str = "id,name,unit,scope,co2,ch4,factor_basis,replaces_type_id\n\
    9301,Boiler gas 2026,kWh,1,0.2,0.00001,,9101\n\
    9302,Grid 2026,kWh,2,0.3,,location_based,9102\n";

/// An organization whose base year is 2025, with 1,000 kWh of boiler gas
/// and 500 kWh of grid electricity in FY2025, and 10 units of example type
/// 100 (which no other dataset replaces).
async fn inventory(app: &TestApp) -> (OrgId, TestUser) {
    let superuser = TestUser::superuser();
    for (id, csv) in [
        ("restate-base", BASE),
        ("restate-next", NEXT),
        ("restate-grid", GRID_ONLY),
    ] {
        let r = app
            .post(&dataset_path(id), &superuser)
            .header("content-type", "text/csv")
            .body(csv)
            .sent()
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "{id}");
    }
    let org = OrgId::new();
    let owner = TestUser::member(org, OrgRole::Owner);
    app.put("/inventory/settings", &owner)
        .json(&serde_json::json!({"fiscal_year_start_month": 1, "base_year": 2025}))
        .sent()
        .await;
    app.created_usage(&owner, 1000.0, 9101, "2025-03-01T00:00:00Z")
        .await;
    app.created_usage(&owner, 500.0, 9102, "2025-04-01T00:00:00Z")
        .await;
    app.created_usage(&owner, 10.0, 100, "2025-05-01T00:00:00Z")
        .await;
    (org, owner)
}

async fn restate(app: &TestApp, who: &TestUser, query: &str) -> Value {
    let r = app
        .get(&format!("/inventory/restatement?period=FY2025{query}"), who)
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

fn total(side: &Value) -> f64 {
    side["total_co2e"].as_f64().unwrap()
}

#[tokio::test]
async fn a_new_edition_restates_by_type_and_flags_a_base_year_change_above_five_percent() {
    let app = spawn_app().await;
    let (_, owner) = inventory(&app).await;
    let other = 10.0 * factor_of(100);
    // Original (AR5): 200 kg CO₂ + 0.01 kg CH₄ × 28, and 200 kg CO₂.
    let original = 200.0 + 0.01 * 28.0 + 200.0 + other;
    // Restated: 220 + 0.01 × 28, and 150; type 100 keeps its figures.
    let restated = 220.0 + 0.01 * 28.0 + 150.0 + other;

    let answer = restate(&app, &owner, "&dataset=restate-next").await;
    assert!(close(total(&answer["original"]), original));
    assert!(close(total(&answer["restated"]), restated));
    assert!(close(
        answer["difference"]["co2e"].as_f64().unwrap(),
        restated - original
    ));
    let percent = (restated - original) / original * 100.0;
    assert!(close(
        answer["difference"]["percent"].as_f64().unwrap(),
        percent
    ));
    assert!(percent.abs() > 5.0);
    assert_eq!(answer["change"], "methodology");
    assert_eq!(answer["is_base_year"], true);
    assert_eq!(answer["significance"]["exceeds_threshold"], true);
    assert_eq!(answer["significance"]["recalculation_due"], true);
    // Scope 2 fell by 50, scope 1 rose by 20.
    let scope = |side: &Value, n: u64| {
        side["by_scope"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["scope"] == n)
            .unwrap()["co2e"]
            .as_f64()
            .unwrap()
    };
    assert!(close(
        scope(&answer["restated"], 2) - scope(&answer["original"], 2),
        -50.0
    ));
    assert!(close(
        scope(&answer["restated"], 1) - scope(&answer["original"], 1),
        20.0
    ));
    // The example usage had no match and is listed.
    assert_eq!(
        (
            answer["matched"].as_u64(),
            answer["unmatched_count"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(answer["unmatched"][0]["usage_type_id"], 100);
}

#[tokio::test]
async fn another_gwp_set_restates_the_same_factors_as_a_change_of_methodology() {
    let app = spawn_app().await;
    let (_, owner) = inventory(&app).await;
    let other = 10.0 * factor_of(100);
    let answer = restate(&app, &owner, "&gwp=AR6").await;
    // CH₄ at 27 (AR6) instead of 28 (AR5): 0.01 kg less by one.
    assert!(close(
        total(&answer["restated"]) - total(&answer["original"]),
        -0.01
    ));
    assert!(close(
        total(&answer["restated"]),
        200.0 + 0.01 * 27.0 + 200.0 + other
    ));
    assert_eq!(answer["change"], "methodology");
    assert_eq!(answer["significance"]["exceeds_threshold"], false);
    assert_eq!(answer["unmatched_count"], 0);
    // Both at once: the new edition under AR6.
    let both = restate(&app, &owner, "&dataset=restate-next&gwp=AR6").await;
    assert!(close(
        total(&both["restated"]),
        220.0 + 0.01 * 27.0 + 150.0 + other
    ));
}

#[tokio::test]
async fn a_cleaner_grid_alone_is_a_grid_update_that_calls_for_no_recalculation() {
    let app = spawn_app().await;
    let (_, owner) = inventory(&app).await;
    let answer = restate(&app, &owner, "&dataset=restate-grid").await;
    assert!(close(
        total(&answer["restated"]) - total(&answer["original"]),
        -50.0
    ));
    assert_eq!(answer["change"], "grid_update");
    assert_eq!(answer["significance"]["exceeds_threshold"], true);
    assert_eq!(answer["significance"]["recalculation_due"], false);
}

#[tokio::test]
async fn an_auditor_reads_a_restatement_and_the_stored_usages_never_change() {
    let app = spawn_app().await;
    let (org, owner) = inventory(&app).await;
    let before = app.usages_of(&owner, "").await;
    let auditor = TestUser::member(org, OrgRole::Auditor);
    let answer = restate(&app, &auditor, "&dataset=restate-next").await;
    assert_eq!(answer["usage_count"], 3);
    assert_eq!(app.usages_of(&owner, "").await, before);
    let unknown = app
        .get(
            "/inventory/restatement?period=FY2025&dataset=no-such",
            &auditor,
        )
        .sent()
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_malformed_period_dataset_or_gwp_set_is_422_naming_each_and_a_blank_dataset_is_one() {
    let app = spawn_app().await;
    let owner = TestUser::member(OrgId::new(), OrgRole::Owner);
    for (query, fields) in [
        (
            "period=2025&dataset=Bad_Id&gwp=AR9",
            vec!["period", "dataset", "gwp"],
        ),
        // What the schema forbids is refused, not read as "no dataset".
        ("period=FY2025&dataset=", vec!["dataset"]),
        ("period=FY2025&original_gwp=ar5x", vec!["original_gwp"]),
    ] {
        let r = app
            .get(&format!("/inventory/restatement?{query}"), &owner)
            .sent()
            .await;
        let problem = assert_problem(r, 422).await;
        assert_eq!(error_fields(&problem), fields, "{query}: {problem}");
    }
}
