//! An organization's own events (creation, renames, invitations,
//! memberships and roles) each append one entry to its audit trail, in
//! user-service's database, in the hash chain carbon-service's trail uses.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn trail(app: &TestApp, org: &str, access: &str) -> Vec<Value> {
    let response = app
        .client
        .get(app.url(&format!("/orgs/{org}/audit/export")))
        .bearer_auth(access)
        .sent()
        .await;
    common::testing::audit_lines(response).await
}

#[tokio::test]
async fn each_membership_event_appends_one_entry_and_the_chain_verifies() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let owner = &org.owner;
    app.client
        .patch(app.url(&format!("/orgs/{}", org.id)))
        .bearer_auth(&owner.access)
        .json(&json!({"name": "Acme Renamed"}))
        .sent()
        .await;
    app.client
        .patch(app.url(&format!("/orgs/{}/members/{}", org.id, org.viewer.id)))
        .bearer_auth(&owner.access)
        .json(&json!({"role": "editor"}))
        .sent()
        .await;
    app.client
        .delete(app.url(&format!("/orgs/{}/members/{}", org.id, org.editor.id)))
        .bearer_auth(&owner.access)
        .sent()
        .await;

    let entries = trail(&app, &org.id, &org.auditor.access).await;
    let all = common::testing::audit_actions(&entries);
    // Created, then four invitations each made and accepted, then the
    // rename, the role change and the removal.
    assert_eq!(all[..2], ["genesis organization", "create organization"]);
    assert_eq!(all.iter().filter(|e| *e == "create invitation").count(), 4);
    assert_eq!(all.iter().filter(|e| *e == "create membership").count(), 4);
    assert_eq!(
        all[all.len() - 3..],
        [
            "update organization",
            "update membership",
            "delete membership"
        ]
    );
    let role_change = &entries[entries.len() - 2];
    assert_eq!(role_change["header"]["entity_id"], org.viewer.id.as_str());
    assert_eq!(role_change["header"]["actor"]["user_id"], owner.id.as_str());
    assert_eq!(role_change["header"]["actor"]["role"], "owner");
    assert_eq!(role_change["payload"]["before"]["role"], "viewer");
    assert_eq!(role_change["payload"]["after"]["role"], "editor");
    let invitation = entries
        .iter()
        .find(|e| e["header"]["entity"] == "invitation")
        .unwrap();
    assert!(invitation["payload"]["after"].get("token").is_none());

    let verified: Value = app
        .client
        .get(app.url(&format!("/orgs/{}/audit/verify", org.id)))
        .bearer_auth(&org.auditor.access)
        .json_body()
        .await;
    assert_eq!(verified["valid"], true);
    assert_eq!(verified["entries"], entries.len());
}

#[tokio::test]
async fn a_refused_change_appends_nothing() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let before = trail(&app, &org.id, &org.owner.access).await.len();
    let demote_last_owner = app
        .client
        .patch(app.url(&format!("/orgs/{}/members/{}", org.id, org.owner.id)))
        .bearer_auth(&org.owner.access)
        .json(&json!({"role": "viewer"}))
        .sent()
        .await;
    assert_eq!(demote_last_owner.status(), StatusCode::CONFLICT);
    assert_eq!(trail(&app, &org.id, &org.owner.access).await.len(), before);
}

#[tokio::test]
async fn a_filtered_page_finds_one_members_events() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let page: Value = app
        .client
        .get(app.url(&format!(
            "/orgs/{}/audit?entity=membership&entity_id={}",
            org.id, org.auditor.id
        )))
        .bearer_auth(&org.admin.access)
        .json_body()
        .await;
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["payload"]["after"]["role"], "auditor");
}
