//! `/types`: public reads, superuser writes.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use common::auth::Superuser;
use common::error::{ApiError, ProblemDetails};
use common::extract::{Json, Query};
use common::pagination::{Page, with_total_count};
use mongodb::Database;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::usage_type::{
    CreateUsageTypeRequest, UsageType, UsageTypeFields, parse_type_id,
};
use crate::storage::{usage_types, usages};
use crate::type_cache::UsageTypeCache;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListTypesQuery {
    /// Page size, 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100, example = 10)]
    pub limit: Option<u32>,
    /// Types to skip (default 0).
    #[param(minimum = 0, maximum = 100000, example = 0)]
    pub offset: Option<u64>,
}

/// List usage types
///
/// Public. Ordered by id; `X-Total-Count` carries the number of types.
#[utoipa::path(get, path = "/types", tag = "types",
    params(ListTypesQuery),
    responses(
        (status = 200, description = "A page of usage types", body = [UsageType],
            headers(("X-Total-Count" = u64, description = "Total number of types"))),
        (status = 422, description = "limit or offset out of range", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list_types(
    db: web::Data<Database>,
    cache: web::Data<UsageTypeCache>,
    Query(query): Query<ListTypesQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::parse(query.limit, query.offset)?;
    let all = cache.all(&db).await?;
    let slice: Vec<&UsageType> = all
        .iter()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .collect();
    Ok(with_total_count(&mut HttpResponse::Ok(), all.len() as u64)
        .insert_header((header::CACHE_CONTROL, "public, max-age=30"))
        .json(slice))
}

/// Get a usage type
#[utoipa::path(get, path = "/types/{id}", tag = "types",
    params(("id" = i64, Path, description = "The type's id", example = 100, minimum = 1, maximum = 9007199254740991_i64)),
    responses(
        (status = 200, description = "The type", body = UsageType),
        (status = 404, description = "No such type", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a positive integer", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get_type(
    db: web::Data<Database>,
    cache: web::Data<UsageTypeCache>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_type_id(&id)?;
    let found = cache.get(&db, id).await?.ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=30"))
        .json(found))
}

/// Create a usage type (superuser)
#[utoipa::path(post, path = "/types", tag = "types",
    security(("oauth2_password" = [])),
    request_body = CreateUsageTypeRequest,
    responses(
        (status = 201, description = "Created", body = UsageType),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not a superuser", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "A type with this id exists", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid values or unknown fields", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create_type(
    Superuser(caller): Superuser,
    db: web::Data<Database>,
    cache: web::Data<UsageTypeCache>,
    Json(body): Json<CreateUsageTypeRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, fields) = body.into_parts();
    let usage_type = UsageType::parse(id, &fields)?;
    usage_types::insert(&db, &usage_type).await?;
    cache.invalidate();
    tracing::info!(type_id = usage_type.id, by = %caller.id, "usage type created");
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/types/{}", usage_type.id)))
        .json(usage_type))
}

/// Update a usage type (superuser)
///
/// Replaces every field but the id (an optional field left out is
/// removed). Existing usages keep the snapshot they were recorded with.
#[utoipa::path(put, path = "/types/{id}", tag = "types",
    security(("oauth2_password" = [])),
    params(("id" = i64, Path, description = "The type's id", example = 100, minimum = 1, maximum = 9007199254740991_i64)),
    request_body = UsageTypeFields,
    responses(
        (status = 200, description = "Updated", body = UsageType),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not a superuser", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such type", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid id, values or unknown fields", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn update_type(
    Superuser(caller): Superuser,
    db: web::Data<Database>,
    cache: web::Data<UsageTypeCache>,
    id: web::Path<String>,
    Json(body): Json<UsageTypeFields>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_type_id(&id)?;
    let usage_type = UsageType::parse(id, &body)?;
    let updated = usage_types::update(&db, &usage_type)
        .await?
        .ok_or_else(ApiError::not_found)?;
    cache.invalidate();
    tracing::info!(type_id = id, factor = updated.factor, by = %caller.id, "usage type updated");
    Ok(HttpResponse::Ok().json(updated))
}

/// Delete a usage type (superuser)
///
/// Refused with 409 while usages reference the type.
#[utoipa::path(delete, path = "/types/{id}", tag = "types",
    security(("oauth2_password" = [])),
    params(("id" = i64, Path, description = "The type's id", example = 100, minimum = 1, maximum = 9007199254740991_i64)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not a superuser", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such type", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Usages still reference the type", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a positive integer", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete_type(
    Superuser(caller): Superuser,
    db: web::Data<Database>,
    cache: web::Data<UsageTypeCache>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_type_id(&id)?;
    if usages::references_type(&db, id).await? {
        return Err(ApiError::Conflict(format!(
            "Usages still reference usage type {id}."
        )));
    }
    if !usage_types::delete(&db, id).await? {
        return Err(ApiError::not_found());
    }
    cache.invalidate();
    tracing::info!(type_id = id, by = %caller.id, "usage type deleted");
    Ok(HttpResponse::NoContent().finish())
}
