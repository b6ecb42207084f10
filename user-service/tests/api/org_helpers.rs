//! Organizations for tests: one with a member of every role, each logged
//! into it.

use common::jwt::{AccessTokenClaims, AccessTokenVerifier, JwtSettings};
use common::org::OrgRole;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use user_service::mailer::MailKind;

use crate::helpers::*;

/// A member, logged into the organization.
pub struct Member {
    pub email: String,
    pub id: String,
    pub access: String,
    pub refresh: String,
}

pub struct Org {
    pub id: String,
    pub owner: Member,
    pub admin: Member,
    pub editor: Member,
    pub viewer: Member,
    pub auditor: Member,
}

impl Org {
    pub fn member(&self, role: OrgRole) -> &Member {
        match role {
            OrgRole::Owner => &self.owner,
            OrgRole::Admin => &self.admin,
            OrgRole::Editor => &self.editor,
            OrgRole::Viewer => &self.viewer,
            OrgRole::Auditor => &self.auditor,
        }
    }
}

/// The verified claims of an access token.
pub fn claims(access: &str) -> AccessTokenClaims {
    AccessTokenVerifier::new(&JwtSettings::with_secret(SECRET).unwrap())
        .verify_access_token(access)
        .expect("a valid access token")
}

pub fn tokens_of(body: &Value) -> (String, String) {
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

impl TestApp {
    /// POST /auth/jwt/login with `org_id`.
    pub async fn login_into(&self, email: &str, org_id: &str) -> Response {
        self.client
            .post(self.url("/auth/jwt/login"))
            .form(&[
                ("username", email),
                ("password", PASSWORD),
                ("org_id", org_id),
            ])
            .sent()
            .await
    }

    /// POST /auth/jwt/refresh, switching to `org_id` when given.
    pub async fn refresh_into(&self, refresh: &str, org_id: Option<&str>) -> Response {
        let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh)];
        if let Some(org_id) = org_id {
            form.push(("org_id", org_id));
        }
        self.client
            .post(self.url("/auth/jwt/refresh"))
            .form(&form)
            .sent()
            .await
    }

    /// POST /orgs: the new organization's id.
    pub async fn create_org(&self, access: &str, name: &str) -> String {
        let response = self
            .client
            .post(self.url("/orgs"))
            .bearer_auth(access)
            .json(&json!({ "name": name }))
            .sent()
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let org: Value = response.json().await.unwrap();
        org["id"].as_str().unwrap().to_owned()
    }

    /// POST /orgs/{org_id}/invitations.
    pub async fn invite(&self, org_id: &str, access: &str, email: &str, role: &str) -> Response {
        self.client
            .post(self.url(&format!("/orgs/{org_id}/invitations")))
            .bearer_auth(access)
            .json(&json!({ "email": email, "role": role }))
            .sent()
            .await
    }

    /// The newest invitation token mailed to `email`.
    pub async fn invitation_token(&self, email: &str) -> String {
        self.mailed_token(email, MailKind::Invitation).await
    }

    /// POST /invitations/accept.
    pub async fn accept(&self, access: &str, token: &str) -> Response {
        self.client
            .post(self.url("/invitations/accept"))
            .bearer_auth(access)
            .json(&json!({ "token": token }))
            .sent()
            .await
    }

    /// A verified user invited to `org_id` as `role` by `inviter`, who
    /// accepted and logged into the organization.
    pub async fn joined(&self, org_id: &str, inviter: &str, role: &str) -> Member {
        let email = unique_email();
        let (personal, _, user) = self.signed_up(&email).await;
        self.mark_verified(&email).await;
        let invited = self.invite(org_id, inviter, &email, role).await;
        assert_eq!(invited.status(), StatusCode::CREATED, "inviting {role}");
        let token = self.invitation_token(&email).await;
        assert_eq!(
            self.accept(&personal, &token).await.status(),
            StatusCode::OK
        );
        let tokens: Value = self.login_into(&email, org_id).await.json().await.unwrap();
        let (access, refresh) = tokens_of(&tokens);
        Member {
            email,
            id: user["id"].as_str().unwrap().to_owned(),
            access,
            refresh,
        }
    }

    /// An organization with one member of every role, each logged into it.
    pub async fn org_with_every_role(&self) -> Org {
        let email = unique_email();
        let (personal, _, user) = self.signed_up(&email).await;
        let id = self.create_org(&personal, "Acme").await;
        let tokens: Value = self.login_into(&email, &id).await.json().await.unwrap();
        let (access, refresh) = tokens_of(&tokens);
        let owner = Member {
            email,
            id: user["id"].as_str().unwrap().to_owned(),
            access,
            refresh,
        };
        let admin = self.joined(&id, &owner.access, "admin").await;
        let editor = self.joined(&id, &owner.access, "editor").await;
        let viewer = self.joined(&id, &owner.access, "viewer").await;
        let auditor = self.joined(&id, &owner.access, "auditor").await;
        Org {
            id,
            owner,
            admin,
            editor,
            viewer,
            auditor,
        }
    }
}
