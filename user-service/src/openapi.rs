//! user-service's OpenAPI 3.1 document.

use common::openapi::{OAuth2PasswordSecurity, StandardErrorResponses};
use utoipa::OpenApi;

use crate::routes::{auth, keys, oauth, users};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "user-service",
        description = "Accounts and tokens for the carbon footprint platform. Access tokens are HS256 JWTs \
                       that carbon-service verifies with the shared secret. Every error is \
                       application/problem+json (RFC 9457), except the OAuth2 token endpoints, which answer \
                       in RFC 6749's format.",
        version = "0.1.0",
    ),
    paths(
        auth::register,
        oauth::login,
        oauth::refresh,
        auth::logout,
        auth::forgot_password,
        auth::reset_password,
        auth::request_verify_token,
        auth::verify,
        users::get_me,
        users::update_me,
        users::delete_me,
        users::list_users,
        users::get_user,
        users::update_user,
        users::delete_user,
        keys::jwks,
        common::health::healthz,
        common::health::readyz,
    ),
    components(schemas(common::error::ProblemDetails, common::error::FieldError, common::jwk::JwkSet, common::jwk::Jwk)),
    tags(
        (name = "auth", description = "Registration, login and tokens"),
        (name = "users", description = "Self-service and superuser administration"),
        (name = "health", description = "Liveness and readiness"),
    ),
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    // Relative: Swagger UI resolves it against the page, i.e. this service.
    utoipa::Modify::modify(
        &OAuth2PasswordSecurity {
            token_url: "/auth/jwt/login".into(),
        },
        &mut doc,
    );
    utoipa::Modify::modify(&StandardErrorResponses, &mut doc);
    doc
}
