//! `/inventory/restatement`: a period's totals under other factors or
//! another GWP set, beside the original ones.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use common::auth::AuthenticatedUser;
use common::error::{ApiError, ProblemDetails};
use common::extract::Query;
use common::validation::{Invalid, both};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::summary::GasTotalsResponse;
use crate::context::AppContext;
use crate::domain::dataset::DatasetId;
use crate::domain::figures::shown;
use crate::domain::gwp::GwpSet;
use crate::domain::period::PeriodName;
use crate::domain::restatement::Totals;
use crate::limits::Limited;
use crate::service::restatement::{Restatement, RestatementQuery};

pub fn routes() -> common::routes::RouteTable {
    common::routes![get_restatement]
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RestatementParams {
    /// The reporting period to restate.
    #[param(example = "FY2025", pattern = "^FY(19|2[01])[0-9]{2}$")]
    pub period: String,
    /// The dataset whose factors to restate with (another edition, or an
    /// uploaded dataset whose types name the ones they replace with
    /// `replaces_type_id`), such as `epa-ghg-hub-2025`; absent: each
    /// usage's own factors.
    #[param(pattern = "^[a-z0-9][a-z0-9-]{1,63}$")]
    pub dataset: Option<String>,
    /// The GWP set of the restated figures (AR5 by default), such as `AR6`.
    #[param(value_type = Option<GwpSet>)]
    pub gwp: Option<String>,
    /// The GWP set of the original figures (AR5 by default, as the
    /// summary's).
    #[param(value_type = Option<GwpSet>)]
    pub original_gwp: Option<String>,
}

/// One side's totals, kg CO₂e (and kg of each gas).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RestatedTotals)]
pub struct TotalsResponse {
    pub total_co2e: f64,
    pub by_scope: Vec<ScopeFigure>,
    pub by_scope3_category: Vec<CategoryFigure>,
    pub by_gas: GasTotalsResponse,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScopeFigure {
    pub scope: u8,
    pub co2e: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryFigure {
    pub category: u8,
    pub co2e: f64,
}

impl From<&Totals> for TotalsResponse {
    fn from(t: &Totals) -> Self {
        Self {
            total_co2e: shown(t.co2e),
            by_scope: t
                .by_scope
                .iter()
                .map(|(scope, co2e)| ScopeFigure {
                    scope: *scope,
                    co2e: shown(*co2e),
                })
                .collect(),
            by_scope3_category: t
                .by_scope3_category
                .iter()
                .map(|(category, co2e)| CategoryFigure {
                    category: *category,
                    co2e: shown(*co2e),
                })
                .collect(),
            by_gas: t.by_gas.clone().into(),
        }
    }
}

/// A usage that kept its original figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedUsage {
    pub usage_id: String,
    pub usage_type_id: crate::domain::ids::UsageTypeId,
    pub reason: String,
}

/// The restated total beside the original.
#[derive(Debug, Serialize, ToSchema)]
pub struct Difference {
    /// restated − original, kg CO₂e.
    pub co2e: f64,
    /// In percent of the original (null when it is zero).
    pub percent: Option<f64>,
}

/// What the change means for the base year.
#[derive(Debug, Serialize, ToSchema)]
pub struct Significance {
    /// The organization's threshold (`PUT /inventory/settings`).
    pub threshold_percent: f64,
    pub exceeds_threshold: bool,
    /// The period is the base year, the change exceeds the threshold and
    /// it is a change in methodology or data (not a grid update).
    pub recalculation_due: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "period": "FY2025", "from": "2025-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z", "locked": true,
    "is_base_year": true, "dataset": "acme-factors-2026-0b9c6f1e4a86", "gwp": "AR6", "original_gwp": "AR5",
    "original": {"total_co2e": 1000.0, "by_scope": [{"scope": 1, "co2e": 1000.0}], "by_scope3_category": [],
        "by_gas": {"co2": 990.0, "ch4": 0.2, "ch4_fossil": 0.0, "n2o": 0.01, "biogenic_co2": 0.0, "other_co2e": 0.0}},
    "restated": {"total_co2e": 1080.0, "by_scope": [{"scope": 1, "co2e": 1080.0}], "by_scope3_category": [],
        "by_gas": {"co2": 1070.0, "ch4": 0.2, "ch4_fossil": 0.0, "n2o": 0.01, "biogenic_co2": 0.0, "other_co2e": 0.0}},
    "difference": {"co2e": 80.0, "percent": 8.0},
    "change": "methodology",
    "significance": {"threshold_percent": 5.0, "exceeds_threshold": true, "recalculation_due": true},
    "usage_count": 12, "matched": 12, "unmatched_count": 0, "unmatched": []
}))]
pub struct RestatementResponse {
    pub period: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub locked: bool,
    pub is_base_year: bool,
    /// The dataset restated with; null: the usages' own factors.
    pub dataset: Option<String>,
    pub gwp: String,
    pub original_gwp: String,
    pub original: TotalsResponse,
    pub restated: TotalsResponse,
    pub difference: Difference,
    /// `none`, `grid_update` (only location-based grid factors changed:
    /// a real change, no recalculation) or `methodology` (another GWP set
    /// or other factors: a change in methodology or data accuracy).
    pub change: String,
    pub significance: Significance,
    pub usage_count: u64,
    /// Usages restated with a matching type.
    pub matched: u64,
    /// Usages that kept their original figures in `restated`.
    pub unmatched_count: u64,
    /// The first 1,000 of them, and why.
    pub unmatched: Vec<UnmatchedUsage>,
}

impl From<Restatement> for RestatementResponse {
    fn from(r: Restatement) -> Self {
        let f = &r.figures;
        Self {
            period: r.period.name.to_string(),
            from: r.period.from,
            to: r.period.to,
            locked: r.period.locked(),
            is_base_year: r.period.is_base_year,
            dataset: r.query.dataset.as_ref().map(ToString::to_string),
            gwp: r.query.gwp.as_str().to_owned(),
            original_gwp: r.query.original_gwp.as_str().to_owned(),
            original: (&f.original).into(),
            restated: (&f.restated).into(),
            difference: Difference {
                co2e: shown(f.restated.co2e - f.original.co2e),
                percent: r.percent.map(shown),
            },
            change: r.kind.as_str().to_owned(),
            significance: Significance {
                threshold_percent: r.threshold_percent,
                exceeds_threshold: r.exceeds_threshold,
                recalculation_due: r.recalculation_due,
            },
            usage_count: f.usage_count,
            matched: f.matched,
            unmatched_count: f.unmatched_count,
            unmatched: f
                .unmatched
                .iter()
                .map(|(usage, why)| UnmatchedUsage {
                    usage_id: usage.id.to_string(),
                    usage_type_id: usage.usage_type_id,
                    reason: why.describe(),
                })
                .collect(),
        }
    }
}

/// Restate a period
///
/// Recomputes the period's totals (overall, per scope, per scope 3
/// category, per gas) as if its usages had used another dataset's factors
/// (matched by type: the dataset's own type, or the one that names it in
/// `replaces_type_id`, through earlier editions) or another GWP set, and
/// answers them beside the original figures with the difference. Stored
/// usages never change. A usage no type matches keeps its original
/// figures and is listed. For the base year, the change is compared with
/// the organization's significance threshold: a change in methodology or
/// data above it calls for recalculating the base year; a newer grid
/// edition (only location-based grid factors changed) is a real change
/// and calls for none. Any member (auditors included).
#[utoipa::path(get, path = "/inventory/restatement", tag = "periods",
    security(("oauth2_password" = [])),
    params(RestatementParams),
    responses(
        (status = 200, description = "The original and restated figures side by side", body = RestatementResponse),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails),
        (status = 404, description = "No dataset of this id that the organization may see", body = ProblemDetails),
        (status = 422, description = "A malformed period, dataset id or GWP set", body = ProblemDetails),
        (status = 429, description = "Too many summaries by this user (SUMMARY_RATE_LIMIT_PER_MINUTE); see Retry-After", body = ProblemDetails),
        (status = 503, description = "Every heavy-read slot (HEAVY_READ_CONCURRENCY) stayed taken; see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn get_restatement(
    caller: AuthenticatedUser,
    ctx: web::Data<AppContext>,
    Query(params): Query<RestatementParams>,
) -> Result<HttpResponse, ApiError> {
    ctx.limiters().check(Limited::Summary, &caller.id)?;
    let gwp = |field: &str, raw: &Option<String>| {
        raw.as_deref()
            .map(|raw| GwpSet::parse(field, raw))
            .transpose()
            .map(Option::unwrap_or_default)
            .map_err(Invalid::from)
    };
    let period = PeriodName::parse("period", &params.period).map_err(Invalid::from);
    let dataset = params
        .dataset
        .as_deref()
        .map(|raw| DatasetId::parse("dataset", raw))
        .transpose()
        .map_err(Invalid::from);
    let ((period, dataset), (gwp, original_gwp)) = both(
        both(period, dataset),
        both(
            gwp("gwp", &params.gwp),
            gwp("original_gwp", &params.original_gwp),
        ),
    )?;
    let query = RestatementQuery {
        period,
        dataset,
        gwp,
        original_gwp,
    };
    let restated = ctx.restatements().restate(caller.org, query).await?;
    Ok(HttpResponse::Ok().json(RestatementResponse::from(restated)))
}
