//! Creating (idempotently), changing, importing, exporting, erasing and
//! summing a user's usages.

use actix_web::web::Bytes;
use bson::oid::ObjectId;
use futures_util::{Stream, StreamExt, TryStreamExt};
use mongodb::Database;

use crate::domain::summary::{self, Summary};
use crate::domain::usage::{
    CreateUsageRequest, IdempotencyKey, IfMatch, NewUsage, Usage, UsageChanges, UsageResponse,
};
use crate::domain::usage_csv::{self, ImportError};
use crate::domain::usage_query::UsageFilter;
use crate::domain::usage_type::UsageType;
use crate::storage::idempotency::{self, Claim};
use crate::storage::{usage_counts, usages};
use crate::type_cache::UsageTypeCache;
use common::error::{ApiError, FieldError};

pub const USAGES_CREATED: &str = "usages_created_total";

/// A write without `If-Match` retries this often when another write lands
/// between its read and its write, then gives up with 409.
const WRITE_ATTEMPTS: usize = 5;

/// The answer to a create or an import: the 201 body, and whether it is the
/// stored answer to an earlier request with the same `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub body: String,
    /// The new usage's id (empty for an import).
    pub id: String,
    pub replayed: bool,
}

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

fn key_reused() -> ApiError {
    ApiError::validation(
        "Idempotency-Key",
        "was already used with a different request body",
    )
}

fn key_in_progress(retry_after_seconds: u64) -> ApiError {
    ApiError::InProgress {
        detail: "A request with this Idempotency-Key is still being processed; retry after Retry-After seconds.".into(),
        retry_after_seconds,
    }
}

fn over_quota(quota: u64) -> ApiError {
    ApiError::Conflict(format!(
        "The usage quota of {quota} usages per user is reached; delete or erase usages to record more."
    ))
}

/// Takes `n` of the user's quota, or answers 409.
async fn reserve_quota(db: &Database, user_id: &str, n: u64, quota: u64) -> Result<(), ApiError> {
    if usage_counts::reserve(db, user_id, n, quota).await? {
        Ok(())
    } else {
        Err(over_quota(quota))
    }
}

/// Records a usage. With a key, a retry (same key, same body) answers the
/// original 201 and creates nothing; the same key with another body is
/// 422, and while the first request still runs, 409 with `Retry-After`.
/// A user holds at most `quota` usages (409 past it).
pub async fn create(
    db: &Database,
    cache: &UsageTypeCache,
    user_id: &str,
    request: &CreateUsageRequest,
    key: Option<&IdempotencyKey>,
    quota: u64,
) -> Result<Created, ApiError> {
    let new = NewUsage::parse(request)?;
    let usage_type = existing_type(db, cache, new.usage_type_id).await?;
    let Some(key) = key else {
        let usage = Usage::new(
            ObjectId::new(),
            user_id.to_owned(),
            new.amount,
            usage_type,
            new.usage_at,
        );
        reserve_quota(db, user_id, 1, quota).await?;
        if let Err(e) = usages::insert(db, &usage).await {
            usage_counts::release(db, user_id, 1).await?;
            return Err(e);
        }
        metrics::counter!(USAGES_CREATED, "route" => "single").increment(1);
        return created(&usage, false);
    };

    // The raw request (with `usage_at` absent, not "now") tells a retry
    // from a different request.
    let fingerprint = idempotency::sha256_hex(&[
        b"create",
        &serde_json::to_vec(request).map_err(ApiError::internal)?,
    ]);
    let record = match idempotency::claim(db, user_id, key.as_str(), &fingerprint).await? {
        Claim::Held(record) => record,
        Claim::Answered(record) => {
            return Ok(Created {
                body: record.response.unwrap_or_default(),
                id: record.usage_id.to_hex(),
                replayed: true,
            });
        }
        Claim::InProgress {
            retry_after_seconds,
        } => return Err(key_in_progress(retry_after_seconds)),
        Claim::Mismatch => return Err(key_reused()),
    };
    // Whoever inserts under the record's id first wins; a crashed earlier
    // attempt is completed by the retry.
    let candidate = Usage::new(
        record.usage_id,
        user_id.to_owned(),
        new.amount,
        usage_type,
        new.usage_at,
    );
    reserve_quota(db, user_id, 1, quota).await?;
    let inserted = match usages::insert(db, &candidate).await {
        Ok(inserted) => inserted,
        Err(e) => {
            usage_counts::release(db, user_id, 1).await?;
            return Err(e);
        }
    };
    let stored = if inserted {
        metrics::counter!(USAGES_CREATED, "route" => "single").increment(1);
        candidate
    } else {
        usage_counts::release(db, user_id, 1).await?;
        usages::find(db, user_id, record.usage_id)
            .await?
            .ok_or_else(ApiError::not_found)?
    };
    let answer = created(&stored, !inserted)?;
    idempotency::complete(db, &record.id, &answer.body).await?;
    Ok(answer)
}

fn created(usage: &Usage, replayed: bool) -> Result<Created, ApiError> {
    Ok(Created {
        body: serde_json::to_string(&UsageResponse::from(usage)).map_err(ApiError::internal)?,
        id: usage.id.to_hex(),
        replayed,
    })
}

fn stale() -> ApiError {
    ApiError::PreconditionFailed(
        "The usage has changed since the ETag in If-Match; fetch it again.".into(),
    )
}

/// Changes the caller's usage. With `If-Match`, a usage that has changed
/// since is 412; without, the change applies to the latest version (never
/// to a stale copy: concurrent writes are retried, not lost).
pub async fn update(
    db: &Database,
    cache: &UsageTypeCache,
    user_id: &str,
    id: ObjectId,
    changes: &UsageChanges,
    if_match: Option<&IfMatch>,
) -> Result<Usage, ApiError> {
    let new_type = match changes.usage_type_id {
        Some(type_id) => Some(existing_type(db, cache, type_id).await?),
        None => None,
    };
    for _ in 0..WRITE_ATTEMPTS {
        let mut usage = usages::find(db, user_id, id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        if if_match.is_some_and(|condition| !condition.matches(&usage)) {
            return Err(stale());
        }
        let read_version = usage.version;
        changes.apply(&mut usage, new_type.clone());
        if let Some(updated) = usages::write_changes(db, &usage, read_version).await? {
            return Ok(updated);
        }
        // Changed or deleted since the read: look again.
    }
    Err(ApiError::Conflict(
        "The usage is being changed by other requests; retry.".into(),
    ))
}

/// Deletes the caller's usage; with `If-Match`, only the version it names.
pub async fn delete(
    db: &Database,
    user_id: &str,
    id: ObjectId,
    if_match: Option<&IfMatch>,
) -> Result<(), ApiError> {
    let Some(condition) = if_match else {
        return if usages::delete(db, user_id, id, None).await? {
            usage_counts::release(db, user_id, 1).await
        } else {
            Err(ApiError::not_found())
        };
    };
    let usage = usages::find(db, user_id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !condition.matches(&usage) {
        return Err(stale());
    }
    if usages::delete(db, user_id, id, Some(usage.version)).await? {
        usage_counts::release(db, user_id, 1).await
    } else {
        // Changed (or deleted) between the read and the delete.
        Err(stale())
    }
}

/// Imports a CSV body, all or nothing: every row is checked (types
/// included, resolved in one query) before anything is stored, and a
/// failed insert is undone. Counts against the user's `quota` as a whole.
pub async fn import(
    db: &Database,
    cache: &UsageTypeCache,
    user_id: &str,
    body: &[u8],
    key: Option<&IdempotencyKey>,
    quota: u64,
) -> Result<Created, ApiError> {
    let rows = usage_csv::parse_import(body).map_err(|e| match e {
        ImportError::TooManyRows => ApiError::PayloadTooLarge,
        ImportError::Invalid(errors) => ApiError::Validation(errors),
    })?;
    let mut ids: Vec<i64> = rows.iter().map(|row| row.usage_type_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let types = cache.get_many(db, &ids).await?;
    let errors: Vec<FieldError> = rows
        .iter()
        .enumerate()
        .filter(|(_, row)| !types.contains_key(&row.usage_type_id))
        .take(usage_csv::MAX_REPORTED_ERRORS)
        .map(|(index, row)| {
            FieldError::new(
                "usage_type_id",
                format!("no usage type has id {}", row.usage_type_id),
            )
            .in_row(index as u64 + 1)
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }

    let (import_id, record) = match key {
        Some(key) => {
            let fingerprint = idempotency::sha256_hex(&[b"import", body]);
            match idempotency::claim(db, user_id, key.as_str(), &fingerprint).await? {
                Claim::Held(record) => {
                    // A crashed earlier attempt may have stored part of the batch.
                    let undone = usages::delete_import(db, user_id, record.usage_id).await?;
                    usage_counts::release(db, user_id, undone).await?;
                    (record.usage_id, Some(record.id))
                }
                Claim::Answered(record) => {
                    return Ok(Created {
                        body: record.response.unwrap_or_default(),
                        id: String::new(),
                        replayed: true,
                    });
                }
                Claim::InProgress {
                    retry_after_seconds,
                } => return Err(key_in_progress(retry_after_seconds)),
                Claim::Mismatch => return Err(key_reused()),
            }
        }
        None => (ObjectId::new(), None),
    };
    let batch: Vec<Usage> = rows
        .iter()
        .map(|row| {
            let usage_type = types
                .get(&row.usage_type_id)
                .cloned()
                .ok_or_else(|| ApiError::internal("an import row lost its checked type"))?;
            let mut usage = Usage::new(
                ObjectId::new(),
                user_id.to_owned(),
                row.amount,
                usage_type,
                row.usage_at,
            );
            usage.import_id = Some(import_id);
            Ok(usage)
        })
        .collect::<Result<_, ApiError>>()?;
    reserve_quota(db, user_id, batch.len() as u64, quota).await?;
    if let Err(e) = usages::insert_batch(db, &batch).await {
        match usages::delete_import(db, user_id, import_id).await {
            Ok(_) => usage_counts::release(db, user_id, batch.len() as u64).await?,
            Err(undo) => {
                tracing::error!(error = %undo, %import_id, "undoing a failed import failed; its usages carry this import_id")
            }
        }
        return Err(e);
    }
    metrics::counter!(USAGES_CREATED, "route" => "import").increment(batch.len() as u64);
    let body = serde_json::json!({ "imported": batch.len() }).to_string();
    if let Some(record_id) = record {
        idempotency::complete(db, &record_id, &body).await?;
    }
    tracing::info!(imported = batch.len(), %import_id, "usages imported");
    Ok(Created {
        body,
        id: String::new(),
        replayed: false,
    })
}

/// Erases every usage of the user; returns how many.
pub async fn erase(db: &Database, user_id: &str) -> Result<u64, ApiError> {
    let erased = usages::delete_all(db, user_id).await?;
    usage_counts::release(db, user_id, erased).await?;
    tracing::info!(user_id, erased, "usages erased");
    Ok(erased)
}

/// How an export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// The user's usages under `filter`, oldest first, as body chunks read from
/// the database cursor: memory stays flat however many there are.
pub async fn export(
    db: &Database,
    user_id: &str,
    filter: &UsageFilter,
    format: ExportFormat,
) -> Result<impl Stream<Item = Result<Bytes, ApiError>> + use<>, ApiError> {
    let cursor = usages::stream(db, user_id, filter).await?;
    let (head, close): (Vec<u8>, &[u8]) = match format {
        ExportFormat::Csv => (usage_csv::export_header(), b""),
        ExportFormat::Json => (b"[".to_vec(), b"]"),
    };
    let rows = cursor
        .map_err(ApiError::from)
        .enumerate()
        .map(move |(index, usage)| {
            let usage = usage?;
            match format {
                ExportFormat::Csv => usage_csv::export_line(&usage)
                    .map(Bytes::from)
                    .map_err(ApiError::internal),
                ExportFormat::Json => {
                    let mut chunk = if index == 0 {
                        Vec::new()
                    } else {
                        b",".to_vec()
                    };
                    serde_json::to_writer(&mut chunk, &UsageResponse::from(&usage))
                        .map_err(ApiError::internal)?;
                    Ok(Bytes::from(chunk))
                }
            }
        })
        .inspect_err(|e| tracing::error!(error = %e, "an export stopped part-way"));
    Ok(
        futures_util::stream::once(async move { Ok(Bytes::from(head)) })
            .chain(rows)
            .chain(futures_util::stream::once(async move {
                Ok(Bytes::from_static(close))
            })),
    )
}

/// The user's footprint in the window: one aggregation, folded.
pub async fn summary(
    db: &Database,
    cache: &UsageTypeCache,
    user_id: &str,
    filter: &UsageFilter,
) -> Result<Summary, ApiError> {
    let cells = usages::summary_cells(db, user_id, filter).await?;
    let types = cache.all(db).await?;
    Ok(summary::fold(filter, &cells, |id| {
        types
            .binary_search_by_key(&id, |t| t.id)
            .ok()
            .map(|i| (types[i].name.clone(), types[i].unit.clone()))
    }))
}
