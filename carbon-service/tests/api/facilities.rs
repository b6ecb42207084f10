//! Facilities: an organization's sites, named by usages, totalled by the
//! summary, and never deleted while usages name them.

use common::ids::OrgId;
use common::org::OrgRole;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn facility(app: &TestApp, admin: &TestUser, name: &str) -> String {
    let created: Value = app
        .post("/facilities", admin)
        .json(&json!({"name": name, "country": "us", "region": "US-eGRID-CAMX"}))
        .json_body()
        .await;
    assert_eq!(created["country"], "US");
    created["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_facility_is_created_listed_replaced_and_deleted() {
    let app = spawn_app().await;
    let admin = TestUser::new();
    let id = facility(&app, &admin, "Fresno plant").await;
    let listed: Value = app.get("/facilities", &admin).json_body().await;
    assert_eq!(listed[0]["name"], "Fresno plant");
    assert_eq!(listed[0]["usage_count"], 0);
    let replaced: Value = app
        .put(&format!("/facilities/{id}"), &admin)
        .json(&json!({"name": "Fresno works", "country": "US", "default_usage_type_id": 100}))
        .json_body()
        .await;
    assert_eq!(replaced["name"], "Fresno works");
    assert_eq!(
        replaced["region"],
        Value::Null,
        "a field left out is removed"
    );
    assert_eq!(replaced["default_usage_type_id"], 100);
    let deleted = app
        .delete(&format!("/facilities/{id}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let listed: Value = app.get("/facilities", &admin).json_body().await;
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn names_are_unique_in_an_organization_and_fields_are_checked() {
    let app = spawn_app().await;
    let admin = TestUser::new();
    facility(&app, &admin, "Plant").await;
    let again = app
        .post("/facilities", &admin)
        .json(&json!({"name": "Plant", "country": "US"}))
        .send()
        .await
        .unwrap();
    assert_problem(again, 409).await;
    let bad = app
        .post("/facilities", &admin)
        .json(&json!({"name": " ", "country": "USA", "default_usage_type_id": 999999}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(bad, 422).await;
    assert_eq!(error_fields(&problem), ["name", "country"]);
    // Another organization may use the name.
    let other = TestUser::new();
    facility(&app, &other, "Plant").await;
}

#[tokio::test]
async fn a_usage_names_a_facility_and_the_list_filters_by_it() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let plant = facility(&app, &user, "Plant").await;
    let office = facility(&app, &user, "Office").await;
    let at_plant = app
        .created_usage_from(
            &user,
            json!({"amount": 2, "usage_type_id": 100, "usage_at": "2026-03-01T00:00:00Z", "facility_id": plant}),
        )
        .await;
    assert_eq!(at_plant["facility_id"], plant.as_str());
    app.created_usage(&user, 3.0, 100, "2026-03-02T00:00:00Z")
        .await;
    let listed = app.usages_of(&user, &format!("?facility_id={plant}")).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], at_plant["id"]);
    // Moved to the office, then to no facility.
    let moved: Value = app
        .put(
            &format!("/usages/{}", at_plant["id"].as_str().unwrap()),
            &user,
        )
        .json(&json!({"facility_id": office}))
        .json_body()
        .await;
    assert_eq!(moved["facility_id"], office.as_str());
    let counts: Value = app.get("/facilities", &user).json_body().await;
    let count_of = |name: &str| {
        counts
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()["usage_count"]
            .clone()
    };
    assert_eq!(
        (count_of("Plant"), count_of("Office")),
        (json!(0), json!(1))
    );
    let cleared: Value = app
        .put(
            &format!("/usages/{}", at_plant["id"].as_str().unwrap()),
            &user,
        )
        .json(&json!({"facility_id": ""}))
        .json_body()
        .await;
    assert!(cleared.get("facility_id").is_none());
}

#[tokio::test]
async fn a_facility_with_usages_cannot_be_deleted() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let plant = facility(&app, &user, "Plant").await;
    let usage = app
        .created_usage_from(
            &user,
            json!({"amount": 2, "usage_type_id": 100, "facility_id": plant}),
        )
        .await;
    let refused = app
        .delete(&format!("/facilities/{plant}"), &user)
        .send()
        .await
        .unwrap();
    assert_problem(refused, 409).await;
    app.delete(&format!("/usages/{}", usage["id"].as_str().unwrap()), &user)
        .send()
        .await
        .unwrap();
    let deleted = app
        .delete(&format!("/facilities/{plant}"), &user)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_usage_cannot_name_another_organizations_facility() {
    let app = spawn_app().await;
    let theirs = facility(&app, &TestUser::new(), "Their plant").await;
    let user = TestUser::new();
    let refused = app
        .create_usage(
            &user,
            json!({"amount": 2, "usage_type_id": 100, "facility_id": theirs}),
        )
        .await;
    let problem = assert_problem(refused, 422).await;
    assert_eq!(error_fields(&problem), ["facility_id"]);
    let csv =
        format!("usage_at,usage_type_id,amount,facility_id\n2026-01-01T00:00:00Z,100,1,{theirs}\n");
    let import = app.import_csv(&user, csv).await;
    let problem = assert_problem(import, 422).await;
    assert_eq!(error_fields(&problem), ["facility_id"]);
}

#[tokio::test]
async fn another_organizations_facility_is_404_and_listed_nowhere() {
    let app = spawn_app().await;
    let admin = TestUser::member(OrgId::new(), OrgRole::Admin);
    let plant = facility(&app, &admin, "Plant").await;
    let stranger = TestUser::member(OrgId::new(), OrgRole::Owner);
    for response in [
        app.get(&format!("/facilities/{plant}"), &stranger)
            .send()
            .await
            .unwrap(),
        app.put(&format!("/facilities/{plant}"), &stranger)
            .json(&json!({"name": "Mine now", "country": "US"}))
            .send()
            .await
            .unwrap(),
        app.delete(&format!("/facilities/{plant}"), &stranger)
            .send()
            .await
            .unwrap(),
    ] {
        assert_problem(response, 404).await;
    }
    let listed: Value = app.get("/facilities", &stranger).json_body().await;
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn the_summary_totals_each_facility_and_the_usages_of_none_last() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let plant = facility(&app, &user, "Plant").await;
    for (amount, facility_id) in [(2.0, Some(&plant)), (3.0, Some(&plant)), (5.0, None)] {
        let mut body =
            json!({"amount": amount, "usage_type_id": 100, "usage_at": "2026-03-01T10:00:00Z"});
        if let Some(id) = facility_id {
            body["facility_id"] = json!(id);
        }
        app.created_usage_from(&user, body).await;
    }
    // A window with partial edge days: rollups and usages both count.
    let summary = app
        .summary_of(&user, "?from=2026-01-15T12:00:00Z&to=2026-12-01T00:00:00Z")
        .await;
    let sites = summary["by_facility"].as_array().unwrap();
    assert_eq!(sites.len(), 2, "{sites:?}");
    assert_eq!(sites[0]["facility_id"], plant.as_str());
    assert_eq!(sites[0]["name"], "Plant");
    assert_eq!(sites[0]["usage_count"], 2);
    assert_eq!(sites[1]["facility_id"], Value::Null);
    assert_eq!(sites[1]["usage_count"], 1);
    let sum: f64 = sites.iter().map(|s| s["co2e"].as_f64().unwrap()).sum();
    assert!((sum - summary["total_co2e"].as_f64().unwrap()).abs() < 1e-6);
}

#[tokio::test]
async fn the_export_carries_the_facility_and_an_import_reads_it_back() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let plant = facility(&app, &user, "Plant").await;
    app.created_usage_from(
        &user,
        json!({"amount": 2, "usage_type_id": 100, "usage_at": "2026-03-01T00:00:00Z", "facility_id": plant}),
    )
    .await;
    let export = app.export(&user, "", None).await.text().await.unwrap();
    assert!(
        export
            .lines()
            .nth(1)
            .unwrap()
            .ends_with(&format!(",{plant},,")),
        "{export}"
    );
    let import = app.import_csv(&user, &export).await;
    assert_eq!(import.status(), StatusCode::CREATED);
    let listed = app.usages_of(&user, &format!("?facility_id={plant}")).await;
    assert_eq!(listed.len(), 2);
}

#[tokio::test]
async fn erasing_the_organizations_data_removes_its_facilities() {
    let app = spawn_app().await;
    let owner = TestUser::member(OrgId::new(), OrgRole::Owner);
    let plant = facility(&app, &owner, "Plant").await;
    app.created_usage_from(
        &owner,
        json!({"amount": 2, "usage_type_id": 100, "facility_id": plant}),
    )
    .await;
    let erased = app
        .delete("/org?confirm=true", &owner)
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), StatusCode::NO_CONTENT);
    let listed: Value = app.get("/facilities", &owner).json_body().await;
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn a_deletion_racing_a_write_that_names_the_facility_is_refused() {
    use carbon_service::domain::facility::FacilityId;
    use carbon_service::storage::facilities;
    let app = spawn_app().await;
    let owner = TestUser::member(OrgId::new(), OrgRole::Owner);
    let plant = facility(&app, &owner, "Plant").await;
    let org = common::jwt::AccessTokenVerifier::new(
        &common::jwt::JwtSettings::with_secret(SECRET).unwrap(),
    )
    .verify_access_token(&owner.token)
    .unwrap()
    .organization()
    .0;
    // A write naming the facility is in flight: it has counted itself in
    // and not committed yet...
    let mut writing = app.database.client().start_session().await.unwrap();
    writing.start_transaction().await.unwrap();
    let id = FacilityId::parse("id", &plant).unwrap();
    assert!(
        facilities::count_usages(&app.database, &mut writing, org, &[(id, 1)])
            .await
            .unwrap()
    );
    // ...when an admin deletes the facility.
    let delete = app.delete(&format!("/facilities/{plant}"), &owner).send();
    let commit = async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        writing.commit_transaction().await.unwrap();
    };
    let (refused, ()) = futures_util::future::join(delete, commit).await;
    // The race happened: the deletion conflicted with the open write.
    let retries = app.metrics.render();
    assert!(
        retries
            .lines()
            .any(|l| l.starts_with("db_transaction_retries_total{route=\"/facilities/{id}\"}")),
        "the two did not overlap:\n{retries}"
    );
    assert_problem(refused.unwrap(), 409).await;
}
