//! `/instruments`: the caller's contractual instruments (certificates,
//! PPAs, supplier factors) for the market-based scope 2 figures.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use common::auth::AuthenticatedUser;
use common::error::{ApiError, ProblemDetails};
use common::extract::Json;
use common::http::json_list;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::limited::{InventoryWrite, Within, WriteLimited};
use super::type_input::GasesInput;
use super::types::GasesBody;
use crate::context::AppContext;
use crate::domain::instrument::{
    Instrument, InstrumentFields, InstrumentId, InstrumentKind, Level,
};
use common::validation::Invalid;

/// `/instruments` and `/instruments/{id}`.
pub fn routes() -> common::routes::RouteTable {
    common::routes![
        list_instruments,
        create_instrument,
        get_instrument,
        replace_instrument,
        delete_instrument
    ]
}

/// An instrument as given: a create, or a replace of every field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "certificate", "scheme": "REC", "region": "US",
    "from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z", "amount": 600, "unit": "kWh",
    "reference": "WREGIS-123"}))]
pub struct InstrumentRequest {
    /// `certificate` (REC, GO, I-REC), `ppa` or `supplier_factor`.
    #[schema(value_type = InstrumentKind)]
    pub kind: String,
    /// The certificate scheme or the contract's name, 1 to 128 characters.
    #[schema(min_length = 1, max_length = 128, example = "REC")]
    pub scheme: String,
    /// The market boundary: `US` covers the US average and every `US-…`
    /// subregion (`US-eGRID-RFCE`), a subregion only itself.
    #[schema(min_length = 1, max_length = 128, example = "US")]
    pub region: String,
    /// The first day of a month, 00:00 UTC (RFC 3339).
    #[serde(default)]
    #[schema(example = "2026-01-01T00:00:00Z")]
    pub from: Option<String>,
    /// The first day of a later month of the same year, or 1 January of
    /// the next (exclusive).
    #[serde(default)]
    #[schema(example = "2027-01-01T00:00:00Z")]
    pub to: Option<String>,
    /// The energy it covers, above 0 and at most 1e12.
    #[schema(exclusive_minimum = 0, maximum = 1e12)]
    pub amount: f64,
    /// An energy unit of `GET /units` (`kWh`, `MWh`, `mmBtu`...).
    #[schema(example = "kWh")]
    pub unit: String,
    /// kg of each gas per `unit` of its energy. Required for a
    /// `supplier_factor`; a certificate or PPA without it is renewable
    /// (zero).
    #[serde(default)]
    pub gases: Option<GasesInput>,
    /// The registry's or contract's reference, for the auditor.
    #[serde(default)]
    #[schema(max_length = 128, example = "WREGIS-123")]
    pub reference: Option<String>,
}

impl From<InstrumentRequest> for InstrumentFields {
    fn from(body: InstrumentRequest) -> Self {
        Self {
            kind: body.kind,
            scheme: body.scheme,
            region: body.region,
            from: body.from,
            to: body.to,
            amount: body.amount,
            unit: body.unit,
            gases: body.gases.map(Into::into),
            reference: body.reference,
        }
    }
}

/// An instrument as every endpoint shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = Instrument, example = json!({"id": "6740c8a2f1d3b2a1c0e9f900", "kind": "certificate",
    "level": "certificates_and_ppas", "scheme": "REC", "region": "US", "from": "2026-01-01T00:00:00Z",
    "to": "2027-01-01T00:00:00Z", "amount": 600.0, "unit": "kWh", "amount_kwh": 600.0, "gases": {"co2": 0.0},
    "reference": "WREGIS-123", "created_at": "2026-12-01T10:00:00Z", "updated_at": "2026-12-01T10:00:00Z"}))]
pub struct InstrumentResponse {
    #[schema(value_type = InstrumentId)]
    pub id: String,
    pub kind: InstrumentKind,
    /// Its level of the market-based hierarchy.
    pub level: Level,
    pub scheme: String,
    pub region: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub amount: f64,
    pub unit: String,
    /// `amount` in kWh.
    pub amount_kwh: f64,
    /// kg of each gas per `unit`.
    pub gases: GasesBody,
    pub reference: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Instrument> for InstrumentResponse {
    fn from(i: &Instrument) -> Self {
        Self {
            id: i.id.to_string(),
            kind: i.kind,
            level: i.kind.level(),
            scheme: i.scheme.clone(),
            region: i.region.clone(),
            from: i.from.to_chrono(),
            to: i.to.to_chrono(),
            amount: i.amount,
            unit: i.unit.clone(),
            amount_kwh: crate::domain::figures::shown(i.amount_kwh),
            gases: i.gases.clone().into(),
            reference: i.reference.clone(),
            created_at: i.created_at.to_chrono(),
            updated_at: i.updated_at.to_chrono(),
        }
    }
}

fn path_id(raw: &str) -> Result<InstrumentId, Invalid> {
    InstrumentId::parse("id", raw).map_err(Invalid::from)
}

/// List the instruments
///
/// By start, then id (at most 1,000: an organization keeps no more).
#[utoipa::path(get, path = "/instruments", tag = "instruments",
    security(("oauth2_password" = [])),
    responses((status = 200, description = "The organization's instruments", body = Vec<InstrumentResponse>)))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn list_instruments(
    caller: AuthenticatedUser,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, ApiError> {
    let all = ctx.instruments().list(caller.org).await?;
    Ok(json_list(&all, InstrumentResponse::from))
}

/// Record an instrument
///
/// Its energy counts in the market-based scope 2 figures of the summary,
/// once: see `GET /usages/summary`.
#[utoipa::path(post, path = "/instruments", tag = "instruments",
    security(("oauth2_password" = [])),
    request_body = InstrumentRequest,
    responses(
        (status = 201, description = "Recorded", body = InstrumentResponse,
            headers(("Location" = String, description = "The instrument's URL"))),
        (status = 409, description = "The account keeps 1,000 instruments already, or the instrument's months overlap a locked reporting period (the answer names it; an owner unlocks it)", body = ProblemDetails),
        (status = 422, description = "Invalid fields (every one named): a window that is not whole months of one year, a unit that is not energy, a supplier factor without gases", body = ProblemDetails),
        WriteLimited,
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn create_instrument(
    Within(caller, author, _): Within<InventoryWrite>,
    ctx: web::Data<AppContext>,
    Json(body): Json<InstrumentRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = ctx.instruments().create(&author, &body.into()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/instruments/{}", created.id)))
        .json(InstrumentResponse::from(&created)))
}

/// Get an instrument
#[utoipa::path(get, path = "/instruments/{id}", tag = "instruments",
    security(("oauth2_password" = [])),
    params(("id" = InstrumentId, Path, description = "The instrument's id")),
    responses(
        (status = 200, description = "The instrument", body = InstrumentResponse),
        (status = 404, description = "No such instrument of the token's organization", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn get_instrument(
    caller: AuthenticatedUser,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let found = ctx.instruments().get(caller.org, path_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(InstrumentResponse::from(&found)))
}

/// Replace an instrument
///
/// Every field, as in a create (an optional one left out is removed).
#[utoipa::path(put, path = "/instruments/{id}", tag = "instruments",
    security(("oauth2_password" = [])),
    params(("id" = InstrumentId, Path, description = "The instrument's id")),
    request_body = InstrumentRequest,
    responses(
        (status = 200, description = "Replaced", body = InstrumentResponse),
        (status = 409, description = "The instrument (before or after the change) overlaps a locked reporting period (the answer names it; an owner unlocks it)", body = ProblemDetails),
        (status = 404, description = "No such instrument of the token's organization", body = ProblemDetails),
        (status = 422, description = "Invalid fields (every one named)", body = ProblemDetails),
        WriteLimited,
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn replace_instrument(
    Within(caller, author, _): Within<InventoryWrite>,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
    Json(body): Json<InstrumentRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let replaced = ctx.instruments().replace(&author, id, &body.into()).await?;
    Ok(HttpResponse::Ok().json(InstrumentResponse::from(&replaced)))
}

/// Delete an instrument
#[utoipa::path(delete, path = "/instruments/{id}", tag = "instruments",
    security(("oauth2_password" = [])),
    params(("id" = InstrumentId, Path, description = "The instrument's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "The instrument (before or after the change) overlaps a locked reporting period (the answer names it; an owner unlocks it)", body = ProblemDetails),
        (status = 404, description = "No such instrument of the token's organization", body = ProblemDetails),
        WriteLimited,
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn delete_instrument(
    Within(caller, author, _): Within<InventoryWrite>,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    ctx.instruments().delete(&author, path_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
