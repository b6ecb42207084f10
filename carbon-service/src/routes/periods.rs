//! `/inventory/settings` and `/periods`: the organization's fiscal years
//! and their locks.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use common::auth::AuthenticatedUser;
use common::error::{ApiError, ProblemDetails};
use common::extract::{Json, path_segment};
use common::http::json_list;
use common::ids::UserId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::limited::{InventoryWrite, Unlock, Within, WriteLimited};
use crate::context::AppContext;
use crate::domain::period::{
    DEFAULT_THRESHOLD_PERCENT, InventorySettings, PeriodName, SettingsFields,
};
use crate::service::periods::Period;

pub fn routes() -> common::routes::RouteTable {
    common::routes![
        get_settings,
        put_settings,
        list_periods,
        lock_period,
        unlock_period
    ]
}

/// An organization's inventory settings.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"fiscal_year_start_month": 1, "base_year": 2024, "significance_threshold_percent": 5.0}))]
pub struct SettingsResponse {
    /// The month fiscal years start in (1 = January: calendar years).
    pub fiscal_year_start_month: u32,
    /// The base year emissions are compared with (the fiscal year holding
    /// most of it), if named.
    pub base_year: Option<i32>,
    /// A restatement of the base year above this share is significant.
    pub significance_threshold_percent: f64,
}

impl From<&InventorySettings> for SettingsResponse {
    fn from(s: &InventorySettings) -> Self {
        Self {
            fiscal_year_start_month: s.fiscal_year_start_month,
            base_year: s.base_year,
            significance_threshold_percent: s.significance_threshold_percent,
        }
    }
}

/// Settings as given (every field: absent `base_year` is none, absent
/// threshold is 5).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"fiscal_year_start_month": 1, "base_year": 2024, "significance_threshold_percent": 5}))]
pub struct SettingsRequest {
    /// 1 (January) to 12.
    #[schema(minimum = 1, maximum = 12)]
    pub fiscal_year_start_month: i64,
    /// 1990 (the Kyoto Protocol's base year) to 2100.
    #[serde(default)]
    #[schema(minimum = 1990, maximum = 2100)]
    pub base_year: Option<i64>,
    /// Above 0, at most 100 (5 by default: common practice, and SBTi's
    /// recalculation trigger; the GHG Protocol sets no number).
    #[serde(default)]
    #[schema(exclusive_minimum = 0, maximum = 100)]
    pub significance_threshold_percent: Option<f64>,
}

/// The audit trail's head when a period was locked.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeadResponse {
    pub seq: i64,
    pub hash: String,
}

/// A reporting period (a fiscal year, UTC).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"name": "FY2025", "from": "2025-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z",
    "status": "locked", "is_base_year": false, "locked_at": "2026-02-10T09:00:00Z",
    "locked_by": "6f1e0b9c-4a86-4a5e-9d0e-8b1f3c2d4e5f", "head": {"seq": 1234, "hash": "9c2e…"},
    "unlocked_at": null, "unlocked_by": null, "unlock_reason": null}))]
pub struct PeriodResponse {
    /// `FY` and the year it ends in.
    pub name: String,
    pub from: DateTime<Utc>,
    /// Exclusive.
    pub to: DateTime<Utc>,
    /// `open` or `locked`.
    pub status: String,
    pub is_base_year: bool,
    /// The last lock, if it was ever locked.
    pub locked_at: Option<DateTime<Utc>>,
    pub locked_by: Option<UserId>,
    /// The audit trail's head at the last lock: keep it outside the
    /// database to verify the trail against.
    pub head: Option<HeadResponse>,
    /// The last unlock, with its reason.
    pub unlocked_at: Option<DateTime<Utc>>,
    pub unlocked_by: Option<UserId>,
    pub unlock_reason: Option<String>,
}

impl From<&Period> for PeriodResponse {
    fn from(p: &Period) -> Self {
        let lock = p.lock.as_ref();
        Self {
            name: p.name.to_string(),
            from: p.from,
            to: p.to,
            status: if p.locked() { "locked" } else { "open" }.to_owned(),
            is_base_year: p.is_base_year,
            locked_at: lock.map(|l| l.locked_at.to_chrono()),
            locked_by: lock.map(|l| l.locked_by),
            head: lock.map(|l| HeadResponse {
                seq: l.head_seq,
                hash: l.head_hash.clone(),
            }),
            unlocked_at: lock.and_then(|l| l.unlocked_at).map(|t| t.to_chrono()),
            unlocked_by: lock.and_then(|l| l.unlocked_by),
            unlock_reason: lock.and_then(|l| l.unlock_reason.clone()),
        }
    }
}

/// Why a period is unlocked.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Invoice 4471 for March was entered twice; correcting before restating."}))]
pub struct UnlockRequest {
    /// 1 to 1,000 characters; kept in the audit trail.
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// The fiscal year the path names; 422 unless it is `FY` and a year.
#[derive(IntoParams)]
#[into_params(names("name"), parameter_in = Path)]
pub struct PeriodPath(
    /// The fiscal year, `FY` and the year it ends in
    #[param(value_type = String, example = "FY2025", pattern = "^FY(19|2[01])[0-9]{2}$")]
    pub PeriodName,
);

impl FromRequest for PeriodPath {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(path_segment(req, "name", PeriodName::parse).map(Self))
    }
}

/// The organization's inventory settings
///
/// Its fiscal-year start, base year and significance threshold (the
/// defaults until set: calendar years, no base year, 5 %). Any member.
#[utoipa::path(get, path = "/inventory/settings", tag = "periods",
    security(("oauth2_password" = [])),
    responses(
        (status = 200, description = "The settings", body = SettingsResponse),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn get_settings(
    caller: AuthenticatedUser,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, ApiError> {
    let current = ctx.periods().settings(caller.org).await?;
    Ok(HttpResponse::Ok().json(SettingsResponse::from(&current)))
}

/// Change the inventory settings
///
/// Replaces the fiscal-year start, base year and threshold; audited. The
/// fiscal-year start cannot change while a period is locked (409).
/// Admins and owners.
#[utoipa::path(put, path = "/inventory/settings", tag = "periods",
    security(("oauth2_password" = [])),
    request_body = SettingsRequest,
    responses(
        WriteLimited,
        (status = 200, description = "The settings as stored", body = SettingsResponse),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails),
        (status = 403, description = "The token's role is not admin or owner", body = ProblemDetails),
        (status = 409, description = "A locked period forbids changing the fiscal-year start", body = ProblemDetails),
        (status = 422, description = "A field is out of range (each named)", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn put_settings(
    Within(caller, author, _): Within<InventoryWrite>,
    ctx: web::Data<AppContext>,
    Json(body): Json<SettingsRequest>,
) -> Result<HttpResponse, ApiError> {
    let fields = SettingsFields {
        fiscal_year_start_month: body.fiscal_year_start_month,
        base_year: body.base_year,
        significance_threshold_percent: body
            .significance_threshold_percent
            .unwrap_or(DEFAULT_THRESHOLD_PERCENT),
    };
    let stored = ctx.periods().put_settings(&author, &fields).await?;
    tracing::info!(org_id = %caller.org, "inventory settings changed");
    Ok(HttpResponse::Ok().json(SettingsResponse::from(&stored)))
}

/// The organization's reporting periods
///
/// Every fiscal year that holds usages, the current one, the base year
/// and every one ever locked, newest first, each `open` or `locked` with
/// its last lock and unlock. Any member.
#[utoipa::path(get, path = "/periods", tag = "periods",
    security(("oauth2_password" = [])),
    responses(
        (status = 200, description = "The periods", body = [PeriodResponse]),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn list_periods(
    caller: AuthenticatedUser,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, ApiError> {
    let periods = ctx.periods().list(caller.org).await?;
    Ok(json_list(&periods, PeriodResponse::from))
}

/// Lock a reporting period
///
/// Freezes the fiscal year: every create, change, move, delete, import or
/// erasure of a usage dated in it, and every instrument write overlapping
/// it, is refused (409 naming it) until an owner unlocks it. The lock
/// records the audit trail's head and is itself audited. Only a period
/// that has ended (409 before its last day is over). Admins and owners,
/// with a login within the last five minutes.
#[utoipa::path(post, path = "/periods/{name}/lock", tag = "periods",
    security(("oauth2_password" = [])),
    params(PeriodPath),
    responses(
        WriteLimited,
        (status = 200, description = "The period, locked", body = PeriodResponse),
        (status = 401, description = "Missing or invalid token, or a login older than five minutes (WWW-Authenticate: Bearer error=\"insufficient_user_authentication\", max_age=300)", body = ProblemDetails),
        (status = 403, description = "The token's role is not admin or owner", body = ProblemDetails),
        (status = 409, description = "The period is already locked, or has not ended yet", body = ProblemDetails),
        (status = 422, description = "The name is not FY and a year", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn lock_period(
    Within(caller, author, _): Within<InventoryWrite>,
    ctx: web::Data<AppContext>,
    PeriodPath(name): PeriodPath,
) -> Result<HttpResponse, ApiError> {
    caller.require_fresh_login()?;
    let locked = ctx.periods().lock(&author, name).await?;
    tracing::info!(period = %name, "period locked");
    Ok(HttpResponse::Ok().json(PeriodResponse::from(&locked)))
}

/// Unlock a reporting period
///
/// Opens a locked fiscal year again, with the reason the audit trail
/// keeps. The owner only, with a login within the last five minutes.
#[utoipa::path(post, path = "/periods/{name}/unlock", tag = "periods",
    security(("oauth2_password" = [])),
    params(PeriodPath),
    request_body = UnlockRequest,
    responses(
        WriteLimited,
        (status = 200, description = "The period, open", body = PeriodResponse),
        (status = 401, description = "Missing or invalid token, or a login older than five minutes (WWW-Authenticate: Bearer error=\"insufficient_user_authentication\", max_age=300)", body = ProblemDetails),
        (status = 403, description = "The token's role is not owner", body = ProblemDetails),
        (status = 409, description = "The period is not locked", body = ProblemDetails),
        (status = 422, description = "The name is not FY and a year, or the reason is empty or too long", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn unlock_period(
    Within(caller, author, _): Within<Unlock>,
    ctx: web::Data<AppContext>,
    PeriodPath(name): PeriodPath,
    Json(body): Json<UnlockRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require_fresh_login()?;
    let opened = ctx.periods().unlock(&author, name, &body.reason).await?;
    tracing::info!(period = %name, "period unlocked");
    Ok(HttpResponse::Ok().json(PeriodResponse::from(&opened)))
}
