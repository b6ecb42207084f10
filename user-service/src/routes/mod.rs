//! HTTP handlers, one module per resource. Handlers parse, call one
//! `service` function, and shape the response. The JSON bodies clients
//! send and get are declared here; `errors` maps the service errors to
//! HTTP; `extract` turns a token into the caller's account.

pub mod auth;
mod errors;
pub mod extract;
pub mod keys;
pub mod oauth;
pub mod users;

use std::net::IpAddr;

use actix_web::{HttpRequest, web};
use common::error::ApiError;
use common::ids::UserId;
use common::rate_limit::RateLimiter;
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

pub fn configure(cfg: &mut web::ServiceConfig) {
    use common::http::method_not_allowed as allow;
    // The token endpoints read forms, with RFC 6749 errors for bad ones.
    for (path, route) in [
        ("/auth/jwt/login", web::post().to(oauth::login)),
        ("/auth/jwt/refresh", web::post().to(oauth::refresh)),
    ] {
        cfg.service(
            web::resource(path)
                .app_data(oauth::form_config())
                .route(route)
                .default_service(allow("POST")),
        );
    }
    let post_only = [
        ("/auth/register", web::post().to(auth::register)),
        ("/auth/jwt/logout", web::post().to(auth::logout)),
        (
            "/auth/forgot-password",
            web::post().to(auth::forgot_password),
        ),
        ("/auth/reset-password", web::post().to(auth::reset_password)),
        (
            "/auth/request-verify-token",
            web::post().to(auth::request_verify_token),
        ),
        ("/auth/verify", web::post().to(auth::verify)),
    ];
    for (path, route) in post_only {
        cfg.service(
            web::resource(path)
                .route(route)
                .default_service(allow("POST")),
        );
    }
    cfg.service(
        web::resource("/users/me")
            .route(web::get().to(users::get_me))
            .route(web::patch().to(users::update_me))
            .route(web::delete().to(users::delete_me))
            .default_service(allow("GET, PATCH, DELETE")),
    )
    .service(
        web::resource("/users")
            .route(web::get().to(users::list_users))
            .default_service(allow("GET")),
    )
    .service(
        web::resource("/users/{id}")
            .route(web::get().to(users::get_user))
            .route(web::patch().to(users::update_user))
            .route(web::delete().to(users::delete_user))
            .default_service(allow("GET, PATCH, DELETE")),
    )
    .service(
        web::resource("/.well-known/jwks.json")
            .route(web::get().to(keys::jwks))
            .default_service(allow("GET")),
    );
}
