//! user-service's OpenAPI 3.1 document.

use common::openapi::{OAuth2PasswordSecurity, StandardErrorResponses};
use utoipa::OpenApi;

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
    components(schemas(common::error::ProblemDetails, common::error::FieldError, common::jwk::JwkSet, common::jwk::Jwk)),
    tags(
        (name = "auth", description = "Registration, login and tokens"),
        (name = "users", description = "Self-service and superuser administration"),
        (name = "health", description = "Liveness and readiness"),
    ),
)]
pub struct ApiDoc;

/// The document of every route (see `routes::table`).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = crate::routes::table().document(ApiDoc::openapi());
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
