//! Creating (idempotently), listing, changing, importing, exporting, erasing
//! and summing a user's usages.
//!
//! Every flow that writes is one transaction ([`common::db::in_transaction`]):
//! the usages, their rollups, the user's quota count and the idempotency
//! record commit together or not at all, and no reader sees part of them.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::oneshot::error::TryRecvError;

use bson::oid::ObjectId;
use futures_util::{Stream, StreamExt};
use mongodb::{ClientSession, Database};

use crate::domain::gwp::GwpSet;
use crate::domain::ids::{UsageId, UsageTypeId};
use crate::domain::rollup::{self, Grain, RollupDelta};
use crate::domain::summary::{self, Summary, SummaryCell};
use crate::domain::units;
use crate::domain::usage::{IdempotencyKey, IfMatch, NewUsage, Usage, UsageChanges};
use crate::domain::usage_csv::{self, ImportError};
use crate::domain::usage_query::{UsageCursor, UsageFilter, UsagePage};
use crate::domain::usage_type::UsageType;
use crate::domain::viewer::Viewer;
use crate::service::slots::{NoSlot, Slot, Slots};
use crate::service::user_writes::ImportTurn;
use crate::service::user_writes::UserWrites;
use crate::storage::idempotency::{self, IdempotencyRecord, Outcome};
use crate::storage::{rollups, usage_counts, usages};
use crate::type_cache::UsageTypeCache;
use common::db::{StoreError, TransactionError, in_transaction};
use common::ids::UserId;
use common::validation::{FieldError, Invalid};

/// Usages an erasure removes per transaction: an erasure of a million
/// usages is many bounded transactions, each leaving rollups and count
/// equal to the usages that remain (a repeated erasure finishes the work).
pub const ERASE_BATCH: i64 = usage_csv::MAX_IMPORT_ROWS as i64;

/// Why a usage flow did not happen. The routes say what each means in HTTP.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no usage type has id {0}")]
    UnknownType(UsageTypeId),
    #[error("usage type {0} belongs to the retired dataset {1}")]
    RetiredType(UsageTypeId, String),
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
    /// A retry of a create whose usage was deleted since: answering it
    /// must not bring the usage back.
    #[error("the usage this Idempotency-Key created has been deleted")]
    KeyedUsageDeleted,
    /// Another import of the user is in flight (one at a time per owner).
    #[error("another import of this user is running")]
    ImportInProgress { retry_after_seconds: u64 },
    #[error(transparent)]
    NoSlot(#[from] NoSlot),
    #[error("a request with this Idempotency-Key is still running")]
    KeyInProgress { retry_after_seconds: u64 },
    #[error("the usage quota of {quota} is reached")]
    QuotaReached { quota: u64 },
    #[error("an import has more than {} rows", usage_csv::MAX_IMPORT_ROWS)]
    TooManyRows,
    /// The request that took this create into its batch went away before
    /// answering; whether the usage was stored is unknown.
    #[error("the write was interrupted")]
    Interrupted,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TransactionError for UsageError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

impl UsageError {
    /// A write that lost to other transactions every time it ran.
    fn contended(self) -> Self {
        match self {
            Self::Store(e) if e.is_transient_transaction() => Self::Contended,
            other => other,
        }
    }
}

/// What a user's usage flows need besides their input.
pub struct Usages<'a> {
    pub db: &'a Database,
    pub types: &'a UsageTypeCache,
    /// The most usages one user may store.
    pub quota: u64,
    pub writes: &'a Arc<UserWrites>,
    /// What this instance runs at once, and the query time limit.
    pub slots: &'a Slots,
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

/// A request's `Idempotency-Key`, as its record's id and the request's
/// fingerprint.
pub struct Keyed {
    record_id: String,
    owner: UserId,
    fingerprint: String,
}

impl Keyed {
    fn new(user_id: UserId, key: &IdempotencyKey, parts: &[&[u8]]) -> Self {
        Self {
            record_id: idempotency::record_id(user_id, key.as_str()),
            owner: user_id,
            fingerprint: idempotency::sha256_hex(parts),
        }
    }

    /// The record of this key's request, which did `outcome`.
    fn record(&self, usage_id: ObjectId, outcome: Outcome) -> IdempotencyRecord {
        IdempotencyRecord::new(
            self.record_id.clone(),
            self.owner,
            self.fingerprint.clone(),
            usage_id,
            outcome,
        )
    }

    /// In a transaction: the earlier answer to this key, if there is one
    /// (`Ok(None)`: the key is new and now this request's).
    async fn claim(
        &self,
        db: &Database,
        session: &mut ClientSession,
        usage_id: ObjectId,
        outcome: Outcome,
    ) -> Result<Option<IdempotencyRecord>, UsageError> {
        if let Some(earlier) = idempotency::find(db, session, &self.record_id).await? {
            return self.answered(earlier).map(Some);
        }
        match idempotency::insert(db, session, &self.record(usage_id, outcome)).await {
            Ok(()) => Ok(None),
            // Another request with this key is writing it now.
            Err(e) if e.is_write_conflict() || e.is_duplicate_on(common::db::PRIMARY_KEY) => {
                Err(UsageError::KeyInProgress {
                    retry_after_seconds: 1,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    fn answered(&self, earlier: IdempotencyRecord) -> Result<IdempotencyRecord, UsageError> {
        if earlier.fingerprint == self.fingerprint {
            Ok(earlier)
        } else {
            Err(UsageError::KeyReused)
        }
    }

    /// After a [`UsageError::KeyInProgress`]: the request that held the key
    /// may have committed since this one's snapshot; its answer then is
    /// this one's.
    async fn settled(&self, db: &Database) -> Result<Option<IdempotencyRecord>, UsageError> {
        let found = in_transaction(db, "reading an idempotency record", async |session| {
            idempotency::find(db, session, &self.record_id).await
        })
        .await?;
        found.map(|earlier| self.answered(earlier)).transpose()
    }
}

impl Usages<'_> {
    /// A type new usages of `owner` may use: it exists, the owner may see
    /// it, and its dataset is not retired.
    async fn existing_type(&self, owner: UserId, id: UsageTypeId) -> Result<UsageType, UsageError> {
        let found = self
            .types
            .get(self.db, id)
            .await?
            .filter(|t| Viewer::SignedIn(owner).can_see_type(t))
            .ok_or(UsageError::UnknownType(id))?;
        if found.retired {
            return Err(UsageError::RetiredType(id, found.dataset.to_string()));
        }
        Ok(found)
    }

    /// Records a usage. With a key, a retry (same key, same `request`: the
    /// request as the client sent it, so that an absent `usage_at` is not
    /// "now") gets the original usage and creates nothing; the same key
    /// with another request is [`UsageError::KeyReused`], and while the
    /// first request still runs, [`UsageError::KeyInProgress`]. A user
    /// holds at most `quota` usages. The usage, its rollup, the quota and
    /// the key's record are one transaction, shared with the user's other
    /// creates that arrived meanwhile (see [`record_batch`]).
    #[tracing::instrument(skip(self, new, key), fields(usage_type_id = %new.usage_type_id))]
    pub async fn create(
        &self,
        user_id: UserId,
        new: NewUsage,
        key: Option<(&IdempotencyKey, &[u8])>,
    ) -> Result<Created<Usage>, UsageError> {
        let usage_type = self.existing_type(user_id, new.usage_type_id).await?;
        let unit = units::check_unit(
            new.unit.as_deref().unwrap_or(&usage_type.unit),
            &usage_type.unit,
        )
        .map_err(Invalid::from)?;
        let usage = Usage::new(
            UsageId::new(),
            user_id,
            new.amount,
            unit,
            usage_type,
            new.usage_at,
        );
        let keyed = key.map(|(key, request)| Keyed::new(user_id, key, &[b"create", request]));
        let (reply, mut answer) = tokio::sync::oneshot::channel();
        self.writes.enqueue(
            user_id,
            PendingCreate {
                usage,
                keyed,
                reply,
            },
        );
        loop {
            let _queued = self.writes.lock(user_id).await;
            // Written by whoever held the lock before.
            match answer.try_recv() {
                Ok(outcome) => return outcome,
                Err(TryRecvError::Closed) => return Err(UsageError::Interrupted),
                Err(TryRecvError::Empty) => {}
            }
            let batch = self.writes.take(user_id, MAX_BATCH);
            if batch.is_empty() {
                // Taken by a request that went away before answering.
                return Err(UsageError::Interrupted);
            }
            write_creates(self.db, self.quota, user_id, batch).await;
        }
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
        let max_time = self.slots.query_max_time;
        // A count or a deep offset walks the index: one heavy-read turn.
        let _turn = if with_total || page.is_deep() {
            Some(self.slots.acquire(Slot::HeavyRead).await?)
        } else {
            None
        };
        let (found, more) =
            usages::page(self.db, user_id, filter, page.start, page.limit, max_time).await?;
        let next = found.last().filter(|_| more).map(|last| UsageCursor {
            usage_at: last.usage_at,
            id: last.id,
        });
        let total = if with_total {
            Some(usages::count(self.db, user_id, filter, max_time).await?)
        } else {
            None
        };
        Ok(UsageList {
            usages: found,
            next,
            total,
        })
    }

    /// Changes the user's usage and moves its figures between rollups, in
    /// one transaction. With `If-Match`, a usage that has changed since is
    /// [`UsageError::Stale`]; without, the change applies to the latest
    /// version (a concurrent write makes the transaction run again on the
    /// new version; it is never applied to a stale copy).
    #[tracing::instrument(skip(self, changes, if_match))]
    pub async fn update(
        &self,
        user_id: UserId,
        id: UsageId,
        changes: &UsageChanges,
        if_match: Option<&IfMatch>,
    ) -> Result<Usage, UsageError> {
        let new_type = match changes.usage_type_id {
            Some(type_id) => Some(self.existing_type(user_id, type_id).await?),
            None => None,
        };
        let _queued = self.writes.lock(user_id).await;
        in_transaction(self.db, "changing a usage", async |session| {
            let mut usage = usages::find_in(self.db, session, user_id, id)
                .await?
                .ok_or(UsageError::NotFound)?;
            if if_match.is_some_and(|condition| !condition.matches(&usage)) {
                return Err(UsageError::Stale);
            }
            let before = RollupDelta::of(&usage, -1);
            let read_version = usage.version;
            let unit = match (&changes.unit, &new_type) {
                // Retyped, unit unchanged: the amount keeps its unit when
                // that suits the new type, else it is in the new type's
                // unit (as every amount was before units).
                (None, Some(t)) => units::check_unit(usage.entered_unit(), &t.unit)
                    .or_else(|_| units::check_unit(&t.unit, &t.unit)),
                (_, Some(t)) => units::check_unit(changes.unit_of(&usage), &t.unit),
                (_, None) => units::check_unit(changes.unit_of(&usage), &usage.usage_type.unit),
            }
            .map_err(|e| UsageError::Invalid(e.into()))?;
            changes.apply(&mut usage, new_type.clone(), &unit);
            let updated = usages::write_changes(self.db, session, &usage, read_version)
                .await?
                .ok_or(UsageError::Contended)?;
            let deltas = rollup::merge([before, RollupDelta::of(&updated, 1)]);
            rollups::apply(self.db, session, &deltas).await?;
            Ok(updated)
        })
        .await
        .map_err(UsageError::contended)
    }

    /// Deletes the user's usage (with `If-Match`, only the version it
    /// names), its rollup share and its quota share, in one transaction.
    #[tracing::instrument(skip(self, if_match))]
    pub async fn delete(
        &self,
        user_id: UserId,
        id: UsageId,
        if_match: Option<&IfMatch>,
    ) -> Result<(), UsageError> {
        let _queued = self.writes.lock(user_id).await;
        in_transaction(self.db, "deleting a usage", async |session| {
            let usage = usages::find_in(self.db, session, user_id, id)
                .await?
                .ok_or(UsageError::NotFound)?;
            if if_match.is_some_and(|condition| !condition.matches(&usage)) {
                return Err(UsageError::Stale);
            }
            if !usages::delete(self.db, session, user_id, id, usage.version).await? {
                return Err(UsageError::Contended);
            }
            rollups::apply(self.db, session, &[RollupDelta::of(&usage, -1)]).await?;
            usage_counts::release(self.db, session, user_id, 1).await?;
            Ok(())
        })
        .await
        .map_err(UsageError::contended)
    }

    /// Imports a CSV body, all or nothing: every row is checked (types
    /// included, resolved in one query) before anything is stored; then the
    /// rows (in batches), their rollups, the quota and the key's record are
    /// one transaction, invisible to readers until it commits. Counts
    /// against the user's quota as a whole.
    /// The user's turn to import: one import per owner in flight in this
    /// instance, taken before the body is read.
    pub fn begin_import(&self, user_id: UserId) -> Result<ImportTurn<'_>, UsageError> {
        self.writes
            .begin_import(user_id)
            .ok_or(UsageError::ImportInProgress {
                retry_after_seconds: 5,
            })
    }

    #[tracing::instrument(skip_all, fields(user_id = %turn.user_id(), bytes = body.len()))]
    pub async fn import(
        &self,
        turn: ImportTurn<'_>,
        body: &[u8],
        key: Option<&IdempotencyKey>,
    ) -> Result<Created<u64>, UsageError> {
        let user_id = turn.user_id();
        let rows = usage_csv::parse_import(body).map_err(|e| match e {
            ImportError::TooManyRows => UsageError::TooManyRows,
            ImportError::Invalid(errors) => UsageError::Invalid(Invalid(errors)),
        })?;
        let mut ids: Vec<UsageTypeId> = rows.iter().filter_map(|row| row.usage_type_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut types = self.types.get_many(self.db, &ids).await?;
        types.retain(|_, t| Viewer::SignedIn(user_id).can_see_type(t));
        let import_id = ObjectId::new();
        let mut errors: Vec<FieldError> = Vec::new();
        let mut batch: Vec<Usage> = Vec::with_capacity(rows.len());
        for row in rows {
            let mut row_errors = row.errors;
            let checked = row.usage_type_id.and_then(|id| {
                let found = match types.get(&id) {
                    None => Err(FieldError::new(
                        "usage_type_id",
                        format!("no usage type has id {id}"),
                    )),
                    Some(t) if t.retired => Err(FieldError::new(
                        "usage_type_id",
                        format!(
                            "usage type {id} belongs to the retired dataset {}",
                            t.dataset
                        ),
                    )),
                    Some(t) => units::check_unit(row.unit.as_deref().unwrap_or(&t.unit), &t.unit)
                        .map(|unit| (t, unit)),
                };
                found.map_err(|e| row_errors.push(e.in_row(row.row))).ok()
            });
            match (row.usage, checked) {
                (Some(new), Some((usage_type, unit))) if row_errors.is_empty() => {
                    let mut usage = Usage::new(
                        UsageId::new(),
                        user_id,
                        new.amount,
                        unit,
                        usage_type.clone(),
                        new.usage_at,
                    );
                    usage.import_id = Some(import_id);
                    batch.push(usage);
                }
                _ => errors.extend(row_errors),
            }
        }
        // Every row's errors at once, the first hundred of them.
        errors.truncate(usage_csv::MAX_REPORTED_ERRORS);
        Invalid::check(errors)?;

        let imported = batch.len() as u64;
        let deltas = rollup::merge(batch.iter().map(|usage| RollupDelta::of(usage, 1)));
        let keyed = key.map(|key| Keyed::new(user_id, key, &[b"import", body]));
        // The user's lock first: a slot is never held waiting for it.
        let _queued = self.writes.lock(user_id).await;
        let _slot = self.slots.acquire(Slot::Import).await?;
        let result = in_transaction(self.db, "importing usages", async |session| {
            if let Some(keyed) = &keyed {
                let outcome = Outcome::Imported { imported };
                if let Some(earlier) = keyed.claim(self.db, session, import_id, outcome).await? {
                    return Ok(replayed_import(&earlier));
                }
            }
            usages::insert_batch(self.db, session, &batch).await?;
            rollups::apply(self.db, session, &deltas).await?;
            reserve_quota(self.db, session, self.quota, user_id, imported).await?;
            Ok(Created {
                value: imported,
                replayed: false,
            })
        })
        .await;
        let created = match (result, &keyed) {
            (Err(UsageError::KeyInProgress { .. }), Some(keyed)) => {
                match keyed.settled(self.db).await? {
                    Some(earlier) => return Ok(replayed_import(&earlier)),
                    None => {
                        return Err(UsageError::KeyInProgress {
                            retry_after_seconds: 1,
                        });
                    }
                }
            }
            (result, _) => result?,
        };
        if !created.replayed {
            tracing::info!(imported, %import_id, "usages imported");
        }
        Ok(created)
    }

    /// Erases every usage of the user with their rollups, quota count and
    /// idempotency records; returns how many. Each batch of
    /// [`ERASE_BATCH`] is one transaction (and deletes the records written
    /// meanwhile).
    #[tracing::instrument(skip(self))]
    pub async fn erase(&self, user_id: UserId) -> Result<u64, UsageError> {
        let mut erased = 0;
        let _queued = self.writes.lock(user_id).await;
        loop {
            // Each batch a transaction as big as an import's: under the
            // same limit.
            let _slot = self.slots.acquire(Slot::Import).await?;
            let batch = in_transaction(self.db, "erasing usages", async |session| {
                let doomed = usages::first_of_user(self.db, session, user_id, ERASE_BATCH).await?;
                let ids: Vec<UsageId> = doomed.iter().map(|usage| usage.id).collect();
                let deleted = usages::delete_ids(self.db, session, user_id, &ids).await?;
                let deltas = rollup::merge(doomed.iter().map(|usage| RollupDelta::of(usage, -1)));
                rollups::apply(self.db, session, &deltas).await?;
                usage_counts::release(self.db, session, user_id, deleted).await?;
                idempotency::delete_of_user(self.db, session, user_id).await?;
                Ok::<_, UsageError>(deleted)
            })
            .await?;
            erased += batch;
            if batch < ERASE_BATCH as u64 {
                break;
            }
        }
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
        // An export streams as long as the client reads: no time limit, a
        // slot of its own, held by the stream until it ends.
        let turn = self.slots.acquire_export().await?;
        let cursor = usages::stream(self.db, user_id, filter).await?;
        Ok(cursor.map(move |row| {
            let _held = &turn;
            row.map_err(|e| StoreError::from_driver("reading an export's usages", e))
        }))
    }

    /// The user's footprint in the window: the rollups of its whole months
    /// and days and the usages of its partial edge days (see
    /// `rollup::plan`: the cost does not depend on where the edges fall),
    /// read from one snapshot,
    /// their gases weighed by `gwp`, folded. The same answer as summing
    /// every usage in the window.
    #[tracing::instrument(skip(self, filter))]
    pub async fn summary(
        &self,
        user_id: UserId,
        filter: &UsageFilter,
        gwp: GwpSet,
    ) -> Result<Summary, UsageError> {
        let _turn = self.slots.acquire(Slot::HeavyRead).await?;
        let mut cells = in_transaction(self.db, "reading a summary", async |session| {
            self.summary_cells(session, user_id, filter).await
        })
        .await?;
        summary::weigh(&mut cells, gwp);
        let types = self.types.all(self.db).await?;
        Ok(summary::fold(filter, &cells, |id| {
            types
                .binary_search_by_key(&id, |t| t.id)
                .ok()
                .map(|i| types[i].name.clone())
        }))
    }

    async fn summary_cells(
        &self,
        session: &mut ClientSession,
        user_id: UserId,
        filter: &UsageFilter,
    ) -> Result<Vec<SummaryCell>, StoreError> {
        let plan = rollup::plan(filter.from, filter.to);
        let mut cells = Vec::new();
        let of_type = filter.usage_type_id;
        for (grain, range) in plan
            .months
            .iter()
            .map(|r| (Grain::Month, r))
            .chain(plan.days.iter().map(|r| (Grain::Day, r)))
        {
            cells.extend(rollups::cells(self.db, session, user_id, of_type, grain, range).await?);
        }
        for (from, to) in plan.usages {
            let edge = UsageFilter {
                usage_type_id: of_type,
                from,
                to,
            };
            cells.extend(
                usages::summary_cells(
                    self.db,
                    session,
                    user_id,
                    &edge,
                    Grain::Month,
                    Some(self.slots.query_max_time),
                )
                .await?,
            );
        }
        Ok(cells)
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

/// Takes `n` of the user's `quota`, in the transaction of `session`.
async fn reserve_quota(
    db: &Database,
    session: &mut ClientSession,
    quota: u64,
    user_id: UserId,
    n: u64,
) -> Result<(), UsageError> {
    if usage_counts::reserve(db, session, user_id, n, quota).await? {
        Ok(())
    } else {
        Err(UsageError::QuotaReached { quota })
    }
}

/// A create waiting for its user's next transaction.
pub struct PendingCreate {
    usage: Usage,
    keyed: Option<Keyed>,
    reply: tokio::sync::oneshot::Sender<Result<Created<Usage>, UsageError>>,
}

/// A create's outcome: the usage id is the record's.
const CREATED: Outcome = Outcome::Recorded { status: 201 };

/// The most creates one transaction writes.
const MAX_BATCH: usize = 256;

/// Writes a batch of one user's queued creates in one transaction and
/// answers each. A batch that fails as a whole (a key another request
/// holds, a database failure) is written again one create at a time, so
/// each gets its own answer.
async fn write_creates(db: &Database, quota: u64, user_id: UserId, batch: Vec<PendingCreate>) {
    let outcomes = match record_batch(db, quota, user_id, &batch).await {
        Ok(outcomes) => outcomes,
        Err(e) => {
            tracing::debug!(error = %e, creates = batch.len(), "a batch of creates failed; writing them one at a time");
            let mut outcomes = Vec::with_capacity(batch.len());
            for pending in &batch {
                outcomes.push(record_one(db, quota, pending).await);
            }
            outcomes
        }
    };
    for (pending, outcome) in batch.into_iter().zip(outcomes) {
        // Its request may have gone away meanwhile.
        let _ = pending.reply.send(outcome);
    }
}

/// What one create of a batch comes to.
type Outcome1 = Result<Created<Usage>, UsageError>;

/// Writes a batch of one user's creates in one transaction, with the
/// answers the same creates one after another would get: each key is
/// looked up (and a key used twice in the batch replays the first), the
/// quota is taken in arrival order, and the rest is refused.
async fn record_batch(
    db: &Database,
    quota: u64,
    user_id: UserId,
    batch: &[PendingCreate],
) -> Result<Vec<Outcome1>, UsageError> {
    in_transaction(db, "recording usages", async |session| {
        // Each create's answer, `None` while it is still to be written.
        let mut outcomes: Vec<Option<Outcome1>> = Vec::with_capacity(batch.len());
        // A key used again within the batch: (its create, the first one's).
        let mut repeats: Vec<(usize, usize)> = Vec::new();
        let mut claimed: HashMap<&str, (&str, usize)> = HashMap::new();
        for (index, pending) in batch.iter().enumerate() {
            let Some(keyed) = &pending.keyed else {
                outcomes.push(None);
                continue;
            };
            if let Some((fingerprint, first)) = claimed.get(keyed.record_id.as_str()) {
                if *fingerprint == keyed.fingerprint {
                    repeats.push((index, *first));
                    outcomes.push(Some(Err(UsageError::Interrupted)));
                } else {
                    outcomes.push(Some(Err(UsageError::KeyReused)));
                }
                continue;
            }
            if let Some(earlier) = idempotency::find(db, session, &keyed.record_id).await? {
                outcomes.push(Some(match keyed.answered(earlier) {
                    Ok(earlier) => replayed_usage(db, session, user_id, earlier).await,
                    Err(e) => Err(e),
                }));
                continue;
            }
            claimed.insert(&keyed.record_id, (&keyed.fingerprint, index));
            outcomes.push(None);
        }
        // The quota, in arrival order: usually one conditional update.
        let wanted = outcomes.iter().filter(|o| o.is_none()).count() as u64;
        let mut room = wanted;
        if wanted > 0 && !usage_counts::try_take(db, session, user_id, wanted, quota).await? {
            let held = usage_counts::held(db, session, user_id).await?;
            room = quota.saturating_sub(held).min(wanted);
            if room > 0 {
                usage_counts::add(db, session, user_id, room).await?;
            }
        }
        let mut fresh: Vec<Usage> = Vec::new();
        let mut records = Vec::new();
        for (pending, outcome) in batch.iter().zip(outcomes.iter_mut()) {
            if outcome.is_some() {
                continue;
            }
            if fresh.len() as u64 == room {
                *outcome = Some(Err(UsageError::QuotaReached { quota }));
                continue;
            }
            if let Some(keyed) = &pending.keyed {
                records.push(keyed.record(pending.usage.id.object_id(), CREATED));
            }
            fresh.push(pending.usage.clone());
            *outcome = Some(Ok(Created {
                value: pending.usage.clone(),
                replayed: false,
            }));
        }
        if !records.is_empty() {
            idempotency::insert_many(db, session, &records)
                .await
                // Another request (another instance's) holds one of the
                // keys: the batch is written again one create at a time.
                .map_err(|e| {
                    if e.is_write_conflict() || e.is_duplicate_on(common::db::PRIMARY_KEY) {
                        UsageError::KeyInProgress {
                            retry_after_seconds: 1,
                        }
                    } else {
                        e.into()
                    }
                })?;
        }
        if !fresh.is_empty() {
            usages::insert_batch(db, session, &fresh).await?;
            let deltas = rollup::merge(fresh.iter().map(|usage| RollupDelta::of(usage, 1)));
            rollups::apply(db, session, &deltas).await?;
        }
        // A repeated key replays what its first create did; one that was
        // refused for the quota leaves its repeats refused too (they came
        // later, when there was no more room).
        for (index, first) in repeats {
            outcomes[index] = Some(match &outcomes[first] {
                Some(Ok(created)) => Ok(Created {
                    value: created.value.clone(),
                    replayed: true,
                }),
                _ => Err(UsageError::QuotaReached { quota }),
            });
        }
        Ok(outcomes.into_iter().flatten().collect())
    })
    .await
}

/// One create in its own transaction (when its batch failed as a whole).
async fn record_one(db: &Database, quota: u64, pending: &PendingCreate) -> Outcome1 {
    let usage = &pending.usage;
    let user_id = usage.user_id;
    let keyed = &pending.keyed;
    let result = in_transaction(db, "recording a usage", async |session| {
        if let Some(keyed) = keyed {
            let usage_id = usage.id.object_id();
            if let Some(earlier) = keyed.claim(db, session, usage_id, CREATED).await? {
                return replayed_usage(db, session, user_id, earlier).await;
            }
        }
        usages::insert(db, session, usage).await?;
        rollups::apply(db, session, &[RollupDelta::of(usage, 1)]).await?;
        reserve_quota(db, session, quota, user_id, 1).await?;
        Ok(Created {
            value: usage.clone(),
            replayed: false,
        })
    })
    .await;
    match (result, keyed) {
        (Err(UsageError::KeyInProgress { .. }), Some(keyed)) => match keyed.settled(db).await? {
            Some(earlier) => {
                in_transaction(db, "replaying a usage", async |session| {
                    replayed_usage(db, session, user_id, earlier.clone()).await
                })
                .await
            }
            None => Err(UsageError::KeyInProgress {
                retry_after_seconds: 1,
            }),
        },
        (result, _) => result,
    }
}

/// The usage an answered key created, as it is stored now; deleted
/// since, it is [`UsageError::KeyedUsageDeleted`] (and nothing is written).
async fn replayed_usage(
    db: &Database,
    session: &mut ClientSession,
    user_id: UserId,
    record: IdempotencyRecord,
) -> Outcome1 {
    let value = usages::find_in(db, session, user_id, UsageId::from(record.usage_id))
        .await?
        .ok_or(UsageError::KeyedUsageDeleted)?;
    Ok(Created {
        value,
        replayed: true,
    })
}
