use carbon_service::seed::{BUILT_IN, SeedMode, SeedReport, parse_seed, seed};
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn seeding_twice_leaves_exactly_the_reference_types() {
    let app = spawn_app().await; // spawn_app seeds once
    let types = parse_seed(BUILT_IN).unwrap();
    let again = seed(&app.database, &types, SeedMode::InsertOnly)
        .await
        .unwrap();
    assert_eq!(
        again,
        SeedReport {
            created: 0,
            updated: 0,
            unchanged: 5
        }
    );
    let stored: Vec<Value> = app
        .client
        .get(app.url("/types?limit=100"))
        .json_body()
        .await;
    let summary: Vec<(i64, &str, &str, f64)> = stored
        .iter()
        .map(|t| {
            (
                t["id"].as_i64().unwrap(),
                t["name"].as_str().unwrap(),
                t["unit"].as_str().unwrap(),
                t["factor"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (100, "electricity", "kwh", 1.5),
            (101, "water", "kg", 26.93),
            (102, "heating", "kwh", 3.892),
            (103, "heating", "l", 8.57),
            (104, "heating", "m3", 19.456),
        ]
    );
}

#[tokio::test]
async fn seeding_keeps_a_factor_a_superuser_changed() {
    let app = spawn_app().await;
    app.database
        .collection::<bson::Document>("usage_types")
        .update_one(
            bson::doc! {"id": 100_i64},
            bson::doc! {"$set": {"factor": 99.0}},
        )
        .await
        .unwrap();
    let report = seed(
        &app.database,
        &parse_seed(BUILT_IN).unwrap(),
        SeedMode::InsertOnly,
    )
    .await
    .unwrap();
    assert_eq!(report.unchanged, 5);
    let kept = app
        .database
        .collection::<bson::Document>("usage_types")
        .find_one(bson::doc! {"id": 100_i64})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.get_f64("factor").unwrap(), 99.0);
}

#[tokio::test]
async fn seeding_with_force_restores_an_edited_factor() {
    let app = spawn_app().await;
    app.database
        .collection::<bson::Document>("usage_types")
        .update_one(
            bson::doc! {"id": 100_i64},
            bson::doc! {"$set": {"factor": 99.0}},
        )
        .await
        .unwrap();
    let report = seed(
        &app.database,
        &parse_seed(BUILT_IN).unwrap(),
        SeedMode::Force,
    )
    .await
    .unwrap();
    assert_eq!(
        report,
        SeedReport {
            created: 0,
            updated: 1,
            unchanged: 4
        }
    );
}

#[test]
fn an_invalid_seed_file_is_refused() {
    assert!(
        parse_seed(r#"[{"id": 1, "name": "", "unit": "x", "factor": 1, "scope": 1}]"#).is_err()
    );
    assert!(parse_seed("{}").is_err());
}
