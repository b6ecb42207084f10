use carbon_service::seed::{EPA_GHG_HUB_2025, EXAMPLES, SeedMode, SeedReport, parse_seed, seed};
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn seeding_twice_leaves_exactly_the_example_types() {
    let app = spawn_app().await; // spawn_app seeds once
    let types = parse_seed(EXAMPLES).unwrap();
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
        .get(app.url("/types?limit=100&dataset=example"))
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
            (100, "electricity", "kWh", 1.5),
            (101, "water", "kg", 26.93),
            (102, "heating", "kWh", 3.892),
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
        &parse_seed(EXAMPLES).unwrap(),
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
        &parse_seed(EXAMPLES).unwrap(),
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
fn an_invalid_dataset_file_is_refused() {
    let dataset = r#""dataset": {"id": "d1", "name": "n", "publisher": "p", "edition": "1", "licence": "l", "gwp_basis": "AR5"}"#;
    assert!(
        parse_seed(&format!(r#"{{{dataset}, "types": [{{"id": 1, "name": "", "unit": "x", "factor": 1, "scope": 1}}]}}"#)).is_err()
    );
    assert!(parse_seed(&format!(r#"{{{dataset}, "types": []}}"#)).is_ok());
    assert!(parse_seed("[]").is_err());
}

#[tokio::test]
async fn the_default_seed_loads_the_epa_hub_2025_with_its_dataset() {
    let app = spawn_app().await;
    let epa = parse_seed(EPA_GHG_HUB_2025).unwrap();
    let report = seed(&app.database, &epa, SeedMode::InsertOnly)
        .await
        .unwrap();
    assert_eq!(report.created, epa.types.len());
    let datasets: Vec<Value> = app.get("/datasets", &TestUser::new()).json_body().await;
    let ids: Vec<&str> = datasets.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["custom", "epa-ghg-hub-2025", "example"]);
    let grid: Vec<Value> = app
        .client
        .get(app.url("/types?dataset=epa-ghg-hub-2025&category=purchased_electricity&region=US"))
        .json_body()
        .await;
    assert_eq!(grid.len(), 1, "{grid:?}");
    assert_eq!(grid[0]["name"], "Electricity, US average grid");
    assert_eq!(grid[0]["gwp_basis"], "AR5");
    assert_eq!(grid[0]["unit_dimension"], "energy");
    // The factor is the gases weighed by AR5's GWPs.
    let g = &grid[0]["gases"];
    let expected = g["co2"].as_f64().unwrap()
        + 28.0 * g["ch4"].as_f64().unwrap()
        + 265.0 * g["n2o"].as_f64().unwrap();
    assert!(close(grid[0]["factor"].as_f64().unwrap(), expected));
}
