//! Backfills in bounded batches: a migration over a large collection is
//! many short writes, and one cut short resumes where it stopped.

use futures_util::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::UpdateModifications;

use super::{Context, StoreError};

/// The most documents one step of a backfill updates.
pub const BACKFILL_BATCH: i64 = 1_000;

/// Applies `update` to the documents `filter` selects, at most
/// [`BACKFILL_BATCH`] at a time, until none is left; returns how many it
/// changed. `filter` must select only documents the update has not
/// reached yet (the old shape), so that a run cut short resumes where it
/// stopped and a second run finds nothing.
pub async fn update_in_batches(
    collection: &Collection<Document>,
    filter: Document,
    update: impl Into<UpdateModifications>,
    context: &'static str,
) -> Result<u64, StoreError> {
    let update: UpdateModifications = update.into();
    let mut changed = 0;
    loop {
        let ids: Vec<Bson> = collection
            .find(filter.clone())
            .projection(doc! { "_id": 1 })
            .limit(BACKFILL_BATCH)
            .await
            .context(context)?
            .try_filter_map(|d| async move { Ok(d.get("_id").cloned()) })
            .try_collect()
            .await
            .context(context)?;
        if ids.is_empty() {
            return Ok(changed);
        }
        let mut batch = filter.clone();
        batch.insert("_id", doc! { "$in": ids });
        let result = collection
            .update_many(batch, update.clone())
            .await
            .context(context)?;
        changed += result.modified_count;
        // An update that leaves its documents selected would loop forever.
        if result.modified_count == 0 {
            return Ok(changed);
        }
    }
}
