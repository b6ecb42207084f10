//! `/usages/summary`: the caller's footprint.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use common::auth::AuthenticatedUser;
use common::error::{ApiError, ProblemDetails};
use common::extract::Query;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::context::AppContext;
use crate::domain::ids::UsageTypeId;
use crate::domain::summary::{MonthTotal, MonthTypeTotal, ScopeTotal, Summary, TypeTotal};
use crate::domain::usage_query::UsageFilter;
use crate::limits::Limited;

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

/// The footprint as `GET /usages/summary` shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = Summary, example = json!({
    "from": "2026-01-01T00:00:00Z",
    "to": null,
    "usage_count": 3,
    "total_co2e": 207.68,
    "by_type": [
        {"usage_type_id": 100, "name": "electricity", "unit": "kwh", "usage_count": 2, "total_amount": 120.0, "co2e": 180.0},
        {"usage_type_id": 101, "name": "water", "unit": "kg", "usage_count": 1, "total_amount": 1.028, "co2e": 27.68}
    ],
    "by_month": [
        {"month": "2026-10", "usage_count": 1, "co2e": 90.0, "by_type": [{"usage_type_id": 100, "usage_count": 1, "co2e": 90.0}]},
        {"month": "2026-11", "usage_count": 2, "co2e": 117.68, "by_type": [{"usage_type_id": 100, "usage_count": 1, "co2e": 90.0}, {"usage_type_id": 101, "usage_count": 1, "co2e": 27.68}]}
    ],
    "by_scope": [{"scope": 2, "usage_count": 2, "co2e": 180.0}, {"scope": 3, "usage_count": 1, "co2e": 27.68}]
}))]
pub struct SummaryResponse {
    /// The window's start (inclusive), as given.
    pub from: Option<DateTime<Utc>>,
    /// The window's end (exclusive), as given.
    pub to: Option<DateTime<Utc>>,
    pub usage_count: u64,
    /// kg CO₂e.
    pub total_co2e: f64,
    /// Ordered by usage type id.
    pub by_type: Vec<TypeTotalResponse>,
    /// Ordered by month (UTC).
    pub by_month: Vec<MonthTotalResponse>,
    /// GHG Protocol scopes present, in order; each usage counts under the
    /// scope of its type snapshot.
    pub by_scope: Vec<ScopeTotalResponse>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = TypeTotal)]
pub struct TypeTotalResponse {
    pub usage_type_id: UsageTypeId,
    pub name: String,
    pub unit: String,
    pub usage_count: u64,
    /// In the type's unit.
    pub total_amount: f64,
    /// kg CO₂e.
    pub co2e: f64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = MonthTotal)]
pub struct MonthTotalResponse {
    /// `YYYY-MM`.
    pub month: String,
    pub usage_count: u64,
    pub co2e: f64,
    /// The month's figures per usage type, by type id (for a chart stacked
    /// by type).
    pub by_type: Vec<MonthTypeTotalResponse>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = MonthTypeTotal)]
pub struct MonthTypeTotalResponse {
    pub usage_type_id: UsageTypeId,
    pub usage_count: u64,
    /// kg CO₂e.
    pub co2e: f64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = ScopeTotal)]
pub struct ScopeTotalResponse {
    /// 1, 2 or 3.
    #[schema(minimum = 1, maximum = 3)]
    pub scope: u8,
    pub usage_count: u64,
    pub co2e: f64,
}

impl From<Summary> for SummaryResponse {
    fn from(s: Summary) -> Self {
        Self {
            from: s.from,
            to: s.to,
            usage_count: s.usage_count,
            total_co2e: s.total_co2e,
            by_type: s.by_type.into_iter().map(Into::into).collect(),
            by_month: s.by_month.into_iter().map(Into::into).collect(),
            by_scope: s.by_scope.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<TypeTotal> for TypeTotalResponse {
    fn from(t: TypeTotal) -> Self {
        Self {
            usage_type_id: t.usage_type_id,
            name: t.name,
            unit: t.unit,
            usage_count: t.usage_count,
            total_amount: t.total_amount,
            co2e: t.co2e,
        }
    }
}

impl From<MonthTotal> for MonthTotalResponse {
    fn from(m: MonthTotal) -> Self {
        Self {
            month: m.month,
            usage_count: m.usage_count,
            co2e: m.co2e,
            by_type: m.by_type.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<MonthTypeTotal> for MonthTypeTotalResponse {
    fn from(t: MonthTypeTotal) -> Self {
        Self {
            usage_type_id: t.usage_type_id,
            usage_count: t.usage_count,
            co2e: t.co2e,
        }
    }
}

impl From<ScopeTotal> for ScopeTotalResponse {
    fn from(s: ScopeTotal) -> Self {
        Self {
            scope: s.scope,
            usage_count: s.usage_count,
            co2e: s.co2e,
        }
    }
}

/// My footprint
///
/// Totals of the caller's usages in the window: overall, per usage type,
/// per month (UTC) and per GHG Protocol scope, all from one consistent read.
#[utoipa::path(get, path = "/usages/summary", tag = "usages",
    security(("oauth2_password" = [])),
    params(SummaryQuery),
    responses(
        (status = 200, description = "The footprint", body = SummaryResponse),
        (status = 429, description = "Too many summaries by this user (SUMMARY_RATE_LIMIT_PER_MINUTE); see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn get_summary(
    caller: AuthenticatedUser,
    ctx: web::Data<AppContext>,
    Query(query): Query<SummaryQuery>,
) -> Result<HttpResponse, ApiError> {
    ctx.limiters.check(Limited::Summary, &caller.id)?;
    let filter = UsageFilter::parse(None, query.from.as_deref(), query.to.as_deref())?;
    let summary = ctx.usages().summary(caller.id, &filter).await?;
    Ok(HttpResponse::Ok().json(SummaryResponse::from(summary)))
}
