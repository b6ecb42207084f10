//! `/usages/summary`: the caller's footprint.

use actix_web::{HttpResponse, web};
use common::auth::AuthenticatedUser;
use common::error::{ApiError, ProblemDetails};
use common::extract::Query;
use mongodb::Database;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::summary::Summary;
use crate::domain::usage_query::UsageFilter;
use crate::limits::{Limited, UserLimiters};
use crate::service::usages as service;
use crate::type_cache::UsageTypeCache;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// RFC 3339; `usage_at` ≥ from.
    #[param(example = "2026-01-01T00:00:00Z", format = DateTime)]
    pub from: Option<String>,
    /// RFC 3339; `usage_at` < to.
    #[param(example = "2027-01-01T00:00:00Z", format = DateTime)]
    pub to: Option<String>,
}

/// My footprint
///
/// Totals of the caller's usages in the window: overall, per usage type,
/// per month (UTC) and per GHG Protocol scope, all from one consistent read.
#[utoipa::path(get, path = "/usages/summary", tag = "usages",
    security(("oauth2_password" = [])),
    params(SummaryQuery),
    responses(
        (status = 200, description = "The footprint", body = Summary),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid window", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many summaries by this user (SUMMARY_RATE_LIMIT_PER_MINUTE); see Retry-After", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get_summary(
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    cache: web::Data<UsageTypeCache>,
    limiters: web::Data<UserLimiters>,
    Query(query): Query<SummaryQuery>,
) -> Result<HttpResponse, ApiError> {
    limiters.check(Limited::Summary, &caller.id)?;
    let filter = UsageFilter::parse(None, query.from.as_deref(), query.to.as_deref())?;
    let summary = service::summary(&db, &cache, &caller.id.to_string(), &filter).await?;
    Ok(HttpResponse::Ok().json(summary))
}
