//! carbon-service's OpenAPI 3.1 document.

use common::openapi::{OAuth2PasswordSecurity, StandardErrorResponses};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "carbon-service",
        description = "Usage types, usage records and CO₂e footprints. Authorize with an access token from \
                       user-service (Swagger UI's Authorize button logs in there). Every error is \
                       application/problem+json (RFC 9457).\n\nEverything but the factor library belongs to \
                       the token's organization (its `org` claim; the caller's personal organization when the \
                       token has none) and is 404 to every other organization's token. The token's `org_role` \
                       decides what it may do: `viewer` and `auditor` read; `editor`, `admin` and `owner` \
                       also record, change, delete and import usages; `admin` and `owner` manage \
                       instruments; `owner`, `admin` and `auditor` read the audit trail; only `owner` erases the organization's data. A token with an `org` and \
                       no valid `org_role` is refused (401).",
        version = "0.1.0",
    ),
    components(schemas(common::error::ProblemDetails, common::error::FieldError, crate::domain::gwp::GwpSet)),
    tags(
        (name = "datasets", description = "Where the emission factors come from: publisher, edition, licence, GWP basis"),
        (name = "types", description = "Usage types, their emission factors per gas, and the units usages may be recorded in"),
        (name = "usages", description = "The usage records and footprint of the token's organization (the personal one unless the token names another)"),
        (name = "instruments", description = "The organization's contractual instruments (certificates, PPAs, supplier factors): the market-based scope 2 method"),
        (name = "facilities", description = "The organization's sites: a usage may name one, and the summary totals them"),
        (name = "organization", description = "The token's organization as a whole"),
        (name = "periods", description = "The organization's fiscal years (UTC, named by the year they end in) and their locks, and its inventory settings"),
        (name = "audit", description = "The organization's tamper-evident audit trail: every write, who made it, before and after, in a hash chain an auditor verifies offline"),
        (name = "health", description = "Liveness and readiness"),
    ),
)]
pub struct ApiDoc;

/// The document of every route (see `routes::table`), with Authorize
/// pointing at user-service's token endpoint.
pub fn document(auth_token_url: &str) -> utoipa::openapi::OpenApi {
    let mut doc = crate::routes::table().document(ApiDoc::openapi());
    utoipa::Modify::modify(
        &OAuth2PasswordSecurity {
            token_url: auth_token_url.to_owned(),
        },
        &mut doc,
    );
    utoipa::Modify::modify(&StandardErrorResponses, &mut doc);
    require_a_change_in_updates(&mut doc);
    doc
}

/// A `PUT /usages/{id}` body names at least one field (an empty one is 422).
/// Set here because utoipa-gen 5.5 emits its `min_properties` attribute as
/// `maxProperties`, which would forbid changing two fields at once.
fn require_a_change_in_updates(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{RefOr, schema::Schema};
    let schema = doc
        .components
        .as_mut()
        .and_then(|components| components.schemas.get_mut("UpdateUsageRequest"));
    if let Some(RefOr::T(Schema::Object(object))) = schema {
        object.min_properties = Some(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_body_needs_at_least_one_field_and_may_have_several() {
        let doc = serde_json::to_value(document("http://localhost:8081/auth/jwt/login")).unwrap();
        let schema = &doc["components"]["schemas"]["UpdateUsageRequest"];
        assert_eq!(schema["minProperties"], 1);
        assert!(schema.get("maxProperties").is_none(), "{schema}");
    }
}
