//! `/usages`: the usage records of the token's organization. Another
//! organization's usage answers exactly like a missing one (404), for every
//! verb. Handlers parse, call one `service::usages` function, and shape the
//! answer.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use common::audit::Author;
use common::auth::{AuthenticatedUser, Superuser};
use common::error::{ApiError, ProblemDetails};
use common::extract::{Json, Query};
use common::http::RequestId;
use common::ids::{OrgId, UserId};
use common::metrics::Metrics;
use common::pagination::{PageQuery, with_total_count};
use common::validation::{FieldError, Invalid, both};
use futures_util::{StreamExt, TryStreamExt};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::erasure::{EraseQuery, ErasureAnswers, OwnerErasure};
use super::limited::{Import, UsageWrite, Within, WriteLimited};
use super::types::{GasesBody, UsageTypeResponse};
use crate::context::AppContext;
use crate::domain::figures::shown;
use crate::domain::ids::{FacilityId, UsageId, UsageTypeId};
use crate::domain::usage::{
    DataQuality, IdempotencyKey, IfMatch, NewUsage, Usage, UsageChanges, UsageChangesInput,
    UsageInput,
};
use crate::domain::usage_csv;
use crate::domain::usage_query::{UsageFilter, UsagePage};
use crate::limits::Limited;

/// `/usages` and a superuser's `/users/{id}/usages`.
pub fn routes() -> common::routes::RouteTable {
    common::routes![
        list_usages,
        create_usage,
        erase_usages,
        export_usages,
        import_usages,
        get_usage,
        update_usage,
        delete_usage,
        erase_user_usages
    ]
}

pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";
pub const NEXT_CURSOR_HEADER: &str = "X-Next-Cursor";
pub const USAGES_CREATED: &str = "usages_created_total";

/// A usage as every endpoint shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "6740c8a2f1d3b2a1c0e9f812",
    "org_id": "7d3c9a1e-5b2f-4e8d-a6c0-1f2e3d4c5b6a",
    "created_by": "0b6f1e5c-2f6e-4c1b-9d0a-3c1d2e4f5a6b",
    "updated_by": "0b6f1e5c-2f6e-4c1b-9d0a-3c1d2e4f5a6b",
    "user_id": "0b6f1e5c-2f6e-4c1b-9d0a-3c1d2e4f5a6b",
    "amount": 12.5,
    "unit": "MWh",
    "factor_amount": 12.5,
    "usage_type": {"id": 20000, "name": "Electricity, US average grid", "unit": "MWh", "unit_dimension": "energy",
        "factor": 351.64249532692, "gases": {"co2": 349.95694608, "ch4": 0.02585476509, "n2o": 0.00362873896},
        "gwp_basis": "AR5", "dataset": "epa-ghg-hub-2025", "category": "purchased_electricity", "scope": 2,
        "region": "US", "illustrative": false, "retired": false},
    "usage_at": "2026-11-01T08:00:00Z",
    "gases": {"co2": 4374.461826, "ch4": 0.323184563625, "n2o": 0.045359237},
    "co2e": 4395.5311915865,
    "created_at": "2026-11-22T10:00:00Z",
    "updated_at": "2026-11-22T10:00:00Z",
    "version": 1
}))]
pub struct UsageResponse {
    /// The id in hexadecimal (a BSON ObjectId's own serde would write an
    /// object).
    #[schema(value_type = UsageId)]
    pub id: String,
    /// The organization it belongs to (a personal organization's id is
    /// its user's).
    pub org_id: OrgId,
    /// Who recorded it, and who changed it last.
    pub created_by: UserId,
    pub updated_by: UserId,
    /// Deprecated: `created_by`, kept for clients from before
    /// organizations.
    #[schema(deprecated)]
    pub user_id: UserId,
    /// As entered, in `unit`.
    pub amount: f64,
    /// The unit the amount was entered in.
    #[schema(example = "MWh")]
    pub unit: String,
    /// `amount` in the factor's unit (`usage_type.unit`), converted exactly.
    pub factor_amount: f64,
    /// The type as it was when the usage was recorded (or last retyped):
    /// its dataset, its factor per gas and its unit. Later edits of the
    /// type or a new edition of its dataset never change it.
    pub usage_type: UsageTypeResponse,
    pub usage_at: DateTime<Utc>,
    /// kg of each gas emitted: the factor's gases × `factor_amount`.
    pub gases: GasesBody,
    /// kg CO₂e under the factor's GWP set (`usage_type.gwp_basis`).
    pub co2e: f64,
    /// The scope 3 category it is reported under (one of the type's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub scope3_category: Option<u8>,
    /// The facility it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<FacilityId>, nullable = false)]
    pub facility_id: Option<String>,
    /// How the amount was obtained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub data_quality: Option<DataQuality>,
    /// An invoice number or a document link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub evidence: Option<String>,
    /// The CSV import that created it, if one did: the `entity_id` of that
    /// import's audit entry (`GET /audit?entity=usage_import&entity_id=`),
    /// which records its creation; it has no create entry of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "6740c8a2f1d3b2a1c0e9f901")]
    pub import_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change; `ETag` is this number in quotes, for
    /// `If-Match`.
    pub version: i64,
}

impl From<&Usage> for UsageResponse {
    fn from(u: &Usage) -> Self {
        Self {
            id: u.id.to_string(),
            org_id: u.org_id,
            created_by: u.created_by,
            updated_by: u.updated_by,
            user_id: u.created_by,
            amount: u.amount,
            unit: u.unit.clone(),
            factor_amount: shown(u.factor_amount),
            usage_type: UsageTypeResponse::from(&u.usage_type),
            usage_at: u.usage_at.to_chrono(),
            gases: u.gases.clone().into(),
            co2e: shown(u.co2e),
            scope3_category: u.scope3_category,
            facility_id: u.facility_id.map(|f| f.to_string()),
            data_quality: u.data_quality,
            evidence: u.evidence.clone(),
            import_id: u.import_id.map(|i| i.to_hex()),
            created_at: u.created_at.to_chrono(),
            updated_at: u.updated_at.to_chrono(),
            version: u.version,
        }
    }
}

/// The body of `POST /usages`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": 12.5, "unit": "MWh", "usage_type_id": 20000, "usage_at": "2026-11-01T08:00:00Z"}))]
pub struct CreateUsageRequest {
    /// Finite, 0 to 1e12, in `unit`.
    #[schema(minimum = 0, maximum = 1e12)]
    pub amount: f64,
    /// A unit of the type's dimension (`GET /units`); absent or null: the
    /// type's unit. Another dimension is 422 naming `unit` and listing the
    /// accepted ones.
    #[schema(max_length = 64, example = "MWh", nullable)]
    pub unit: Option<String>,
    #[serde(deserialize_with = "common::extract::integer")]
    #[schema(value_type = UsageTypeId)]
    pub usage_type_id: i64,
    /// One of the type's `scope3_categories` to report it under; absent:
    /// the first.
    #[serde(
        default,
        deserialize_with = "common::extract::optional_integer",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<u8>, minimum = 1, maximum = 15)]
    pub scope3_category: Option<i64>,
    /// RFC 3339 with an offset, from 1900 to at most one day ahead; absent or null: now.
    #[schema(format = DateTime, nullable)]
    pub usage_at: Option<String>,
    /// The facility (site) it belongs to, one of `GET /facilities`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<FacilityId>, nullable = false)]
    pub facility_id: Option<String>,
    /// How the amount was obtained: `measured` (meter, invoice),
    /// `calculated`, `estimated` or `spend_based`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<DataQuality>, nullable = false)]
    pub data_quality: Option<String>,
    /// An invoice number or a document link, up to 500 characters (kept
    /// in the audit trail, also after an erasure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 500, nullable = false, example = "INV-2026-0412")]
    pub evidence: Option<String>,
}

/// A field that may be left out but, when present, must not be `null`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom(
            "must not be null; leave the field out to keep its value",
        )),
    }
}

fn present_integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match common::extract::optional_integer(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom(
            "must not be null; leave the field out to keep its value",
        )),
    }
}

/// The body of `PUT /usages/{id}`: any non-empty subset. A field left out
/// keeps its value; `null` is never a value (422 naming the field).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
// `minProperties: 1` is set in `openapi::document`: utoipa-gen 5.5 writes
// the `min_properties` attribute out as `maxProperties`.
#[schema(example = json!({"amount": 99.0}))]
pub struct UpdateUsageRequest {
    /// Finite, 0 to 1e12, in the usage's unit (or the new `unit`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = f64, minimum = 0, maximum = 1e12)]
    pub amount: Option<f64>,
    /// A new unit of the type's dimension for the amount; left out: the
    /// usage keeps its unit (which must then suit a new type).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, max_length = 64, example = "kWh")]
    pub unit: Option<String>,
    /// A new type refreshes the snapshot.
    #[serde(default, deserialize_with = "present_integer")]
    #[schema(value_type = UsageTypeId)]
    pub usage_type_id: Option<i64>,
    /// RFC 3339 with an offset, from 1900 to at most one day ahead.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, format = DateTime)]
    pub usage_at: Option<String>,
    /// One of the type's `scope3_categories` to report it under (a new
    /// type without it: the new type's first).
    #[serde(default, deserialize_with = "present_integer")]
    #[schema(value_type = u8, minimum = 1, maximum = 15)]
    pub scope3_category: Option<i64>,
    /// Another facility of `GET /facilities`; `""`: none any more.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, example = "6740c8a2f1d3b2a1c0e9fa01")]
    pub facility_id: Option<String>,
    /// `measured`, `calculated`, `estimated` or `spend_based`; `""`: none
    /// any more.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, example = "measured")]
    pub data_quality: Option<String>,
    /// An invoice number or a document link; `""`: none any more.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, max_length = 500, example = "INV-2026-0412")]
    pub evidence: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"imported": 120}))]
pub struct ImportResult {
    /// How many usages were stored.
    pub imported: u64,
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, Invalid> {
    req.headers()
        .get(IDEMPOTENCY_KEY_HEADER)
        .map(|value| IdempotencyKey::parse(value.as_bytes()))
        .transpose()
        .map_err(Invalid::from)
}

fn if_match(req: &HttpRequest) -> Result<Option<IfMatch>, Invalid> {
    req.headers()
        .get(header::IF_MATCH)
        .map(|value| {
            value
                .to_str()
                .map_err(|_| FieldError::new("If-Match", "must be visible ASCII"))
                .and_then(IfMatch::parse)
        })
        .transpose()
        .map_err(Invalid::from)
}

fn path_id(raw: &str) -> Result<UsageId, Invalid> {
    UsageId::parse("id", raw).map_err(Invalid::from)
}

fn with_etag(usage: &Usage) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, usage.etag()))
        .json(UsageResponse::from(usage))
}

/// A 201; `Idempotent-Replayed: true` when it answers an earlier request.
fn created(replayed: bool) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Created();
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response
}

fn count_created(metrics: &Metrics, route: &'static str, replayed: bool, n: u64) {
    if !replayed {
        metrics.record(|| metrics::counter!(USAGES_CREATED, "route" => route).increment(n));
    }
}

/// Record a usage
///
/// Stores `co2e = factor_amount × factor` (the amount in the factor's
/// unit) with a snapshot of the type. With an
/// `Idempotency-Key`, a retry answers the original 201 (same id) and
/// creates nothing; the same key with a different body is 422, and while
/// the first request still runs, 409 with `Retry-After`. A retry whose
/// usage has been deleted since is 410 and records nothing (a late retry
/// never brings a deleted usage back). Keys are kept for at least 48
/// hours, and erasing the organization's usages forgets them.
#[utoipa::path(post, path = "/usages", tag = "usages",
    security(("oauth2_password" = [])),
    request_body = CreateUsageRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1 to 255 visible characters, unique per request (a UUID, say); reusing one with a different body is 422", min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
    responses(
        (status = 201, description = "Recorded (or the original answer to this key)", body = UsageResponse,
            headers(("ETag" = String, description = "The version, for If-Match"), ("Location" = String, description = "The new usage"))),
        (status = 409, description = "The organization's usage quota (USAGE_QUOTA_PER_USER) is reached, or a request with this Idempotency-Key is still running (with Retry-After), or the usage is dated in a locked reporting period (the answer names it; an owner unlocks it)", body = ProblemDetails),
        (status = 410, description = "A retry of this Idempotency-Key, whose usage has been deleted since: nothing recorded", body = ProblemDetails),
        (status = 422, description = "Invalid values, an unknown type, unknown fields, or a reused Idempotency-Key with another body", body = ProblemDetails),
        WriteLimited,
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn create_usage(
    req: HttpRequest,
    Within(caller, author, _): Within<UsageWrite>,
    ctx: web::Data<AppContext>,
    metrics: web::Data<Metrics>,
    Json(body): Json<CreateUsageRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let new = NewUsage::parse_input(UsageInput {
        amount: body.amount,
        unit: body.unit.as_deref(),
        usage_type_id: body.usage_type_id,
        usage_at: body.usage_at.as_deref(),
        scope3_category: body.scope3_category,
        facility_id: body.facility_id.as_deref(),
        data_quality: body.data_quality.as_deref(),
        evidence: body.evidence.as_deref(),
    })?;
    // The request as sent (an absent `usage_at` is not "now") tells a
    // retry from a different request.
    let request = serde_json::to_vec(&body).map_err(ApiError::internal)?;
    let keyed = key.as_ref().map(|key| (key, request.as_slice()));
    let answer = ctx.usages().create(&author, new, keyed).await?;
    count_created(&metrics, "single", answer.replayed, 1);
    let usage = &answer.value;
    Ok(created(answer.replayed)
        .insert_header((header::LOCATION, format!("/usages/{}", usage.id)))
        .insert_header((header::ETAG, usage.etag()))
        .json(UsageResponse::from(usage)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsagesQuery {
    /// Continue after the page that answered this cursor in `X-Next-Cursor`
    /// (keyset pagination; not with a non-zero `offset`). Use the same
    /// filters as that page.
    pub cursor: Option<String>,
    /// Only this type.
    #[param(value_type = Option<UsageTypeId>)]
    pub usage_type_id: Option<i64>,
    /// Only this facility's usages.
    #[param(value_type = Option<FacilityId>)]
    pub facility_id: Option<String>,
    /// RFC 3339 (`2026-01-01T00:00:00Z`); `usage_at` ≥ from.
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// RFC 3339 (`2027-01-01T00:00:00Z`); `usage_at` < to.
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// `true` adds `X-Total-Count`, the number of matching usages. It costs a
    /// walk over all of them, so ask only when it is shown.
    pub include_total: Option<bool>,
}

/// List usages
///
/// Newest `usage_at` first (ties by id). Page with `limit` and either
/// `offset` or, for stable and cheap deep pages, the `cursor` that the
/// previous page returned in `X-Next-Cursor`; that header is absent on the
/// last page. An offset makes the database walk past every skipped usage.
/// `X-Total-Count` is sent only with `include_total=true`. A count, or an
/// offset of 1,000 or more, is a heavy read: it counts against the user's
/// `DEEP_READ_RATE_LIMIT_*` and waits for one of the instance's heavy-read
/// slots.
#[utoipa::path(get, path = "/usages", tag = "usages",
    security(("oauth2_password" = [])),
    params(PageQuery, ListUsagesQuery),
    responses(
        (status = 200, description = "A page of the organization's usages", body = [UsageResponse],
            headers(
                ("X-Next-Cursor" = String, description = "Pass as `cursor` for the next page; absent on the last page"),
                ("X-Total-Count" = u64, description = "Total matching usages (only with include_total=true)"),
            )),
        (status = 422, description = "limit or offset out of range, a cursor with an offset, a malformed cursor or window", body = ProblemDetails),
        (status = 429, description = "Too many counted or deep pages (include_total=true, offset of 1,000 or more) by this user (DEEP_READ_RATE_LIMIT_PER_MINUTE); see Retry-After", body = ProblemDetails),
        (status = 503, description = "Every heavy-read slot stayed taken, or the count ran past QUERY_MAX_TIME_MS; see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn list_usages(
    caller: AuthenticatedUser,
    ctx: web::Data<AppContext>,
    Query(paging): Query<PageQuery>,
    Query(query): Query<ListUsagesQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = UsagePage::parse(paging.limit, paging.offset, query.cursor.as_deref());
    let filter = UsageFilter::parse_with_facility(
        query.usage_type_id,
        query.facility_id.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
    );
    let (page, filter) = both(page, filter)?;
    let with_total = query.include_total == Some(true);
    if page.is_heavy(with_total) {
        ctx.limiters().check(Limited::DeepRead, &caller.id)?;
    }
    let list = ctx
        .usages()
        .list(caller.org, &filter, page, with_total)
        .await?;
    let mut response = HttpResponse::Ok();
    if let Some(next) = list.next {
        response.insert_header((NEXT_CURSOR_HEADER, next.encode()));
    }
    if let Some(total) = list.total {
        with_total_count(&mut response, total);
    }
    let body: Vec<UsageResponse> = list.usages.iter().map(UsageResponse::from).collect();
    Ok(response.json(body))
}

/// Get a usage
#[utoipa::path(get, path = "/usages/{id}", tag = "usages",
    security(("oauth2_password" = [])),
    params(("id" = UsageId, Path, description = "The usage's id")),
    responses(
        (status = 200, description = "The usage", body = UsageResponse,
            headers(("ETag" = String, description = "The version, for If-Match"))),
        (status = 404, description = "No such usage of the token's organization", body = ProblemDetails),
    ))]
#[tracing::instrument(skip(caller, ctx), fields(user_id = %caller.id))]
pub async fn get_usage(
    caller: AuthenticatedUser,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let usage = ctx.usages().get(caller.org, path_id(&id)?).await?;
    Ok(with_etag(&usage))
}

/// Change a usage
///
/// A partial update of `amount`, `usage_type_id` and `usage_at`: a field
/// left out keeps its value, and `null` is never a value (422). A new type
/// refreshes the snapshot; `co2e` is recomputed. Send the `ETag` you read
/// as `If-Match` so that a change made meanwhile by someone else is not
/// overwritten (412); without it the change applies to the latest version.
#[utoipa::path(put, path = "/usages/{id}", tag = "usages",
    security(("oauth2_password" = [])),
    params(
        ("id" = UsageId, Path, description = "The usage's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read (`\"3\"`, or `*`): the change applies only to that version"),
    ),
    request_body = UpdateUsageRequest,
    responses(
        (status = 200, description = "Updated", body = UsageResponse,
            headers(("ETag" = String, description = "The new version"))),
        (status = 404, description = "No such usage of the token's organization", body = ProblemDetails),
        (status = 409, description = "Other requests kept changing the usage; retry; or the change touches a locked reporting period (the answer names it; an owner unlocks it) (a usage dated in it, or moved into or out of it)", body = ProblemDetails),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails),
        WriteLimited,
    ))]
#[tracing::instrument(skip(req, caller, ctx, body), fields(user_id = %caller.id))]
pub async fn update_usage(
    req: HttpRequest,
    Within(caller, author, _): Within<UsageWrite>,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
    Json(body): Json<UpdateUsageRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let condition = if_match(&req)?;
    let changes = UsageChanges::parse_input(UsageChangesInput {
        amount: body.amount,
        unit: body.unit.as_deref(),
        usage_type_id: body.usage_type_id,
        usage_at: body.usage_at.as_deref(),
        scope3_category: body.scope3_category,
        facility_id: body.facility_id.as_deref(),
        data_quality: body.data_quality.as_deref(),
        evidence: body.evidence.as_deref(),
    })?;
    let updated = ctx
        .usages()
        .update(&author, id, &changes, condition.as_ref())
        .await?;
    Ok(with_etag(&updated))
}

/// Delete a usage
///
/// With `If-Match`, only the version it names is deleted (412 otherwise).
#[utoipa::path(delete, path = "/usages/{id}", tag = "usages",
    security(("oauth2_password" = [])),
    params(
        ("id" = UsageId, Path, description = "The usage's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read (`\"3\"`, or `*`)"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "The usage is dated in a locked reporting period (the answer names it; an owner unlocks it)", body = ProblemDetails),
        (status = 404, description = "No such usage of the token's organization", body = ProblemDetails),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails),
        WriteLimited,
    ))]
#[tracing::instrument(skip(req, caller, ctx), fields(user_id = %caller.id))]
pub async fn delete_usage(
    req: HttpRequest,
    Within(caller, author, _): Within<UsageWrite>,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let condition = if_match(&req)?;
    ctx.usages().delete(&author, id, condition.as_ref()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Erase all of the organization's usages
///
/// Deletes every usage, instrument, facility and own dataset of the
/// token's organization (the caller's own in their personal one); the owner only. It cannot be
/// undone, so it needs a login within the last five minutes (an access token whose `auth_time`
/// is recent: log in again with the password first). Otherwise 401 with an
/// RFC 9470 `insufficient_user_authentication` challenge. Call it before
/// deleting the account (`DELETE /users/me` on user-service), which does
/// not reach carbon-service's data.
#[utoipa::path(delete, path = "/usages", tag = "usages",
    security(("oauth2_password" = [])),
    params(EraseQuery),
    responses(
        (status = 204, description = "Every usage, instrument, facility and own dataset of the organization is erased"),
        ErasureAnswers,
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn erase_usages(
    OwnerErasure(caller, author): OwnerErasure,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, ApiError> {
    ctx.usages().erase(&author).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Erase a user's usages (superuser)
///
/// Deletes every usage and instrument of the user `{id}`, for an administrator deleting
/// the account on user-service (which never calls carbon-service). Cannot
/// be undone: `confirm=true` is required, and a login within the last five
/// minutes. The safe order: deactivate the account, wait one access-token
/// lifetime, erase, delete the account, erase again.
#[utoipa::path(delete, path = "/users/{id}/usages", tag = "usages",
    security(("oauth2_password" = [])),
    extensions(("x-superuser" = json!(true))),
    params(("id" = UserId, Path, description = "The user's id"), EraseQuery),
    responses(
        (status = 204, description = "Every usage of the user is erased (also when there were none)"),
        (status = 409, description = "Usages are dated in a locked reporting period (the answer names it; an owner unlocks it): nothing is erased", body = ProblemDetails),
        (status = 401, description = "Missing or invalid token, or a login older than five minutes (WWW-Authenticate: Bearer error=\"insufficient_user_authentication\", max_age=300)", body = ProblemDetails),
        (status = 422, description = "The id is not a UUID, or confirm=true is missing", body = ProblemDetails),
        (status = 503, description = "Every import slot (IMPORT_CONCURRENCY) stayed taken; what was erased stays erased, repeat to finish; see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(by = %caller.id))]
pub async fn erase_user_usages(
    Superuser(caller): Superuser,
    request_id: RequestId,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
    Query(query): Query<EraseQuery>,
) -> Result<HttpResponse, ApiError> {
    let user_id = UserId::parse("id", &id).map_err(Invalid::from);
    let (user_id, ()) = both(user_id, query.confirmed())?;
    caller.require_fresh_login()?;
    // Recorded in the user's trail as the superuser's.
    let author = Author {
        org: OrgId::personal(user_id),
        ..Author::of(&caller, &request_id)
    };
    let erased = ctx.usages().erase(&author).await?;
    tracing::info!(%user_id, erased, "a superuser erased a user's usages");
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only this type.
    #[param(value_type = Option<UsageTypeId>)]
    pub usage_type_id: Option<i64>,
    /// Only this facility's usages.
    #[param(value_type = Option<FacilityId>)]
    pub facility_id: Option<String>,
    /// RFC 3339 (`2026-01-01T00:00:00Z`); `usage_at` ≥ from.
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// RFC 3339 (`2027-01-01T00:00:00Z`); `usage_at` < to.
    #[param(format = DateTime)]
    pub to: Option<String>,
}

/// How an export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExportFormat {
    Csv,
    Json,
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

/// One usage as a chunk of the export body.
fn export_chunk(format: ExportFormat, index: usize, usage: &Usage) -> Result<Bytes, ApiError> {
    match format {
        ExportFormat::Csv => usage_csv::export_line(usage)
            .map(Bytes::from)
            .map_err(ApiError::internal),
        ExportFormat::Json => {
            let mut chunk = if index == 0 {
                Vec::new()
            } else {
                b",".to_vec()
            };
            serde_json::to_writer(&mut chunk, &UsageResponse::from(usage))
                .map_err(ApiError::internal)?;
            Ok(Bytes::from(chunk))
        }
    }
}

/// Export usages
///
/// Every usage of the token's organization matching the filters (as the list takes them),
/// oldest first, streamed. `Accept: text/csv` (the default) gives CSV with
/// the header row `id,usage_at,usage_type_id,usage_type_name,dataset,amount,unit,factor_amount,factor_unit,factor,gwp_basis,co2,ch4,n2o,other_co2e,fgases,co2e,scope,biogenic_co2,ch4_fossil,scope3_category,facility_id,data_quality,evidence`
/// (the amount as entered and in the factor's unit, kg of each gas, kg
/// CO₂e under the factor's GWP set); an export imports back as it is;
/// text cells that a spreadsheet would run as a formula (starting with `=`,
/// `+`, `-`, `@`) are prefixed with `'`. `Accept: application/json` gives a
/// JSON array of usages.
#[utoipa::path(get, path = "/usages/export", tag = "usages",
    security(("oauth2_password" = [])),
    params(ExportQuery),
    responses(
        (status = 200, description = "The usages",
            content(
                (String = "text/csv", example = "id,usage_at,usage_type_id,usage_type_name,dataset,amount,unit,factor_amount,factor_unit,factor,gwp_basis,co2,ch4,n2o,other_co2e,fgases,co2e,scope,biogenic_co2,ch4_fossil,scope3_category,facility_id,data_quality,evidence\r\n6740c8a2f1d3b2a1c0e9f812,2026-11-01T08:00:00Z,20000,\"Electricity, US average grid\",epa-ghg-hub-2025,12500,kWh,12.5,MWh,351.64249532692,AR5,4374.461826,0.323184563625,0.045359237,,,4395.5311915865,2,,,,,measured,INV-2026-0412\r\n"),
                ([UsageResponse] = "application/json"),
            )),
        (status = 406, description = "Accept allows neither text/csv nor application/json", body = ProblemDetails),
        (status = 429, description = "Too many exports by this user (EXPORT_RATE_LIMIT_PER_MINUTE); see Retry-After", body = ProblemDetails),
        (status = 503, description = "Every export slot of the instance (EXPORT_CONCURRENCY) stayed taken; see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn export_usages(
    req: HttpRequest,
    caller: AuthenticatedUser,
    ctx: web::Data<AppContext>,
    Query(query): Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    ctx.limiters().check(Limited::Export, &caller.id)?;
    let format = export_format(&req)?;
    let filter = UsageFilter::parse_with_facility(
        query.usage_type_id,
        query.facility_id.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
    )?;
    let rows = ctx.usages().export(caller.org, &filter).await?;
    let (head, close, content_type, file) = match format {
        ExportFormat::Csv => (
            Bytes::from(usage_csv::export_header()),
            Bytes::new(),
            "text/csv; charset=utf-8",
            "usages.csv",
        ),
        ExportFormat::Json => (
            Bytes::from_static(b"["),
            Bytes::from_static(b"]"),
            "application/json",
            "usages.json",
        ),
    };
    let rows = rows
        .map_err(ApiError::from)
        .enumerate()
        .map(move |(index, usage)| export_chunk(format, index, &usage?))
        .inspect_err(|e| tracing::error!(error = %e.describe(), "an export stopped part-way"));
    let body = futures_util::stream::once(async move { Ok::<_, ApiError>(head) })
        .chain(rows)
        .chain(futures_util::stream::once(async move { Ok(close) }));
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .streaming(body))
}

/// Import usages from CSV
///
/// A `text/csv` body of at most 5 MiB and 10,000 data rows (past either,
/// 413), with a header row naming `usage_at,usage_type_id,amount` and
/// optionally `unit` (any order; blank or absent: the type's unit; other
/// columns, such as an export's, are ignored). A `usage_at` cell is an RFC
/// 3339 date-time with an offset or, as a spreadsheet's date column saves
/// it, a date alone (`2026-11-01`: midnight UTC). Cells are separated by
/// `,`, or by `;` when the header has no `,` (then an amount may be
/// `1234,5`). A row of empty cells (a spreadsheet's blank row) is skipped
/// and keeps its number. All or nothing: when any row
/// is invalid the answer is 422 with one `errors` entry per problem,
/// `{row, field, message}`: malformed cells, unknown types and units of
/// another dimension, every row's in one answer (`row` 1 is the first data
/// row; at most 100 are listed), and nothing is stored. The rows are stored in one
/// transaction: a failure part-way stores none, and no reader sees part of
/// an import. Cells are plain values, never formulas. Honours
/// `Idempotency-Key` like a single create.
#[utoipa::path(post, path = "/usages/import", tag = "usages",
    security(("oauth2_password" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe (see POST /usages)", min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
    request_body(content = String, content_type = "text/csv", description = "CSV with a header row",
        example = "usage_at,usage_type_id,amount\n2026-11-01T08:00:00Z,100,120.5\n2026-11-02,101,3\n"),
    responses(
        (status = 201, description = "Every row stored (or the original answer to this key)", body = ImportResult),
        (status = 409, description = "The rows would exceed the organization's usage quota (USAGE_QUOTA_PER_USER), or another import of the organization or a request with this Idempotency-Key is still running (with Retry-After); nothing stored, or a row is dated in a locked reporting period (the answer names it; an owner unlocks it)", body = ProblemDetails),
        (status = 413, description = "Over 5 MiB or 10,000 rows", body = ProblemDetails),
        (status = 415, description = "Not text/csv", body = ProblemDetails),
        (status = 422, description = "Invalid rows (each named by row and field), a missing column, no rows, or a reused Idempotency-Key; nothing stored", body = ProblemDetails),
        (status = 429, description = "Too many imports by this user (IMPORT_RATE_LIMIT_PER_MINUTE); see Retry-After", body = ProblemDetails),
        (status = 503, description = "Every import slot of the instance (IMPORT_CONCURRENCY) stayed taken; see Retry-After; nothing stored", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn import_usages(
    req: HttpRequest,
    Within(caller, author, _): Within<Import>,
    ctx: web::Data<AppContext>,
    metrics: web::Data<Metrics>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Everything that can refuse the import before its body is read.
    super::require_csv(&req, "import")?;
    let key = idempotency_key(&req)?;
    let usages = ctx.usages();
    let turn = usages.begin_import(caller.org)?;
    let body = super::read_body(payload, usage_csv::MAX_IMPORT_BYTES).await?;
    let answer = usages.import(turn, &author, &body, key.as_ref()).await?;
    count_created(&metrics, "import", answer.replayed, answer.value);
    Ok(created(answer.replayed).json(ImportResult {
        imported: answer.value,
    }))
}
