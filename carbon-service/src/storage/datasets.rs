//! The `datasets` collection: where usage types' factors come from.

use bson::doc;
use futures_util::TryStreamExt;
use mongodb::{ClientSession, Collection, Database};

use crate::domain::dataset::{Dataset, DatasetId};
use common::db::{Context, StoreError};

pub const COLLECTION: &str = "datasets";

fn datasets(db: &Database) -> Collection<Dataset> {
    db.collection(COLLECTION)
}

/// Every dataset, by id.
pub async fn all(db: &Database) -> Result<Vec<Dataset>, StoreError> {
    datasets(db)
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .await
        .context("listing datasets")?
        .try_collect()
        .await
        .context("reading datasets")
}

pub async fn find(db: &Database, id: &DatasetId) -> Result<Option<Dataset>, StoreError> {
    datasets(db)
        .find_one(doc! { "_id": id.as_str() })
        .await
        .context("reading a dataset")
}

/// Inserts the dataset unless one with its id exists; `true` when inserted.
pub async fn insert_if_absent(db: &Database, dataset: &Dataset) -> Result<bool, StoreError> {
    let mut fields =
        bson::to_document(dataset).map_err(|e| StoreError::malformed("writing a dataset", e))?;
    fields.remove("_id");
    let result = datasets(db)
        .update_one(
            doc! { "_id": dataset.id.as_str() },
            doc! { "$setOnInsert": fields },
        )
        .upsert(true)
        .await
        .context("inserting a dataset if absent")?;
    Ok(result.upserted_id.is_some())
}

/// Inserts or replaces the dataset (a forced seed); its retirement stays.
pub async fn upsert(db: &Database, dataset: &Dataset) -> Result<(), StoreError> {
    let mut fields =
        bson::to_document(dataset).map_err(|e| StoreError::malformed("writing a dataset", e))?;
    fields.remove("_id");
    fields.remove("retired");
    datasets(db)
        .update_one(
            doc! { "_id": dataset.id.as_str() },
            doc! { "$set": fields, "$setOnInsert": { "retired": false } },
        )
        .upsert(true)
        .await
        .context("upserting a dataset")?;
    Ok(())
}

/// Stores a new dataset in the transaction of `session` (an upload); a
/// taken id is `StoreError::Duplicate`.
pub async fn insert(
    db: &Database,
    session: &mut ClientSession,
    dataset: &Dataset,
) -> Result<(), StoreError> {
    datasets(db)
        .insert_one(dataset)
        .session(session)
        .await
        .context("storing a dataset")?;
    Ok(())
}

/// The dataset, written in the transaction of `session` (a counter of
/// type writes), so that a type write and a retirement of the dataset
/// conflict instead of both committing; `None` when there is no such
/// dataset. A caller that refuses the write aborts, and the count with it.
pub async fn claim_for_type_write(
    db: &Database,
    session: &mut ClientSession,
    id: &DatasetId,
) -> Result<Option<Dataset>, StoreError> {
    datasets(db)
        .find_one_and_update(
            doc! { "_id": id.as_str() },
            doc! { "$inc": { "type_writes": 1_i64 } },
        )
        .session(session)
        .await
        .context("claiming a dataset for a type write")
}

/// Marks the dataset retired in the transaction of `session`; `false` when
/// there is no such dataset.
pub async fn retire(
    db: &Database,
    session: &mut ClientSession,
    id: &DatasetId,
) -> Result<bool, StoreError> {
    let result = datasets(db)
        .update_one(
            doc! { "_id": id.as_str() },
            doc! { "$set": { "retired": true } },
        )
        .session(session)
        .await
        .context("retiring a dataset")?;
    Ok(result.matched_count == 1)
}

/// Brings every dataset to the shape [`Dataset`] reads (notes and flags of
/// datasets stored before them). Idempotent, in batches.
pub async fn backfill_shape(db: &Database) -> Result<u64, StoreError> {
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "$or": [
            { "notes": null },
            { "illustrative": null },
            { "retired": null },
            { "private": null },
        ] },
        vec![doc! { "$set": {
            "notes": { "$ifNull": ["$notes", []] },
            "illustrative": { "$ifNull": ["$illustrative", false] },
            "retired": { "$ifNull": ["$retired", false] },
            "private": { "$ifNull": ["$private", false] },
        } }],
        "bringing datasets to their current shape",
    )
    .await
}

/// The ids of the private datasets, read without the full dataset
/// (migrations run on documents of older shapes).
pub async fn private_ids(db: &Database) -> Result<Vec<String>, StoreError> {
    let rows: Vec<bson::Document> = db
        .collection::<bson::Document>(COLLECTION)
        .find(doc! { "private": true })
        .projection(doc! { "_id": 1 })
        .await
        .context("reading the private datasets")?
        .try_collect()
        .await
        .context("reading the private datasets")?;
    Ok(rows
        .iter()
        .filter_map(|row| row.get_str("_id").ok().map(str::to_owned))
        .collect())
}

/// Deletes every dataset of the organization's own, in the transaction of
/// `session` (an erasure's).
pub async fn delete_of_org(
    db: &Database,
    session: &mut mongodb::ClientSession,
    org_id: common::ids::OrgId,
) -> Result<u64, StoreError> {
    let deleted = db
        .collection::<bson::Document>(COLLECTION)
        .delete_many(doc! { "org_id": org_id })
        .session(session)
        .await
        .context("deleting an organization's datasets")?;
    Ok(deleted.deleted_count)
}
