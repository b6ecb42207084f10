//! The flows behind the handlers: logging in, refreshing and logging out
//! (`sessions`), the wrong-password rules (`lockout`), everything that
//! changes an account (`accounts`), and organizations with their members
//! and invitations (`orgs`). Handlers parse, call one of these, and
//! shape the answer; tests call them directly too. Nothing here knows HTTP:
//! each flow has its own error type, which the routes map once.

pub mod accounts;
pub mod invitations;
pub mod lockout;
pub mod members;
pub mod org_audit;
pub mod orgs;
pub mod sessions;

use std::time::Duration;

use mongodb::Database;

use common::db::StoreError;
use common::jwt::AccessTokenIssuer;
use common::rate_limit::RateLimiter;

use crate::mailer::Mailer;
use crate::password::{HashError, PasswordHasher};
use crate::storage::login_attempts::LockoutPolicy;

/// What the flows need besides the database. (What only HTTP needs, the
/// per-client limits, the cookie and the proxies, is `routes::HttpPolicy`.)
pub struct ServiceContext {
    /// user-service's own database.
    pub db: Database,
    pub issuer: AccessTokenIssuer,
    pub hasher: PasswordHasher,
    /// How wrong passwords lock clients and accounts out.
    pub lockout: LockoutPolicy,
    /// Refreshes, per token family (one login), so clients behind one NAT
    /// do not share a limit. A rule of the login, not of the address.
    pub refresh_limiter: RateLimiter<String>,
    pub mailer: Mailer,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub refresh_token_max_lifetime: Duration,
    /// How long an invitation's token works (`INVITATION_TTL_SECONDS`).
    pub invitation_ttl: Duration,
}

/// A failure that is nobody's fault but the infrastructure's.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("signing an access token")]
    Signing(#[source] jsonwebtoken::errors::Error),
}

impl common::db::TransactionError for Failure {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}
