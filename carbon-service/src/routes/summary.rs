//! `/usages/summary`: the caller's footprint.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use common::auth::AuthenticatedUser;
use common::error::{ApiError, ProblemDetails};
use common::extract::Query;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::context::AppContext;
use crate::domain::figures::shown;
use crate::domain::gwp::{Gases, GwpSet};
use crate::domain::ids::FacilityId;
use crate::domain::ids::UsageTypeId;
use crate::domain::period::PeriodName;
use crate::domain::summary::{MonthTotal, MonthTypeTotal, ScopeTotal, Summary, TypeTotal};
use crate::domain::usage_query::UsageFilter;
use crate::limits::Limited;
use common::validation::{Invalid, both};

/// `/usages/summary`.
pub fn routes() -> common::routes::RouteTable {
    common::routes![get_summary]
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// RFC 3339 (`2026-01-01T00:00:00Z`); `usage_at` ≥ from.
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// RFC 3339 (`2027-01-01T00:00:00Z`); `usage_at` < to.
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// The IPCC assessment report whose 100-year GWPs weigh the gases into
    /// CO₂e: AR4, AR5 (the default) or AR6.
    #[param(value_type = Option<GwpSet>)]
    pub gwp: Option<String>,
    /// A reporting period (`FY2025`: the fiscal year ending in 2025, see
    /// `GET /periods`); with `from` or `to`, the part of it between them.
    #[param(pattern = "^FY(19|2[01])[0-9]{2}$")]
    pub period: Option<String>,
}

/// The reporting period a summary was asked for.
#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq, Clone)]
#[schema(as = SummaryPeriod)]
pub struct SummaryPeriodResponse {
    pub name: String,
    /// Whether it is locked: its figures cannot change until an owner
    /// unlocks it.
    pub locked: bool,
}

/// The footprint as `GET /usages/summary` shows it.
/// kg of each gas in a total: CO₂, CH₄, N₂O, each fluorinated gas, and the
/// CO₂e of factors that give no gases (counted as it is under every GWP
/// set).
#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq, Clone)]
#[schema(as = GasTotals, example = json!({"co2": 4374.46, "ch4": 0.3232, "ch4_fossil": 0.0, "n2o": 0.04536, "biogenic_co2": 0.0, "other_co2e": 0.0}))]
pub struct GasTotalsResponse {
    pub co2: f64,
    pub ch4: f64,
    /// kg fossil CH₄, weighed by its own GWP.
    pub ch4_fossil: f64,
    pub n2o: f64,
    /// Memo: kg of biogenic CO₂ (biomass, biofuels), reported outside the
    /// scopes (GHG Protocol Corporate Standard, ch. 9) and never part of
    /// any `co2e` here.
    pub biogenic_co2: f64,
    pub other_co2e: f64,
    /// kg of each fluorinated gas (HFCs, PFCs, SF₆, NF₃) by its code, each
    /// weighed into the CO₂e by its own GWP; only the gases present.
    #[serde(default)]
    #[schema(example = json!({"HFC-134a": 2.5}))]
    pub fgases: BTreeMap<String, f64>,
}

impl From<Gases> for GasTotalsResponse {
    fn from(g: Gases) -> Self {
        Self {
            co2: shown(g.co2.unwrap_or(0.0)),
            ch4: shown(g.ch4.unwrap_or(0.0)),
            ch4_fossil: shown(g.ch4_fossil.unwrap_or(0.0)),
            n2o: shown(g.n2o.unwrap_or(0.0)),
            biogenic_co2: shown(g.biogenic_co2.unwrap_or(0.0)),
            other_co2e: shown(g.other_co2e.unwrap_or(0.0)),
            fgases: g
                .fgases
                .into_iter()
                .filter(|(_, kg)| *kg != 0.0)
                .map(|(code, kg)| (code, shown(kg)))
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = Summary, example = json!({
    "from": "2026-01-01T00:00:00Z",
    "to": null,
    "gwp": "AR5",
    "usage_count": 1,
    "total_co2e": 4395.53,
    "by_gas": {"co2": 4374.46, "ch4": 0.3232, "ch4_fossil": 0.0, "n2o": 0.04536, "biogenic_co2": 0.0, "other_co2e": 0.0},
    "by_type": [
        {"usage_type_id": 20000, "name": "Electricity, US average grid", "unit": "MWh", "usage_count": 1, "total_amount": 12.5,
         "co2e": 4395.53, "by_gas": {"co2": 4374.46, "ch4": 0.3232, "ch4_fossil": 0.0, "n2o": 0.04536, "biogenic_co2": 0.0, "other_co2e": 0.0}}
    ],
    "by_month": [
        {"month": "2026-11", "usage_count": 1, "co2e": 4395.53, "by_gas": {"co2": 4374.46, "ch4": 0.3232, "ch4_fossil": 0.0, "n2o": 0.04536, "biogenic_co2": 0.0, "other_co2e": 0.0},
         "by_type": [{"usage_type_id": 20000, "usage_count": 1, "co2e": 4395.53}]}
    ],
    "by_scope": [{"scope": 2, "usage_count": 1, "co2e": 4395.53, "by_gas": {"co2": 4374.46, "ch4": 0.3232, "ch4_fossil": 0.0, "n2o": 0.04536, "biogenic_co2": 0.0, "other_co2e": 0.0}}],
    "scope2": {
        "location_based": {"co2e": 4395.53, "by_gas": {"co2": 4374.46, "ch4": 0.3232, "ch4_fossil": 0.0, "n2o": 0.04536, "biogenic_co2": 0.0, "other_co2e": 0.0}},
        "market_based": {"co2e": 1758.21, "by_gas": {"co2": 1749.78, "ch4": 0.1293, "ch4_fossil": 0.0, "n2o": 0.01814, "biogenic_co2": 0.0, "other_co2e": 0.0}},
        "coverage": [
            {"level": "certificates_and_ppas", "energy_kwh": 7500.0},
            {"level": "supplier_factors", "energy_kwh": 0.0},
            {"level": "residual_mix", "energy_kwh": 0.0},
            {"level": "location_based_fallback", "energy_kwh": 5000.0}
        ]
    },
    "by_scope3_category": [],
    "by_facility": [{"facility_id": "6740c8a2f1d3b2a1c0e9fa01", "name": "Fresno plant", "usage_count": 1, "co2e": 4395.53,
        "by_gas": {"co2": 4374.46, "ch4": 0.3232, "ch4_fossil": 0.0, "n2o": 0.04536, "biogenic_co2": 0.0, "other_co2e": 0.0}}],
    "by_data_quality": [{"data_quality": "measured", "usage_count": 1, "co2e": 4395.53, "share_percent": 100.0}],
    "total_co2e_market_based": 1758.21
}))]
pub struct SummaryResponse {
    /// The reporting period asked for (`period=`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<SummaryPeriodResponse>,
    /// The window's start (inclusive), as given.
    pub from: Option<DateTime<Utc>>,
    /// The window's end (exclusive), as given.
    pub to: Option<DateTime<Utc>>,
    /// The GWP set every CO₂e figure here is under: AR4, AR5 or AR6.
    pub gwp: String,
    pub usage_count: u64,
    /// kg CO₂e: the gases weighed by `gwp`'s GWPs.
    pub total_co2e: f64,
    /// kg of each gas.
    pub by_gas: GasTotalsResponse,
    /// Ordered by usage type id.
    pub by_type: Vec<TypeTotalResponse>,
    /// Ordered by month (UTC).
    pub by_month: Vec<MonthTotalResponse>,
    /// GHG Protocol scopes present, in order; each usage counts under the
    /// scope of its type snapshot. Scope 2 here is location-based.
    pub by_scope: Vec<ScopeTotalResponse>,
    /// Scope 3 per GHG Protocol category (1 to 15), in order: each usage
    /// under the category it is reported under (one of its type's).
    pub by_scope3_category: Vec<CategoryTotalResponse>,
    /// Per facility (`GET /facilities`), by id; the usages that name no
    /// facility last, with `facility_id` null. Scope 2 here is
    /// location-based.
    pub by_facility: Vec<FacilityTotalResponse>,
    /// Per data quality (`measured`, `calculated`, `estimated`,
    /// `spend_based`), with its share of `total_co2e`; the usages that say
    /// none last, with `data_quality` null.
    pub by_data_quality: Vec<QualityTotalResponse>,
    /// Scope 2 by both methods of the GHG Protocol Scope 2 Guidance, never
    /// added together.
    pub scope2: Scope2Response,
    /// `total_co2e` with scope 2 market-based instead of location-based
    /// (`total_co2e` stays location-based).
    pub total_co2e_market_based: f64,
}

/// One scope 3 category's totals.
#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = Scope3CategoryTotal)]
pub struct CategoryTotalResponse {
    /// 1 to 15 (GHG Protocol Scope 3 Standard).
    #[schema(minimum = 1, maximum = 15)]
    pub category: u8,
    pub usage_count: u64,
    pub co2e: f64,
    pub by_gas: GasTotalsResponse,
}

/// One data quality's totals.
#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = DataQualityTotal)]
pub struct QualityTotalResponse {
    /// Null: the usages that say none.
    pub data_quality: Option<crate::domain::usage::DataQuality>,
    pub usage_count: u64,
    pub co2e: f64,
    /// Percent of `total_co2e`.
    pub share_percent: f64,
}

/// One facility's totals.
#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = FacilityTotal)]
pub struct FacilityTotalResponse {
    /// Null: the usages that name no facility.
    #[schema(value_type = Option<FacilityId>)]
    pub facility_id: Option<String>,
    /// The facility's name now.
    pub name: Option<String>,
    pub usage_count: u64,
    pub co2e: f64,
    pub by_gas: GasTotalsResponse,
}

/// Scope 2 by both methods.
#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = Scope2)]
pub struct Scope2Response {
    /// The grid-average factors the usages were recorded with (what
    /// `by_scope` counts).
    pub location_based: FiguresResponse,
    /// Certificates and PPAs first, then supplier factors, then a residual
    /// mix where a dataset gives one for the region, then the
    /// location-based factor (flagged in `coverage`). Computed when read
    /// from the instruments (`/instruments`), never stored: an instrument
    /// added later changes it.
    pub market_based: FiguresResponse,
    /// kWh of the window's purchased energy each level covered, in
    /// hierarchy order; `location_based_fallback` is energy no instrument
    /// or residual mix covered.
    pub coverage: Vec<CoverageResponse>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = Scope2Figures)]
pub struct FiguresResponse {
    /// kg CO₂e under `gwp`.
    pub co2e: f64,
    pub by_gas: GasTotalsResponse,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = MarketCoverage)]
pub struct CoverageResponse {
    pub level: crate::domain::instrument::Level,
    pub energy_kwh: f64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = TypeTotal)]
pub struct TypeTotalResponse {
    pub usage_type_id: UsageTypeId,
    pub name: String,
    pub unit: String,
    pub usage_count: u64,
    /// In the unit of the type's factor.
    pub total_amount: f64,
    /// kg CO₂e.
    pub co2e: f64,
    pub by_gas: GasTotalsResponse,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(as = MonthTotal)]
pub struct MonthTotalResponse {
    /// `YYYY-MM`.
    pub month: String,
    pub usage_count: u64,
    pub co2e: f64,
    pub by_gas: GasTotalsResponse,
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
    pub by_gas: GasTotalsResponse,
}

impl SummaryResponse {
    fn of(s: Summary, gwp: GwpSet) -> Self {
        Self {
            period: None,
            from: s.from,
            to: s.to,
            gwp: gwp.as_str().to_owned(),
            usage_count: s.usage_count,
            total_co2e: shown(s.total_co2e),
            by_gas: s.by_gas.into(),
            by_type: s.by_type.into_iter().map(Into::into).collect(),
            by_month: s.by_month.into_iter().map(Into::into).collect(),
            by_scope: s.by_scope.into_iter().map(Into::into).collect(),
            by_scope3_category: s
                .by_scope3_category
                .into_iter()
                .map(|c| CategoryTotalResponse {
                    category: c.category,
                    usage_count: c.usage_count,
                    co2e: shown(c.co2e),
                    by_gas: c.by_gas.into(),
                })
                .collect(),
            by_facility: s
                .by_facility
                .into_iter()
                .map(|f| FacilityTotalResponse {
                    facility_id: f.facility_id.map(|id| id.to_string()),
                    name: f.name,
                    usage_count: f.usage_count,
                    co2e: shown(f.co2e),
                    by_gas: f.by_gas.into(),
                })
                .collect(),
            by_data_quality: s
                .by_data_quality
                .into_iter()
                .map(|q| QualityTotalResponse {
                    data_quality: q.data_quality,
                    usage_count: q.usage_count,
                    co2e: shown(q.co2e),
                    share_percent: shown(q.share_percent),
                })
                .collect(),
            scope2: Scope2Response {
                location_based: FiguresResponse {
                    co2e: shown(s.scope2.location_based.co2e),
                    by_gas: s.scope2.location_based.by_gas.into(),
                },
                market_based: FiguresResponse {
                    co2e: shown(s.scope2.market_based.co2e),
                    by_gas: s.scope2.market_based.by_gas.into(),
                },
                coverage: s
                    .scope2
                    .coverage
                    .into_iter()
                    .map(|(level, kwh)| CoverageResponse {
                        level,
                        energy_kwh: shown(kwh),
                    })
                    .collect(),
            },
            total_co2e_market_based: shown(s.total_co2e_market_based),
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
            total_amount: shown(t.total_amount),
            co2e: shown(t.co2e),
            by_gas: t.by_gas.into(),
        }
    }
}

impl From<MonthTotal> for MonthTotalResponse {
    fn from(m: MonthTotal) -> Self {
        Self {
            month: m.month,
            usage_count: m.usage_count,
            co2e: shown(m.co2e),
            by_gas: m.by_gas.into(),
            by_type: m.by_type.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<MonthTypeTotal> for MonthTypeTotalResponse {
    fn from(t: MonthTypeTotal) -> Self {
        Self {
            usage_type_id: t.usage_type_id,
            usage_count: t.usage_count,
            co2e: shown(t.co2e),
        }
    }
}

impl From<ScopeTotal> for ScopeTotalResponse {
    fn from(s: ScopeTotal) -> Self {
        Self {
            scope: s.scope,
            usage_count: s.usage_count,
            co2e: shown(s.co2e),
            by_gas: s.by_gas.into(),
        }
    }
}

/// The footprint
///
/// Totals of the token's organization's usages in the window: overall, per usage type,
/// per month (UTC) and per GHG Protocol scope, all from one consistent
/// read. Each total gives kg of each gas (`by_gas`) and the CO₂e they make
/// under the GWP set `gwp` (default AR5), computed from the gases stored
/// with each usage, whatever set its factor's dataset uses. Biogenic CO₂
/// is a memo (`by_gas.biogenic_co2`) in no CO₂e. Scope 2 comes both ways
/// (`scope2`): location-based, as recorded, and market-based, from the
/// organization's instruments (`/instruments`); `total_co2e` stays
/// location-based and `total_co2e_market_based` sits beside it.
#[utoipa::path(get, path = "/usages/summary", tag = "usages",
    security(("oauth2_password" = [])),
    params(SummaryQuery),
    responses(
        (status = 200, description = "The footprint", body = SummaryResponse),
        (status = 422, description = "A malformed from, to or period, or a gwp other than AR4, AR5 or AR6", body = ProblemDetails),
        (status = 429, description = "Too many summaries by this user (SUMMARY_RATE_LIMIT_PER_MINUTE); see Retry-After", body = ProblemDetails),
        (status = 503, description = "Every heavy-read slot (HEAVY_READ_CONCURRENCY) stayed taken, or the edge days' usages took longer than QUERY_MAX_TIME_MS; see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn get_summary(
    caller: AuthenticatedUser,
    ctx: web::Data<AppContext>,
    Query(query): Query<SummaryQuery>,
) -> Result<HttpResponse, ApiError> {
    ctx.limiters().check(Limited::Summary, &caller.id)?;
    let period = match query.period.as_deref() {
        Some(raw) => {
            let name = PeriodName::parse("period", raw).map_err(Invalid::from)?;
            Some(ctx.periods().get(caller.org, name).await?)
        }
        None => None,
    };
    // A period with `from` or `to`: the part of the period between them.
    let filter =
        UsageFilter::parse(None, query.from.as_deref(), query.to.as_deref()).map(|mut f| {
            if let Some(p) = &period {
                f.from = Some(f.from.map_or(p.from, |from| from.max(p.from)));
                f.to = Some(f.to.map_or(p.to, |to| to.min(p.to)));
            }
            f
        });
    let gwp = query
        .gwp
        .as_deref()
        .map(|raw| GwpSet::parse("gwp", raw))
        .transpose()
        .map_err(Invalid::from);
    let (filter, gwp) = both(filter, gwp)?;
    let gwp = gwp.unwrap_or_default();
    let summary = ctx.usages().summary(caller.org, &filter, gwp).await?;
    let mut answer = SummaryResponse::of(summary, gwp);
    answer.period = period.map(|p| SummaryPeriodResponse {
        name: p.name.to_string(),
        locked: p.locked(),
    });
    Ok(HttpResponse::Ok().json(answer))
}
