//! Once-only claims: the atomic step behind refresh-token rotation and
//! single-use reset and verification tokens.
//!
//! An insert on a unique `_id` is atomic on every server, so of concurrent
//! claimants exactly one succeeds. A conditional `findOneAndUpdate`
//! (`{used: false}` → `{used: true}`) is atomic on MongoDB but not on
//! FerretDB 1.24, where concurrent callers can all match.

use bson::doc;
use mongodb::Database;

use common::error::ApiError;

pub const COLLECTION: &str = "token_claims";

/// Whether `key` has been claimed.
pub async fn is_claimed(db: &Database, key: &str) -> Result<bool, ApiError> {
    let claims = db.collection::<bson::Document>(COLLECTION);
    Ok(claims.find_one(doc! { "_id": key }).await?.is_some())
}

/// `true` for the first caller with `key`, `false` for every later one.
pub async fn claim_once(db: &Database, key: &str) -> Result<bool, ApiError> {
    let claims = db.collection::<bson::Document>(COLLECTION);
    match claims
        .insert_one(doc! { "_id": key, "claimed_at": bson::DateTime::now() })
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if common::db::is_duplicate_key(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
