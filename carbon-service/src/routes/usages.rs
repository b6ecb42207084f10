//! `/usages`: the caller's usage records. Another user's usage answers
//! exactly like a missing one (404), for every verb.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use bson::doc;
use bson::oid::ObjectId;
use common::auth::AuthenticatedUser;
use common::error::{ApiError, FieldError, ProblemDetails};
use common::extract::{Json, Query};
use common::pagination::with_total_count;
use mongodb::Database;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::usage::{
    CreateUsageRequest, NewUsage, UpdateUsageRequest, Usage, UsageChanges, UsageResponse,
    parse_usage_id,
};
use crate::domain::usage_query::{UsageCursor, UsageFilter, UsagePage};
use crate::domain::usage_type::UsageType;
use crate::storage::{idempotency, usages};
use crate::type_cache::UsageTypeCache;

pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";
pub const NEXT_CURSOR_HEADER: &str = "X-Next-Cursor";
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

async fn existing_type(
    db: &Database,
    cache: &UsageTypeCache,
    id: i64,
) -> Result<UsageType, ApiError> {
    cache
        .get(db, id)
        .await?
        .ok_or_else(|| ApiError::validation("usage_type_id", format!("no usage type has id {id}")))
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY_HEADER) else {
        return Ok(None);
    };
    // Exactly what the document says: 1 to 255 visible ASCII characters.
    let bytes = value.as_bytes();
    let visible = bytes.iter().all(|b| (b'!'..=b'~').contains(b));
    if bytes.is_empty() || bytes.len() > MAX_IDEMPOTENCY_KEY_CHARS || !visible {
        return Err(ApiError::Validation(vec![FieldError::new(
            IDEMPOTENCY_KEY_HEADER,
            format!("must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters"),
        )]));
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

fn created(body: String, id: &str, replayed: bool) -> HttpResponse {
    let mut response = HttpResponse::Created();
    response
        .insert_header((header::LOCATION, format!("/usages/{id}")))
        .insert_header((header::CONTENT_TYPE, "application/json"));
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(body)
}

/// Record a usage
///
/// Stores `co2e = amount × factor` with a snapshot of the type. With an
/// `Idempotency-Key`, a retry answers the original 201 (same id) and
/// creates nothing; the same key with a different body is 422. Keys are
/// kept for at least 24 hours.
#[utoipa::path(post, path = "/usages", tag = "usages",
    security(("oauth2_password" = [])),
    request_body = CreateUsageRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1 to 255 visible characters, unique per request (a UUID, say); reusing one with a different body is 422", min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
    responses(
        (status = 201, description = "Recorded (or the original answer to this key)", body = UsageResponse),
        (status = 400, description = "Malformed JSON", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "Body over 16 KiB", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid values, an unknown type, unknown fields, or a reused Idempotency-Key with another body", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create_usage(
    req: HttpRequest,
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    cache: web::Data<UsageTypeCache>,
    Json(body): Json<CreateUsageRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let new = NewUsage::parse(&body)?;
    let usage_type = existing_type(&db, &cache, new.usage_type_id).await?;
    let user_id = caller.id.to_string();

    let Some(key) = key else {
        let usage = Usage::new(
            ObjectId::new(),
            user_id,
            new.amount,
            usage_type,
            new.usage_at,
        );
        usages::insert(&db, &usage).await?;
        let body =
            serde_json::to_string(&UsageResponse::from(&usage)).map_err(ApiError::internal)?;
        return Ok(created(body, &usage.id.to_hex(), false));
    };

    let fingerprint =
        idempotency::sha256_hex(&[&serde_json::to_vec(&body).map_err(ApiError::internal)?]);
    let record = idempotency::claim(&db, &user_id, &key, &fingerprint).await?;
    if record.fingerprint != fingerprint {
        return Err(ApiError::Validation(vec![FieldError::new(
            IDEMPOTENCY_KEY_HEADER,
            "was already used with a different request body",
        )]));
    }
    let usage_id = record.usage_id.to_hex();
    if let Some(original) = record.response {
        return Ok(created(original, &usage_id, true));
    }
    // Whoever inserts under the record's id first wins; a crashed earlier
    // attempt is completed by the retry.
    let candidate = Usage::new(
        record.usage_id,
        user_id.clone(),
        new.amount,
        usage_type,
        new.usage_at,
    );
    let inserted = usages::insert(&db, &candidate).await?;
    // Another request won the insert: answer with what it stored.
    let stored = if inserted {
        candidate
    } else {
        usages::find(&db, &user_id, record.usage_id)
            .await?
            .ok_or_else(ApiError::not_found)?
    };
    let body = serde_json::to_string(&UsageResponse::from(&stored)).map_err(ApiError::internal)?;
    idempotency::complete(&db, &record.id, &body).await?;
    Ok(created(body, &usage_id, !inserted))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsagesQuery {
    /// Page size, 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100, example = 10)]
    pub limit: Option<u32>,
    /// Usages to skip (default 0). For deep pages prefer `cursor`: an offset
    /// makes the database walk past every skipped usage.
    #[param(minimum = 0, maximum = 100000, example = 0)]
    pub offset: Option<u64>,
    /// Continue after the page that answered this cursor in `X-Next-Cursor`
    /// (keyset pagination; not with a non-zero `offset`). Use the same
    /// filters as that page.
    #[param(example = "MTc2MjAwNjQwMDAwMDo2NzQwYzhhMmYxZDNiMmExYzBlOWY4MTI")]
    pub cursor: Option<String>,
    /// Only this type.
    #[param(example = 100, minimum = 1, maximum = 9007199254740991_i64)]
    pub usage_type_id: Option<i64>,
    /// RFC 3339; `usage_at` ≥ from.
    #[param(example = "2026-01-01T00:00:00Z", format = DateTime)]
    pub from: Option<String>,
    /// RFC 3339; `usage_at` < to.
    #[param(example = "2027-01-01T00:00:00Z", format = DateTime)]
    pub to: Option<String>,
    /// `true` adds `X-Total-Count`, the number of matching usages. It costs a
    /// walk over all of them, so ask only when it is shown.
    #[param(example = false)]
    pub include_total: Option<bool>,
}

/// List my usages
///
/// Newest `usage_at` first (ties by id). Page with `limit` and either
/// `offset` or, for stable and cheap deep pages, the `cursor` that the
/// previous page returned in `X-Next-Cursor`; that header is absent on the
/// last page. `X-Total-Count` is sent only with `include_total=true`.
#[utoipa::path(get, path = "/usages", tag = "usages",
    security(("oauth2_password" = [])),
    params(ListUsagesQuery),
    responses(
        (status = 200, description = "A page of the caller's usages", body = [UsageResponse],
            headers(
                ("X-Next-Cursor" = String, description = "Pass as `cursor` for the next page; absent on the last page"),
                ("X-Total-Count" = u64, description = "Total matching usages (only with include_total=true)"),
            )),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit, offset, cursor, type id or window", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list_usages(
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    Query(query): Query<ListUsagesQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = UsagePage::parse(query.limit, query.offset, query.cursor.as_deref())?;
    let filter = UsageFilter::parse(
        query.usage_type_id,
        query.from.as_deref(),
        query.to.as_deref(),
    )?;
    let user_id = caller.id.to_string();
    let (found, more) = usages::page(&db, &user_id, &filter, page.start, page.limit).await?;
    let mut response = HttpResponse::Ok();
    if more && let Some(last) = found.last() {
        let next = UsageCursor {
            usage_at: last.usage_at,
            id: last.id,
        };
        response.insert_header((NEXT_CURSOR_HEADER, next.encode()));
    }
    if query.include_total == Some(true) {
        with_total_count(&mut response, usages::count(&db, &user_id, &filter).await?);
    }
    let body: Vec<UsageResponse> = found.iter().map(UsageResponse::from).collect();
    Ok(response.json(body))
}

/// Get one of my usages
#[utoipa::path(get, path = "/usages/{id}", tag = "usages",
    security(("oauth2_password" = [])),
    params(("id" = String, Path, description = "The usage's ObjectId (hex)", example = "6740c8a2f1d3b2a1c0e9f812", pattern = "^[0-9a-fA-F]{24}$")),
    responses(
        (status = 200, description = "The usage", body = UsageResponse),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such usage of the caller's", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Malformed id", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get_usage(
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_usage_id(&id)?;
    let usage = usages::find(&db, &caller.id.to_string(), id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::Ok().json(UsageResponse::from(&usage)))
}

/// Change one of my usages
///
/// A partial update of `amount`, `usage_type_id` and `usage_at`. A new type
/// refreshes the snapshot; `co2e` is recomputed.
#[utoipa::path(put, path = "/usages/{id}", tag = "usages",
    security(("oauth2_password" = [])),
    params(("id" = String, Path, description = "The usage's ObjectId (hex)", example = "6740c8a2f1d3b2a1c0e9f812", pattern = "^[0-9a-fA-F]{24}$")),
    request_body = UpdateUsageRequest,
    responses(
        (status = 200, description = "Updated", body = UsageResponse),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such usage of the caller's", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Malformed id, empty body, invalid values, unknown type or fields", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn update_usage(
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    cache: web::Data<UsageTypeCache>,
    id: web::Path<String>,
    Json(body): Json<UpdateUsageRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_usage_id(&id)?;
    let changes = UsageChanges::parse(&body)?;
    let user_id = caller.id.to_string();
    let mut usage = usages::find(&db, &user_id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if let Some(type_id) = changes.usage_type_id {
        usage.usage_type = existing_type(&db, &cache, type_id).await?;
    }
    if let Some(amount) = changes.amount {
        usage.amount = amount;
    }
    if let Some(at) = changes.usage_at {
        usage.usage_at = bson::DateTime::from_chrono(at);
    }
    usage.recompute();
    let set = doc! {
        "amount": usage.amount,
        "usage_type": bson::to_bson(&usage.usage_type).map_err(ApiError::internal)?,
        "usage_type_id": usage.usage_type_id,
        "usage_at": usage.usage_at,
        "co2e": usage.co2e,
        "updated_at": bson::DateTime::now(),
    };
    let updated = usages::update(&db, &user_id, id, set)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(HttpResponse::Ok().json(UsageResponse::from(&updated)))
}

/// Delete one of my usages
#[utoipa::path(delete, path = "/usages/{id}", tag = "usages",
    security(("oauth2_password" = [])),
    params(("id" = String, Path, description = "The usage's ObjectId (hex)", example = "6740c8a2f1d3b2a1c0e9f812", pattern = "^[0-9a-fA-F]{24}$")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such usage of the caller's", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Malformed id", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete_usage(
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_usage_id(&id)?;
    if !usages::delete(&db, &caller.id.to_string(), id).await? {
        return Err(ApiError::not_found());
    }
    Ok(HttpResponse::NoContent().finish())
}
