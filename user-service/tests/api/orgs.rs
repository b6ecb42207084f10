//! Organizations: the personal one, shared ones, members and their roles,
//! and organization-scoped tokens.

use common::org::OrgRole;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::org_helpers::*;

#[tokio::test]
async fn registration_creates_the_personal_organization_with_the_users_id() {
    let app = spawn_app().await;
    let (access, _, user) = app.signed_up(&unique_email()).await;
    let orgs: Value = app.get("/orgs", &access).sent().await.json().await.unwrap();
    assert_eq!(orgs.as_array().unwrap().len(), 1);
    assert_eq!(orgs[0]["id"], user["id"]);
    assert_eq!(orgs[0]["personal"], true);
    assert_eq!(orgs[0]["role"], "owner");
    let claims = claims(&access);
    assert_eq!(
        claims.org.unwrap().to_string(),
        user["id"].as_str().unwrap()
    );
    assert_eq!(claims.org_role, Some(OrgRole::Owner));
}

#[tokio::test]
async fn the_creator_of_an_organization_is_its_owner_and_lists_it_after_the_personal_one() {
    let app = spawn_app().await;
    let (access, _, _) = app.signed_up(&unique_email()).await;
    let created = app
        .client
        .post(app.url("/orgs"))
        .bearer_auth(&access)
        .json(&json!({ "name": "  Acme Manufacturing " }))
        .sent()
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let org: Value = created.json().await.unwrap();
    assert_eq!(org["name"], "Acme Manufacturing");
    assert_eq!(org["role"], "owner");
    assert_eq!(org["members"], 1);
    let orgs: Value = app.get("/orgs", &access).sent().await.json().await.unwrap();
    assert_eq!(orgs[0]["personal"], true);
    assert_eq!(orgs[1]["id"], org["id"]);
}

#[tokio::test]
async fn an_empty_name_is_refused() {
    let app = spawn_app().await;
    let (access, _, _) = app.signed_up(&unique_email()).await;
    let response = app
        .client
        .post(app.url("/orgs"))
        .bearer_auth(&access)
        .json(&json!({ "name": "  " }))
        .sent()
        .await;
    assert_problem(response, 422).await;
}

#[tokio::test]
async fn an_outsider_sees_no_organization_of_others() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let (outsider, _, _) = app.signed_up(&unique_email()).await;
    for path in [
        format!("/orgs/{}", org.id),
        format!("/orgs/{}/members", org.id),
        format!("/orgs/{}/invitations", org.id),
    ] {
        let response = app.get(&path, &outsider).sent().await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        app.login_into(&org.owner.email, &uuid::Uuid::new_v4().to_string())
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_login_into_an_organization_carries_its_id_and_the_members_role() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    for role in OrgRole::ALL {
        let member = org.member(role);
        let claims = claims(&member.access);
        assert_eq!(claims.org.unwrap().to_string(), org.id);
        assert_eq!(claims.org_role, Some(role));
        let lifetime = claims.exp - claims.iat;
        if role.is_privileged() {
            assert_eq!(lifetime, 300, "{role}");
        } else {
            assert_eq!(lifetime, 900, "{role}");
        }
    }
}

#[tokio::test]
async fn a_login_into_an_organization_one_is_not_a_member_of_is_403() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let email = unique_email();
    app.signed_up(&email).await;
    let response = app.login_into(&email, &org.id).await;
    assert_problem(response, 403).await;
}

#[tokio::test]
async fn a_refresh_switches_organizations_and_the_next_one_stays_there() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let personal = org.editor.id.clone();
    let switched: Value = app
        .refresh_into(&org.editor.refresh, Some(&personal))
        .await
        .json()
        .await
        .unwrap();
    let (access, refresh) = tokens_of(&switched);
    assert_eq!(claims(&access).org.unwrap().to_string(), personal);
    assert_eq!(claims(&access).org_role, Some(OrgRole::Owner));
    let again: Value = app.refresh_into(&refresh, None).await.json().await.unwrap();
    assert_eq!(
        claims(again["access_token"].as_str().unwrap())
            .org
            .unwrap()
            .to_string(),
        personal
    );
}

#[tokio::test]
async fn a_removed_member_cannot_refresh_into_the_organization_but_still_into_their_own() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let removed = app
        .delete(
            &format!("/orgs/{}/members/{}", org.id, org.editor.id),
            &org.admin.access,
        )
        .sent()
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let refused = app.refresh_into(&org.editor.refresh, None).await;
    assert_problem(refused, 403).await;
    // The refusal did not use the token up.
    let own = app
        .refresh_into(&org.editor.refresh, Some(&org.editor.id))
        .await;
    assert_eq!(own.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_demotion_applies_at_the_next_refresh() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let demoted = app
        .patch(
            &format!("/orgs/{}/members/{}", org.id, org.editor.id),
            &org.owner.access,
        )
        .json(&json!({ "role": "viewer" }))
        .sent()
        .await;
    assert_eq!(demoted.status(), StatusCode::OK);
    assert_eq!(claims(&org.editor.access).org_role, Some(OrgRole::Editor));
    let refreshed: Value = app
        .refresh_into(&org.editor.refresh, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        claims(refreshed["access_token"].as_str().unwrap()).org_role,
        Some(OrgRole::Viewer)
    );
}

#[tokio::test]
async fn an_admin_cannot_promote_to_admin_or_touch_an_owner() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let promote = app
        .patch(
            &format!("/orgs/{}/members/{}", org.id, org.viewer.id),
            &org.admin.access,
        )
        .json(&json!({ "role": "admin" }))
        .sent()
        .await;
    assert_problem(promote, 403).await;
    let remove_owner = app
        .delete(
            &format!("/orgs/{}/members/{}", org.id, org.owner.id),
            &org.admin.access,
        )
        .sent()
        .await;
    assert_problem(remove_owner, 403).await;
    let fine = app
        .patch(
            &format!("/orgs/{}/members/{}", org.id, org.viewer.id),
            &org.admin.access,
        )
        .json(&json!({ "role": "auditor" }))
        .sent()
        .await;
    assert_eq!(fine.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_last_owner_cannot_leave_be_removed_or_be_demoted() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let path = format!("/orgs/{}/members/{}", org.id, org.owner.id);
    let leave = app.delete(&path, &org.owner.access).sent().await;
    assert_problem(leave, 409).await;
    let demote = app
        .patch(&path, &org.owner.access)
        .json(&json!({ "role": "admin" }))
        .sent()
        .await;
    assert_problem(demote, 409).await;
    // With a second owner, the first may go.
    let promote = app
        .patch(
            &format!("/orgs/{}/members/{}", org.id, org.admin.id),
            &org.owner.access,
        )
        .json(&json!({ "role": "owner" }))
        .sent()
        .await;
    assert_eq!(promote.status(), StatusCode::OK);
    assert_eq!(
        app.delete(&path, &org.owner.access).sent().await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn two_owners_leaving_at_once_leave_one_owner() {
    use common::ids::{OrgId, UserId};
    use user_service::storage::{memberships, organizations};
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let promote = app
        .patch(
            &format!("/orgs/{}/members/{}", org.id, org.admin.id),
            &org.owner.access,
        )
        .json(&json!({ "role": "owner" }))
        .sent()
        .await;
    assert_eq!(promote.status(), StatusCode::OK);
    let org_id = OrgId::parse("org", &org.id).unwrap();
    // The first owner's leaving is in flight: written, not committed...
    let mut leaving = app.database.client().start_session().await.unwrap();
    leaving.start_transaction().await.unwrap();
    assert!(
        organizations::count_change(&app.database, &mut leaving, org_id, -1, -1, 1_000)
            .await
            .unwrap()
    );
    memberships::delete(
        &app.database,
        &mut leaving,
        org_id,
        UserId::parse("user", &org.owner.id).unwrap(),
    )
    .await
    .unwrap();
    // ...when the second owner leaves too.
    let second = app.signed_in_token(&org.admin.email).await;
    let leave = app
        .delete(
            &format!("/orgs/{}/members/{}", org.id, org.admin.id),
            &second,
        )
        .send();
    let commit = async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        leaving.commit_transaction().await.unwrap();
    };
    let (refused, ()) = futures_util::future::join(leave, commit).await;
    // The race happened: the second leaving conflicted with the open one.
    let retries = app.metrics.render();
    assert!(
        retries.lines().any(|l| l.starts_with(
            "db_transaction_retries_total{route=\"/orgs/{org_id}/members/{user_id}\"}"
        )),
        "the two did not overlap:\n{retries}"
    );
    assert_problem(refused.unwrap(), 409).await;
    let members: Value = app
        .get(&format!("/orgs/{}/members", org.id), &org.viewer.access)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    let owners: Vec<&Value> = members
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "owner")
        .collect();
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0]["user_id"], org.admin.id.as_str());
}

#[tokio::test]
async fn any_member_may_leave() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let leave = app
        .delete(
            &format!("/orgs/{}/members/{}", org.id, org.viewer.id),
            &org.viewer.access,
        )
        .sent()
        .await;
    assert_eq!(leave.status(), StatusCode::NO_CONTENT);
    let orgs: Value = app
        .get("/orgs", &org.viewer.access)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(orgs.as_array().unwrap().len(), 1, "only the personal one");
}

#[tokio::test]
async fn only_the_owner_deletes_an_organization_and_a_personal_one_goes_with_its_account() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let path = format!("/orgs/{}", org.id);
    let by_admin = app.delete(&path, &org.admin.access).sent().await;
    assert_problem(by_admin, 403).await;
    let personal = app
        .delete(&format!("/orgs/{}", org.owner.id), &org.owner.access)
        .sent()
        .await;
    assert_problem(personal, 409).await;
    let deleted = app.delete(&path, &org.owner.access).sent().await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&path, &org.viewer.access).sent().await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn deleting_an_organization_needs_a_login_within_five_minutes() {
    let app = spawn_app().await;
    let email = unique_email();
    let (personal, _, user) = app.signed_up(&email).await;
    let org = app.create_org(&personal, "Acme").await;
    let old_login = common::testing::mint_token_authenticated_at(
        SECRET,
        user["id"].as_str().unwrap().parse().unwrap(),
        false,
        chrono::Utc::now().timestamp() - 600,
    );
    let response = app.delete(&format!("/orgs/{org}"), &old_login).sent().await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_last_owner_of_a_shared_organization_cannot_delete_the_account() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let response = app
        .delete("/users/me", &org.owner.access)
        .json(&json!({ "current_password": PASSWORD }))
        .sent()
        .await;
    assert_problem(response, 409).await;
    // A member who is not an owner can: they leave on the way out.
    let editor = app
        .delete("/users/me", &org.editor.access)
        .json(&json!({ "current_password": PASSWORD }))
        .sent()
        .await;
    assert_eq!(editor.status(), StatusCode::NO_CONTENT);
    let org_now: Value = app
        .get(&format!("/orgs/{}", org.id), &org.viewer.access)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(org_now["members"], 4);
}

#[tokio::test]
async fn the_members_list_shows_every_member_with_role_to_any_member() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let members: Value = app
        .get(&format!("/orgs/{}/members", org.id), &org.auditor.access)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    let mut roles: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    roles.sort();
    assert_eq!(roles, ["admin", "auditor", "editor", "owner", "viewer"]);
    assert!(
        members
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["email"] == org.viewer.email.as_str())
    );
}

#[tokio::test]
async fn every_route_under_an_organization_names_an_org_id_that_is_not_a_uuid() {
    let app = spawn_app().await;
    let (access, _, _) = app.signed_up(&unique_email()).await;
    let someone = uuid::Uuid::new_v4().to_string();
    let scoped: Vec<_> = user_service::routes::table()
        .operations()
        .into_iter()
        .filter(|(template, _)| template.starts_with("/orgs/{org_id}"))
        .collect();
    assert!(scoped.len() >= 10, "the organization's routes: {scoped:?}");
    for (template, method) in scoped {
        let path = template
            .replace("{org_id}", "not-a-uuid")
            .replace("{user_id}", &someone)
            .replace("{id}", &someone);
        let verb = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = app.client.request(verb.clone(), app.url(&path));
        request = request.bearer_auth(&access);
        if verb != reqwest::Method::GET {
            request = request.json(&json!({}));
        }
        let problem = assert_problem(request.send().await.unwrap(), 422).await;
        assert_eq!(
            error_fields(&problem),
            ["org_id"],
            "{method} {path}: {problem}"
        );
    }
}
