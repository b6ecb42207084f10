//! `/orgs/{org_id}/audit`: the organization's own events (invitations,
//! memberships, roles, renames) as user-service records them, in the same
//! hash chain as carbon-service's trail of its data (`common::audit`).

use actix_web::{HttpResponse, web};
use common::audit::{AuditPageView, AuditQuery, EntryView, Verification};
use common::error::{ApiError, ProblemDetails};
use common::extract::Query;

use super::extract::CurrentUser;
use super::org_scope::{OrgAnswers, OrgPath};
use crate::service::ServiceContext;
use crate::service::org_audit;

pub fn routes() -> common::routes::RouteTable {
    common::routes![list_org_audit, verify_org_audit, export_org_audit]
}

/// The organization's audit trail
///
/// Its membership events, newest first: organization created or renamed,
/// invitations made and revoked, members joined, changed, removed or
/// gone with their account; each with the actor (user, role, superuser),
/// the time, the request id and the fields before and after. Each was
/// appended in the transaction of its change. Filters as carbon-service's
/// `GET /audit`. Owners, admins and auditors.
#[utoipa::path(get, path = "/orgs/{org_id}/audit", tag = "organizations",
    security(("oauth2_password" = [])),
    params(OrgPath, AuditQuery),
    responses(
        OrgAnswers,
        (status = 200, description = "A page of entries", body = AuditPageView),
        (status = 403, description = "The caller's role cannot read the audit trail", body = ProblemDetails),
        (status = 422, description = "`org_id` is not a UUID, or a filter is malformed", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn list_org_audit(
    me: CurrentUser,
    context: web::Data<ServiceContext>,
    OrgPath(org): OrgPath,
    Query(query): Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let (filter, before, limit) = query.parse()?;
    let (entries, next) =
        org_audit::audit_page(&context.db, &me.user, org, &filter, before, limit).await?;
    Ok(HttpResponse::Ok().json(AuditPageView {
        entries: entries.into_iter().map(EntryView::from).collect(),
        next,
    }))
}

/// Verify the organization's audit trail
///
/// Re-computes the chain and names the first entry that does not match
/// (see the README's *Assurance*). Owners, admins and auditors.
#[utoipa::path(get, path = "/orgs/{org_id}/audit/verify", tag = "organizations",
    security(("oauth2_password" = [])),
    params(OrgPath),
    responses(
        OrgAnswers,
        (status = 200, description = "Whether the chain verifies, and where it breaks", body = Verification),
        (status = 403, description = "The caller's role cannot read the audit trail", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn verify_org_audit(
    me: CurrentUser,
    context: web::Data<ServiceContext>,
    OrgPath(org): OrgPath,
) -> Result<HttpResponse, ApiError> {
    let verification = org_audit::audit_verify(&context.db, &me.user, org).await?;
    if !verification.valid {
        tracing::warn!(first_bad = ?verification.first_bad, "an organization's audit trail does not verify");
    }
    Ok(HttpResponse::Ok().json(verification))
}

/// Export the organization's audit trail
///
/// Every entry, oldest first, as JSON Lines: the script carbon-service
/// serves at `GET /audit/verifier` verifies it offline. Owners, admins and auditors.
#[utoipa::path(get, path = "/orgs/{org_id}/audit/export", tag = "organizations",
    security(("oauth2_password" = [])),
    params(OrgPath),
    responses(
        OrgAnswers,
        (status = 200, description = "The trail, one entry per line",
            content((String = "application/jsonl", example = "{\"seq\":0,\"header\":{\"action\":\"genesis\",…},\"payload\":{…},\"payload_sha256\":\"…\",\"prev\":\"0000…\",\"hash\":\"…\"}\n"))),
        (status = 403, description = "The caller's role cannot read the audit trail", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn export_org_audit(
    me: CurrentUser,
    context: web::Data<ServiceContext>,
    OrgPath(org): OrgPath,
) -> Result<HttpResponse, ApiError> {
    let entries = org_audit::audit_export(&context.db, &me.user, org).await?;
    Ok(common::audit::jsonl_response(entries))
}
