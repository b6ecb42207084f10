//! Logging in and refreshing: checking credentials or a refresh token, and
//! issuing an access token with a refresh token of the login's family.

use common::error::ApiError;
use common::jwt::TokenSubject;
use mongodb::Database;
use uuid::Uuid;

use super::AuthState;
use crate::domain::tokens::hash_token;
use crate::domain::user::{User, UserEmail};
use crate::storage::refresh_tokens::{self, Family, Rotation};
use crate::storage::users;

pub const LOGINS: &str = "logins_total";
pub const REFRESHES: &str = "token_refreshes_total";

/// A new access token and refresh token.
#[derive(Debug)]
pub struct Issued {
    pub access_token: String,
    pub expires_in: u64,
    pub refresh_token: String,
}

/// Why a login was refused. Clients see the same `invalid_grant` for each;
/// the distinction is for metrics and logs.
#[derive(Debug)]
pub enum LoginRefused {
    Invalid,
    Locked,
    Failed(ApiError),
}

impl From<ApiError> for LoginRefused {
    fn from(e: ApiError) -> Self {
        Self::Failed(e)
    }
}

/// Why a refresh was refused.
#[derive(Debug)]
pub enum RefreshRefused {
    /// Unknown, expired, revoked, or the account or its sessions ended.
    Invalid,
    /// A used token again: the family is revoked.
    ReuseDetected,
    Failed(ApiError),
}

impl From<ApiError> for RefreshRefused {
    fn from(e: ApiError) -> Self {
        Self::Failed(e)
    }
}

/// The password grant. Unknown emails and locked accounts still verify a
/// (dummy) hash, so the answer's timing tells nothing.
pub async fn login(
    db: &Database,
    state: &AuthState,
    username: &str,
    password: &str,
) -> Result<Issued, LoginRefused> {
    let Some(user) = users::find_by_email(db, &UserEmail::normalize(username)).await? else {
        state.hasher.verify_dummy(password).await?;
        return Err(LoginRefused::Invalid);
    };
    if user.is_locked() {
        state.hasher.verify_dummy(password).await?;
        return Err(LoginRefused::Locked);
    }
    if !state.hasher.verify(password, &user.hashed_password).await? {
        let locked_now = users::record_failed_login(db, &user.id).await?;
        return Err(if locked_now {
            LoginRefused::Locked
        } else {
            LoginRefused::Invalid
        });
    }
    if !user.is_active {
        return Err(LoginRefused::Invalid);
    }
    users::reset_failed_logins(db, &user).await?;
    let family = Family {
        id: Uuid::new_v4().to_string(),
        expires_at: bson::DateTime::from_millis(
            bson::DateTime::now().timestamp_millis()
                + state.refresh_token_max_lifetime.as_millis() as i64,
        ),
        session_generation: user.session_generation,
    };
    tracing::info!(user_id = %user.id, "logged in");
    Ok(issue(db, state, &user, &family).await?)
}

/// The refresh-token grant: rotates the token, refusing it when its family
/// is revoked or past its lifetime, the account is gone or inactive, or the
/// user ended every session since the login.
pub async fn refresh(
    db: &Database,
    state: &AuthState,
    presented: &str,
) -> Result<Issued, RefreshRefused> {
    let token = match refresh_tokens::rotate(db, &hash_token(presented)).await? {
        Rotation::Rotated(token) => token,
        Rotation::Reused(token) => {
            tracing::warn!(user_id = %token.user_id, family_id = %token.family_id,
                "refresh token reuse detected; revoking the family");
            refresh_tokens::revoke_family(db, &token.family()).await?;
            return Err(RefreshRefused::ReuseDetected);
        }
        Rotation::Invalid => return Err(RefreshRefused::Invalid),
    };
    let family = token.family();
    let user = match users::find_by_id(db, &token.user_id).await? {
        Some(user) if user.is_active && user.session_generation == family.session_generation => {
            user
        }
        _ => {
            refresh_tokens::revoke_family(db, &family).await?;
            return Err(RefreshRefused::Invalid);
        }
    };
    // A logout-everywhere landing from here on bumps the generation: the
    // successor issued below is then refused at its first use.
    Ok(issue(db, state, &user, &family).await?)
}

async fn issue(
    db: &Database,
    state: &AuthState,
    user: &User,
    family: &Family,
) -> Result<Issued, ApiError> {
    let subject = TokenSubject {
        user_id: user.uuid()?,
        email: user.email.clone(),
        superuser: user.is_superuser,
    };
    let ttl = chrono::Duration::seconds(state.access_token_ttl.as_secs() as i64);
    let access = state
        .issuer
        .issue(&subject, ttl)
        .map_err(ApiError::internal)?;
    let refresh_token =
        refresh_tokens::issue(db, &user.id, family, state.refresh_token_ttl).await?;
    Ok(Issued {
        access_token: access.token,
        expires_in: state.access_token_ttl.as_secs(),
        refresh_token,
    })
}
