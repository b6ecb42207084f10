//! Factor datasets: public reads, a superuser's private upload (all or
//! nothing), an organization's own, and retirement.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

const ACME: &str = "/datasets?id=acme-2026&name=ACME%20factors&publisher=ACME&edition=2026&licence=Proprietary&gwp_basis=AR6";
const ACME_CSV: &str = "id,name,unit,scope,co2,ch4,n2o,category,source\n\
    9001,Steam from the ACME plant,GJ,2,60,0.001,0.0001,purchased_heat,ACME 2026 declaration\n\
    9002,ACME delivery van,vehicle_km,3,0.25,,,upstream_transportation,ACME fleet 2026\n";

async fn upload(app: &TestApp, user: &TestUser, path: &str, csv: &str) -> reqwest::Response {
    app.post(path, user)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .sent()
        .await
}

#[tokio::test]
async fn a_superuser_uploads_a_private_dataset_whose_types_use_its_gwp_set() {
    let app = spawn_app().await;
    let admin = TestUser::superuser();
    let r = upload(&app, &admin, ACME, ACME_CSV).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let stored: Value = r.json().await.unwrap();
    assert_eq!(stored["types"], 2);
    assert_eq!(
        (
            stored["dataset"]["private"].as_bool(),
            stored["dataset"]["gwp_basis"].as_str()
        ),
        (Some(true), Some("AR6"))
    );
    let steam: Value = app.types("/9001").await.json().await.unwrap();
    assert_eq!(steam["dataset"], "acme-2026");
    assert!(close(
        steam["factor"].as_f64().unwrap(),
        60.0 + 0.001 * 27.0 + 0.0001 * 273.0
    ));
    // A usage of it, in another unit of its dimension.
    let user = TestUser::new();
    let r = app
        .create_usage(
            &user,
            json!({"amount": 1000, "unit": "MJ", "usage_type_id": 9001}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let usage: Value = r.json().await.unwrap();
    assert_eq!(usage["factor_amount"], 1.0);
}

#[tokio::test]
async fn an_upload_with_bad_rows_or_taken_ids_stores_nothing_and_names_each() {
    let app = spawn_app().await;
    let admin = TestUser::superuser();
    let csv = "id,name,unit,scope,co2\n100,clash with an example,kWh,2,1\n9002,,kWh,7,x\n";
    let problem = assert_problem(upload(&app, &admin, ACME, csv).await, 422).await;
    let rows: Vec<(u64, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap_or(0), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, [(2, "co2"), (2, "name"), (2, "scope")]);
    // The rows parse once fixed; the taken id is then named by its row.
    let csv = "id,name,unit,scope,co2\n100,clash with an example,kWh,2,1\n";
    let problem = assert_problem(upload(&app, &admin, ACME, csv).await, 422).await;
    assert_eq!(
        (
            problem["errors"][0]["row"].as_u64(),
            problem["errors"][0]["field"].as_str()
        ),
        (Some(1), Some("id"))
    );
    let datasets: Vec<Value> = app.client.get(app.url("/datasets")).json_body().await;
    assert!(
        datasets.iter().all(|d| d["id"] != "acme-2026"),
        "{datasets:?}"
    );
    assert_eq!(
        app.types("/100").await.json::<Value>().await.unwrap()["dataset"],
        "example"
    );
}

#[tokio::test]
async fn an_upload_needs_a_superuser_or_an_admin_csv_and_valid_metadata() {
    let app = spawn_app().await;
    let editor = TestUser::member(common::ids::OrgId::new(), common::org::OrgRole::Editor);
    assert_problem(upload(&app, &editor, ACME, ACME_CSV).await, 403).await;
    let admin = TestUser::superuser();
    let json = app.post(ACME, &admin).json(&json!({})).sent().await;
    assert_problem(json, 415).await;
    let bad = "/datasets?id=ACME&name=a&publisher=p&edition=1&licence=l&gwp_basis=SAR";
    let problem = assert_problem(upload(&app, &admin, bad, ACME_CSV).await, 422).await;
    assert_eq!(error_fields(&problem), ["id", "gwp_basis"]);
    assert_eq!(
        upload(&app, &admin, ACME, ACME_CSV).await.status(),
        StatusCode::CREATED
    );
    assert_problem(upload(&app, &admin, ACME, ACME_CSV).await, 409).await;
}

#[tokio::test]
async fn a_retired_dataset_takes_no_new_usages_and_its_old_usages_keep_their_factor() {
    let app = spawn_app().await;
    let admin = TestUser::superuser();
    assert_eq!(
        upload(&app, &admin, ACME, ACME_CSV).await.status(),
        StatusCode::CREATED
    );
    let user = TestUser::new();
    let before = app
        .created_usage(&user, 2.0, 9001, "2026-05-01T00:00:00Z")
        .await;
    let r = app.post("/datasets/acme-2026/retire", &admin).sent().await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["retired"], true);
    let refused = app
        .create_usage(&user, json!({"amount": 1, "usage_type_id": 9001}))
        .await;
    let problem = assert_problem(refused, 422).await;
    assert_eq!(error_fields(&problem), ["usage_type_id"]);
    // Hidden from the list unless asked for; the old usage is as it was.
    let listed: Vec<Value> = app.types("?dataset=acme-2026").await.json().await.unwrap();
    assert!(listed.is_empty());
    let all: Vec<Value> = app
        .types("?dataset=acme-2026&include_retired=true")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    let kept: Value = app
        .get(
            &format!("/usages/{}", before["id"].as_str().unwrap()),
            &user,
        )
        .json_body()
        .await;
    assert_eq!(kept["co2e"], before["co2e"]);
    assert_problem(
        app.post("/datasets/nobody/retire", &admin).sent().await,
        404,
    )
    .await;
}

#[tokio::test]
async fn a_private_dataset_and_its_types_do_not_exist_for_the_anonymous() {
    let app = spawn_app().await;
    let r = upload(&app, &TestUser::superuser(), ACME, ACME_CSV).await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let listed: Vec<Value> = app.anonymous_get("/datasets").await.json().await.unwrap();
    let ids: Vec<&str> = listed.iter().filter_map(|d| d["id"].as_str()).collect();
    assert_eq!(ids, ["example"], "neither custom nor the upload is listed");
    assert_problem(app.anonymous_get("/datasets/acme-2026").await, 404).await;
    assert_problem(app.anonymous_get("/datasets/custom").await, 404).await;
    let r = app.anonymous_get("/types?dataset=acme-2026").await;
    assert_eq!(r.headers()["x-total-count"], "0");
    assert_eq!(r.headers()["cache-control"], "public, max-age=30");
    let all: Vec<Value> = app
        .anonymous_get("/types?limit=100")
        .await
        .json()
        .await
        .unwrap();
    assert!(all.iter().all(|t| t["dataset"] == "example"), "{all:?}");
    assert_problem(app.anonymous_get("/types/9001").await, 404).await;
}

#[tokio::test]
async fn a_signed_in_user_sees_private_factors_in_answers_no_cache_may_store() {
    let app = spawn_app().await;
    upload(&app, &TestUser::superuser(), ACME, ACME_CSV).await;
    let user = TestUser::new();
    for path in [
        "/datasets",
        "/datasets/acme-2026",
        "/types?dataset=acme-2026",
        "/types/9001",
    ] {
        let r = app.get(path, &user).sent().await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["cache-control"], "private, no-store", "{path}");
        let vary = r.headers()["vary"].to_str().unwrap();
        assert!(vary.contains("Authorization"), "{path}: {vary}");
    }
    let r = app.get("/types?dataset=acme-2026", &user).sent().await;
    assert_eq!(r.headers()["x-total-count"], "2");
}

#[tokio::test]
async fn an_invalid_token_on_a_factor_read_is_401_not_the_public_view() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/types"))
        .bearer_auth("not-a-token")
        .sent()
        .await;
    assert_problem(r, 401).await;
}

#[tokio::test]
async fn a_type_written_while_its_dataset_is_being_retired_waits_for_it_and_is_refused() {
    use bson::{Document, doc};
    let app = spawn_app().await;
    let admin = TestUser::superuser();
    assert_eq!(
        upload(&app, &admin, ACME, ACME_CSV).await.status(),
        StatusCode::CREATED
    );
    // A retirement in flight: its transaction has marked the dataset and
    // not committed yet.
    let db = app.context.db().clone();
    let mut retirement = db.client().start_session().await.unwrap();
    retirement.start_transaction().await.unwrap();
    db.collection::<Document>("datasets")
        .update_one(
            doc! { "_id": "acme-2026" },
            doc! { "$set": { "retired": true } },
        )
        .session(&mut retirement)
        .await
        .unwrap();
    let create = tokio::spawn({
        let request = app.post("/types", &admin).json(&json!({
            "id": 9003, "name": "ACME boiler", "unit": "GJ", "factor": 50, "scope": 1,
            "dataset": "acme-2026"
        }));
        async move { request.sent().await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    assert!(
        !create.is_finished(),
        "the type write conflicts with the retirement and waits"
    );
    retirement.commit_transaction().await.unwrap();
    let refused = assert_problem(create.await.unwrap(), 409).await;
    assert!(
        refused["detail"].as_str().unwrap().contains("retired"),
        "{refused}"
    );
    assert!(
        app.metrics
            .render()
            .contains("db_transaction_retries_total")
    );
    assert_problem(app.types("/9003").await, 404).await;
}

#[tokio::test]
async fn an_upload_names_each_row_whose_type_id_exists_and_stores_nothing() {
    let app = spawn_app().await;
    let admin = TestUser::superuser();
    let clash = "id,name,unit,scope,co2,ch4,n2o,category,source\n\
        9101,Fine,GJ,2,60,,,purchased_heat,ACME\n\
        100,Taken,GJ,2,60,,,purchased_heat,ACME\n";
    let problem = assert_problem(upload(&app, &admin, ACME, clash).await, 422).await;
    assert_eq!(problem["errors"][0]["row"], 2, "{problem}");
    assert_eq!(error_fields(&problem), ["id"]);
    assert_problem(app.get("/datasets/acme-2026", &admin).sent().await, 404).await;
    assert_problem(app.types("/9101").await, 404).await;
}

#[tokio::test]
async fn an_organizations_dataset_is_its_members_only_with_ids_the_server_assigns() {
    use common::ids::OrgId;
    use common::org::OrgRole;
    let app = spawn_app().await;
    let org = OrgId::new();
    let admin = TestUser::member(org, OrgRole::Admin);
    let r = upload(&app, &admin, ACME, ACME_CSV).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let stored: Value = r.json().await.unwrap();
    let id = stored["dataset"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("acme-2026-"), "{id}");
    assert_eq!(stored["dataset"]["org_id"], org.to_string());
    // Its types' ids are the server's, not the rows'.
    let editor = TestUser::member(org, OrgRole::Editor);
    let types: Value = app
        .get(&format!("/types?dataset={id}"), &editor)
        .json_body()
        .await;
    let ids: Vec<i64> = types
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.iter().all(|id| *id >= 1_000_000_000), "{ids:?}");
    // A member records a usage of one.
    let r = app
        .create_usage(&editor, json!({"amount": 1, "usage_type_id": ids[0]}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // To anyone else, neither the dataset nor its types exist.
    let stranger = TestUser::member(OrgId::new(), OrgRole::Owner);
    for reader in [&stranger, &TestUser::new()] {
        assert_problem(
            app.get(&format!("/datasets/{id}"), reader)
                .send()
                .await
                .unwrap(),
            404,
        )
        .await;
        assert_problem(
            app.get(&format!("/types/{}", ids[0]), reader)
                .send()
                .await
                .unwrap(),
            404,
        )
        .await;
        let listed: Value = app.get("/datasets", reader).json_body().await;
        assert!(
            !listed
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["id"] == id.as_str())
        );
        let refused = app
            .create_usage(reader, json!({"amount": 1, "usage_type_id": ids[0]}))
            .await;
        assert_problem(refused, 422).await;
    }
    // Another organization may name its dataset the same.
    let other_admin = TestUser::member(OrgId::new(), OrgRole::Admin);
    assert_eq!(
        upload(&app, &other_admin, ACME, ACME_CSV).await.status(),
        StatusCode::CREATED
    );
    // Only its own organization retires it.
    let retire = format!("/datasets/{id}/retire");
    assert_problem(app.post(&retire, &other_admin).send().await.unwrap(), 404).await;
    let retired = app.post(&retire, &admin).send().await.unwrap();
    assert_eq!(retired.status(), StatusCode::OK);
}

#[tokio::test]
async fn erasing_an_organizations_data_removes_its_own_datasets() {
    use common::ids::OrgId;
    use common::org::OrgRole;
    let app = spawn_app().await;
    let owner = TestUser::member(OrgId::new(), OrgRole::Owner);
    let stored: Value = upload(&app, &owner, ACME, ACME_CSV)
        .await
        .json()
        .await
        .unwrap();
    let id = stored["dataset"]["id"].as_str().unwrap().to_owned();
    let erased = app
        .delete("/org?confirm=true", &owner)
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get(&format!("/datasets/{id}"), &owner)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let types: Value = app
        .get(&format!("/types?dataset={id}"), &owner)
        .json_body()
        .await;
    assert_eq!(types, json!([]));
}
