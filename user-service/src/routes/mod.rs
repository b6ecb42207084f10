//! HTTP handlers, one module per resource. Handlers parse, call one
//! `service` function, and shape the response. The JSON bodies clients
//! send and get are declared here; `errors` maps the service errors to
//! HTTP; `extract` turns a token into the caller's account.

pub mod auth;
mod errors;
pub mod extract;
pub mod keys;
pub mod oauth;
pub mod org_audit;
pub mod org_scope;
pub mod orgs;
pub mod users;

use std::net::IpAddr;

use actix_web::{HttpRequest, web};
use common::error::ApiError;
use common::ids::UserId;
use common::rate_limit::RateLimiter;
use common::routes::RouteTable;
use ipnet::IpNet;

use crate::client_address::client_key;

/// What only the HTTP layer decides: who the client is, the per-client and
/// per-account limits, and the refresh cookie.
pub struct HttpPolicy {
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// `Secure` on the refresh cookie.
    pub refresh_cookie_secure: bool,
    /// The refresh cookie's lifetime (a refresh token's).
    pub refresh_cookie_max_age_seconds: i64,
    /// Logins, per client.
    pub login_limiter: RateLimiter<IpAddr>,
    /// Registration, the mail-sending endpoints and `/users/me` changes,
    /// per client.
    pub sensitive_limiter: RateLimiter<IpAddr>,
    /// `PATCH` and `DELETE /users/me`, per account.
    pub account_limiter: RateLimiter<UserId>,
}

impl HttpPolicy {
    /// The client a request is limited as.
    pub fn client(&self, req: &HttpRequest) -> IpAddr {
        client_key(req, &self.trusted_proxies)
    }

    /// The per-client limit of the sensitive endpoints: 429 past it.
    pub fn sensitive_limit(&self, req: &HttpRequest) -> Result<IpAddr, ApiError> {
        let client = self.client(req);
        self.sensitive_limiter
            .check(&client)
            .map_err(|retry_after_seconds| {
                tracing::warn!(%client, path = req.path(), "sensitive endpoint rate limit exceeded");
                ApiError::TooManyRequests {
                    retry_after_seconds,
                }
            })?;
        Ok(client)
    }
}

/// Every endpoint of user-service: each module's table (see
/// `common::routes`), and the health checks.
pub fn table() -> RouteTable {
    RouteTable::new()
        .merge(oauth::routes())
        .merge(auth::routes())
        .merge(users::routes())
        .merge(orgs::routes())
        .merge(org_audit::routes())
        .merge(keys::routes())
        .merge(common::health::routes())
}

/// The routes, and what the handlers extract with: the token endpoints
/// read forms, with RFC 6749 errors for bad ones (no other endpoint reads
/// a form).
pub fn configure(table: &RouteTable, cfg: &mut web::ServiceConfig) {
    cfg.app_data(oauth::form_config());
    table.configure(cfg);
}
