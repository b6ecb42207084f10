//! CSV import and export, and erasure.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

const HEADER: &str = "id,usage_at,usage_type_id,usage_type_name,dataset,amount,unit,factor_amount,factor_unit,factor,gwp_basis,co2,ch4,n2o,other_co2e,fgases,co2e,scope,biogenic_co2,ch4_fossil,scope3_category,facility_id,data_quality,evidence";

/// (usage_at, type, amount) of every usage, as the list shows them.
async fn listed(app: &TestApp, user: &TestUser) -> Vec<(String, i64, f64)> {
    let usages = app.usages_of(user, "?limit=100").await;
    let mut rows: Vec<_> = usages
        .iter()
        .map(|u| {
            (
                u["usage_at"].as_str().unwrap().to_owned(),
                u["usage_type"]["id"].as_i64().unwrap(),
                u["amount"].as_f64().unwrap(),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.partial_cmp(b).unwrap());
    rows
}

#[tokio::test]
async fn export_then_erase_then_import_the_exports_columns_restores_the_usages_and_summary() {
    let app = spawn_app().await;
    let user = TestUser::new();
    for (amount, type_id, at) in [
        (12.5, 100, "2026-01-05T10:00:00Z"),
        (3.0, 101, "2026-02-06T11:30:00Z"),
        (0.25, 104, "2026-02-07T00:00:00Z"),
        (7.0, 103, "2026-03-08T23:59:59Z"),
    ] {
        app.created_usage(&user, amount, type_id, at).await;
    }
    app.created_usage(&TestUser::new(), 99.0, 100, "2026-01-01T00:00:00Z")
        .await;
    let before = (listed(&app, &user).await, app.summary_of(&user, "").await);

    let r = app.export(&user, "", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(HEADER));
    assert_eq!(lines.count(), 4, "only the caller's usages: {csv}");

    let r = app.erase(&user).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(listed(&app, &user).await.is_empty());

    // Keep only the import's columns, in another order.
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let mut body = String::from("amount,usage_type_id,usage_at\n");
    for record in reader.records() {
        let record = record.unwrap();
        body.push_str(&format!("{},{},{}\n", &record[5], &record[2], &record[1]));
    }
    let r = app.import_csv(&user, body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"imported": 4}));

    let after = (listed(&app, &user).await, app.summary_of(&user, "").await);
    assert_eq!(after.0, before.0);
    assert_eq!(after.1, before.1);
}

#[tokio::test]
async fn the_export_honours_filters_and_gives_json_on_request() {
    let app = spawn_app().await;
    let user = TestUser::new();
    app.created_usage(&user, 1.0, 100, "2026-01-01T00:00:00Z")
        .await;
    app.created_usage(&user, 2.0, 101, "2026-02-01T00:00:00Z")
        .await;
    app.created_usage(&user, 3.0, 100, "2026-03-01T00:00:00Z")
        .await;
    let r = app
        .export(
            &user,
            "?usage_type_id=100&from=2026-02-01T00:00:00Z",
            Some("application/json"),
        )
        .await;
    assert_eq!(r.headers()["content-type"], "application/json");
    let rows: Vec<Value> = r.json().await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["amount"], 3.0);
    let r = app.export(&user, "", Some("application/json")).await;
    let all: Vec<Value> = r.json().await.unwrap();
    let dates: Vec<&str> = all
        .iter()
        .map(|u| u["usage_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        dates,
        [
            "2026-01-01T00:00:00Z",
            "2026-02-01T00:00:00Z",
            "2026-03-01T00:00:00Z"
        ],
        "oldest first"
    );
    let r = app.export(&user, "", Some("application/json")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let empty = app
        .export(&TestUser::new(), "", Some("application/json"))
        .await;
    assert_eq!(empty.json::<Value>().await.unwrap(), json!([]));
    assert_problem(app.export(&user, "", Some("application/xml")).await, 406).await;
}

#[tokio::test]
async fn an_import_with_bad_rows_names_each_row_and_field_and_stores_nothing() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let body = "usage_at,usage_type_id,amount\n\
        2026-01-01T00:00:00Z,100,1\n\
        2026-01-02T00:00:00Z,999,1\n\
        not-a-date,100,-5\n\
        2026-01-04T00:00:00Z,101,2\n";
    let problem = assert_problem(app.import_csv(&user, body).await, 422).await;
    let errors: Vec<(u64, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (2, "usage_type_id".to_owned()),
            (3, "amount".to_owned()),
            (3, "usage_at".to_owned())
        ],
        "every row's errors, unknown types included, in one answer"
    );
    let body =
        "usage_at,usage_type_id,amount\n2026-01-01T00:00:00Z,100,1\n2026-01-02T00:00:00Z,999,1\n";
    let problem = assert_problem(app.import_csv(&user, body).await, 422).await;
    assert_eq!(problem["errors"][0]["row"], 2);
    assert_eq!(problem["errors"][0]["field"], "usage_type_id");
    assert_eq!(app.stored_usages().await, 0, "all or nothing");
}

#[tokio::test]
async fn an_import_over_ten_thousand_rows_or_five_mib_is_413() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let mut rows = String::from("usage_at,usage_type_id,amount\n");
    for _ in 0..10_001 {
        rows.push_str("2026-01-01T00:00:00Z,100,1\n");
    }
    assert_problem(app.import_csv(&user, rows).await, 413).await;
    let mut big = String::from("usage_at,usage_type_id,amount,padding\n");
    let padding = "x".repeat(1000);
    while big.len() <= 5 * 1024 * 1024 {
        big.push_str(&format!("2026-01-01T00:00:00Z,100,1,{padding}\n"));
    }
    assert_problem(app.import_csv(&user, big).await, 413).await;
    assert_eq!(app.stored_usages().await, 0);
}

#[tokio::test]
async fn ten_thousand_rows_import_in_one_request() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let mut rows = String::from("usage_at,usage_type_id,amount\n");
    for i in 0..10_000 {
        rows.push_str(&format!("2026-01-01T00:00:00Z,{},{}\n", 100 + i % 5, i % 7));
    }
    let r = app.import_csv(&user, rows).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap()["imported"], 10_000);
    assert_eq!(app.stored_usages().await, 10_000);
}

#[tokio::test]
async fn formula_cells_are_plain_values_on_import_and_neutralized_on_export() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let admin = TestUser::superuser();
    let r = app
        .post("/types", &admin)
        .json(&json!({"id": 500, "name": "=HYPERLINK(\"http://evil\")", "unit": "@kg", "factor": 1, "scope": 3}))
        .sent().await;
    assert_eq!(r.status(), StatusCode::CREATED);
    app.created_usage(&user, 2.0, 500, "2026-01-01T00:00:00Z")
        .await;
    let csv = app
        .export(&user, "", Some("text/csv"))
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[3], "'=HYPERLINK(\"http://evil\")");
    // The unit as entered and the factor's unit.
    assert_eq!((&row[6], &row[8]), ("'@kg", "'@kg"));

    let body = "usage_at,usage_type_id,amount\n2026-01-01T00:00:00Z,100,=1+2\n";
    let problem = assert_problem(app.import_csv(&user, body).await, 422).await;
    assert_eq!(problem["errors"][0]["field"], "amount");
}

#[tokio::test]
async fn an_import_honours_idempotency_key() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let body =
        "usage_at,usage_type_id,amount\n2026-01-01T00:00:00Z,100,1\n2026-01-02T00:00:00Z,101,2\n";
    let send = |body: &'static str| {
        app.post("/usages/import", &user)
            .header("content-type", "text/csv")
            .header("idempotency-key", "import-1")
            .body(body)
            .send()
    };
    let first = send(body).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let again = send(body).await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(app.stored_usages().await, 2);
    let other = send("usage_at,usage_type_id,amount\n2026-01-01T00:00:00Z,100,9\n")
        .await
        .unwrap();
    assert_eq!(
        error_fields(&assert_problem(other, 422).await),
        ["Idempotency-Key"]
    );
}

#[tokio::test]
async fn an_import_that_is_not_csv_is_415() {
    let app = spawn_app().await;
    let r = app
        .post("/usages/import", &TestUser::new())
        .json(&json!([]))
        .sent()
        .await;
    assert_problem(r, 415).await;
}

#[tokio::test]
async fn erasing_without_confirm_is_422_and_erasing_touches_only_the_callers_usages() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let other = TestUser::new();
    app.created_usage(&user, 1.0, 100, "2026-01-01T00:00:00Z")
        .await;
    app.created_usage(&other, 1.0, 100, "2026-01-01T00:00:00Z")
        .await;
    for query in ["", "?confirm=false"] {
        let r = app.delete(&format!("/usages{query}"), &user).sent().await;
        assert_eq!(error_fields(&assert_problem(r, 422).await), ["confirm"]);
    }
    assert_eq!(app.stored_usages().await, 2);
    let r = app.erase(&user).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.stored_usages().await, 1);
    assert_eq!(listed(&app, &other).await.len(), 1);
}

#[tokio::test]
async fn an_import_reports_malformed_cells_unknown_types_and_wrong_units_together() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let body = "usage_at,usage_type_id,amount,unit\n\
        2026-01-01T00:00:00Z,100,abc,kWh\n\
        2026-01-02T00:00:00Z,999,1,\n\
        2026-01-03T00:00:00Z,100,1,kg\n\
        2026-01-04T00:00:00Z,100,2,MWh\n";
    let problem = assert_problem(app.import_csv(&user, body).await, 422).await;
    let errors: Vec<(u64, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(1, "amount"), (2, "usage_type_id"), (3, "unit")]);
    assert_eq!(app.stored_usages().await, 0);
}

#[tokio::test]
async fn an_imported_amount_in_another_unit_is_converted_and_exported_with_both() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let body = "usage_at,usage_type_id,amount,unit\n2026-01-04T00:00:00Z,100,2,MWh\n";
    assert_eq!(
        app.import_csv(&user, body).await.status(),
        StatusCode::CREATED
    );
    let usages = app.usages_of(&user, "").await;
    assert_eq!(
        (usages[0]["amount"].as_f64(), usages[0]["unit"].as_str()),
        (Some(2.0), Some("MWh"))
    );
    assert_eq!(usages[0]["factor_amount"], 2000.0);
    assert_eq!(usages[0]["co2e"], 2000.0 * factor_of(100));
    let csv = app.export(&user, "", None).await.text().await.unwrap();
    let line = csv.lines().nth(1).unwrap();
    assert!(line.contains(",example,2,MWh,2000,kWh,1.5,AR5,"), "{line}");
}

#[tokio::test]
async fn the_export_shows_the_figures_a_person_computes_by_hand() {
    let app = spawn_app().await;
    app.seed_epa().await;
    let user = TestUser::new();
    // 350 therms of natural gas against Table 1's 53.06 kg CO₂ per mmBtu:
    // 35 mmBtu, 1,857.1 kg CO₂ (f64 makes it 1857.1000000000001). A
    // 12,500 kWh bill against eGRID2023's 771.523 lb CO₂ per MWh:
    // 12.5 × 349.95694608 = 4,374.461826 kg.
    for body in [
        json!({"amount": 350, "unit": "therm", "usage_type_id": 10018, "usage_at": "2026-10-01T00:00:00Z"}),
        json!({"amount": 12500, "unit": "kWh", "usage_type_id": 20000, "usage_at": "2026-11-01T00:00:00Z"}),
    ] {
        app.created_usage_from(&user, body).await;
    }
    let csv = app.export(&user, "", None).await.text().await.unwrap();
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let column = |name: &str| HEADER.split(',').position(|c| c == name).unwrap();
    let gas_line = rows
        .iter()
        .find(|r| r[column("usage_type_id")] == "10018")
        .unwrap();
    assert_eq!(gas_line[column("amount")], "350");
    assert_eq!(gas_line[column("factor_amount")], "35");
    assert_eq!(gas_line[column("co2")], "1857.1");
    let bill = rows
        .iter()
        .find(|r| r[column("usage_type_id")] == "20000")
        .unwrap();
    assert_eq!(bill[column("factor_amount")], "12.5");
    assert_eq!(bill[column("co2")], "4374.461826");
    let listed = app.usages_of(&user, "?limit=10").await;
    let gas = listed
        .iter()
        .find(|u| u["usage_type"]["id"] == 10018)
        .unwrap();
    assert_eq!(
        gas["gases"]["co2"],
        json!(1857.1),
        "the JSON shows the same"
    );
}

#[tokio::test]
async fn a_spreadsheets_date_column_imports_as_midnight_utc_and_counts_in_its_month() {
    let app = spawn_app().await;
    let user = TestUser::new();
    // What a spreadsheet saves: CRLF, a BOM, and a date column as dates.
    let body = "\u{feff}usage_at,usage_type_id,amount\r\n2026-10-31,100,2\r\n2026-11-01,100,3\r\n";
    let r = app.import_csv(&user, body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let at: Vec<String> = listed(&app, &user).await.into_iter().map(|u| u.0).collect();
    assert_eq!(at, ["2026-10-31T00:00:00Z", "2026-11-01T00:00:00Z"]);
    let november = app
        .summary_of(&user, "?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z")
        .await;
    assert_eq!(november["total_co2e"], 3.0 * factor_of(100));
}

#[tokio::test]
async fn a_spreadsheets_local_date_format_is_422_saying_how_to_format_the_column() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let body = "usage_at,usage_type_id,amount\n11/1/2026,100,1\n";
    let problem = assert_problem(app.import_csv(&user, body).await, 422).await;
    let error = &problem["errors"][0];
    assert_eq!(
        (error["row"].as_u64(), error["field"].as_str()),
        (Some(1), Some("usage_at"))
    );
    assert!(
        error["message"].as_str().unwrap().contains("YYYY-MM-DD"),
        "{error}"
    );
    assert_eq!(app.stored_usages().await, 0);
}

#[tokio::test]
async fn a_semicolon_csv_from_a_decimal_comma_spreadsheet_imports_its_amounts() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let body = "usage_at;usage_type_id;amount\r\n2026-11-01;100;1234,5\r\n";
    let r = app.import_csv(&user, body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let amounts: Vec<f64> = listed(&app, &user).await.into_iter().map(|u| u.2).collect();
    assert_eq!(amounts, [1234.5]);
}
