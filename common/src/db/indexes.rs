//! Indexes: created at every start (a no-op when they exist), obsolete ones
//! dropped, and TTL indexes for what expires.

use std::time::Duration;

use mongodb::error::{Error, ErrorKind};
use mongodb::{Database, IndexModel};

use super::DatabaseStartupError;

/// Creates `indexes` on `collection` (a no-op for those that exist with the
/// same definition) and drops the ones named in `obsolete`, which a newer
/// index has replaced. Safe to run at every start and from several
/// instances at once.
pub async fn ensure_indexes(
    database: &Database,
    collection: &str,
    indexes: Vec<IndexModel>,
    obsolete: &[&str],
) -> Result<(), DatabaseStartupError> {
    let failed = |e: Error| DatabaseStartupError::Index {
        collection: collection.to_owned(),
        source: Box::new(e),
    };
    let coll = database.collection::<mongodb::bson::Document>(collection);
    if !obsolete.is_empty() {
        // A collection that does not exist yet has no indexes to drop.
        let existing = coll.list_index_names().await.unwrap_or_default();
        for name in obsolete.iter().filter(|n| existing.iter().any(|e| e == *n)) {
            match coll.drop_index(*name).await {
                Ok(()) => tracing::info!(collection, index = name, "dropped an obsolete index"),
                // Another instance dropped it first.
                Err(e) if is_index_not_found(&e) => {}
                Err(e) => return Err(failed(e)),
            }
        }
    }
    if !indexes.is_empty() {
        coll.create_indexes(indexes).await.map_err(failed)?;
    }
    Ok(())
}

/// A TTL index on `field` (a date): the server deletes each document in its
/// first TTL pass after that date.
pub fn ttl_index(field: &str, name: &str) -> IndexModel {
    IndexModel::builder()
        .keys(mongodb::bson::doc! { field: 1 })
        .options(
            mongodb::options::IndexOptions::builder()
                .name(name.to_owned())
                .expire_after(Duration::ZERO)
                .build(),
        )
        .build()
}

/// `IndexNotFound` (27).
fn is_index_not_found(err: &Error) -> bool {
    matches!(err.kind.as_ref(), ErrorKind::Command(e) if e.code == 27)
}
