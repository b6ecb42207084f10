//! Creating (idempotently), listing, changing, importing, exporting, erasing
//! and summing a user's usages.

use bson::oid::ObjectId;
use futures_util::{Stream, TryStreamExt};
use mongodb::Database;

use crate::domain::ids::{UsageId, UsageTypeId};
use crate::domain::summary::{self, Summary};
use crate::domain::usage::{IdempotencyKey, IfMatch, NewUsage, Usage, UsageChanges};
use crate::domain::usage_csv::{self, ImportError};
use crate::domain::usage_query::{UsageCursor, UsageFilter, UsagePage};
use crate::domain::usage_type::UsageType;
use crate::storage::idempotency::{self, Claim, IdempotencyRecord, Outcome};
use crate::storage::{usage_counts, usages};
use crate::type_cache::UsageTypeCache;
use common::db::StoreError;
use common::ids::UserId;
use common::validation::{FieldError, Invalid};

/// A write without `If-Match` retries this often when another write lands
/// between its read and its write, then gives up with [`UsageError::Contended`].
const WRITE_ATTEMPTS: usize = 5;

/// Why a usage flow did not happen. The routes say what each means in HTTP.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no usage type has id {0}")]
    UnknownType(UsageTypeId),
    #[error("no such usage of this user")]
    NotFound,
    /// `If-Match` names a version that is no longer current.
    #[error("the usage changed since the version given")]
    Stale,
    /// Other writes kept landing between a read and a write.
    #[error("the usage kept changing")]
    Contended,
    #[error("the Idempotency-Key was used with a different request")]
    KeyReused,
    #[error("a request with this Idempotency-Key is still running")]
    KeyInProgress { retry_after_seconds: u64 },
    #[error("the usage quota of {quota} is reached")]
    QuotaReached { quota: u64 },
    #[error("an import has more than {} rows", usage_csv::MAX_IMPORT_ROWS)]
    TooManyRows,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a user's usage flows need besides their input.
pub struct Usages<'a> {
    pub db: &'a Database,
    pub types: &'a UsageTypeCache,
    /// The most usages one user may store.
    pub quota: u64,
}

/// A create or an import that happened, or the replay of one.
#[derive(Debug, Clone, PartialEq)]
pub struct Created<T> {
    pub value: T,
    /// The answer to an earlier request with the same `Idempotency-Key`.
    pub replayed: bool,
}

/// A page of usages and where the next one starts.
#[derive(Debug)]
pub struct UsageList {
    pub usages: Vec<Usage>,
    /// Absent on the last page.
    pub next: Option<UsageCursor>,
    /// Every matching usage, when asked for.
    pub total: Option<u64>,
}

impl Usages<'_> {
    async fn existing_type(&self, id: UsageTypeId) -> Result<UsageType, UsageError> {
        self.types
            .get(self.db, id)
            .await?
            .ok_or(UsageError::UnknownType(id))
    }

    /// Takes `n` of the user's quota.
    async fn reserve_quota(&self, user_id: UserId, n: u64) -> Result<(), UsageError> {
        if usage_counts::reserve(self.db, user_id, n, self.quota).await? {
            Ok(())
        } else {
            Err(UsageError::QuotaReached { quota: self.quota })
        }
    }

    /// Holds `key` for this request, or says how to answer instead.
    async fn claim_key(
        &self,
        user_id: UserId,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<Result<IdempotencyRecord, IdempotencyRecord>, UsageError> {
        match idempotency::claim(self.db, user_id, key.as_str(), fingerprint).await? {
            Claim::Held(record) => Ok(Ok(record)),
            Claim::Answered(record) => Ok(Err(record)),
            Claim::InProgress {
                retry_after_seconds,
            } => Err(UsageError::KeyInProgress {
                retry_after_seconds,
            }),
            Claim::Mismatch => Err(UsageError::KeyReused),
        }
    }

    /// Records a usage. With a key, a retry (same key, same `request`: the
    /// request as the client sent it, so that an absent `usage_at` is not
    /// "now") gets the original usage and creates nothing; the same key
    /// with another request is [`UsageError::KeyReused`], and while the
    /// first request still runs, [`UsageError::KeyInProgress`]. A user
    /// holds at most `quota` usages.
    #[tracing::instrument(skip(self, new, key), fields(usage_type_id = %new.usage_type_id))]
    pub async fn create(
        &self,
        user_id: UserId,
        new: NewUsage,
        key: Option<(&IdempotencyKey, &[u8])>,
    ) -> Result<Created<Usage>, UsageError> {
        let usage_type = self.existing_type(new.usage_type_id).await?;
        let Some((key, request)) = key else {
            let usage = Usage::new(
                UsageId::new(),
                user_id,
                new.amount,
                usage_type,
                new.usage_at,
            );
            self.reserve_quota(user_id, 1).await?;
            if let Err(e) = usages::insert(self.db, &usage).await {
                usage_counts::release(self.db, user_id, 1).await?;
                return Err(e.into());
            }
            return Ok(Created {
                value: usage,
                replayed: false,
            });
        };
        let fingerprint = idempotency::sha256_hex(&[b"create", request]);
        let record = match self.claim_key(user_id, key, &fingerprint).await? {
            Ok(record) => record,
            Err(answered) => return self.replayed_usage(user_id, answered).await,
        };
        // Whoever inserts under the record's id first wins; a crashed
        // earlier attempt is completed by the retry.
        let candidate = Usage::new(
            UsageId::from(record.usage_id),
            user_id,
            new.amount,
            usage_type,
            new.usage_at,
        );
        self.reserve_quota(user_id, 1).await?;
        let inserted = match usages::insert(self.db, &candidate).await {
            Ok(inserted) => inserted,
            Err(e) => {
                usage_counts::release(self.db, user_id, 1).await?;
                return Err(e.into());
            }
        };
        let stored = if inserted {
            candidate
        } else {
            usage_counts::release(self.db, user_id, 1).await?;
            usages::find(self.db, user_id, candidate.id)
                .await?
                .ok_or(UsageError::NotFound)?
        };
        let outcome = Outcome::Created {
            usage: Box::new(stored.clone()),
        };
        idempotency::complete(self.db, &record.id, &outcome).await?;
        Ok(Created {
            value: stored,
            replayed: !inserted,
        })
    }

    /// The usage an answered key created, as it was then.
    async fn replayed_usage(
        &self,
        user_id: UserId,
        record: IdempotencyRecord,
    ) -> Result<Created<Usage>, UsageError> {
        let value = match record.outcome {
            Some(Outcome::Created { usage }) => *usage,
            // Answered before outcomes were kept: the usage as it is now.
            _ => usages::find(self.db, user_id, UsageId::from(record.usage_id))
                .await?
                .ok_or(UsageError::NotFound)?,
        };
        Ok(Created {
            value,
            replayed: true,
        })
    }

    /// One of the user's usages.
    #[tracing::instrument(skip(self))]
    pub async fn get(&self, user_id: UserId, id: UsageId) -> Result<Usage, UsageError> {
        usages::find(self.db, user_id, id)
            .await?
            .ok_or(UsageError::NotFound)
    }

    /// A page of the user's usages under `filter`, newest first, with the
    /// cursor of the next page and, when asked, the total.
    #[tracing::instrument(skip(self, filter))]
    pub async fn list(
        &self,
        user_id: UserId,
        filter: &UsageFilter,
        page: UsagePage,
        with_total: bool,
    ) -> Result<UsageList, UsageError> {
        let (found, more) = usages::page(self.db, user_id, filter, page.start, page.limit).await?;
        let next = found.last().filter(|_| more).map(|last| UsageCursor {
            usage_at: last.usage_at,
            id: last.id,
        });
        let total = if with_total {
            Some(usages::count(self.db, user_id, filter).await?)
        } else {
            None
        };
        Ok(UsageList {
            usages: found,
            next,
            total,
        })
    }

    /// Changes the user's usage. With `If-Match`, a usage that has changed
    /// since is [`UsageError::Stale`]; without, the change applies to the
    /// latest version (never to a stale copy: concurrent writes are
    /// retried, not lost).
    #[tracing::instrument(skip(self, changes, if_match))]
    pub async fn update(
        &self,
        user_id: UserId,
        id: UsageId,
        changes: &UsageChanges,
        if_match: Option<&IfMatch>,
    ) -> Result<Usage, UsageError> {
        let new_type = match changes.usage_type_id {
            Some(type_id) => Some(self.existing_type(type_id).await?),
            None => None,
        };
        for _ in 0..WRITE_ATTEMPTS {
            let mut usage = self.get(user_id, id).await?;
            if if_match.is_some_and(|condition| !condition.matches(&usage)) {
                return Err(UsageError::Stale);
            }
            let read_version = usage.version;
            changes.apply(&mut usage, new_type.clone());
            if let Some(updated) = usages::write_changes(self.db, &usage, read_version).await? {
                return Ok(updated);
            }
            // Changed or deleted since the read: look again.
        }
        Err(UsageError::Contended)
    }

    /// Deletes the user's usage; with `If-Match`, only the version it names.
    #[tracing::instrument(skip(self, if_match))]
    pub async fn delete(
        &self,
        user_id: UserId,
        id: UsageId,
        if_match: Option<&IfMatch>,
    ) -> Result<(), UsageError> {
        let version = match if_match {
            None => None,
            Some(condition) => {
                let usage = self.get(user_id, id).await?;
                if !condition.matches(&usage) {
                    return Err(UsageError::Stale);
                }
                Some(usage.version)
            }
        };
        if usages::delete(self.db, user_id, id, version).await? {
            usage_counts::release(self.db, user_id, 1).await?;
            Ok(())
        } else if version.is_some() {
            // Changed (or deleted) between the read and the delete.
            Err(UsageError::Stale)
        } else {
            Err(UsageError::NotFound)
        }
    }

    /// Imports a CSV body, all or nothing: every row is checked (types
    /// included, resolved in one query) before anything is stored, and a
    /// failed insert is undone. Counts against the user's quota as a whole.
    #[tracing::instrument(skip(self, body, key), fields(bytes = body.len()))]
    pub async fn import(
        &self,
        user_id: UserId,
        body: &[u8],
        key: Option<&IdempotencyKey>,
    ) -> Result<Created<u64>, UsageError> {
        let rows = usage_csv::parse_import(body).map_err(|e| match e {
            ImportError::TooManyRows => UsageError::TooManyRows,
            ImportError::Invalid(errors) => UsageError::Invalid(Invalid(errors)),
        })?;
        let mut ids: Vec<UsageTypeId> = rows.iter().map(|row| row.usage_type_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let types = self.types.get_many(self.db, &ids).await?;
        let unknown: Vec<FieldError> = rows
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
        Invalid::check(unknown)?;

        let (import_id, record) = match key {
            Some(key) => {
                let fingerprint = idempotency::sha256_hex(&[b"import", body]);
                match self.claim_key(user_id, key, &fingerprint).await? {
                    Ok(record) => {
                        // A crashed earlier attempt may have stored part of the batch.
                        let undone =
                            usages::delete_import(self.db, user_id, record.usage_id).await?;
                        usage_counts::release(self.db, user_id, undone).await?;
                        (record.usage_id, Some(record.id))
                    }
                    Err(answered) => return Ok(replayed_import(&answered)),
                }
            }
            None => (ObjectId::new(), None),
        };
        let batch: Vec<Usage> = rows
            .iter()
            .filter_map(|row| {
                let usage_type = types.get(&row.usage_type_id)?.clone();
                let mut usage = Usage::new(
                    UsageId::new(),
                    user_id,
                    row.amount,
                    usage_type,
                    row.usage_at,
                );
                usage.import_id = Some(import_id);
                Some(usage)
            })
            .collect();
        let imported = batch.len() as u64;
        self.reserve_quota(user_id, imported).await?;
        if let Err(e) = usages::insert_batch(self.db, &batch).await {
            match usages::delete_import(self.db, user_id, import_id).await {
                Ok(_) => usage_counts::release(self.db, user_id, imported).await?,
                Err(undo) => {
                    tracing::error!(error = %undo, %import_id, "undoing a failed import failed; its usages carry this import_id")
                }
            }
            return Err(e.into());
        }
        if let Some(record_id) = record {
            idempotency::complete(self.db, &record_id, &Outcome::Imported { imported }).await?;
        }
        tracing::info!(imported, %import_id, "usages imported");
        Ok(Created {
            value: imported,
            replayed: false,
        })
    }

    /// Erases every usage of the user; returns how many.
    #[tracing::instrument(skip(self))]
    pub async fn erase(&self, user_id: UserId) -> Result<u64, UsageError> {
        let erased = usages::delete_all(self.db, user_id).await?;
        usage_counts::release(self.db, user_id, erased).await?;
        tracing::info!(erased, "usages erased");
        Ok(erased)
    }

    /// The user's usages under `filter`, oldest first, read from the
    /// database cursor batch by batch: memory stays flat however many.
    #[tracing::instrument(skip(self, filter))]
    pub async fn export(
        &self,
        user_id: UserId,
        filter: &UsageFilter,
    ) -> Result<impl Stream<Item = Result<Usage, StoreError>> + use<>, UsageError> {
        let cursor = usages::stream(self.db, user_id, filter).await?;
        Ok(cursor.map_err(|e| StoreError::from_driver("reading an export's usages", e)))
    }

    /// The user's footprint in the window: one aggregation, folded.
    #[tracing::instrument(skip(self, filter))]
    pub async fn summary(
        &self,
        user_id: UserId,
        filter: &UsageFilter,
    ) -> Result<Summary, UsageError> {
        let cells = usages::summary_cells(self.db, user_id, filter).await?;
        let types = self.types.all(self.db).await?;
        Ok(summary::fold(filter, &cells, |id| {
            types
                .binary_search_by_key(&id, |t| t.id)
                .ok()
                .map(|i| (types[i].name.clone(), types[i].unit.clone()))
        }))
    }
}

/// How many usages an answered import key imported.
fn replayed_import(record: &IdempotencyRecord) -> Created<u64> {
    let imported = match &record.outcome {
        Some(Outcome::Imported { imported }) => *imported,
        // Answered before outcomes were kept: the stored body says.
        _ => record
            .response
            .as_deref()
            .and_then(|body| serde_json::from_str::<serde_json::Value>(body).ok())
            .and_then(|body| body["imported"].as_u64())
            .unwrap_or(0),
    };
    Created {
        value: imported,
        replayed: true,
    }
}
