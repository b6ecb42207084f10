//! Invitations: mailed, single use, expiring, revocable, only for the
//! verified invited address, and never above the inviter's own role.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;
use crate::org_helpers::*;

/// An owner's shared organization and a verified, signed-up invitee:
/// `(org_id, owner's org token, invitee's email, invitee's token)`.
async fn owner_and_invitee(app: &TestApp) -> (String, String, String, String) {
    let owner_email = unique_email();
    let (personal, _, _) = app.signed_up(&owner_email).await;
    let org = app.create_org(&personal, "Acme").await;
    let owner: Value = app
        .login_into(&owner_email, &org)
        .await
        .json()
        .await
        .unwrap();
    let invitee = unique_email();
    let (invitee_token, _, _) = app.signed_up(&invitee).await;
    app.mark_verified(&invitee).await;
    (org, tokens_of(&owner).0, invitee, invitee_token)
}

#[tokio::test]
async fn an_invitation_is_mailed_and_accepting_it_makes_a_member_of_that_role() {
    let app = spawn_app().await;
    let (org, owner, invitee, invitee_token) = owner_and_invitee(&app).await;
    let invited = app.invite(&org, &owner, &invitee, "editor").await;
    assert_eq!(invited.status(), StatusCode::CREATED);
    let body: Value = invited.json().await.unwrap();
    assert_eq!(body["role"], "editor");
    assert!(body.get("token").is_none(), "the token is only in the mail");
    let token = app.invitation_token(&invitee).await;
    let accepted = app.accept(&invitee_token, &token).await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let joined: Value = accepted.json().await.unwrap();
    assert_eq!(joined["id"], org.as_str());
    assert_eq!(joined["role"], "editor");
    let login: Value = app.login_into(&invitee, &org).await.json().await.unwrap();
    let claims = claims(&tokens_of(&login).0);
    assert_eq!(claims.org_role, Some(common::org::OrgRole::Editor));
}

#[tokio::test]
async fn an_invitation_works_once() {
    let app = spawn_app().await;
    let (org, owner, invitee, invitee_token) = owner_and_invitee(&app).await;
    app.invite(&org, &owner, &invitee, "viewer").await;
    let token = app.invitation_token(&invitee).await;
    assert_eq!(
        app.accept(&invitee_token, &token).await.status(),
        StatusCode::OK
    );
    let again = app.accept(&invitee_token, &token).await;
    let problem = assert_problem(again, 422).await;
    assert_eq!(error_fields(&problem), ["token"]);
}

#[tokio::test]
async fn an_expired_invitation_is_refused() {
    let app = spawn_app().await;
    let (org, owner, invitee, invitee_token) = owner_and_invitee(&app).await;
    app.invite(&org, &owner, &invitee, "viewer").await;
    let token = app.invitation_token(&invitee).await;
    app.database
        .collection::<bson::Document>("invitations")
        .update_many(
            bson::doc! {},
            bson::doc! { "$set": { "expires_at": bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() - 1_000) } },
        )
        .await
        .unwrap();
    let response = app.accept(&invitee_token, &token).await;
    assert_problem(response, 422).await;
}

#[tokio::test]
async fn a_revoked_invitation_is_refused() {
    let app = spawn_app().await;
    let (org, owner, invitee, invitee_token) = owner_and_invitee(&app).await;
    let invited: Value = app
        .invite(&org, &owner, &invitee, "viewer")
        .await
        .json()
        .await
        .unwrap();
    let token = app.invitation_token(&invitee).await;
    let revoked = app
        .delete(
            &format!(
                "/orgs/{org}/invitations/{}",
                invited["id"].as_str().unwrap()
            ),
            &owner,
        )
        .sent()
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let response = app.accept(&invitee_token, &token).await;
    assert_problem(response, 422).await;
    let pending: Value = app
        .get(&format!("/orgs/{org}/invitations"), &owner)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pending.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn an_invitation_for_another_address_is_refused() {
    let app = spawn_app().await;
    let (org, owner, invitee, _) = owner_and_invitee(&app).await;
    app.invite(&org, &owner, &invitee, "viewer").await;
    let token = app.invitation_token(&invitee).await;
    let someone_else = unique_email();
    let (other, _, _) = app.signed_up(&someone_else).await;
    app.mark_verified(&someone_else).await;
    let response = app.accept(&other, &token).await;
    assert_problem(response, 403).await;
}

#[tokio::test]
async fn an_unverified_address_cannot_accept_until_verified() {
    let app = spawn_app().await;
    let (org, owner, _, _) = owner_and_invitee(&app).await;
    let unverified = unique_email();
    let (token_of_unverified, _, _) = app.signed_up(&unverified).await;
    app.invite(&org, &owner, &unverified, "viewer").await;
    let token = app.invitation_token(&unverified).await;
    let refused = app.accept(&token_of_unverified, &token).await;
    assert_problem(refused, 403).await;
    app.mark_verified(&unverified).await;
    assert_eq!(
        app.accept(&token_of_unverified, &token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn nobody_invites_above_their_own_role() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    for role in ["admin", "owner"] {
        let response = app
            .invite(&org.id, &org.admin.access, &unique_email(), role)
            .await;
        assert_problem(response, 403).await;
    }
    for member in [&org.editor, &org.viewer, &org.auditor] {
        let response = app
            .invite(&org.id, &member.access, &unique_email(), "viewer")
            .await;
        assert_problem(response, 403).await;
    }
    let fine = app
        .invite(&org.id, &org.admin.access, &unique_email(), "auditor")
        .await;
    assert_eq!(fine.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn an_acceptance_is_refused_when_the_inviter_can_no_longer_grant_the_role() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let invitee = unique_email();
    let (invitee_token, _, _) = app.signed_up(&invitee).await;
    app.mark_verified(&invitee).await;
    let invited = app
        .invite(&org.id, &org.admin.access, &invitee, "editor")
        .await;
    assert_eq!(invited.status(), StatusCode::CREATED);
    let token = app.invitation_token(&invitee).await;
    // The admin is demoted to viewer before the invitee accepts.
    let demoted = app
        .patch(
            &format!("/orgs/{}/members/{}", org.id, org.admin.id),
            &org.owner.access,
        )
        .json(&serde_json::json!({ "role": "viewer" }))
        .sent()
        .await;
    assert_eq!(demoted.status(), StatusCode::OK);
    let response = app.accept(&invitee_token, &token).await;
    assert_problem(response, 409).await;
}

#[tokio::test]
async fn a_personal_organization_takes_no_invitations() {
    let app = spawn_app().await;
    let (access, _, user) = app.signed_up(&unique_email()).await;
    let response = app
        .invite(
            user["id"].as_str().unwrap(),
            &access,
            &unique_email(),
            "viewer",
        )
        .await;
    assert_problem(response, 409).await;
}

#[tokio::test]
async fn a_member_is_not_invited_again() {
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let response = app
        .invite(&org.id, &org.owner.access, &org.viewer.email, "editor")
        .await;
    assert_problem(response, 409).await;
}
