//! Creating (idempotently), listing, changing, importing, exporting, erasing
//! and summing an organization's usages.
//!
//! Every flow that writes is one transaction ([`common::db::in_transaction`]):
//! the usages, their rollups, the organization's quota count and the idempotency
//! record commit together or not at all, and no reader sees part of them.
//!
//! By concern: [`idempotency`] (what an `Idempotency-Key` answers),
//! [`group_commit`] (one transaction for the creates that queue up),
//! [`import`] (CSV imports), [`writes`] (one organization's writes in order);
//! the summary is `service::summary`.

mod erase;
mod group_commit;
mod idempotency;
mod import;
mod list;
pub mod writes;

pub use group_commit::PendingCreate;
pub use idempotency::Keyed;

use std::sync::Arc;

use tokio::sync::oneshot::error::TryRecvError;

use futures_util::{Stream, StreamExt};
use mongodb::{ClientSession, Database};

use self::group_commit::{MAX_BATCH, write_creates};
use crate::domain::actor::Actor;
use crate::domain::audit::{Change, UsageRecord, action, entity};
use crate::domain::facility::{self, FacilityId};
use crate::domain::ids::{UsageId, UsageTypeId};
use crate::domain::period::PeriodName;
use crate::domain::rollup::{self, RollupDelta};
use crate::domain::units;
use crate::domain::usage::{IdempotencyKey, IfMatch, NewUsage, Usage, UsageChanges};
use crate::domain::usage_csv::{self};
use crate::domain::usage_query::{UsageCursor, UsageFilter};
use crate::domain::usage_type::UsageType;
use crate::domain::viewer::Viewer;
use crate::service::periods;
use crate::service::slots::{NoSlot, Slot, Slots};
use crate::service::usages::writes::UserWrites;
use crate::storage::{facilities, rollups, usage_counts, usages};
use crate::type_cache::UsageTypeCache;
use common::audit::{Author, Draft, store as trail};
use common::db::{StoreError, TransactionError, in_transaction};
use common::ids::OrgId;
use common::validation::Invalid;

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
    /// A write dated in (or moving a usage out of) a locked period.
    #[error("the period {0} is locked")]
    PeriodLocked(PeriodName),
    /// A facility that is not (or no longer) the organization's.
    #[error("no facility of the organization has this id")]
    UnknownFacility,
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
    /// Another import of the organization is in flight (one at a time).
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

/// What an organization's usage flows need besides their input.
pub struct Usages<'a> {
    pub db: &'a Database,
    pub types: &'a UsageTypeCache,
    /// The most usages one organization may store.
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

/// What one create comes to (of a batch, or a key's replay).
pub(super) type CreateAnswer = Result<Created<Usage>, UsageError>;

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
    /// `facility`, when one of the organization's (none: none).
    async fn existing_facility(
        &self,
        org_id: OrgId,
        facility: Option<FacilityId>,
    ) -> Result<Option<FacilityId>, UsageError> {
        let Some(id) = facility else {
            return Ok(None);
        };
        match facilities::find(self.db, org_id, id).await? {
            Some(_) => Ok(Some(id)),
            None => Err(UsageError::UnknownFacility),
        }
    }

    /// A type new usages of `owner` may use: it exists, the owner may see
    /// it, and its dataset is not retired.
    async fn existing_type(&self, owner: OrgId, id: UsageTypeId) -> Result<UsageType, UsageError> {
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
    /// the key's record are one transaction, shared with the organization's other
    /// creates that arrived meanwhile (see [`record_batch`]).
    #[tracing::instrument(skip(self, new, key), fields(usage_type_id = %new.usage_type_id))]
    pub async fn create(
        &self,
        author: &Author,
        new: NewUsage,
        key: Option<(&IdempotencyKey, &[u8])>,
    ) -> Result<Created<Usage>, UsageError> {
        let actor = Actor::from(author);
        let org_id = actor.org;
        let usage_type = self.existing_type(org_id, new.usage_type_id).await?;
        let unit = units::check_unit(
            new.unit.as_deref().unwrap_or(&usage_type.unit),
            &usage_type.unit,
        )
        .map_err(Invalid::from)?;
        let mut usage = Usage::new(
            UsageId::new(),
            actor,
            new.amount,
            unit,
            usage_type,
            new.usage_at,
        );
        usage
            .choose_scope3_category(new.scope3_category)
            .map_err(Invalid::from)?;
        usage.facility_id = self.existing_facility(org_id, new.facility_id).await?;
        usage.data_quality = new.data_quality;
        usage.evidence = new.evidence;
        let keyed = key.map(|(key, request)| Keyed::new(actor, key, &[b"create", request]));
        let (reply, mut answer) = tokio::sync::oneshot::channel();
        self.writes.enqueue(
            org_id,
            PendingCreate {
                usage,
                author: author.clone(),
                keyed,
                reply,
            },
        );
        loop {
            let _queued = self.writes.lock(org_id).await;
            // Written by whoever held the lock before.
            match answer.try_recv() {
                Ok(outcome) => return outcome,
                Err(TryRecvError::Closed) => return Err(UsageError::Interrupted),
                Err(TryRecvError::Empty) => {}
            }
            let batch = self.writes.take(org_id, MAX_BATCH);
            if batch.is_empty() {
                // Taken by a request that went away before answering.
                return Err(UsageError::Interrupted);
            }
            write_creates(self.db, self.writes, self.quota, org_id, batch).await;
        }
    }

    /// One of the organization's usages.
    #[tracing::instrument(skip(self))]
    pub async fn get(&self, org_id: OrgId, id: UsageId) -> Result<Usage, UsageError> {
        usages::find(self.db, org_id, id)
            .await?
            .ok_or(UsageError::NotFound)
    }

    /// Changes the organization's usage and moves its figures between rollups, in
    /// one transaction. With `If-Match`, a usage that has changed since is
    /// [`UsageError::Stale`]; without, the change applies to the latest
    /// version (a concurrent write makes the transaction run again on the
    /// new version; it is never applied to a stale copy).
    #[tracing::instrument(skip(self, changes, if_match))]
    pub async fn update(
        &self,
        author: &Author,
        id: UsageId,
        changes: &UsageChanges,
        if_match: Option<&IfMatch>,
    ) -> Result<Usage, UsageError> {
        let actor = Actor::from(author);
        let org_id = actor.org;
        let new_type = match changes.usage_type_id {
            Some(type_id) => Some(self.existing_type(org_id, type_id).await?),
            None => None,
        };
        if let Some(facility) = changes.facility_id {
            self.existing_facility(org_id, facility).await?;
        }
        let _queued = self.writes.lock(org_id).await;
        in_transaction(self.db, "changing a usage", async |session| {
            let mut usage = usages::find_in(self.db, session, org_id, id)
                .await?
                .ok_or(UsageError::NotFound)?;
            if if_match.is_some_and(|condition| !condition.matches(&usage)) {
                return Err(UsageError::Stale);
            }
            let before = usage.clone();
            let read_version = usage.version;
            let unit = match (&changes.unit, &new_type) {
                // Retyped, unit unchanged: the amount keeps its unit when
                // that suits the new type, else it is in the new type's
                // unit (as every amount was before units).
                (None, Some(t)) => units::check_unit(&usage.unit, &t.unit)
                    .or_else(|_| units::check_unit(&t.unit, &t.unit)),
                (_, Some(t)) => units::check_unit(changes.unit_of(&usage), &t.unit),
                (_, None) => units::check_unit(changes.unit_of(&usage), &usage.usage_type.unit),
            }
            .map_err(|e| UsageError::Invalid(e.into()))?;
            changes
                .apply(&mut usage, new_type.clone(), &unit)
                .map_err(|e| UsageError::Invalid(e.into()))?;
            usage.updated_by = actor.user;
            let dates = [before.usage_at.to_chrono(), usage.usage_at.to_chrono()];
            if let Some(name) = periods::locked_among(self.db, session, org_id, dates).await? {
                return Err(UsageError::PeriodLocked(name));
            }
            let updated = usages::write_changes(self.db, session, &usage, read_version)
                .await?
                .ok_or(UsageError::Contended)?;
            account(self.db, session, org_id, &[(&before, -1), (&updated, 1)]).await?;
            let change = Change::updated(UsageRecord::from(&before), UsageRecord::from(&updated));
            let entry = Draft::new(author, action::UPDATE, entity::USAGE, id, &change);
            trail::append(self.db, session, org_id, vec![entry]).await?;
            Ok(updated)
        })
        .await
        .map_err(UsageError::contended)
    }

    /// Deletes the organization's usage (with `If-Match`, only the version it
    /// names), its rollup share and its quota share, in one transaction.
    #[tracing::instrument(skip(self, if_match))]
    pub async fn delete(
        &self,
        author: &Author,
        id: UsageId,
        if_match: Option<&IfMatch>,
    ) -> Result<(), UsageError> {
        let org_id = author.org;
        let _queued = self.writes.lock(org_id).await;
        in_transaction(self.db, "deleting a usage", async |session| {
            let usage = usages::find_in(self.db, session, org_id, id)
                .await?
                .ok_or(UsageError::NotFound)?;
            if if_match.is_some_and(|condition| !condition.matches(&usage)) {
                return Err(UsageError::Stale);
            }
            let date = [usage.usage_at.to_chrono()];
            if let Some(name) = periods::locked_among(self.db, session, org_id, date).await? {
                return Err(UsageError::PeriodLocked(name));
            }
            if !usages::delete(self.db, session, org_id, id, usage.version).await? {
                return Err(UsageError::Contended);
            }
            account(self.db, session, org_id, &[(&usage, -1)]).await?;
            usage_counts::release(self.db, session, org_id, 1).await?;
            let change = Change::deleted(UsageRecord::from(&usage));
            let entry = Draft::new(author, action::DELETE, entity::USAGE, id, &change);
            trail::append(self.db, session, org_id, vec![entry]).await?;
            Ok(())
        })
        .await
        .map_err(UsageError::contended)
    }

    /// The organization's usages under `filter`, oldest first, read from the
    /// database cursor batch by batch: memory stays flat however many.
    #[tracing::instrument(skip(self, filter))]
    pub async fn export(
        &self,
        org_id: OrgId,
        filter: &UsageFilter,
    ) -> Result<impl Stream<Item = Result<Usage, StoreError>> + use<>, UsageError> {
        // An export streams as long as the client reads: no time limit, a
        // slot of its own, held by the stream until it ends.
        let turn = self.slots.acquire(Slot::Export).await?;
        let cursor = usages::stream(self.db, org_id, filter).await?;
        Ok(cursor.map(move |row| {
            let _held = &turn;
            row.map_err(|e| StoreError::from_driver("reading an export's usages", e))
        }))
    }
}

/// What usages entering (`sign` 1) or leaving (-1) change besides
/// themselves, in the transaction of `session`: their rollups, and their
/// facilities' usage counts (so that a facility's deletion conflicts with
/// them; a facility gone meanwhile is [`UsageError::UnknownFacility`]).
pub(super) async fn account(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    changes: &[(&Usage, i64)],
) -> Result<(), UsageError> {
    let deltas = rollup::merge(
        changes
            .iter()
            .map(|(usage, sign)| RollupDelta::of(usage, *sign)),
    );
    rollups::apply(db, session, &deltas).await?;
    let counts = facility::usage_deltas(
        changes
            .iter()
            .map(|(usage, sign)| (usage.facility_id, *sign)),
    );
    if !counts.is_empty() && !facilities::count_usages(db, session, org_id, &counts).await? {
        return Err(UsageError::UnknownFacility);
    }
    Ok(())
}

/// Takes `n` of the organization's `quota`, in the transaction of `session`.
async fn reserve_quota(
    db: &Database,
    session: &mut ClientSession,
    quota: u64,
    org_id: OrgId,
    n: u64,
) -> Result<(), UsageError> {
    if usage_counts::reserve(db, session, org_id, n, quota).await? {
        Ok(())
    } else {
        Err(UsageError::QuotaReached { quota })
    }
}
