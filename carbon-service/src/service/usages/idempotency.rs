//! What an `Idempotency-Key` answers: its record (usage id, status and
//! the request's hash), and the replay rebuilt from the stored usage.

use bson::oid::ObjectId;
use mongodb::{ClientSession, Database};

use crate::domain::actor::Actor;
use crate::domain::ids::UsageId;
use crate::domain::usage::IdempotencyKey;
use crate::storage::idempotency::{self as key_records, IdempotencyRecord, Outcome};
use crate::storage::usages;
use common::db::in_transaction;
use common::ids::OrgId;

use super::{CreateAnswer, Created, UsageError};

/// A request's `Idempotency-Key`, as its record's id and the request's
/// fingerprint.
pub struct Keyed {
    pub(super) record_id: String,
    owner: Actor,
    pub(super) fingerprint: String,
}

impl Keyed {
    /// Keyed by organization, user and key: one member's key never
    /// answers another's request.
    pub(super) fn new(actor: Actor, key: &IdempotencyKey, parts: &[&[u8]]) -> Self {
        Self {
            record_id: key_records::record_id(actor.org, actor.user, key.as_str()),
            owner: actor,
            fingerprint: key_records::sha256_hex(parts),
        }
    }

    /// The record of this key's request, which did `outcome`.
    pub(super) fn record(&self, usage_id: ObjectId, outcome: Outcome) -> IdempotencyRecord {
        IdempotencyRecord::new(
            self.record_id.clone(),
            self.owner.org,
            self.owner.user,
            self.fingerprint.clone(),
            usage_id,
            outcome,
        )
    }

    /// In a transaction: the earlier answer to this key, if there is one
    /// (`Ok(None)`: the key is new and now this request's).
    pub(super) async fn claim(
        &self,
        db: &Database,
        session: &mut ClientSession,
        usage_id: ObjectId,
        outcome: Outcome,
    ) -> Result<Option<IdempotencyRecord>, UsageError> {
        if let Some(earlier) = key_records::find(db, session, &self.record_id).await? {
            return self.answered(earlier).map(Some);
        }
        match key_records::insert(db, session, &self.record(usage_id, outcome)).await {
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

    pub(super) fn answered(
        &self,
        earlier: IdempotencyRecord,
    ) -> Result<IdempotencyRecord, UsageError> {
        if earlier.fingerprint == self.fingerprint {
            Ok(earlier)
        } else {
            Err(UsageError::KeyReused)
        }
    }

    /// After a [`UsageError::KeyInProgress`]: the request that held the key
    /// may have committed since this one's snapshot; its answer then is
    /// this one's.
    pub(super) async fn settled(
        &self,
        db: &Database,
    ) -> Result<Option<IdempotencyRecord>, UsageError> {
        let found = in_transaction(db, "reading an idempotency record", async |session| {
            key_records::find(db, session, &self.record_id).await
        })
        .await?;
        found.map(|earlier| self.answered(earlier)).transpose()
    }
}

/// How many usages an answered import key imported.
pub(super) fn replayed_import(record: &IdempotencyRecord) -> Created<u64> {
    let imported = match record.outcome {
        Outcome::Imported { imported } => imported,
        Outcome::Recorded { .. } => 0,
    };
    Created {
        value: imported,
        replayed: true,
    }
}

/// The usage an answered key created, as it is stored now; deleted
/// since, it is [`UsageError::KeyedUsageDeleted`] (and nothing is written).
pub(super) async fn replayed_usage(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    record: IdempotencyRecord,
) -> CreateAnswer {
    let value = usages::find_in(db, session, org_id, UsageId::from(record.usage_id))
        .await?
        .ok_or(UsageError::KeyedUsageDeleted)?;
    Ok(Created {
        value,
        replayed: true,
    })
}
