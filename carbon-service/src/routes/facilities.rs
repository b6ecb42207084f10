//! `/facilities`: the organization's sites.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use common::auth::AuthenticatedUser;
use common::error::{ApiError, ProblemDetails};
use common::extract::Json;
use common::http::json_list;
use common::validation::Invalid;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::limited::{InventoryWrite, Within, WriteLimited};
use crate::context::AppContext;
use crate::domain::facility::{Facility, FacilityFields, FacilityId};
use crate::domain::ids::UsageTypeId;

/// `/facilities` and `/facilities/{id}`.
pub fn routes() -> common::routes::RouteTable {
    common::routes![
        list_facilities,
        create_facility,
        get_facility,
        replace_facility,
        delete_facility
    ]
}

/// A facility as given: a create, or a replace of every field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Fresno plant", "country": "US", "region": "US-eGRID-CAMX",
    "address": "1 Industrial Way, Fresno, CA", "default_usage_type_id": 20001}))]
pub struct FacilityRequest {
    /// 1 to 100 characters, unique in the organization.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// ISO 3166-1 alpha-2.
    #[schema(min_length = 2, max_length = 2, example = "US")]
    pub country: String,
    /// The grid or market region where it applies (an eGRID subregion
    /// such as `US-eGRID-CAMX`), else a state or province.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub region: Option<String>,
    #[serde(default)]
    #[schema(max_length = 300)]
    pub address: Option<String>,
    /// The electricity type its bills usually use: the usage form's
    /// default for it.
    #[serde(default)]
    #[schema(value_type = Option<UsageTypeId>)]
    pub default_usage_type_id: Option<i64>,
}

impl From<FacilityRequest> for FacilityFields {
    fn from(body: FacilityRequest) -> Self {
        Self {
            name: body.name,
            country: body.country,
            region: body.region,
            address: body.address,
            default_usage_type_id: body.default_usage_type_id,
        }
    }
}

/// A facility as every endpoint shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = Facility, example = json!({"id": "6740c8a2f1d3b2a1c0e9fa01", "name": "Fresno plant",
    "country": "US", "region": "US-eGRID-CAMX", "address": "1 Industrial Way, Fresno, CA",
    "default_usage_type_id": 20001, "usage_count": 12,
    "created_at": "2026-12-01T10:00:00Z", "updated_at": "2026-12-01T10:00:00Z"}))]
pub struct FacilityResponse {
    #[schema(value_type = FacilityId)]
    pub id: String,
    pub name: String,
    pub country: String,
    pub region: Option<String>,
    pub address: Option<String>,
    pub default_usage_type_id: Option<UsageTypeId>,
    /// How many usages name it (it cannot be deleted while any do).
    pub usage_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Facility> for FacilityResponse {
    fn from(f: &Facility) -> Self {
        Self {
            id: f.id.to_string(),
            name: f.name.clone(),
            country: f.country.clone(),
            region: f.region.clone(),
            address: f.address.clone(),
            default_usage_type_id: f.default_usage_type_id,
            usage_count: f.usage_count,
            created_at: f.created_at.to_chrono(),
            updated_at: f.updated_at.to_chrono(),
        }
    }
}

fn path_id(raw: &str) -> Result<FacilityId, Invalid> {
    FacilityId::parse("id", raw).map_err(Invalid::from)
}

/// The organization's facilities
///
/// By name (at most 1,000: an organization keeps no more). Any member.
#[utoipa::path(get, path = "/facilities", tag = "facilities",
    security(("oauth2_password" = [])),
    responses((status = 200, description = "The facilities", body = Vec<FacilityResponse>)))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn list_facilities(
    caller: AuthenticatedUser,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, ApiError> {
    let all = ctx.facilities().list(caller.org).await?;
    Ok(json_list(&all, FacilityResponse::from))
}

/// Record a facility
///
/// Admins and owners.
#[utoipa::path(post, path = "/facilities", tag = "facilities",
    security(("oauth2_password" = [])),
    request_body = FacilityRequest,
    responses(
        (status = 201, description = "Recorded", body = FacilityResponse,
            headers(("Location" = String, description = "The facility's URL"))),
        (status = 403, description = "The token's role is not admin or owner", body = ProblemDetails),
        (status = 409, description = "A facility of this name exists, or the organization keeps 1,000 already", body = ProblemDetails),
        (status = 422, description = "Invalid fields (every one named), or an unknown default type", body = ProblemDetails),
        WriteLimited,
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn create_facility(
    Within(caller, author, _): Within<InventoryWrite>,
    ctx: web::Data<AppContext>,
    Json(body): Json<FacilityRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = ctx.facilities().create(&author, &body.into()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/facilities/{}", created.id)))
        .json(FacilityResponse::from(&created)))
}

/// One facility
#[utoipa::path(get, path = "/facilities/{id}", tag = "facilities",
    security(("oauth2_password" = [])),
    params(("id" = FacilityId, Path, description = "The facility's id")),
    responses(
        (status = 200, description = "The facility", body = FacilityResponse),
        (status = 404, description = "No such facility of the organization's", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn get_facility(
    caller: AuthenticatedUser,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let found = ctx.facilities().get(caller.org, path_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(FacilityResponse::from(&found)))
}

/// Replace a facility
///
/// Every field, as in a create (an optional one left out is removed); its
/// usages keep naming it. Admins and owners.
#[utoipa::path(put, path = "/facilities/{id}", tag = "facilities",
    security(("oauth2_password" = [])),
    params(("id" = FacilityId, Path, description = "The facility's id")),
    request_body = FacilityRequest,
    responses(
        (status = 200, description = "Replaced", body = FacilityResponse),
        (status = 403, description = "The token's role is not admin or owner", body = ProblemDetails),
        (status = 404, description = "No such facility of the organization's", body = ProblemDetails),
        (status = 409, description = "Another facility has this name", body = ProblemDetails),
        (status = 422, description = "Invalid fields (every one named)", body = ProblemDetails),
        WriteLimited,
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn replace_facility(
    Within(caller, author, _): Within<InventoryWrite>,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
    Json(body): Json<FacilityRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let replaced = ctx.facilities().replace(&author, id, &body.into()).await?;
    Ok(HttpResponse::Ok().json(FacilityResponse::from(&replaced)))
}

/// Delete a facility
///
/// Not while usages name it (409): move or delete them first. Admins and
/// owners.
#[utoipa::path(delete, path = "/facilities/{id}", tag = "facilities",
    security(("oauth2_password" = [])),
    params(("id" = FacilityId, Path, description = "The facility's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The token's role is not admin or owner", body = ProblemDetails),
        (status = 404, description = "No such facility of the organization's", body = ProblemDetails),
        (status = 409, description = "Usages name it", body = ProblemDetails),
        WriteLimited,
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn delete_facility(
    Within(caller, author, _): Within<InventoryWrite>,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    ctx.facilities().delete(&author, path_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
