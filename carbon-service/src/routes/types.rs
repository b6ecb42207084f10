//! `/types`: public reads, superuser writes.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use common::auth::Superuser;
use common::error::{ApiError, ProblemDetails};
use common::extract::{Json, Query};
use common::pagination::{PageQuery, with_total_count};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::context::AppContext;
use crate::domain::ids::UsageTypeId;
use crate::domain::usage_type::{Scope, UsageType, UsageTypeFields};

/// A usage type as every endpoint shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = UsageType, example = json!({"id": 100, "name": "electricity", "unit": "kwh", "factor": 1.5, "scope": 2,
    "source": "Example grid-average factor; replace with your supplier's or national inventory's",
    "source_year": 2024, "region": "DE"}))]
pub struct UsageTypeResponse {
    pub id: UsageTypeId,
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    #[schema(min_length = 1, max_length = 64)]
    pub unit: String,
    /// kg CO₂e per unit.
    #[schema(minimum = 0, maximum = 1000000)]
    pub factor: f64,
    /// GHG Protocol scope: 1 direct, 2 purchased energy, 3 other indirect.
    #[schema(value_type = u8, minimum = 1, maximum = 3)]
    pub scope: Scope,
    /// Where the factor comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 256, nullable = false)]
    pub source: Option<String>,
    /// The year the factor applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1900, maximum = 2100, nullable = false)]
    pub source_year: Option<i32>,
    /// An ISO 3166-1 alpha-2 code or free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64, nullable = false)]
    pub region: Option<String>,
}

impl From<&UsageType> for UsageTypeResponse {
    fn from(t: &UsageType) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            unit: t.unit.clone(),
            factor: t.factor,
            scope: t.scope,
            source: t.source.clone(),
            source_year: t.source_year,
            region: t.region.clone(),
        }
    }
}

/// The body of `POST /types`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id": 105, "name": "diesel", "unit": "l", "factor": 2.68, "scope": 1,
    "source": "Supplier's fuel declaration", "source_year": 2025, "region": "FR"}))]
pub struct CreateUsageTypeRequest {
    /// A positive integer, unique.
    #[serde(deserialize_with = "common::extract::integer")]
    #[schema(value_type = UsageTypeId)]
    pub id: i64,
    /// 1 to 64 characters, not only spaces.
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub name: String,
    /// 1 to 64 characters, not only spaces.
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub unit: String,
    /// kg CO₂e per unit: finite, 0 to 1,000,000.
    #[schema(minimum = 0, maximum = 1000000)]
    pub factor: f64,
    /// GHG Protocol scope: 1, 2 or 3.
    #[serde(deserialize_with = "common::extract::integer")]
    #[schema(value_type = u8, minimum = 1, maximum = 3)]
    pub scope: i64,
    /// Where the factor comes from, up to 256 characters.
    #[serde(default)]
    #[schema(max_length = 256)]
    pub source: Option<String>,
    /// The year the factor applies to, 1900 to 2100.
    #[serde(default, deserialize_with = "common::extract::optional_integer")]
    #[schema(value_type = Option<i32>, minimum = 1900, maximum = 2100)]
    pub source_year: Option<i64>,
    /// An ISO 3166-1 alpha-2 code or free text, up to 64 characters.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub region: Option<String>,
}

impl CreateUsageTypeRequest {
    /// The id, and the fields as a replace would give them.
    pub fn into_parts(self) -> (i64, UsageTypeFields) {
        (
            self.id,
            UsageTypeFields {
                name: self.name,
                unit: self.unit,
                factor: self.factor,
                scope: self.scope,
                source: self.source,
                source_year: self.source_year,
                region: self.region,
            },
        )
    }
}

/// The body of `PUT /types/{id}`: every field but the id (a replacement:
/// an optional field left out is removed).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UsageTypeFields, example = json!({"name": "electricity", "unit": "kwh", "factor": 1.2, "scope": 2}))]
pub struct UsageTypeFieldsBody {
    /// 1 to 64 characters, not only spaces.
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub name: String,
    /// 1 to 64 characters, not only spaces.
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub unit: String,
    /// kg CO₂e per unit: finite, 0 to 1,000,000.
    #[schema(minimum = 0, maximum = 1000000)]
    pub factor: f64,
    /// GHG Protocol scope: 1, 2 or 3.
    #[serde(deserialize_with = "common::extract::integer")]
    #[schema(value_type = u8, minimum = 1, maximum = 3)]
    pub scope: i64,
    /// Where the factor comes from, up to 256 characters.
    #[serde(default)]
    #[schema(max_length = 256)]
    pub source: Option<String>,
    /// The year the factor applies to, 1900 to 2100.
    #[serde(default, deserialize_with = "common::extract::optional_integer")]
    #[schema(value_type = Option<i32>, minimum = 1900, maximum = 2100)]
    pub source_year: Option<i64>,
    /// An ISO 3166-1 alpha-2 code or free text, up to 64 characters.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub region: Option<String>,
}

impl From<UsageTypeFieldsBody> for UsageTypeFields {
    fn from(body: UsageTypeFieldsBody) -> Self {
        Self {
            name: body.name,
            unit: body.unit,
            factor: body.factor,
            scope: body.scope,
            source: body.source,
            source_year: body.source_year,
            region: body.region,
        }
    }
}

fn path_id(raw: &str) -> Result<UsageTypeId, ApiError> {
    Ok(UsageTypeId::parse_text("id", raw).map_err(common::Invalid::from)?)
}

/// List usage types
///
/// Public. Ordered by id; `X-Total-Count` carries the number of types.
#[utoipa::path(get, path = "/types", tag = "types",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of usage types", body = [UsageTypeResponse],
            headers(("X-Total-Count" = u64, description = "Total number of types"))),
        (status = 422, description = "limit or offset out of range", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all)]
pub async fn list_types(
    ctx: web::Data<AppContext>,
    Query(query): Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = ctx.types().list(query.parse()?).await?;
    let body: Vec<UsageTypeResponse> = page.types.iter().map(UsageTypeResponse::from).collect();
    Ok(with_total_count(&mut HttpResponse::Ok(), page.total)
        .insert_header((header::CACHE_CONTROL, "public, max-age=30"))
        .json(body))
}

/// Get a usage type
#[utoipa::path(get, path = "/types/{id}", tag = "types",
    params(("id" = UsageTypeId, Path, description = "The type's id")),
    responses(
        (status = 200, description = "The type", body = UsageTypeResponse),
        (status = 404, description = "No such type", body = ProblemDetails),
    ))]
#[tracing::instrument(skip(ctx))]
pub async fn get_type(
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let found = ctx.types().get(path_id(&id)?).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=30"))
        .json(UsageTypeResponse::from(&found)))
}

/// Create a usage type (superuser)
#[utoipa::path(post, path = "/types", tag = "types",
    security(("oauth2_password" = [])),
    extensions(("x-superuser" = json!(true))),
    request_body = CreateUsageTypeRequest,
    responses(
        (status = 201, description = "Created", body = UsageTypeResponse),
        (status = 409, description = "A type with this id exists", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(by = %caller.id))]
pub async fn create_type(
    Superuser(caller): Superuser,
    ctx: web::Data<AppContext>,
    Json(body): Json<CreateUsageTypeRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, fields) = body.into_parts();
    let usage_type = UsageType::parse(id, &fields)?;
    let created = ctx.types().create(usage_type, caller.id).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/types/{}", created.id)))
        .json(UsageTypeResponse::from(&created)))
}

/// Update a usage type (superuser)
///
/// Replaces every field but the id (an optional field left out is
/// removed). Existing usages keep the snapshot they were recorded with.
#[utoipa::path(put, path = "/types/{id}", tag = "types",
    security(("oauth2_password" = [])),
    extensions(("x-superuser" = json!(true))),
    params(("id" = UsageTypeId, Path, description = "The type's id")),
    request_body = UsageTypeFieldsBody,
    responses(
        (status = 200, description = "Updated", body = UsageTypeResponse),
        (status = 404, description = "No such type", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(by = %caller.id))]
pub async fn update_type(
    Superuser(caller): Superuser,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
    Json(body): Json<UsageTypeFieldsBody>,
) -> Result<HttpResponse, ApiError> {
    let usage_type = UsageType::parse(path_id(&id)?.get(), &body.into())?;
    let updated = ctx.types().replace(usage_type, caller.id).await?;
    Ok(HttpResponse::Ok().json(UsageTypeResponse::from(&updated)))
}

/// Delete a usage type (superuser)
///
/// Refused with 409 while usages reference the type.
#[utoipa::path(delete, path = "/types/{id}", tag = "types",
    security(("oauth2_password" = [])),
    extensions(("x-superuser" = json!(true))),
    params(("id" = UsageTypeId, Path, description = "The type's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such type", body = ProblemDetails),
        (status = 409, description = "Usages still reference the type", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(by = %caller.id))]
pub async fn delete_type(
    Superuser(caller): Superuser,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    ctx.types().delete(path_id(&id)?, caller.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
