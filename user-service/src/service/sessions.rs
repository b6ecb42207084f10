//! Logging in and refreshing: checking credentials or a refresh token, and
//! issuing an access token with a refresh token of the login's family.

use std::net::IpAddr;

use common::db::{StoreError, TransactionError, in_transaction};
use common::ids::{OrgId, UserId};
use common::jwt::TokenSubject;
use common::org::OrgRole;
use mongodb::{ClientSession, Database};
use uuid::Uuid;

use super::lockout::{self, Judged};
use super::{Failure, ServiceContext};
use crate::domain::tokens::hash_token;
use crate::domain::user::{User, UserEmail};
use crate::password::HashPool;
use crate::storage::refresh_tokens::{self, Family, Rotation};
use crate::storage::users::{self, AccountRef};

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
#[derive(Debug, thiserror::Error)]
pub enum LoginRefused {
    #[error("wrong password, unknown email, or an inactive account")]
    Invalid,
    #[error("the client is locked out of the account, or the account needs a password reset")]
    Locked,
    /// The credentials are right, but the user is not a member of the
    /// organization asked for.
    #[error("not a member of the organization")]
    NotMember,
    #[error(transparent)]
    Failed(#[from] Failure),
}

impl TransactionError for LoginRefused {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Failed(failure) => failure.store_error(),
            _ => None,
        }
    }
}

impl From<common::db::StoreError> for LoginRefused {
    fn from(e: common::db::StoreError) -> Self {
        Self::Failed(e.into())
    }
}

/// Why a refresh was refused.
#[derive(Debug, thiserror::Error)]
pub enum RefreshRefused {
    /// Unknown, expired, revoked, or the account or its sessions ended.
    #[error("the refresh token is invalid, expired or revoked")]
    Invalid,
    /// A used token again: the family is revoked.
    #[error("a used refresh token was presented again")]
    ReuseDetected,
    /// The family refreshed too often (`REFRESH_RATE_LIMIT_*`); the token
    /// is not used up.
    #[error("this login refreshed too often")]
    RateLimited { retry_after_seconds: u64 },
    /// The user is not (or no longer) a member of the organization the
    /// refresh would act in; the token is not used up.
    #[error("not a member of the organization")]
    NotMember,
    #[error(transparent)]
    Failed(#[from] Failure),
}

impl TransactionError for RefreshRefused {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Failed(failure) => failure.store_error(),
            _ => None,
        }
    }
}

impl From<common::db::StoreError> for RefreshRefused {
    fn from(e: common::db::StoreError) -> Self {
        Self::Failed(e.into())
    }
}

/// The password grant from `client`, into `org` (the personal
/// organization when `None`). Wrong passwords are limited per
/// (account, client) and per account (see `lockout`); unknown emails and
/// locked accounts verify a dummy hash and run the same database
/// operations, so neither the answer nor its timing tells them apart.
#[tracing::instrument(skip(db, state, username, password))]
pub async fn login(
    db: &Database,
    state: &ServiceContext,
    username: &str,
    password: &str,
    client: IpAddr,
    org: Option<OrgId>,
) -> Result<Issued, LoginRefused> {
    let email = UserEmail::normalize(username);
    let judged = lockout::judge(
        db,
        state,
        HashPool::SignIn,
        AccountRef::Email(&email),
        &email,
        client,
        password,
    )
    .await?;
    let user = match judged {
        Judged::Correct(user) if user.is_active => user,
        Judged::Correct(_) | Judged::Wrong { locked_now: false } => {
            return Err(LoginRefused::Invalid);
        }
        Judged::Wrong { locked_now: true } | Judged::Locked => return Err(LoginRefused::Locked),
    };
    let now = bson::DateTime::now();
    let family = Family {
        id: Uuid::new_v4().to_string(),
        expires_at: bson::DateTime::from_millis(
            now.timestamp_millis() + state.refresh_token_max_lifetime.as_millis() as i64,
        ),
        session_generation: user.session_generation,
        auth_time: now.timestamp_millis() / 1000,
        org_id: org.unwrap_or(OrgId::personal(user.id)),
    };
    let issued = in_transaction(db, "starting a session", async |session| {
        let role = super::orgs::role_for_token(db, session, family.org_id, user.id)
            .await?
            .ok_or(LoginRefused::NotMember)?;
        Ok::<_, LoginRefused>(issue(db, session, state, &user, &family, role).await?)
    })
    .await?;
    tracing::info!(user_id = %user.id, org_id = %family.org_id, "logged in");
    Ok(issued)
}

/// The refresh-token grant: rotates the token, refusing it when its family
/// is revoked or past its lifetime, the account is gone or inactive, or the
/// user ended every session since the login. Each family may refresh
/// `REFRESH_RATE_LIMIT_PER_MINUTE` times a minute: the limit follows the
/// login, not the client address, so users behind one NAT do not share it.
///
/// The new access token acts in `org`, or the login's organization when
/// `None`, with the role its membership has now: a removed member cannot
/// refresh into the organization, and a role change applies here.
#[tracing::instrument(skip_all)]
pub async fn refresh(
    db: &Database,
    state: &ServiceContext,
    presented: &str,
    org: Option<OrgId>,
) -> Result<Issued, RefreshRefused> {
    let Some(found) = refresh_tokens::find(db, &hash_token(presented)).await? else {
        return Err(RefreshRefused::Invalid);
    };
    if let Err(retry_after_seconds) = state.refresh_limiter.check(&found.family_id) {
        tracing::warn!(family_id = %found.family_id, "refresh rate limit exceeded");
        return Err(RefreshRefused::RateLimited {
            retry_after_seconds,
        });
    }
    // The rotation and its successor are one transaction: a failure leaves
    // the presented token usable, never used up without a successor.
    let mut to_revoke = None;
    let refreshed = in_transaction(db, "refreshing a session", async |session| {
        to_revoke = None;
        let token = match refresh_tokens::rotate(db, session, found.clone()).await? {
            Rotation::Rotated(token) => token,
            Rotation::Reused(token) => {
                tracing::warn!(user_id = %token.user_id, family_id = %token.family_id,
                    "refresh token reuse detected; revoking the family");
                to_revoke = Some(token.family());
                return Err(RefreshRefused::ReuseDetected);
            }
            Rotation::Invalid => return Err(RefreshRefused::Invalid),
        };
        let mut family = token.family();
        let user = match users::find_by_id_in(db, session, token.user_id).await? {
            Some(user)
                if user.is_active && user.session_generation == family.session_generation =>
            {
                user
            }
            _ => {
                to_revoke = Some(family);
                return Err(RefreshRefused::Invalid);
            }
        };
        family.org_id = org.unwrap_or(family.org_id);
        // Refusing aborts the rotation: the presented token stays usable
        // (for another organization).
        let role = super::orgs::role_for_token(db, session, family.org_id, user.id)
            .await?
            .ok_or(RefreshRefused::NotMember)?;
        // A logout-everywhere landing from here on bumps the generation: the
        // successor issued below is then refused at its first use.
        Ok(issue(db, session, state, &user, &family, role).await?)
    })
    .await;
    // Refusing aborted the transaction; the revocation is written on its own.
    if let Some(family) = to_revoke {
        revoke(db, &family).await?;
    }
    refreshed
}

async fn revoke(db: &Database, family: &Family) -> Result<(), StoreError> {
    in_transaction(db, "revoking a login", async |session| {
        refresh_tokens::revoke_family(db, session, family).await
    })
    .await
}

/// What a logout ends.
#[derive(Debug)]
pub enum Logout {
    /// Every session of the caller (needs a valid access token).
    Everywhere(UserId),
    /// The login of this refresh token. Holding the token is what entitles
    /// ending its login, so no access token is needed; with one, a token of
    /// another user's is silently left alone.
    Session {
        refresh_token: String,
        caller: Option<UserId>,
    },
}

/// Ends a login or every login. Unknown tokens end nothing and say nothing.
#[tracing::instrument(skip_all)]
pub async fn logout(db: &Database, logout: Logout) -> Result<(), Failure> {
    match logout {
        Logout::Everywhere(user_id) => Ok(super::accounts::end_all_sessions(db, user_id).await?),
        Logout::Session {
            refresh_token,
            caller,
        } => {
            let Some(token) = refresh_tokens::find(db, &hash_token(&refresh_token)).await? else {
                return Ok(());
            };
            if caller.is_some_and(|caller| caller != token.user_id) {
                return Ok(());
            }
            revoke(db, &token.family()).await?;
            tracing::info!(user_id = %token.user_id, "logged out");
            Ok(())
        }
    }
}

async fn issue(
    db: &Database,
    session: &mut ClientSession,
    state: &ServiceContext,
    user: &User,
    family: &Family,
    role: OrgRole,
) -> Result<Issued, Failure> {
    let subject = TokenSubject {
        user_id: user.id.as_uuid(),
        email: user.email.clone(),
        superuser: user.is_superuser,
        session_generation: user.session_generation,
        auth_time: family.auth_time,
        org: family.org_id,
        org_role: role,
    };
    let ttl = chrono::Duration::seconds(state.access_token_ttl.as_secs() as i64);
    let access = state
        .issuer
        .issue(&subject, ttl)
        .map_err(Failure::Signing)?;
    let refresh_token =
        refresh_tokens::issue(db, session, user.id, family, state.refresh_token_ttl).await?;
    Ok(Issued {
        access_token: access.token,
        expires_in: u64::try_from(access.claims.exp - access.claims.iat).unwrap_or(0),
        refresh_token,
    })
}
