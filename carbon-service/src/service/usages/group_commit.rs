//! Group commit: the creates of one organization that queue up while a
//! transaction of theirs runs are written together in the next one, each
//! with the answer it would get alone.

use std::collections::HashMap;

use mongodb::Database;

use super::writes::UserWrites;
use crate::domain::audit::{Change, UsageRecord, action, entity};
use crate::domain::period::InventorySettings;
use crate::domain::usage::Usage;
use crate::service::periods;
use crate::storage::idempotency::{self as key_records, Outcome};
use crate::storage::{settings, usage_counts, usages};
use common::audit::store::Head;
use common::audit::{Author, Draft, store as trail};
use common::db::StoreError;
use common::db::in_transaction;
use common::ids::OrgId;

use super::idempotency::{Keyed, replayed_usage};
use super::{CreateAnswer, Created, UsageError, account, reserve_quota};

/// A create waiting for its organization's next transaction.
pub struct PendingCreate {
    pub(super) usage: Usage,
    /// Who asked: each create's audit entry is its own.
    pub(super) author: Author,
    pub(super) keyed: Option<Keyed>,
    pub(super) reply: tokio::sync::oneshot::Sender<CreateAnswer>,
}

/// A create's outcome: the usage id is the record's.
const CREATED: Outcome = Outcome::Recorded { status: 201 };

/// The most creates one transaction writes.
pub(super) const MAX_BATCH: usize = 256;

/// Writes a batch of one organization's queued creates in one transaction and
/// answers each. A batch that fails as a whole (a key another request
/// holds, a database failure) is written again one create at a time, so
/// each gets its own answer.
pub(super) async fn write_creates(
    db: &Database,
    writes: &UserWrites,
    quota: u64,
    org_id: OrgId,
    batch: Vec<PendingCreate>,
) {
    let outcomes = match record_batch(db, writes, quota, org_id, &batch).await {
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

/// Writes a batch of one organization's creates in one transaction, with the
/// answers the same creates one after another would get: each key is
/// looked up (and a key used twice in the batch replays the first), the
/// quota is taken in arrival order, and the rest is refused.
async fn record_batch(
    db: &Database,
    writes: &UserWrites,
    quota: u64,
    org_id: OrgId,
    batch: &[PendingCreate],
) -> Result<Vec<CreateAnswer>, UsageError> {
    // What the batch's transaction committed: the head and settings the
    // next batch may trust.
    let mut committed: Option<(Head, InventorySettings)> = None;
    let outcomes = in_transaction(db, "recording usages", async |session| {
        committed = None;
        // Each create's answer, `None` while it is still to be written.
        let mut outcomes: Vec<Option<CreateAnswer>> = Vec::with_capacity(batch.len());
        // A key used again within the batch: (its create, the first one's).
        let mut repeats: Vec<(usize, usize)> = Vec::new();
        let mut claimed: HashMap<&str, (&str, usize)> = HashMap::new();
        // A create dated in a locked period is refused (a replay of one
        // recorded before the lock still answers as it did). The settings
        // as of the head this process last committed, when it knows them.
        let known = writes.known(org_id);
        let current = match &known {
            Some((_, settings)) => settings.clone(),
            None => settings::find_in(db, session, org_id).await?,
        };
        let locked = |pending: &PendingCreate| {
            current
                .locked_at(pending.usage.usage_at.to_chrono())
                .map(|name| Err(UsageError::PeriodLocked(name)))
        };
        for (index, pending) in batch.iter().enumerate() {
            let Some(keyed) = &pending.keyed else {
                outcomes.push(locked(pending));
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
            if let Some(earlier) = key_records::find(db, session, &keyed.record_id).await? {
                outcomes.push(Some(match keyed.answered(earlier) {
                    Ok(earlier) => replayed_usage(db, session, org_id, earlier).await,
                    Err(e) => Err(e),
                }));
                continue;
            }
            if let Some(refused) = locked(pending) {
                outcomes.push(Some(refused));
                continue;
            }
            claimed.insert(&keyed.record_id, (&keyed.fingerprint, index));
            outcomes.push(None);
        }
        // The quota, in arrival order: usually one conditional update.
        let wanted = outcomes.iter().filter(|o| o.is_none()).count() as u64;
        let mut room = wanted;
        if wanted > 0 && !usage_counts::try_take(db, session, org_id, wanted, quota).await? {
            let held = usage_counts::held(db, session, org_id).await?;
            room = quota.saturating_sub(held).min(wanted);
            if room > 0 {
                usage_counts::add(db, session, org_id, room).await?;
            }
        }
        let mut fresh: Vec<Usage> = Vec::new();
        let mut drafts: Vec<Draft> = Vec::new();
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
            drafts.push(created_entry(&pending.author, &pending.usage));
            fresh.push(pending.usage.clone());
            *outcome = Some(Ok(Created {
                value: pending.usage.clone(),
                replayed: false,
            }));
        }
        if !records.is_empty() {
            key_records::insert_many(db, session, &records)
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
            let added: Vec<(&Usage, i64)> = fresh.iter().map(|usage| (usage, 1)).collect();
            // A facility deleted meanwhile fails the batch: written again
            // one create at a time, only its usages are refused.
            account(db, session, org_id, &added).await?;
            let appended = match &known {
                Some((head, _)) => trail::append_after(db, session, head, drafts).await,
                None => trail::append(db, session, org_id, drafts).await,
            };
            let head = appended.inspect_err(|e| {
                if matches!(e, StoreError::Moved { .. }) {
                    // Another writer moved the head: read it afresh.
                    writes.forget(org_id);
                }
            })?;
            committed = Some((head, current.clone()));
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
        Ok::<Vec<CreateAnswer>, UsageError>(outcomes.into_iter().flatten().collect())
    })
    .await?;
    if let Some((head, settings)) = committed {
        writes.committed(head, settings);
    }
    Ok(outcomes)
}

/// One create in its own transaction (when its batch failed as a whole).
async fn record_one(db: &Database, quota: u64, pending: &PendingCreate) -> CreateAnswer {
    let usage = &pending.usage;
    let org_id = usage.org_id;
    let keyed = &pending.keyed;
    let result = in_transaction(db, "recording a usage", async |session| {
        if let Some(keyed) = keyed {
            let usage_id = usage.id.object_id();
            if let Some(earlier) = keyed.claim(db, session, usage_id, CREATED).await? {
                return replayed_usage(db, session, org_id, earlier).await;
            }
        }
        if let Some(name) =
            periods::locked_among(db, session, org_id, [usage.usage_at.to_chrono()]).await?
        {
            return Err(UsageError::PeriodLocked(name));
        }
        usages::insert(db, session, usage).await?;
        account(db, session, org_id, &[(usage, 1)]).await?;
        trail::append(
            db,
            session,
            org_id,
            vec![created_entry(&pending.author, usage)],
        )
        .await?;
        reserve_quota(db, session, quota, org_id, 1).await?;
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
                    replayed_usage(db, session, org_id, earlier.clone()).await
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

/// The audit entry of a usage created.
fn created_entry(author: &Author, usage: &Usage) -> Draft {
    Draft::new(
        author,
        action::CREATE,
        entity::USAGE,
        usage.id,
        &Change::created(UsageRecord::from(usage)),
    )
}
