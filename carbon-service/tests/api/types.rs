use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn types_are_public_and_paged_by_id() {
    let app = spawn_app().await;
    let r = app.types("?limit=2").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-total-count"], "5");
    let types: Vec<Value> = r.json().await.unwrap();
    assert_eq!(types.len(), 2);
    assert_eq!(
        types[0],
        json!({"id": 100, "name": "electricity", "unit": "kWh", "unit_dimension": "energy",
            "factor": 1.5, "gases": {"other_co2e": 1.5}, "gwp_basis": "AR5", "dataset": "example",
            "category": "purchased_electricity", "scope": 2, "scope3_categories": [], "gases_covered": ["co2e"],
            "illustrative": true, "retired": false,
            "source": "Illustrative factor carried over from the reference implementation; replace with your grid supplier's or national inventory's"})
    );
    let rest: Vec<Value> = app.client.get(app.url("/types?offset=2")).json_body().await;
    let ids: Vec<i64> = rest.iter().map(|t| t["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [102, 103, 104]);
}

#[tokio::test]
async fn one_type_by_id_or_404() {
    let app = spawn_app().await;
    let t: Value = app.get_type("101").await.json().await.unwrap();
    assert_eq!(t["factor"], 26.93);
    assert_problem(app.get_type("999").await, 404).await;
    assert_problem(app.types("/abc").await, 422).await;
}

#[tokio::test]
async fn type_writes_need_a_superuser() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let body = json!({"id": 200, "name": "gas", "unit": "m3", "factor": 2.0, "scope": 1});
    assert_problem(app.post("/types", &user).json(&body).sent().await, 403).await;
    assert_problem(
        app.put("/types/100", &user)
            .json(&json!({"name": "x", "unit": "y", "factor": 0, "scope": 1}))
            .sent()
            .await,
        403,
    )
    .await;
    assert_problem(app.delete("/types/100", &user).sent().await, 403).await;
    assert_problem(
        app.client.post(app.url("/types")).json(&body).sent().await,
        401,
    )
    .await;
    assert_problem(app.types("/200").await, 404).await;
}

#[tokio::test]
async fn a_superuser_creates_updates_and_deletes_a_type_and_lists_see_it_at_once() {
    let app = spawn_app().await;
    let admin = TestUser::superuser();
    // Warm the cache first, so the write must invalidate it.
    app.types("").await;
    let r = app
        .post("/types", &admin)
        .json(
            &json!({"id": 200, "name": "gas", "unit": "m3", "factor": 2.0, "scope": 1,
            "source": "Supplier declaration", "source_year": 2025, "region": "FR"}),
        )
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    assert_eq!(
        (
            created["scope"].clone(),
            created["source_year"].clone(),
            created["region"].clone()
        ),
        (json!(1), json!(2025), json!("FR"))
    );
    assert_eq!(app.types("").await.headers()["x-total-count"], "6");

    let r = app
        .put("/types/200", &admin)
        .json(&json!({"name": "natural gas", "unit": "m3", "factor": 2.2, "scope": 1}))
        .sent()
        .await;
    let replaced: Value = r.json().await.unwrap();
    assert_eq!(replaced["name"], "natural gas");
    assert!(
        replaced.get("source").is_none() && replaced.get("region").is_none(),
        "PUT replaces: fields left out are removed: {replaced}"
    );
    let listed: Vec<Value> = app.types("?offset=5").await.json().await.unwrap();
    assert_eq!(listed[0]["factor"], 2.2);

    assert_eq!(
        app.delete("/types/200", &admin).sent().await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.types("/200").await, 404).await;
    assert_problem(app.delete("/types/200", &admin).sent().await, 404).await;
}

#[tokio::test]
async fn a_type_read_back_is_written_back_unchanged() {
    let app = spawn_app().await;
    let admin = TestUser::superuser();
    let created = app
        .post("/types", &admin)
        .json(
            &json!({"id": 201, "name": "district heat", "unit": "kWh", "scope": 2,
            "category": "purchased_heat", "gases": {"co2": 0.2, "ch4": 0.00001}}),
        )
        .sent()
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let read: Value = app.get_type("201").await.json().await.unwrap();
    assert_eq!(
        read["scope3_categories"],
        json!([]),
        "the premise: none is answered as []"
    );
    // What a client edits: the answer's input fields, as read.
    let inputs = [
        "name",
        "unit",
        "gases",
        "scope",
        "category",
        "scope3_categories",
        "source",
    ];
    let body: serde_json::Map<String, Value> = inputs
        .iter()
        .filter_map(|k| read.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();
    let r = app.put("/types/201", &admin).json(&body).sent().await;
    assert_eq!(r.status(), StatusCode::OK);
    let written: Value = app.get_type("201").await.json().await.unwrap();
    assert_eq!(written, read);
}

#[tokio::test]
async fn a_duplicate_id_is_409() {
    let app = spawn_app().await;
    let r = app
        .post("/types", &TestUser::superuser())
        .json(&json!({"id": 100, "name": "again", "unit": "kwh", "factor": 1, "scope": 2}))
        .sent()
        .await;
    assert_problem(r, 409).await;
}

#[tokio::test]
async fn deleting_a_referenced_type_is_409_and_keeps_it() {
    let app = spawn_app().await;
    let admin = TestUser::superuser();
    let r = app
        .post("/types", &admin)
        .json(&json!({"id": 900, "name": "steam", "unit": "GJ", "factor": 60, "scope": 2}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    app.created_usage(&TestUser::new(), 1.0, 900, "2026-11-01T00:00:00Z")
        .await;
    let refused = assert_problem(app.delete("/types/900", &admin).sent().await, 409).await;
    assert!(
        refused["detail"].as_str().unwrap().contains("reference"),
        "{refused}"
    );
    assert_eq!(app.types("/900").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_types_unit_cannot_change_while_usages_of_it_exist_but_its_factor_can() {
    let app = spawn_app().await;
    let admin = TestUser::superuser();
    let steam = json!({"id": 901, "name": "steam", "unit": "GJ", "factor": 60, "scope": 2});
    let r = app.post("/types", &admin).json(&steam).sent().await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let user = TestUser::new();
    app.created_usage(&user, 2.0, 901, "2026-11-01T00:00:00Z")
        .await;
    let mut in_kwh = steam.clone();
    in_kwh.as_object_mut().unwrap().remove("id");
    in_kwh["unit"] = json!("kWh");
    let refused = assert_problem(
        app.put("/types/901", &admin).json(&in_kwh).sent().await,
        409,
    )
    .await;
    assert!(
        refused["detail"].as_str().unwrap().contains("GJ"),
        "{refused}"
    );
    let mut dearer = in_kwh.clone();
    dearer["unit"] = json!("GJ");
    dearer["factor"] = json!(70);
    let r = app.put("/types/901", &admin).json(&dearer).sent().await;
    assert_eq!(r.status(), StatusCode::OK);
    let summary: Value = app
        .get("/usages/summary", &user)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(summary["by_type"][0]["unit"], "GJ");
    assert_eq!(summary["by_type"][0]["total_amount"], 2.0);
}

#[tokio::test]
async fn type_validation_reports_every_field() {
    let app = spawn_app().await;
    let admin = TestUser::superuser();
    let r = app
        .post("/types", &admin)
        .json(
            &json!({"id": 0, "name": "", "unit": "u".repeat(129), "factor": -1, "scope": 4,
            "source_year": 3000}),
        )
        .sent()
        .await;
    assert_eq!(
        error_fields(&assert_problem(r, 422).await),
        ["id", "name", "unit", "factor", "scope", "source_year"]
    );
    let r = app
        .post("/types", &admin)
        .json(&json!({"id": 5, "name": "a", "unit": "b", "factor": 1, "scope": 1, "extra": 1}))
        .sent()
        .await;
    assert_eq!(error_fields(&assert_problem(r, 422).await), ["extra"]);
}

#[tokio::test]
async fn another_instances_factor_edit_is_stale_until_the_cache_ttl_ends_then_fresh() {
    let app = spawn_app_with(&[("USAGE_TYPES_CACHE_TTL_SECONDS", "2")]).await;
    let factor = async || -> f64 {
        let t: Value = app.get_type("100").await.json().await.unwrap();
        t["factor"].as_f64().unwrap()
    };
    assert_eq!(factor().await, 1.5, "the cache is loaded");
    let loaded = std::time::Instant::now();
    // Another instance edits the type straight in the shared database, so
    // nothing here invalidates the cache.
    app.database
        .collection::<bson::Document>("usage_types")
        .update_one(
            bson::doc! {"id": 100_i64},
            bson::doc! {"$set": {"factor": 9.0}},
        )
        .await
        .unwrap();
    // Before the lifetime ends, this instance still answers the old factor
    // (a by-id hit does not reload).
    assert_eq!(factor().await, 1.5, "stale within the lifetime");
    assert!(
        loaded.elapsed() < std::time::Duration::from_secs(2),
        "the check ran too late to prove anything"
    );
    // After it, the new one.
    common::testing::eventually(
        std::time::Duration::from_secs(10),
        "the fresh factor",
        async || (factor().await == 9.0).then_some(()),
    )
    .await;
    assert!(
        loaded.elapsed() >= std::time::Duration::from_secs(2),
        "the fresh value showed before the lifetime ended"
    );
}

#[tokio::test]
async fn a_type_another_instance_created_is_usable_at_once() {
    let app = spawn_app().await;
    app.types("").await;
    // Stored as another instance stores a new custom type.
    let fields = carbon_service::domain::usage_type::UsageTypeFields {
        name: "solar".into(),
        unit: "kWh".into(),
        factor: Some(0.05),
        scope: 2,
        ..Default::default()
    };
    let custom = carbon_service::domain::dataset::Dataset::custom();
    let solar =
        carbon_service::domain::usage_type::UsageType::parse(300, &fields, &custom).unwrap();
    app.database
        .collection::<carbon_service::domain::usage_type::UsageType>("usage_types")
        .insert_one(solar)
        .await
        .unwrap();
    // A by-id miss falls through to the database.
    let user = TestUser::new();
    let found = app.get("/types/300", &user).send().await.unwrap();
    assert_eq!(found.status(), StatusCode::OK);
    app.created_usage(&user, 1.0, 300, "2026-11-01T00:00:00Z")
        .await;
}

#[tokio::test]
async fn a_factor_above_a_million_is_422_naming_factor() {
    let app = spawn_app().await;
    let r = app
        .post("/types", &TestUser::superuser())
        .json(&json!({"id": 400, "name": "x", "unit": "y", "factor": 1.0e7, "scope": 1}))
        .sent()
        .await;
    assert_eq!(error_fields(&assert_problem(r, 422).await), ["factor"]);
}

#[tokio::test]
async fn a_published_datasets_type_cannot_be_changed_through_the_api() {
    let app = spawn_app().await;
    let admin = TestUser::superuser();
    let r = app
        .put("/types/100", &admin)
        .json(&json!({"name": "electricity", "unit": "kWh", "factor": 9.0, "scope": 2}))
        .sent()
        .await;
    let problem = assert_problem(r, 409).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("example"),
        "{problem}"
    );
    assert_problem(app.delete("/types/100", &admin).sent().await, 409).await;
}

#[tokio::test]
async fn a_type_given_by_gases_has_its_factor_computed_and_both_together_are_refused() {
    let app = spawn_app().await;
    let admin = TestUser::superuser();
    let created: Value = app
        .post("/types", &admin)
        .json(
            &json!({"id": 901, "name": "grid", "unit": "MWh", "scope": 2,
            "gases": {"co2": 300.0, "ch4": 0.1, "n2o": 0.01}}),
        )
        .json_body()
        .await;
    assert!(close(
        created["factor"].as_f64().unwrap(),
        300.0 + 2.8 + 2.65
    ));
    assert_eq!(
        (created["dataset"].as_str(), created["gwp_basis"].as_str()),
        (Some("custom"), Some("AR5"))
    );
    let both = app
        .post("/types", &admin)
        .json(
            &json!({"id": 902, "name": "grid", "unit": "MWh", "scope": 2,
            "gases": {"co2": 300.0}, "factor": 300.0}),
        )
        .sent()
        .await;
    assert_eq!(error_fields(&assert_problem(both, 422).await), ["factor"]);
}

#[tokio::test]
async fn a_type_of_a_fluorinated_gas_weighs_by_its_gwp_and_an_unknown_gas_is_refused() {
    let app = spawn_app().await;
    let admin = TestUser::superuser();
    // SF₆ in switchgear: AR5 GWP 23,500 (IPCC AR5 WG I Table 8.A.1).
    let created: Value = app
        .post("/types", &admin)
        .json(
            &json!({"id": 903, "name": "SF6 switchgear leak", "unit": "kg", "scope": 1,
            "gases": {"fgases": {"SF6": 1.0}}}),
        )
        .json_body()
        .await;
    assert_eq!(created["factor"], 23500.0);
    assert_eq!(created["gases"]["fgases"]["SF6"], 1.0);
    let unknown = app
        .post("/types", &admin)
        .json(
            &json!({"id": 904, "name": "mystery leak", "unit": "kg", "scope": 1,
            "gases": {"fgases": {"HFC-999": 1.0}}}),
        )
        .sent()
        .await;
    assert_eq!(
        error_fields(&assert_problem(unknown, 422).await),
        ["gases.fgases"]
    );
}

#[tokio::test]
async fn types_filter_by_dataset_category_scope_region_and_text() {
    let app = spawn_app().await;
    let list = async |query: &str| -> Vec<i64> {
        let types: Vec<Value> = app.types(query).await.json().await.unwrap();
        types.iter().map(|t| t["id"].as_i64().unwrap()).collect()
    };
    assert_eq!(list("?dataset=example&scope=1").await, [103, 104]);
    assert_eq!(list("?category=purchased_electricity").await, [100]);
    assert_eq!(list("?q=HEAT").await, [102, 103, 104]);
    assert_eq!(list("?dataset=nobody").await, Vec::<i64>::new());
    assert_problem(app.types("?scope=4").await, 422).await;
}
