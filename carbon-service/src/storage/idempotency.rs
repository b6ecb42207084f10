//! The `idempotency_keys` collection: which usage an `Idempotency-Key` of a
//! user created, and what the request did, to replay it.

use bson::doc;
use bson::oid::ObjectId;
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::ids::UsageId;
use crate::domain::usage::Usage;
use common::db::{Context, StoreError};
use common::ids::UserId;

pub const COLLECTION: &str = "idempotency_keys";
/// Keys are kept at least this long.
pub const RETENTION_SECONDS: i64 = 48 * 3600;
/// How long a request holds its key while it works. Another request with
/// the key meanwhile is told to retry (409); after this, a retry takes over
/// an attempt that must have died.
pub const LEASE_SECONDS: i64 = 60;
/// The TTL index that removes records once `expires_at` has passed.
pub const EXPIRY_INDEX: &str = "expires_at_ttl";

/// Expiry by TTL index: the server deletes a record in the first TTL pass
/// after its `expires_at` (MongoDB runs one every 60 s).
pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (
        vec![common::db::ttl_index("expires_at", EXPIRY_INDEX)],
        // The purge task's index, before TTL took over.
        &["created_at_1"],
    )
}

/// Records written before `expires_at` existed get one, so the TTL index
/// covers them too. Idempotent.
pub async fn backfill_expiry(db: &Database) -> Result<u64, StoreError> {
    let expires_at = bson::DateTime::from_millis(
        bson::DateTime::now().timestamp_millis() + RETENTION_SECONDS * 1000,
    );
    let updated = records(db)
        .update_many(
            doc! { "expires_at": { "$exists": false } },
            doc! { "$set": { "expires_at": expires_at } },
        )
        .await
        .context("giving idempotency records an expiry")?;
    Ok(updated.modified_count)
}

/// What the request with a key did, kept to answer its retries.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// It recorded this usage (as it was then).
    Created { usage: Box<Usage> },
    /// It imported this many usages.
    Imported { imported: u64 },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// SHA-256 of user id and key: one user's key never matches another's.
    #[serde(rename = "_id")]
    pub id: String,
    /// SHA-256 of the request, to tell a retry from a different request.
    pub fingerprint: String,
    /// Decided when the key is first seen, so every retry targets one usage
    /// (an import's rows carry it as their `import_id`).
    pub usage_id: ObjectId,
    /// What the request did, once it is done.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// The 201 body records written before `outcome` existed kept instead
    /// (read, never written; such records expire within 48 hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    /// Until when the request working on the key holds it.
    #[serde(default)]
    pub lease_until: Option<bson::DateTime>,
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

/// What a request finds for its key.
#[derive(Debug)]
pub enum Claim {
    /// This request holds the key: it is new, or it takes over from an
    /// attempt whose lease ran out (it crashed). Work, then [`complete`].
    Held(IdempotencyRecord),
    /// The key's request was answered: replay the record's response.
    Answered(IdempotencyRecord),
    /// Another request with this key is still working on it.
    InProgress { retry_after_seconds: u64 },
    /// The key was used with a different request.
    Mismatch,
}

fn seconds_from_now(seconds: i64) -> bson::DateTime {
    bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() + seconds * 1000)
}

/// Claims this user's key for a request with `fingerprint`.
#[tracing::instrument(skip(db, key, fingerprint))]
pub async fn claim(
    db: &Database,
    user_id: UserId,
    key: &str,
    fingerprint: &str,
) -> Result<Claim, StoreError> {
    let now = bson::DateTime::now();
    let record = IdempotencyRecord {
        id: sha256_hex(&[user_id.to_string().as_bytes(), key.as_bytes()]),
        fingerprint: fingerprint.to_owned(),
        usage_id: UsageId::new().object_id(),
        outcome: None,
        response: None,
        lease_until: Some(seconds_from_now(LEASE_SECONDS)),
        created_at: now,
        expires_at: seconds_from_now(RETENTION_SECONDS),
    };
    match records(db)
        .insert_one(&record)
        .await
        .context("claiming an idempotency key")
    {
        Ok(_) => return Ok(Claim::Held(record)),
        Err(e) if e.is_duplicate() => {}
        Err(e) => return Err(e),
    }
    let Some(existing) = records(db)
        .find_one(doc! { "_id": &record.id })
        .await
        .context("reading an idempotency record")?
    else {
        // It expired between the insert and the read: claim it afresh.
        return Box::pin(claim(db, user_id, key, fingerprint)).await;
    };
    if existing.fingerprint != fingerprint {
        return Ok(Claim::Mismatch);
    }
    if existing.outcome.is_some() || existing.response.is_some() {
        return Ok(Claim::Answered(existing));
    }
    // Take over an attempt whose lease has run out; only one retry can.
    let taken = records(db)
        .find_one_and_update(
            doc! {
                "_id": &record.id,
                "outcome": null,
                "response": null,
                "$or": [
                    { "lease_until": null },
                    { "lease_until": { "$lte": now } },
                ],
            },
            doc! { "$set": { "lease_until": seconds_from_now(LEASE_SECONDS) } },
        )
        .return_document(mongodb::options::ReturnDocument::After)
        .await
        .context("taking over an idempotency key")?;
    Ok(match taken {
        Some(record) => Claim::Held(record),
        None => {
            let left_ms = existing
                .lease_until
                .map(|until| until.timestamp_millis() - now.timestamp_millis())
                .unwrap_or(0);
            Claim::InProgress {
                retry_after_seconds: u64::try_from((left_ms + 999) / 1000).unwrap_or(1).max(1),
            }
        }
    })
}

/// Stores what the request did, unless an outcome is stored already.
#[tracing::instrument(skip_all)]
pub async fn complete(db: &Database, record_id: &str, outcome: &Outcome) -> Result<(), StoreError> {
    let outcome = bson::to_bson(outcome)
        .map_err(|e| StoreError::malformed("writing an idempotency outcome", e))?;
    records(db)
        .update_one(
            doc! { "_id": record_id, "outcome": null, "response": null },
            doc! { "$set": { "outcome": outcome } },
        )
        .await
        .context("completing an idempotency record")?;
    Ok(())
}
