//! The `idempotency_keys` collection: which usage an `Idempotency-Key` of a
//! user created, and what the request did, to replay it.

use bson::doc;
use bson::oid::ObjectId;
use futures_util::TryStreamExt;
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use common::db::{Context, StoreError};
use common::ids::{OrgId, UserId};

pub const COLLECTION: &str = "idempotency_keys";
/// Keys are kept at least this long.
pub const RETENTION_SECONDS: i64 = 48 * 3600;
/// The TTL index that removes records once `expires_at` has passed.
pub const EXPIRY_INDEX: &str = "expires_at_ttl";

/// Expiry by TTL index: the server deletes a record in the first TTL pass
/// after its `expires_at` (MongoDB runs one every 60 s). The owner's
/// index serves erasure.
pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (
        vec![
            common::db::ttl_index("expires_at", EXPIRY_INDEX),
            IndexModel::builder().keys(doc! { "org_id": 1 }).build(),
        ],
        // The purge task's index, before TTL took over; the owner's, before
        // organizations.
        &["created_at_1", "user_id_1"],
    )
}

/// Records written before `expires_at` existed get one, so the TTL index
/// covers them too. Idempotent.
pub async fn backfill_expiry(db: &Database) -> Result<u64, StoreError> {
    let expires_at = bson::DateTime::from_millis(
        bson::DateTime::now().timestamp_millis() + RETENTION_SECONDS * 1000,
    );
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "expires_at": { "$exists": false } },
        doc! { "$set": { "expires_at": expires_at } },
        "giving idempotency records an expiry",
    )
    .await
}

/// What the request with a key did, kept to answer its retries: never a
/// copy of the data, so that a record holds nothing that deleting or
/// erasing the data would leave behind.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// It recorded the usage `usage_id` and answered `status`; a replay
    /// answers with the usage as it is stored now.
    Recorded { status: u16 },
    /// It imported this many usages.
    Imported { imported: u64 },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// SHA-256 of (organization,) user id and key: see [`record_id`].
    #[serde(rename = "_id")]
    pub id: String,
    /// The organization of what the request wrote, for erasure.
    pub org_id: OrgId,
    /// Who made the request.
    pub user_id: UserId,
    /// SHA-256 of the request, to tell a retry from a different request.
    pub fingerprint: String,
    /// The usage the request created, or the `import_id` its rows carry.
    pub usage_id: ObjectId,
    /// What the request did. Written in the request's own transaction, so
    /// every stored record has one (`migrate` settles the records earlier
    /// versions left without one).
    pub outcome: Outcome,
    pub created_at: bson::DateTime,
    /// When the TTL index removes the record.
    pub expires_at: bson::DateTime,
}

fn records(db: &Database) -> Collection<IdempotencyRecord> {
    db.collection(COLLECTION)
}

pub fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

/// The record id of a user's key in an organization: one user's key never
/// matches another's. In the personal organization it is the id records
/// had before organizations (user and key), so their retries still match.
pub fn record_id(org_id: OrgId, user: UserId, key: &str) -> String {
    if org_id.is_personal_of(user) {
        sha256_hex(&[user.to_string().as_bytes(), key.as_bytes()])
    } else {
        sha256_hex(&[
            org_id.to_string().as_bytes(),
            user.to_string().as_bytes(),
            key.as_bytes(),
        ])
    }
}

impl IdempotencyRecord {
    /// The record of `org_id`'s request that did `outcome`, kept for 48
    /// hours.
    pub fn new(
        id: String,
        org_id: OrgId,
        user_id: UserId,
        fingerprint: String,
        usage_id: ObjectId,
        outcome: Outcome,
    ) -> Self {
        let now = bson::DateTime::now();
        Self {
            id,
            org_id,
            user_id,
            fingerprint,
            usage_id,
            outcome,
            created_at: now,
            expires_at: bson::DateTime::from_millis(
                now.timestamp_millis() + RETENTION_SECONDS * 1000,
            ),
        }
    }
}

/// The record of a key, read in the transaction of `session`.
#[tracing::instrument(skip_all)]
pub async fn find(
    db: &Database,
    session: &mut ClientSession,
    record_id: &str,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    records(db)
        .find_one(doc! { "_id": record_id })
        .session(session)
        .await
        .context("reading an idempotency record")
}

/// Stores a key's record in the transaction of `session`, which also does
/// what the record says. Another transaction writing the same key meanwhile
/// makes this a write conflict (a duplicate, once that one has committed).
#[tracing::instrument(skip_all)]
pub async fn insert(
    db: &Database,
    session: &mut ClientSession,
    record: &IdempotencyRecord,
) -> Result<(), StoreError> {
    records(db)
        .insert_one(record)
        .session(session)
        .await
        .context("storing an idempotency record")?;
    Ok(())
}

/// Stores the records of a batch of creates in the transaction of
/// `session` (see [`insert`]).
#[tracing::instrument(skip_all, fields(records = batch.len()))]
pub async fn insert_many(
    db: &Database,
    session: &mut ClientSession,
    batch: &[IdempotencyRecord],
) -> Result<(), StoreError> {
    records(db)
        .insert_many(batch)
        .session(session)
        .await
        .context("storing idempotency records")?;
    Ok(())
}

/// A record an earlier version left without an outcome, read without the
/// strict [`IdempotencyRecord`] (a migration's input).
#[derive(Debug, Deserialize)]
pub struct UnfinishedRecord {
    #[serde(rename = "_id")]
    pub id: String,
    pub usage_id: ObjectId,
    /// The 201 body versions before outcomes kept instead, when the
    /// request finished.
    #[serde(default)]
    pub response: Option<String>,
}

/// Records without an outcome: requests interrupted before transactions
/// existed (no `response` either), or answered before outcomes were kept.
pub async fn unfinished(db: &Database) -> Result<Vec<UnfinishedRecord>, StoreError> {
    db.collection::<UnfinishedRecord>(COLLECTION)
        .find(doc! { "outcome": null })
        .projection(doc! { "_id": 1, "usage_id": 1, "response": 1 })
        .await
        .context("reading unfinished idempotency records")?
        .try_collect()
        .await
        .context("reading unfinished idempotency records")
}

/// Record ids (with what they recorded) kept from before owners were.
pub async fn without_owner(db: &Database) -> Result<Vec<(String, ObjectId)>, StoreError> {
    let rows: Vec<UnfinishedRecord> = db
        .collection::<UnfinishedRecord>(COLLECTION)
        .find(doc! { "user_id": null })
        .projection(doc! { "_id": 1, "usage_id": 1 })
        .await
        .context("reading idempotency records without an owner")?
        .try_collect()
        .await
        .context("reading idempotency records without an owner")?;
    Ok(rows.into_iter().map(|r| (r.id, r.usage_id)).collect())
}

/// Gives a record from before owners were kept its owner (a user then:
/// migration 15 moves it to the user's personal organization).
pub async fn set_owner(db: &Database, record_id: &str, owner: UserId) -> Result<(), StoreError> {
    records(db)
        .update_one(
            doc! { "_id": record_id },
            doc! { "$set": { "user_id": owner.to_string() } },
        )
        .await
        .context("giving an idempotency record its owner")?;
    Ok(())
}

/// Gives an unfinished record the outcome its request reached.
pub async fn settle(db: &Database, record_id: &str, outcome: &Outcome) -> Result<(), StoreError> {
    let outcome = bson::to_bson(outcome)
        .map_err(|e| StoreError::malformed("writing an idempotency outcome", e))?;
    records(db)
        .update_one(
            doc! { "_id": record_id },
            doc! { "$set": { "outcome": outcome }, "$unset": { "lease_until": "", "response": "" } },
        )
        .await
        .context("settling an idempotency record")?;
    Ok(())
}

/// Forgets a record whose request stored nothing: a retry starts afresh.
pub async fn forget(db: &Database, record_id: &str) -> Result<(), StoreError> {
    records(db)
        .delete_one(doc! { "_id": record_id })
        .await
        .context("forgetting an idempotency record")?;
    Ok(())
}

/// Deletes every record of the organization, in the transaction of `session` (an
/// erasure's): a key outlives nothing it wrote.
#[tracing::instrument(skip(db, session))]
pub async fn delete_of_org(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
) -> Result<u64, StoreError> {
    let deleted = records(db)
        .delete_many(doc! { "org_id": org_id.to_string() })
        .session(session)
        .await
        .context("deleting a user's idempotency records")?;
    Ok(deleted.deleted_count)
}

/// Records from before slim records: each keeps its owner and its usage
/// id, and loses its copy of the usage. Idempotent; how many it slimmed.
pub async fn slim_legacy(db: &Database) -> Result<u64, StoreError> {
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "outcome.kind": "created" },
        vec![doc! { "$set": {
            "user_id": "$outcome.usage.user_id",
            // A literal: an object here would merge into the old one.
            "outcome": { "$literal": { "kind": "recorded", "status": 201 } },
        } }],
        "slimming idempotency records",
    )
    .await
}

/// Records written before organizations are of the user's personal
/// organization (the user who made them stays in `user_id`). Idempotent.
pub async fn move_to_organizations(db: &Database) -> Result<u64, StoreError> {
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "org_id": { "$exists": false }, "user_id": { "$exists": true } },
        vec![doc! { "$set": { "org_id": "$user_id" } }],
        "moving idempotency records into their personal organizations",
    )
    .await
}
