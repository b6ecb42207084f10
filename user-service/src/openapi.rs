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
                       in RFC 6749's format.\n\nAn access token's claims: `sub` (the user id), `email`, \
                       `superuser`, `org` (the organization it acts in: the personal one, whose id is the \
                       user's, unless `org_id` was given at login or refresh), `org_role` (`owner`, `admin`, \
                       `editor`, `viewer` or `auditor`: the role in `org` when the token was issued), \
                       `auth_time` (the login), `sgen` (the session generation), and `aud`, `iss`, `iat`, \
                       `exp`, `jti`. Superusers' tokens, and owners' and admins' of a shared organization, \
                       live at most 300 s. A token with an `org` and no valid `org_role` is refused.",
        version = "0.1.0",
    ),
    components(schemas(common::error::ProblemDetails, common::error::FieldError, common::jwk::JwkSet, common::jwk::Jwk)),
    tags(
        (name = "auth", description = "Registration, login and tokens"),
        (name = "users", description = "Self-service and superuser administration"),
        (name = "organizations", description = "Organizations, their members and roles, and invitations"),
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
