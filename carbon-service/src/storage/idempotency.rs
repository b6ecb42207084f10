//! The `idempotency_keys` collection: which usage an `Idempotency-Key` of a
//! user created, and the 201 body it answered.

use bson::doc;
use bson::oid::ObjectId;
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use common::error::ApiError;

pub const COLLECTION: &str = "idempotency_keys";
/// Keys are kept at least this long.
pub const RETENTION_SECONDS: i64 = 48 * 3600;
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
pub async fn backfill_expiry(db: &Database) -> Result<u64, ApiError> {
    let expires_at = bson::DateTime::from_millis(
        bson::DateTime::now().timestamp_millis() + RETENTION_SECONDS * 1000,
    );
    Ok(records(db)
        .update_many(
            doc! { "expires_at": { "$exists": false } },
            doc! { "$set": { "expires_at": expires_at } },
        )
        .await?
        .modified_count)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// SHA-256 of user id and key: one user's key never matches another's.
    #[serde(rename = "_id")]
    pub id: String,
    /// SHA-256 of the request, to tell a retry from a different request.
    pub fingerprint: String,
    /// Decided when the key is first seen, so every retry targets one usage.
    pub usage_id: ObjectId,
    /// The 201 body, once answered.
    pub response: Option<String>,
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

/// The record for this user's key: the one just claimed, or the existing one.
pub async fn claim(
    db: &Database,
    user_id: &str,
    key: &str,
    fingerprint: &str,
) -> Result<IdempotencyRecord, ApiError> {
    let now = bson::DateTime::now();
    let record = IdempotencyRecord {
        id: sha256_hex(&[user_id.as_bytes(), key.as_bytes()]),
        fingerprint: fingerprint.to_owned(),
        usage_id: ObjectId::new(),
        response: None,
        created_at: now,
        expires_at: bson::DateTime::from_millis(now.timestamp_millis() + RETENTION_SECONDS * 1000),
    };
    match records(db).insert_one(&record).await {
        Ok(_) => Ok(record),
        Err(e) if common::db::is_duplicate_key(&e) => records(db)
            .find_one(doc! { "_id": &record.id })
            .await?
            .ok_or_else(|| {
                ApiError::internal("idempotency record vanished after a duplicate-key error")
            }),
        Err(e) => Err(e.into()),
    }
}

/// Stores the answer, unless one is stored already.
pub async fn complete(db: &Database, record_id: &str, response: &str) -> Result<(), ApiError> {
    records(db)
        .update_one(
            doc! { "_id": record_id, "response": null },
            doc! { "$set": { "response": response } },
        )
        .await?;
    Ok(())
}
