//! Access tokens as user-service signs them, and forged ones.

use uuid::Uuid;

use crate::ids::{OrgId, UserId};
use crate::jwt::{AccessTokenIssuer, JwtSettings, TokenSubject};
use crate::org::OrgRole;

/// An access token for `user_id`, signed with `secret` as user-service would
/// right after a login.
pub fn mint_token(secret: &str, user_id: Uuid, superuser: bool) -> String {
    mint_token_authenticated_at(secret, user_id, superuser, chrono::Utc::now().timestamp())
}

/// [`mint_token`] for a login at `auth_time` (Unix seconds): a token that
/// refreshes kept alive since then.
pub fn mint_token_authenticated_at(
    secret: &str,
    user_id: Uuid,
    superuser: bool,
    auth_time: i64,
) -> String {
    mint(
        secret,
        &TokenSubject {
            user_id,
            email: format!("{user_id}@example.com"),
            superuser,
            session_generation: 0,
            auth_time,
            org: OrgId::personal(UserId::from(user_id)),
            org_role: OrgRole::Owner,
        },
    )
}

/// An access token for `user_id` acting in `org` as `role`, as user-service
/// issues it after a login into that organization.
pub fn mint_org_token(secret: &str, user_id: Uuid, org: OrgId, role: OrgRole) -> String {
    mint(
        secret,
        &TokenSubject {
            user_id,
            email: format!("{user_id}@example.com"),
            superuser: false,
            session_generation: 0,
            auth_time: chrono::Utc::now().timestamp(),
            org,
            org_role: role,
        },
    )
}

fn mint(secret: &str, subject: &TokenSubject) -> String {
    let settings = JwtSettings::with_secret(secret).expect("a test secret of 32+ bytes");
    let key = settings.signing.as_ref().expect("with_secret signs");
    AccessTokenIssuer::new(key, &settings)
        .issue(subject, chrono::Duration::minutes(15))
        .expect("the token signs")
        .token
}

/// A forged or hand-made JWT: `claims` signed with `alg` and `secret`, with
/// header `typ` (user-service uses `at+jwt`).
pub fn sign_jwt<C: serde::Serialize>(
    alg: jsonwebtoken::Algorithm,
    typ: Option<&str>,
    secret: &str,
    claims: &C,
) -> String {
    let header = jsonwebtoken::Header {
        typ: typ.map(str::to_owned),
        ..jsonwebtoken::Header::new(alg)
    };
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("the claims serialize")
}
