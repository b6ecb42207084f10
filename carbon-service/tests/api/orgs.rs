//! Organizations: every usage and instrument belongs to the token's
//! organization; another organization's tokens find nothing of it, in no
//! route, list, export or summary.

use common::ids::OrgId;
use common::org::OrgRole;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// An organization with an editor's usage and an admin's instrument, and
/// the owner of another organization.
struct TwoOrgs {
    org: OrgId,
    editor: TestUser,
    viewer: TestUser,
    stranger: TestUser,
    usage: String,
    instrument: String,
}

async fn two_orgs(app: &TestApp) -> TwoOrgs {
    let org = OrgId::new();
    let editor = TestUser::member(org, OrgRole::Editor);
    let admin = TestUser::member(org, OrgRole::Admin);
    let usage = app
        .created_usage(&editor, 4.0, 100, "2026-03-01T00:00:00Z")
        .await;
    let instrument: Value = app
        .post("/instruments", &admin)
        .json(&json!({"kind": "certificate", "scheme": "REC", "region": "US",
            "from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z", "amount": 600, "unit": "kWh"}))
        .json_body()
        .await;
    TwoOrgs {
        org,
        editor,
        viewer: TestUser::member(org, OrgRole::Viewer),
        stranger: TestUser::member(OrgId::new(), OrgRole::Owner),
        usage: usage["id"].as_str().unwrap().to_owned(),
        instrument: instrument["id"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test]
async fn members_of_one_organization_share_its_inventory() {
    let app = spawn_app().await;
    let orgs = two_orgs(&app).await;
    let listed: Value = app.get("/usages", &orgs.viewer).json_body().await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], orgs.usage.as_str());
    assert_eq!(listed[0]["created_by"], orgs.editor.id.to_string());
    let summary = app.summary_of(&orgs.viewer, "").await;
    assert!(summary["total_co2e"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn a_change_records_who_made_it() {
    let app = spawn_app().await;
    let orgs = two_orgs(&app).await;
    let other_editor = TestUser::member(orgs.org, OrgRole::Editor);
    let changed: Value = app
        .put(&format!("/usages/{}", orgs.usage), &other_editor)
        .json(&json!({"amount": 5}))
        .json_body()
        .await;
    assert_eq!(changed["created_by"], orgs.editor.id.to_string());
    assert_eq!(changed["updated_by"], other_editor.id.to_string());
}

#[tokio::test]
async fn another_organizations_usage_and_instrument_are_404_to_every_route() {
    let app = spawn_app().await;
    let orgs = two_orgs(&app).await;
    let usage = format!("/usages/{}", orgs.usage);
    let instrument = format!("/instruments/{}", orgs.instrument);
    for response in [
        app.get(&usage, &orgs.stranger).send().await.unwrap(),
        app.put(&usage, &orgs.stranger)
            .json(&json!({"amount": 1}))
            .send()
            .await
            .unwrap(),
        app.delete(&usage, &orgs.stranger).send().await.unwrap(),
        app.get(&instrument, &orgs.stranger).send().await.unwrap(),
        app.delete(&instrument, &orgs.stranger)
            .send()
            .await
            .unwrap(),
    ] {
        assert_problem(response, 404).await;
    }
    // Still there for the organization.
    assert_eq!(
        app.get(&usage, &orgs.viewer).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn nothing_of_another_organization_leaks_through_lists_exports_or_summaries() {
    let app = spawn_app().await;
    let orgs = two_orgs(&app).await;
    let usages: Value = app.get("/usages", &orgs.stranger).json_body().await;
    assert_eq!(usages, json!([]));
    let instruments: Value = app.get("/instruments", &orgs.stranger).json_body().await;
    assert_eq!(instruments, json!([]));
    let export = app
        .get("/usages/export", &orgs.stranger)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(export.lines().count(), 1, "the header only: {export}");
    let summary = app.summary_of(&orgs.stranger, "").await;
    assert_eq!(summary["total_co2e"], 0.0);
    // Nor to the editor's own personal organization.
    let personal = TestUser {
        id: orgs.editor.id,
        token: mint_token(SECRET, orgs.editor.id, false),
    };
    let mine: Value = app.get("/usages", &personal).json_body().await;
    assert_eq!(mine, json!([]));
}

#[tokio::test]
async fn one_key_of_two_members_makes_two_usages() {
    let app = spawn_app().await;
    let org = OrgId::new();
    let (a, b) = (
        TestUser::member(org, OrgRole::Editor),
        TestUser::member(org, OrgRole::Editor),
    );
    let body = json!({"amount": 2, "usage_type_id": 100});
    let first: Value = app
        .create_usage_with_key(&a, "same-key", body.clone())
        .await
        .json()
        .await
        .unwrap();
    let second: Value = app
        .create_usage_with_key(&b, "same-key", body)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(first["id"], second["id"]);
    let listed: Value = app.get("/usages", &a).json_body().await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_owner_erases_the_organizations_data_and_no_other_organizations() {
    let app = spawn_app().await;
    let orgs = two_orgs(&app).await;
    let theirs = app
        .created_usage(&orgs.stranger, 1.0, 100, "2026-03-01T00:00:00Z")
        .await;
    let owner = TestUser::member(orgs.org, OrgRole::Owner);
    let refused = app
        .delete("/org?confirm=true", &orgs.editor)
        .send()
        .await
        .unwrap();
    assert_problem(refused, 403).await;
    let erased = app
        .delete("/org?confirm=true", &owner)
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), StatusCode::NO_CONTENT);
    let left: Value = app.get("/usages", &orgs.viewer).json_body().await;
    assert_eq!(left, json!([]));
    let instruments: Value = app.get("/instruments", &orgs.viewer).json_body().await;
    assert_eq!(instruments, json!([]));
    let kept = app
        .get(
            &format!("/usages/{}", theirs["id"].as_str().unwrap()),
            &orgs.stranger,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_token_with_an_organization_and_no_role_is_refused() {
    let app = spawn_app().await;
    let id = uuid::Uuid::new_v4();
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "sub": id, "email": "a@example.com", "superuser": false,
        "aud": common::jwt::DEFAULT_AUDIENCE, "iss": common::jwt::DEFAULT_ISSUER,
        "iat": now, "exp": now + 300, "jti": uuid::Uuid::new_v4(), "sgen": 0, "auth_time": now,
        "org": uuid::Uuid::new_v4(),
    });
    let token = common::testing::sign_jwt(
        jsonwebtoken::Algorithm::HS256,
        Some(common::jwt::ACCESS_TOKEN_TYPE),
        SECRET,
        &claims,
    );
    let response = app
        .client
        .get(app.url("/usages"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_problem(response, 401).await;
}
