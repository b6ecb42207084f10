//! The `bootstrap` collection: a record that the start-up superuser
//! bootstrap has run on this database, so it runs once.

use bson::doc;
use mongodb::Database;

use common::db::{Context, StoreError};

pub const COLLECTION: &str = "bootstrap";
const SUPERUSER: &str = "superuser";

pub async fn has_run(db: &Database) -> Result<bool, StoreError> {
    Ok(db
        .collection::<bson::Document>(COLLECTION)
        .find_one(doc! { "_id": SUPERUSER })
        .await
        .context("bootstrap::has_run")?
        .is_some())
}

/// Records the run (idempotent: two instances may both record it).
pub async fn record_run(db: &Database, email: &str) -> Result<(), StoreError> {
    db.collection::<bson::Document>(COLLECTION)
        .update_one(
            doc! { "_id": SUPERUSER },
            doc! { "$setOnInsert": { "email": email, "ran_at": bson::DateTime::now() } },
        )
        .upsert(true)
        .await
        .context("bootstrap::record_run")?;
    Ok(())
}
