//! `/audit`: the organization's audit trail, for owners, admins and
//! auditors. Read only: nothing in the API changes an entry.

use actix_web::{HttpResponse, web};
use common::audit::{AuditPageView, AuditQuery, EntryView, Verification};
use common::auth::AuthenticatedUser;
use common::error::{ApiError, ProblemDetails};
use common::extract::Query;
use common::org::Capability;

use crate::context::AppContext;
use crate::limits::Limited;

pub fn routes() -> common::routes::RouteTable {
    common::routes![list_audit, verify_audit, export_audit, audit_verifier]
}

/// List the audit trail
///
/// The organization's audit entries, newest first: who (user, role,
/// superuser), when (UTC, ms), which request, what (action, entity and
/// id) and the fields before and after. Every write to the organization's
/// data appends one in its own transaction: usages (create, update,
/// delete; an import is one entry listing the usages it created and the
/// SHA-256 of its CSV; an erasure one entry per batch), facilities,
/// instruments, the organization's datasets, reporting periods and
/// settings. Filters combine; a rare filter over a long trail may answer
/// fewer entries than `limit` with a `next` to go on from. Owners, admins
/// and auditors.
#[utoipa::path(get, path = "/audit", tag = "audit",
    security(("oauth2_password" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries", body = AuditPageView),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails),
        (status = 403, description = "The token's role is editor or viewer", body = ProblemDetails),
        (status = 422, description = "A filter is malformed (each named)", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn list_audit(
    caller: AuthenticatedUser,
    ctx: web::Data<AppContext>,
    Query(query): Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ReadAudit)?;
    let (filter, before, limit) = query.parse()?;
    let page = ctx.trail().page(caller.org, &filter, before, limit).await?;
    Ok(HttpResponse::Ok().json(AuditPageView {
        entries: page.entries.into_iter().map(EntryView::from).collect(),
        next: page.next,
    }))
}

/// Verify the audit trail
///
/// Re-computes every entry's hash from the first (the genesis) and
/// answers the first entry that does not match: an edited header or
/// payload, a missing or reordered entry, a trail cut short of the head.
/// A valid answer gives the head (`seq`, `hash`): verification means
/// something only against a head kept outside the database (a locked
/// period records it; keep the export's last hash).
#[utoipa::path(get, path = "/audit/verify", tag = "audit",
    security(("oauth2_password" = [])),
    responses(
        (status = 200, description = "Whether the chain verifies, and where it breaks", body = Verification),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails),
        (status = 403, description = "The token's role is editor or viewer", body = ProblemDetails),
        (status = 503, description = "Every export slot (EXPORT_CONCURRENCY) stayed taken; see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn verify_audit(
    caller: AuthenticatedUser,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ReadAudit)?;
    let verification = ctx.trail().verify(caller.org).await?;
    if !verification.valid {
        tracing::warn!(first_bad = ?verification.first_bad, "the audit trail does not verify");
    }
    Ok(HttpResponse::Ok().json(verification))
}

/// Export the audit trail
///
/// Every entry, oldest first, as JSON Lines (one `EntryView` per line),
/// streamed: what an auditor verifies offline with `GET /audit/verifier`.
#[utoipa::path(get, path = "/audit/export", tag = "audit",
    security(("oauth2_password" = [])),
    responses(
        (status = 200, description = "The trail, one entry per line",
            content((String = "application/jsonl", example = "{\"seq\":0,\"header\":{\"action\":\"genesis\",…},\"payload\":{…},\"payload_sha256\":\"…\",\"prev\":\"0000…\",\"hash\":\"…\"}\n"))),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails),
        (status = 403, description = "The token's role is editor or viewer", body = ProblemDetails),
        (status = 429, description = "Too many exports by this user (EXPORT_RATE_LIMIT_PER_MINUTE); see Retry-After", body = ProblemDetails),
        (status = 503, description = "Every export slot (EXPORT_CONCURRENCY) stayed taken; see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn export_audit(
    caller: AuthenticatedUser,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ReadAudit)?;
    ctx.limiters().check(Limited::Export, &caller.id)?;
    let entries = ctx.trail().export(caller.org).await?;
    Ok(common::audit::jsonl_response(entries))
}

/// The offline verifier, served as it is in the repository: an auditor
/// without the repository gets the same bytes the tests run.
const VERIFIER: &str = include_str!("../../../scripts/verify-audit.py");

/// Download the offline verifier
///
/// A Python 3 script (standard library only, about 20 lines to read)
/// that verifies an export of this trail or of user-service's
/// membership trail: `python3 verify-audit.py audit.jsonl [head]`, where
/// `head` is a hash kept outside the database (a lock's, or an earlier
/// export's last). It exits 1 naming the first entry that does not
/// verify. Public: it holds no data.
#[utoipa::path(get, path = "/audit/verifier", tag = "audit",
    responses(
        (status = 200, description = "The script, as a download",
            content((String = "text/x-python", example = "#!/usr/bin/env python3\n\"\"\"Verifies an audit export (GET /audit/export, JSON Lines) offline.\n…")),
            headers(("Content-Disposition" = String, description = "attachment; filename=\"verify-audit.py\""))),
    ))]
pub async fn audit_verifier() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/x-python; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"verify-audit.py\"",
        ))
        .body(VERIFIER)
}
