//! The `schema` collection: one document per service saying which numbered migrations
//! the database has been through, and which instance holds the lease to
//! run the next ones.

use bson::{DateTime, doc};
use mongodb::Database;
use mongodb::options::ReturnDocument;

use crate::db::{Context, StoreError};

pub const COLLECTION: &str = "schema";

/// The schema version: the last migration applied (0: none).
pub async fn version(db: &Database, id: &str) -> Result<u32, StoreError> {
    let found = db
        .collection::<bson::Document>(COLLECTION)
        .find_one(doc! { "_id": id })
        .await
        .context("reading the schema version")?;
    Ok(found
        .and_then(|d| d.get_i64("version").ok())
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(0))
}

/// Takes the lease to migrate for `owner` until `until`, unless another
/// instance holds one that has not expired: `false` then.
pub async fn take_lease(
    db: &Database,
    id: &str,
    owner: &str,
    until: DateTime,
) -> Result<bool, StoreError> {
    let now = DateTime::now();
    let taken = db
        .collection::<bson::Document>(COLLECTION)
        .find_one_and_update(
            doc! { "_id": id, "$or": [
                { "lease_until": { "$exists": false } },
                { "lease_until": { "$lt": now } },
                { "lease_owner": owner },
            ] },
            doc! { "$set": { "lease_owner": owner, "lease_until": until } },
        )
        .upsert(true)
        .return_document(ReturnDocument::After)
        .await;
    match taken {
        Ok(found) => Ok(found.is_some()),
        // The document exists and another instance's lease is live: the
        // upsert's insert collided with it.
        Err(e) => {
            let error = StoreError::from_driver("taking the migration lease", e);
            if error.is_duplicate_on(crate::db::PRIMARY_KEY) {
                Ok(false)
            } else {
                Err(error)
            }
        }
    }
}

/// Records migration `version` (`name`) as applied, and extends the lease;
/// `false` when `owner` no longer holds it.
pub async fn record(
    db: &Database,
    id: &str,
    owner: &str,
    version: u32,
    name: &str,
    until: DateTime,
) -> Result<bool, StoreError> {
    let result = db
        .collection::<bson::Document>(COLLECTION)
        .update_one(
            doc! { "_id": id, "lease_owner": owner },
            doc! {
                "$set": { "version": i64::from(version), "lease_until": until },
                "$push": { "applied": { "version": i64::from(version), "name": name, "at": DateTime::now() } },
            },
        )
        .await
        .context("recording a migration")?;
    Ok(result.matched_count == 1)
}

/// Gives the lease back.
pub async fn release(db: &Database, id: &str, owner: &str) -> Result<(), StoreError> {
    db.collection::<bson::Document>(COLLECTION)
        .update_one(
            doc! { "_id": id, "lease_owner": owner },
            doc! { "$unset": { "lease_owner": "", "lease_until": "" } },
        )
        .await
        .context("releasing the migration lease")?;
    Ok(())
}
