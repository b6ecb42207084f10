//! Contractual instruments and the market-based scope 2 figures: each
//! level of the Scope 2 Guidance's hierarchy, and a certificate used once.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// eGRID2023 US average (type 20000): 771.523 lb CO₂, 0.057 lb CH₄,
/// 0.008 lb N₂O per MWh, weighed under AR5.
fn grid_co2e_per_kwh() -> f64 {
    (771.523 + 0.057 * 28.0 + 0.008 * 265.0) * 0.45359237 / 1000.0
}

fn rec(kwh: f64) -> Value {
    json!({"kind": "certificate", "scheme": "REC", "region": "US",
        "from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z",
        "amount": kwh, "unit": "kWh", "reference": "WREGIS-123"})
}

async fn electricity(app: &TestApp, user: &TestUser, kwh: f64, at: &str) {
    app.created_usage_from(
        user,
        json!({"amount": kwh, "unit": "kWh", "usage_type_id": 20000, "usage_at": at}),
    )
    .await;
}

async fn instrument(app: &TestApp, user: &TestUser, body: Value) -> Value {
    let r = app.post("/instruments", user).json(&body).sent().await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

async fn summary(app: &TestApp, user: &TestUser, window: &str) -> Value {
    app.get(&format!("/usages/summary?{window}"), user)
        .json_body()
        .await
}

fn coverage(summary: &Value, level: &str) -> f64 {
    summary["scope2"]["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["level"] == level)
        .and_then(|c| c["energy_kwh"].as_f64())
        .unwrap()
}

fn market(summary: &Value) -> f64 {
    summary["scope2"]["market_based"]["co2e"].as_f64().unwrap()
}

const YEAR: &str = "from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z";

#[tokio::test]
async fn without_instruments_market_based_equals_location_based_flagged_as_a_fallback() {
    let app = spawn_app().await;
    app.seed_epa().await;
    let user = TestUser::new();
    electricity(&app, &user, 1000.0, "2026-03-10T00:00:00Z").await;
    let s = summary(&app, &user, YEAR).await;
    let location = s["scope2"]["location_based"]["co2e"].as_f64().unwrap();
    assert!(close(location, 1000.0 * grid_co2e_per_kwh()), "{s}");
    assert!(close(market(&s), location), "{s}");
    assert_eq!(coverage(&s, "location_based_fallback"), 1000.0);
    assert_eq!(coverage(&s, "certificates_and_ppas"), 0.0);
    assert!(close(
        s["total_co2e_market_based"].as_f64().unwrap(),
        location
    ));
}

#[tokio::test]
async fn a_rec_for_600_kwh_leaves_400_of_1000_at_the_grid_factor_and_nothing_is_added_twice() {
    let app = spawn_app().await;
    app.seed_epa().await;
    let user = TestUser::new();
    electricity(&app, &user, 1000.0, "2026-03-10T00:00:00Z").await;
    // And a scope 1 usage, which neither method touches.
    app.created_usage_from(
        &user,
        json!({"amount": 10, "usage_type_id": 10018, "usage_at": "2026-03-11T00:00:00Z"}),
    )
    .await;
    instrument(&app, &user, rec(600.0)).await;
    let s = summary(&app, &user, YEAR).await;
    assert_eq!(coverage(&s, "certificates_and_ppas"), 600.0);
    assert_eq!(coverage(&s, "location_based_fallback"), 400.0);
    let location = s["scope2"]["location_based"]["co2e"].as_f64().unwrap();
    assert!(close(market(&s), 400.0 * grid_co2e_per_kwh()), "{s}");
    let total = s["total_co2e"].as_f64().unwrap();
    assert!(close(
        total - location,
        s["total_co2e_market_based"].as_f64().unwrap() - market(&s)
    ));
    // total_co2e stays location-based: the same as without the REC.
    let scope1 = s["by_scope"][0]["co2e"].as_f64().unwrap();
    assert!(close(total, scope1 + location), "{s}");
}

#[tokio::test]
async fn a_certificate_is_used_once_across_usages_and_periods() {
    let app = spawn_app().await;
    app.seed_epa().await;
    let user = TestUser::new();
    electricity(&app, &user, 500.0, "2026-01-15T00:00:00Z").await;
    electricity(&app, &user, 500.0, "2026-02-15T00:00:00Z").await;
    instrument(&app, &user, rec(600.0)).await;
    let year = summary(&app, &user, YEAR).await;
    let january = summary(
        &app,
        &user,
        "from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z",
    )
    .await;
    // A window with a mid-month edge reads February's edge days' usages.
    let february = summary(
        &app,
        &user,
        "from=2026-01-31T12:00:00Z&to=2026-03-01T00:00:00Z",
    )
    .await;
    assert_eq!(coverage(&year, "certificates_and_ppas"), 600.0);
    assert_eq!(coverage(&january, "certificates_and_ppas"), 300.0);
    assert_eq!(coverage(&february, "certificates_and_ppas"), 300.0);
    assert!(close(market(&january) + market(&february), market(&year)));
}

#[tokio::test]
async fn supplier_factors_follow_certificates_and_a_residual_mix_takes_the_rest() {
    let app = spawn_app().await;
    app.seed_epa().await;
    let user = TestUser::new();
    electricity(&app, &user, 1000.0, "2026-05-10T00:00:00Z").await;
    // A residual mix for the US, 0.5 kg CO₂ per kWh, from a superuser.
    let residual = app
        .post("/types", &TestUser::superuser())
        .json(&json!({"id": 901, "name": "US residual mix", "unit": "kWh", "gases": {"co2": 0.5},
            "scope": 2, "region": "US", "factor_basis": "residual_mix", "category": "purchased_electricity"}))
        .sent()
        .await;
    assert_eq!(residual.status(), StatusCode::CREATED);
    let mut supplier = rec(500.0);
    supplier["kind"] = json!("supplier_factor");
    supplier["gases"] = json!({"co2": 0.2});
    instrument(&app, &user, supplier).await;
    let mut may = rec(300.0);
    may["from"] = json!("2026-05-01T00:00:00Z");
    may["to"] = json!("2026-06-01T00:00:00Z");
    instrument(&app, &user, may).await;
    let s = summary(&app, &user, YEAR).await;
    assert_eq!(coverage(&s, "certificates_and_ppas"), 300.0);
    assert_eq!(coverage(&s, "supplier_factors"), 500.0);
    assert_eq!(coverage(&s, "residual_mix"), 200.0);
    assert_eq!(coverage(&s, "location_based_fallback"), 0.0);
    assert!(close(market(&s), 500.0 * 0.2 + 200.0 * 0.5), "{s}");
}

#[tokio::test]
async fn an_instrument_is_the_callers_own() {
    let app = spawn_app().await;
    let owner = TestUser::new();
    let created = instrument(&app, &owner, rec(600.0)).await;
    assert_eq!(created["level"], "certificates_and_ppas");
    assert_eq!(created["gases"], json!({"co2": 0.0}));
    let path = format!("/instruments/{}", created["id"].as_str().unwrap());
    let listed: Vec<Value> = app.get("/instruments", &owner).json_body().await;
    assert_eq!(listed.len(), 1);

    let other = TestUser::new();
    assert_problem(app.get(&path, &other).sent().await, 404).await;
    assert_problem(app.delete(&path, &other).sent().await, 404).await;
    let theirs: Vec<Value> = app.get("/instruments", &other).json_body().await;
    assert!(theirs.is_empty());
    assert_problem(app.anonymous_get("/instruments").await, 401).await;

    let mut changed = rec(900.0);
    changed["scheme"] = json!("GO");
    let replaced: Value = app.put(&path, &owner).json(&changed).json_body().await;
    assert_eq!(
        (replaced["amount"].clone(), replaced["scheme"].clone()),
        (json!(900.0), json!("GO"))
    );
    assert_eq!(replaced["created_at"], created["created_at"]);
    assert_eq!(
        app.delete(&path, &owner).sent().await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&path, &owner).sent().await, 404).await;
}

#[tokio::test]
async fn an_instrument_covers_whole_months_of_one_year_in_an_energy_unit() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let mut bad = rec(600.0);
    bad["from"] = json!("2026-01-15T00:00:00Z");
    bad["to"] = json!("2027-02-01T00:00:00Z");
    bad["unit"] = json!("gal");
    let r = app.post("/instruments", &user).json(&bad).sent().await;
    let problem = assert_problem(r, 422).await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    for field in ["from", "to", "unit"] {
        assert!(fields.contains(&field), "{problem}");
    }
}

#[tokio::test]
async fn erasing_a_users_data_erases_their_instruments() {
    let app = spawn_app().await;
    let user = TestUser::new();
    instrument(&app, &user, rec(600.0)).await;
    assert_eq!(app.erase(&user).await.status(), StatusCode::NO_CONTENT);
    let left: Vec<Value> = app.get("/instruments", &user).json_body().await;
    assert!(left.is_empty());
}
