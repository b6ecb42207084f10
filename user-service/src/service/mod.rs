//! The flows behind the handlers: logging in and refreshing (`sessions`),
//! and everything that changes an account (`accounts`). Handlers parse,
//! call one of these, and shape the answer; tests call them directly too.

pub mod accounts;
pub mod sessions;

use std::time::Duration;

use common::jwt::AccessTokenIssuer;
use ipnet::IpNet;

use crate::mailer::Mailer;
use crate::password::PasswordHasher;
use crate::rate_limit::RateLimiter;

/// What the flows need besides the database.
pub struct AuthState {
    pub issuer: AccessTokenIssuer,
    pub hasher: PasswordHasher,
    /// Login and refresh, per client.
    pub login_limiter: RateLimiter,
    /// Registration and the mail-sending endpoints, per client.
    pub sensitive_limiter: RateLimiter,
    pub mailer: Mailer,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub refresh_token_max_lifetime: Duration,
    pub trusted_proxies: Vec<IpNet>,
    pub refresh_cookie_secure: bool,
}
