//! HTTP handlers, one module per resource. Handlers parse, call a
//! `service` function, and shape the response.

pub mod auth;
pub mod oauth;
pub mod users;

use actix_web::web;

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
    );
}
