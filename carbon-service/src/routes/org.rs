//! `/org`: the token's organization as a whole.

use actix_web::{HttpResponse, web};
use common::error::ApiError;

use super::erasure::{EraseQuery, ErasureAnswers, OwnerErasure};
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
        ErasureAnswers,
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id, org_id = %caller.org))]
pub async fn delete_org_data(
    OwnerErasure(caller, author): OwnerErasure,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, ApiError> {
    let erased = ctx.usages().erase_org(&author).await?;
    tracing::info!(erased, "an owner erased the organization's data");
    Ok(HttpResponse::NoContent().finish())
}
