//! `/org`: the token's organization as a whole.

use actix_web::{HttpResponse, web};
use common::auth::AuthenticatedUser;
use common::error::{ApiError, ProblemDetails};
use common::extract::Query;
use common::org::Capability;

use super::usages::EraseQuery;
use crate::context::AppContext;

/// The organization's routes.
pub fn routes() -> common::routes::RouteTable {
    common::routes![delete_org_data]
}

/// Erase all of the organization's data
///
/// Deletes every usage, instrument, facility, own dataset (with its
/// types), rollup, quota count, idempotency record, the inventory
/// settings and, last, the audit trail of the token's organization; not
/// while a locked reporting period holds usages (409). The owner only, with a login within
/// the last five minutes and `confirm=true`: it cannot be undone. The web
/// app calls it before user-service's `DELETE /orgs/{org_id}`, which
/// carbon-service never hears of. Erasure runs in batches of one
/// transaction each: after a 503, what was erased stays erased; repeat to
/// finish.
#[utoipa::path(delete, path = "/org", tag = "organization",
    security(("oauth2_password" = [])),
    params(EraseQuery),
    responses(
        (status = 204, description = "The organization's usages, instruments, facilities, own datasets, inventory settings and audit trail are erased (also when there were none)"),
        (status = 409, description = "Usages are dated in a locked reporting period (the answer names it; an owner unlocks it): nothing is erased", body = ProblemDetails),
        (status = 401, description = "Missing or invalid token, or a login older than five minutes (WWW-Authenticate: Bearer error=\"insufficient_user_authentication\", max_age=300)", body = ProblemDetails),
        (status = 403, description = "The token's role is not owner", body = ProblemDetails),
        (status = 422, description = "confirm=true is missing", body = ProblemDetails),
        (status = 503, description = "Every import slot (IMPORT_CONCURRENCY) stayed taken; what was erased stays erased, repeat to finish; see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id, org_id = %caller.org))]
pub async fn delete_org_data(
    caller: AuthenticatedUser,
    request_id: common::http::RequestId,
    ctx: web::Data<AppContext>,
    Query(query): Query<EraseQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::DeleteOrganization)?;
    query.confirmed()?;
    caller.require_fresh_login()?;
    let erased = ctx
        .usages()
        .erase_org(&common::audit::Author::of(&caller, &request_id))
        .await?;
    tracing::info!(erased, "an owner erased the organization's data");
    Ok(HttpResponse::NoContent().finish())
}
