//! The flows behind the handlers: logging in and refreshing (`sessions`),
//! and everything that changes an account (`accounts`). Handlers parse,
//! call one of these, and shape the answer; tests call them directly too.

pub mod accounts;
pub mod lockout;
pub mod sessions;

use std::net::IpAddr;
use std::time::Duration;

use common::jwt::AccessTokenIssuer;
use common::rate_limit::RateLimiter;
use ipnet::IpNet;
use uuid::Uuid;

use crate::mailer::Mailer;
use crate::password::PasswordHasher;
use crate::storage::login_attempts::LockoutPolicy;

/// What the flows need besides the database.
pub struct AuthState {
    pub issuer: AccessTokenIssuer,
    pub hasher: PasswordHasher,
    /// How wrong passwords lock clients and accounts out.
    pub lockout: LockoutPolicy,
    /// Logins, per client.
    pub login_limiter: RateLimiter<IpAddr>,
    /// Refreshes, per token family (one login), so clients behind one NAT
    /// do not share a limit.
    pub refresh_limiter: RateLimiter<String>,
    /// Registration and the mail-sending endpoints, per client.
    pub sensitive_limiter: RateLimiter<IpAddr>,
    /// `PATCH` and `DELETE /users/me`, per account (besides per client).
    pub account_limiter: RateLimiter<Uuid>,
    pub mailer: Mailer,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub refresh_token_max_lifetime: Duration,
    pub trusted_proxies: Vec<IpNet>,
    pub refresh_cookie_secure: bool,
}
