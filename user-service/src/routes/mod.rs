//! HTTP handlers, one module per resource. Handlers parse, call storage and
//! domain functions, and shape the response.

pub mod auth;
pub mod oauth;
pub mod users;

use std::time::Duration;

use actix_web::web;
use common::jwt::AccessTokenIssuer;

use crate::mailer::Mailer;
use crate::password::PasswordHasher;
use crate::rate_limit::LoginRateLimiter;

/// What the handlers need besides the database and the token verifier.
pub struct AuthState {
    pub issuer: AccessTokenIssuer,
    pub hasher: PasswordHasher,
    pub rate_limiter: LoginRateLimiter,
    pub mailer: Mailer,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use common::http::method_not_allowed as not_allowed;
    cfg.service(
        web::resource("/auth/register")
            .route(web::post().to(auth::register))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/auth/jwt/login")
            .route(web::post().to(oauth::login))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/auth/jwt/refresh")
            .route(web::post().to(oauth::refresh))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/auth/jwt/logout")
            .route(web::post().to(auth::logout))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/auth/forgot-password")
            .route(web::post().to(auth::forgot_password))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/auth/reset-password")
            .route(web::post().to(auth::reset_password))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/auth/request-verify-token")
            .route(web::post().to(auth::request_verify_token))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/auth/verify")
            .route(web::post().to(auth::verify))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/users/me")
            .route(web::get().to(users::get_me))
            .route(web::patch().to(users::update_me))
            .route(web::delete().to(users::delete_me))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/users")
            .route(web::get().to(users::list_users))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/users/{id}")
            .route(web::get().to(users::get_user))
            .route(web::patch().to(users::update_user))
            .route(web::delete().to(users::delete_user))
            .default_service(web::to(not_allowed)),
    );
}
