//! Once-only claims: the atomic step behind refresh-token rotation, single-use
//! reset and verification tokens, and revoked-family markers.
//!
//! Each claim is written in the transaction of the flow it decides (a
//! rotation with its successor token). An insert on a unique `_id`
//! succeeds for exactly one of concurrent claimants, and a later reader sees the claim whatever state the token's
//! own document is in. Each claim expires (TTL index) once the thing it
//! guards has expired anyway.

use bson::doc;
use mongodb::{ClientSession, Database, IndexModel};

use common::db::{Context, StoreError};

pub const COLLECTION: &str = "token_claims";
pub const EXPIRY_INDEX: &str = "expires_at_ttl";

pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (vec![common::db::ttl_index("expires_at", EXPIRY_INDEX)], &[])
}

/// Whether `key` has been claimed.
pub async fn is_claimed(
    db: &Database,
    session: &mut ClientSession,
    key: &str,
) -> Result<bool, StoreError> {
    let claims = db.collection::<bson::Document>(COLLECTION);
    Ok(claims
        .find_one(doc! { "_id": key })
        .session(&mut *session)
        .await
        .context("claims::is_claimed")?
        .is_some())
}

/// `true` for the first caller with `key`, `false` for every later one. The
/// claim is kept until `expires_at`. In a transaction: the claim is looked
/// for in its snapshot first (a write error would abort the transaction),
/// and a concurrent claimant makes the insert a write conflict, which runs
/// the transaction again to find the claim.
pub async fn claim_once(
    db: &Database,
    session: &mut ClientSession,
    key: &str,
    expires_at: bson::DateTime,
) -> Result<bool, StoreError> {
    if is_claimed(db, session, key).await? {
        return Ok(false);
    }
    let claims = db.collection::<bson::Document>(COLLECTION);
    match claims
        .insert_one(doc! {
            "_id": key,
            "claimed_at": bson::DateTime::now(),
            "expires_at": expires_at,
        })
        .session(&mut *session)
        .await
        .context("claims::claim_once")
    {
        Ok(_) => Ok(true),
        Err(e) if e.is_duplicate() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Claims written before `expires_at` existed get one a day from now, so the
/// TTL index covers them too (what they guard expires sooner). Idempotent.
pub async fn backfill_expiry(db: &Database) -> Result<u64, StoreError> {
    let in_a_day =
        bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() + 86_400_000);
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "expires_at": { "$exists": false } },
        doc! { "$set": { "expires_at": in_a_day } },
        "giving claims an expiry",
    )
    .await
}
