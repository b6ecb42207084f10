//! `/usages`: the caller's usage records. Another user's usage answers
//! exactly like a missing one (404), for every verb. Handlers parse, call
//! one `service::usages` function, and shape the answer.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use common::auth::AuthenticatedUser;
use common::error::{ApiError, ProblemDetails};
use common::extract::{Json, Query};
use common::pagination::with_total_count;
use mongodb::Database;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::usage::{
    CreateUsageRequest, IdempotencyKey, IfMatch, UpdateUsageRequest, Usage, UsageChanges,
    UsageResponse, parse_usage_id,
};
use crate::domain::usage_query::{UsageCursor, UsageFilter, UsagePage};
use crate::limits::{Limited, UserLimiters};
use crate::service::usages::{self as service, Created, ExportFormat};
use crate::storage::usages;
use crate::type_cache::UsageTypeCache;
use common::auth::Superuser;

pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";
pub const NEXT_CURSOR_HEADER: &str = "X-Next-Cursor";

fn idempotency_key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
    req.headers()
        .get(IDEMPOTENCY_KEY_HEADER)
        .map(|value| IdempotencyKey::parse(value.as_bytes()))
        .transpose()
        .map_err(|e| ApiError::Validation(vec![e]))
}

fn if_match(req: &HttpRequest) -> Result<Option<IfMatch>, ApiError> {
    req.headers()
        .get(header::IF_MATCH)
        .map(|value| {
            value
                .to_str()
                .map_err(|_| ApiError::validation("If-Match", "must be visible ASCII"))
                .and_then(IfMatch::parse)
        })
        .transpose()
}

fn with_etag(usage: &Usage) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, usage.etag()))
        .json(UsageResponse::from(usage))
}

fn created(answer: Created, location: Option<String>) -> HttpResponse {
    let mut response = HttpResponse::Created();
    response.insert_header((header::CONTENT_TYPE, "application/json"));
    if let Some(location) = location {
        response.insert_header((header::LOCATION, location));
        // A new usage is always version 1.
        response.insert_header((header::ETAG, "\"1\""));
    }
    if answer.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(answer.body)
}

const ID_PARAM: &str = "The usage's ObjectId (hex)";

/// Record a usage
///
/// Stores `co2e = amount × factor` with a snapshot of the type. With an
/// `Idempotency-Key`, a retry answers the original 201 (same id) and
/// creates nothing; the same key with a different body is 422. Keys are
/// kept for at least 48 hours.
#[utoipa::path(post, path = "/usages", tag = "usages",
    security(("oauth2_password" = [])),
    request_body = CreateUsageRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1 to 255 visible characters, unique per request (a UUID, say); reusing one with a different body is 422", min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
    responses(
        (status = 201, description = "Recorded (or the original answer to this key)", body = UsageResponse,
            headers(("ETag" = String, description = "The version, for If-Match"), ("Location" = String, description = "The new usage"))),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The user's usage quota (USAGE_QUOTA_PER_USER) is reached, or a request with this Idempotency-Key is still running (with Retry-After)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid values, an unknown type, unknown fields, or a reused Idempotency-Key with another body", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create_usage(
    req: HttpRequest,
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    cache: web::Data<UsageTypeCache>,
    limiters: web::Data<UserLimiters>,
    Json(body): Json<CreateUsageRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let user_id = caller.id.to_string();
    let quota = limiters.usage_quota;
    let answer = service::create(&db, &cache, &user_id, &body, key.as_ref(), quota).await?;
    let location = format!("/usages/{}", answer.id);
    Ok(created(answer, Some(location)))
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
    params(("id" = String, Path, description = ID_PARAM, example = "6740c8a2f1d3b2a1c0e9f812", pattern = "^[0-9a-fA-F]{24}$")),
    responses(
        (status = 200, description = "The usage", body = UsageResponse,
            headers(("ETag" = String, description = "The version, for If-Match"))),
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
    Ok(with_etag(&usage))
}

/// Change one of my usages
///
/// A partial update of `amount`, `usage_type_id` and `usage_at`: a field
/// left out keeps its value, and `null` is never a value (422). A new type
/// refreshes the snapshot; `co2e` is recomputed. Send the `ETag` you read
/// as `If-Match` so that a change made meanwhile by someone else is not
/// overwritten (412); without it the change applies to the latest version.
#[utoipa::path(put, path = "/usages/{id}", tag = "usages",
    security(("oauth2_password" = [])),
    params(
        ("id" = String, Path, description = ID_PARAM, example = "6740c8a2f1d3b2a1c0e9f812", pattern = "^[0-9a-fA-F]{24}$"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read (or *): the change applies only to that version", example = "\"3\""),
    ),
    request_body = UpdateUsageRequest,
    responses(
        (status = 200, description = "Updated", body = UsageResponse,
            headers(("ETag" = String, description = "The new version"))),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such usage of the caller's", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Other requests kept changing the usage; retry", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Malformed id or If-Match, empty body, null or invalid values, unknown type or fields", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn update_usage(
    req: HttpRequest,
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    cache: web::Data<UsageTypeCache>,
    id: web::Path<String>,
    Json(body): Json<UpdateUsageRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_usage_id(&id)?;
    let condition = if_match(&req)?;
    let changes = UsageChanges::parse(&body)?;
    let user_id = caller.id.to_string();
    let updated = service::update(&db, &cache, &user_id, id, &changes, condition.as_ref()).await?;
    Ok(with_etag(&updated))
}

/// Delete one of my usages
///
/// With `If-Match`, only the version it names is deleted (412 otherwise).
#[utoipa::path(delete, path = "/usages/{id}", tag = "usages",
    security(("oauth2_password" = [])),
    params(
        ("id" = String, Path, description = ID_PARAM, example = "6740c8a2f1d3b2a1c0e9f812", pattern = "^[0-9a-fA-F]{24}$"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read (or *)", example = "\"3\""),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such usage of the caller's", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Malformed id or If-Match", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete_usage(
    req: HttpRequest,
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_usage_id(&id)?;
    let condition = if_match(&req)?;
    service::delete(&db, &caller.id.to_string(), id, condition.as_ref()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EraseQuery {
    /// Must be `true`: erasing cannot be undone.
    #[param(example = true)]
    pub confirm: Option<bool>,
}

fn confirmed(query: &EraseQuery) -> Result<(), ApiError> {
    if query.confirm == Some(true) {
        Ok(())
    } else {
        Err(ApiError::validation(
            "confirm",
            "must be true: erasing every usage cannot be undone",
        ))
    }
}

/// Erase all my usages
///
/// Deletes every usage of the caller; it cannot be undone, so it needs a
/// login within the last five minutes (an access token whose `auth_time`
/// is recent: log in again with the password first). Otherwise 401 with an
/// RFC 9470 `insufficient_user_authentication` challenge. Call it before
/// deleting the account (`DELETE /users/me` on user-service), which does
/// not reach carbon-service's data.
#[utoipa::path(delete, path = "/usages", tag = "usages",
    security(("oauth2_password" = [])),
    params(EraseQuery),
    responses(
        (status = 204, description = "Every usage of the caller is erased"),
        (status = 401, description = "Missing or invalid token, or a login older than five minutes (WWW-Authenticate: Bearer error=\"insufficient_user_authentication\", max_age=300)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "confirm=true is missing", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn erase_usages(
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    Query(query): Query<EraseQuery>,
) -> Result<HttpResponse, ApiError> {
    confirmed(&query)?;
    caller.require_fresh_login()?;
    service::erase(&db, &caller.id.to_string()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Erase a user's usages (superuser)
///
/// Deletes every usage of the user `{id}`, for an administrator deleting
/// the account on user-service (which never calls carbon-service): call this
/// first. Cannot be undone; `confirm=true` is required.
#[utoipa::path(delete, path = "/users/{id}/usages", tag = "usages",
    security(("oauth2_password" = [])),
    params(
        ("id" = String, Path, description = "The user's UUID", example = "0b6f1e5c-2f6e-4c1b-9d0a-3c1d2e4f5a6b", format = Uuid),
        EraseQuery,
    ),
    responses(
        (status = 204, description = "Every usage of the user is erased (also when there were none)"),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not a superuser", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID, or confirm=true is missing", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn erase_user_usages(
    Superuser(caller): Superuser,
    db: web::Data<Database>,
    id: web::Path<String>,
    Query(query): Query<EraseQuery>,
) -> Result<HttpResponse, ApiError> {
    let user_id =
        uuid::Uuid::parse_str(&id).map_err(|_| ApiError::validation("id", "must be a UUID"))?;
    confirmed(&query)?;
    let erased = service::erase(&db, &user_id.to_string()).await?;
    tracing::info!(%user_id, erased, by = %caller.id, "a superuser erased a user's usages");
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only this type.
    #[param(example = 100, minimum = 1, maximum = 9007199254740991_i64)]
    pub usage_type_id: Option<i64>,
    /// RFC 3339; `usage_at` ≥ from.
    #[param(example = "2026-01-01T00:00:00Z", format = DateTime)]
    pub from: Option<String>,
    /// RFC 3339; `usage_at` < to.
    #[param(example = "2027-01-01T00:00:00Z", format = DateTime)]
    pub to: Option<String>,
}

/// The format an `Accept` header asks for: CSV unless only JSON is acceptable.
fn export_format(req: &HttpRequest) -> Result<ExportFormat, ApiError> {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(ExportFormat::Csv);
    };
    let types: Vec<String> = accept
        .split(',')
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    let wants = |media: &str| types.iter().any(|t| t == media);
    if wants("text/csv") || wants("text/*") || wants("*/*") {
        Ok(ExportFormat::Csv)
    } else if wants("application/json") || wants("application/*") {
        Ok(ExportFormat::Json)
    } else {
        Err(ApiError::Status {
            status: actix_web::http::StatusCode::NOT_ACCEPTABLE,
            detail: "The export is available as text/csv or application/json.".into(),
        })
    }
}

/// Export my usages
///
/// Every usage of the caller matching the filters (as the list takes them),
/// oldest first, streamed. `Accept: text/csv` (the default) gives CSV with
/// the header row `id,usage_at,usage_type_id,usage_type_name,unit,amount,factor,co2e,scope`;
/// text cells that a spreadsheet would run as a formula (starting with `=`,
/// `+`, `-`, `@`) are prefixed with `'`. `Accept: application/json` gives a
/// JSON array of usages.
#[utoipa::path(get, path = "/usages/export", tag = "usages",
    security(("oauth2_password" = [])),
    params(ExportQuery),
    responses(
        (status = 200, description = "The usages",
            content(
                (String = "text/csv", example = "id,usage_at,usage_type_id,usage_type_name,unit,amount,factor,co2e,scope\r\n6740c8a2f1d3b2a1c0e9f812,2026-11-01T08:00:00Z,100,electricity,kwh,120.5,1.5,180.75,2\r\n"),
                ([UsageResponse] = "application/json"),
            )),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 406, description = "Accept allows neither text/csv nor application/json", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid type id or window", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many exports by this user (EXPORT_RATE_LIMIT_PER_MINUTE); see Retry-After", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn export_usages(
    req: HttpRequest,
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    limiters: web::Data<UserLimiters>,
    Query(query): Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    limiters.check(Limited::Export, &caller.id)?;
    let format = export_format(&req)?;
    let filter = UsageFilter::parse(
        query.usage_type_id,
        query.from.as_deref(),
        query.to.as_deref(),
    )?;
    let body = service::export(&db, &caller.id.to_string(), &filter, format).await?;
    let (content_type, file) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "usages.csv"),
        ExportFormat::Json => ("application/json", "usages.json"),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .streaming(body))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({"imported": 120}))]
pub struct ImportResult {
    /// How many usages were stored.
    pub imported: u64,
}

fn is_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("text/csv"))
}

/// Import usages from CSV
///
/// A `text/csv` body of at most 5 MiB and 10,000 data rows (past either,
/// 413), with a header row naming `usage_at,usage_type_id,amount` (any
/// order; other columns, such as an export's, are ignored). All or nothing:
/// when any row is invalid the answer is 422 with one `errors` entry per
/// problem, `{row, field, message}` (`row` 1 is the first data row; at most
/// 100 are listed), and nothing is stored. Cells are plain values, never
/// formulas. Honours `Idempotency-Key` like a single create.
#[utoipa::path(post, path = "/usages/import", tag = "usages",
    security(("oauth2_password" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe (see POST /usages)", min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
    request_body(content = String, content_type = "text/csv", description = "CSV with a header row",
        example = "usage_at,usage_type_id,amount\n2026-11-01T08:00:00Z,100,120.5\n2026-11-02T08:00:00Z,101,3\n"),
    responses(
        (status = 201, description = "Every row stored (or the original answer to this key)", body = ImportResult),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The rows would exceed the user's usage quota (USAGE_QUOTA_PER_USER), or a request with this Idempotency-Key is still running (with Retry-After); nothing stored", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "Over 5 MiB or 10,000 rows", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "Not text/csv", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid rows (each named by row and field), a missing column, no rows, or a reused Idempotency-Key; nothing stored", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many imports by this user (IMPORT_RATE_LIMIT_PER_MINUTE); see Retry-After", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn import_usages(
    req: HttpRequest,
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    cache: web::Data<UsageTypeCache>,
    limiters: web::Data<UserLimiters>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    limiters.check(Limited::Import, &caller.id)?;
    if !is_csv(&req) {
        return Err(ApiError::UnsupportedMediaType(
            "The import must be text/csv.".into(),
        ));
    }
    let key = idempotency_key(&req)?;
    let user_id = caller.id.to_string();
    let quota = limiters.usage_quota;
    let answer = service::import(&db, &cache, &user_id, &body, key.as_ref(), quota).await?;
    Ok(created(answer, None))
}
