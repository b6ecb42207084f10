//! The `usage_types` collection.

use bson::doc;
use futures_util::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{ClientSession, Collection, Database, IndexModel};

use crate::domain::ids::UsageTypeId;
use crate::domain::usage_type::UsageType;
use common::db::{Context, StoreError};

pub const COLLECTION: &str = "usage_types";
/// The unique index on the type's id: a duplicate here is an id taken.
pub const ID_INDEX: &str = "id_unique";
/// Organizations' types get ids from here up (see [`allocate_org_ids`]);
/// the deployment's stay below.
pub const ORG_TYPE_IDS_FROM: i64 = 1_000_000_000;
const COUNTERS: &str = "counters";

/// Takes `n` ids for an organization's types, in the transaction of
/// `session` (two uploads conflict on the counter): the first of them.
pub async fn allocate_org_ids(
    db: &Database,
    session: &mut mongodb::ClientSession,
    n: u64,
) -> Result<i64, StoreError> {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let counter = db
        .collection::<bson::Document>(COUNTERS)
        .find_one_and_update(
            doc! { "_id": "org_type_ids" },
            doc! { "$inc": { "taken": n } },
        )
        .upsert(true)
        .return_document(mongodb::options::ReturnDocument::After)
        .session(session)
        .await
        .context("taking type ids")?;
    let taken = counter.and_then(|c| c.get_i64("taken").ok()).unwrap_or(n);
    Ok(ORG_TYPE_IDS_FROM + taken - n)
}

pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (
        vec![
            IndexModel::builder()
                .keys(doc! { "id": 1 })
                .options(
                    IndexOptions::builder()
                        .unique(true)
                        .name(ID_INDEX.to_owned())
                        .build(),
                )
                .build(),
        ],
        &[],
    )
}

fn types(db: &Database) -> Collection<UsageType> {
    db.collection(COLLECTION)
}

/// Every type, by id (the set is small and read-mostly; see `type_cache`).
#[tracing::instrument(skip(db))]
pub async fn all(db: &Database) -> Result<Vec<UsageType>, StoreError> {
    types(db)
        .find(doc! {})
        .projection(doc! { "_id": 0 })
        .sort(doc! { "id": 1 })
        .await
        .context("listing usage types")?
        .try_collect()
        .await
        .context("reading usage types")
}

#[tracing::instrument(skip(db))]
pub async fn find(db: &Database, id: UsageTypeId) -> Result<Option<UsageType>, StoreError> {
    types(db)
        .find_one(doc! { "id": id })
        .projection(doc! { "_id": 0 })
        .await
        .context("reading a usage type")
}

/// The types among `ids` that exist, in one query.
#[tracing::instrument(skip_all, fields(ids = ids.len()))]
pub async fn find_many(db: &Database, ids: &[UsageTypeId]) -> Result<Vec<UsageType>, StoreError> {
    let ids: Vec<i64> = ids.iter().map(|id| id.get()).collect();
    types(db)
        .find(doc! { "id": { "$in": ids } })
        .projection(doc! { "_id": 0 })
        .await
        .context("looking up usage types")?
        .try_collect()
        .await
        .context("reading usage types")
}

/// Inserts; a taken id is `StoreError::Duplicate` on [`ID_INDEX`].
#[tracing::instrument(skip_all, fields(type_id = %usage_type.id))]
pub async fn insert(
    db: &Database,
    session: &mut ClientSession,
    usage_type: &UsageType,
) -> Result<(), StoreError> {
    types(db)
        .insert_one(usage_type)
        .session(session)
        .await
        .context("inserting a usage type")
        .map(|_| ())
}

/// The update that makes a stored type equal to `usage_type`: `$set` of its
/// fields, `$unset` of the optional ones it lacks. (Not a replacement: an
/// update that changes nothing then reports nothing modified.)
fn replacement(usage_type: &UsageType) -> Result<bson::Document, StoreError> {
    let mut set = bson::to_document(usage_type)
        .map_err(|e| StoreError::malformed("writing a usage type", e))?;
    set.remove("id");
    let mut update = doc! { "$set": set.clone() };
    let absent: bson::Document = ["source", "source_year", "region"]
        .into_iter()
        .filter(|field| !set.contains_key(*field))
        .map(|field| (field.to_owned(), bson::Bson::String(String::new())))
        .collect();
    if !absent.is_empty() {
        update.insert("$unset", absent);
    }
    Ok(update)
}

/// Replaces every field of the type with this id (an optional one left out
/// is removed); `None` when there is no such type.
#[tracing::instrument(skip_all, fields(type_id = %usage_type.id))]
pub async fn update(
    db: &Database,
    session: &mut ClientSession,
    usage_type: &UsageType,
) -> Result<Option<UsageType>, StoreError> {
    types(db)
        .find_one_and_update(doc! { "id": usage_type.id }, replacement(usage_type)?)
        .projection(doc! { "_id": 0 })
        .return_document(ReturnDocument::After)
        .session(session)
        .await
        .context("replacing a usage type")
}

#[tracing::instrument(skip(db))]
pub async fn delete(db: &Database, id: UsageTypeId) -> Result<bool, StoreError> {
    let deleted = types(db)
        .delete_one(doc! { "id": id })
        .await
        .context("deleting a usage type")?;
    Ok(deleted.deleted_count == 1)
}

/// What an upsert did.
#[derive(Debug, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
}

/// Inserts the type unless one with its id exists (which is left as it
/// is); `true` when inserted. One atomic upsert.
pub async fn insert_if_absent(db: &Database, usage_type: &UsageType) -> Result<bool, StoreError> {
    let mut fields = bson::to_document(usage_type)
        .map_err(|e| StoreError::malformed("writing a usage type", e))?;
    fields.remove("id");
    let result = types(db)
        .update_one(
            doc! { "id": usage_type.id },
            doc! { "$setOnInsert": fields },
        )
        .upsert(true)
        .await
        .context("inserting a usage type if absent")?;
    Ok(result.upserted_id.is_some())
}

/// Inserts or updates by id (the seed command with `--force`), in one
/// atomic upsert.
pub async fn upsert(db: &Database, usage_type: &UsageType) -> Result<Upserted, StoreError> {
    let result = types(db)
        .update_one(doc! { "id": usage_type.id }, replacement(usage_type)?)
        .upsert(true)
        .await
        .context("upserting a usage type")?;
    Ok(if result.upserted_id.is_some() {
        Upserted::Created
    } else if result.modified_count > 0 {
        Upserted::Updated
    } else {
        Upserted::Unchanged
    })
}

/// Marks every type of the dataset retired, in the transaction of
/// `session` (with the dataset's own retirement).
pub async fn retire_dataset(
    db: &Database,
    session: &mut mongodb::ClientSession,
    dataset: &crate::domain::dataset::DatasetId,
) -> Result<u64, StoreError> {
    let result = types(db)
        .update_many(
            doc! { "dataset": dataset.as_str() },
            doc! { "$set": { "retired": true } },
        )
        .session(session)
        .await
        .context("retiring a dataset's types")?;
    Ok(result.modified_count)
}

/// Stores an uploaded dataset's types in the transaction of `session`; an
/// id that is taken is `StoreError::Duplicate`.
pub async fn insert_many(
    db: &Database,
    session: &mut mongodb::ClientSession,
    batch: &[UsageType],
) -> Result<(), StoreError> {
    if !batch.is_empty() {
        types(db)
            .insert_many(batch)
            .session(session)
            .await
            .context("storing a dataset's types")?;
    }
    Ok(())
}

/// Gives every type stored before datasets existed its dataset (the
/// examples' ids to `example`, the rest to `custom`), a category, and its
/// CO₂e factor as a CO₂e-only figure. Idempotent; returns how many.
pub async fn backfill_datasets(db: &Database, example_ids: &[i64]) -> Result<u64, StoreError> {
    let mut changed = 0;
    for (filter, dataset) in [
        (
            doc! { "dataset": { "$exists": false }, "id": { "$in": example_ids } },
            "example",
        ),
        (doc! { "dataset": { "$exists": false } }, "custom"),
    ] {
        changed += common::db::update_in_batches(
            &db.collection(COLLECTION),
            filter,
            vec![doc! { "$set": {
                "dataset": dataset,
                "category": { "$ifNull": ["$category", crate::domain::usage_type::UNCATEGORIZED] },
                "gases": { "other_co2e": "$factor" },
                "gwp_basis": "AR5",
                "illustrative": dataset == "example",
                "retired": false,
            } }],
            "giving usage types their dataset",
        )
        .await?;
    }
    Ok(changed)
}

/// Ids of stored types without a GHG scope (written before scopes existed).
pub async fn ids_without_scope(db: &Database) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<bson::Document> = db
        .collection::<bson::Document>(COLLECTION)
        .find(doc! { "scope": { "$exists": false } })
        .projection(doc! { "_id": 0, "id": 1 })
        .await
        .context("finding usage types without a scope")?
        .try_collect()
        .await
        .context("reading usage types without a scope")?;
    Ok(rows
        .iter()
        .filter_map(|row| match row.get("id") {
            Some(bson::Bson::Int64(id)) => Some(*id),
            Some(bson::Bson::Int32(id)) => Some(i64::from(*id)),
            _ => None,
        })
        .collect())
}

/// Sets the scope of a type that has none. Idempotent.
pub async fn set_scope_if_missing(db: &Database, id: i64, scope: i64) -> Result<bool, StoreError> {
    let updated = types(db)
        .update_one(
            doc! { "id": id, "scope": { "$exists": false } },
            doc! { "$set": { "scope": scope } },
        )
        .await
        .context("giving a usage type its scope")?;
    Ok(updated.modified_count == 1)
}

/// Marks the types of these (private) datasets private where a version
/// from before private datasets left them unmarked; how many it marked.
pub async fn backfill_private(db: &Database, datasets: &[&str]) -> Result<u64, StoreError> {
    if datasets.is_empty() {
        return Ok(0);
    }
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "dataset": { "$in": datasets }, "private": { "$ne": true } },
        doc! { "$set": { "private": true } },
        "marking private datasets' types",
    )
    .await
}

/// Each type's id and scope, read without the full type (migrations run on
/// documents of older shapes).
pub async fn scopes(db: &Database) -> Result<Vec<(UsageTypeId, i64)>, StoreError> {
    let rows: Vec<bson::Document> = db
        .collection::<bson::Document>(COLLECTION)
        .find(doc! { "scope": { "$exists": true } })
        .projection(doc! { "_id": 0, "id": 1, "scope": 1 })
        .await
        .context("reading the types' scopes")?
        .try_collect()
        .await
        .context("reading the types' scopes")?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            let number = |field| match row.get(field) {
                Some(bson::Bson::Int64(n)) => Some(*n),
                Some(bson::Bson::Int32(n)) => Some(i64::from(*n)),
                _ => None,
            };
            let id = UsageTypeId::parse("id", number("id")?).ok()?;
            Some((id, number("scope")?))
        })
        .collect())
}

/// Brings every type to the shape [`UsageType`] reads (the dataset flags
/// of types stored before them). Idempotent, in batches.
pub async fn backfill_shape(db: &Database) -> Result<u64, StoreError> {
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "$or": [
            { "illustrative": null },
            { "retired": null },
            { "private": null },
        ] },
        vec![doc! { "$set": {
            "illustrative": { "$ifNull": ["$illustrative", false] },
            "retired": { "$ifNull": ["$retired", false] },
            "private": { "$ifNull": ["$private", false] },
        } }],
        "bringing usage types to their current shape",
    )
    .await
}

/// Moves the CO₂ of the types `ids` of `dataset` to biogenic CO₂ (a
/// correction: their CO₂ is biogenic), taking it out of their CO₂e factor
/// (CO₂ weighs 1 in every GWP set). Idempotent, in batches.
pub async fn move_co2_to_biogenic(
    db: &Database,
    dataset: &str,
    ids: &[i64],
) -> Result<u64, StoreError> {
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "dataset": dataset, "id": { "$in": ids }, "gases.co2": { "$exists": true } },
        vec![doc! { "$set": {
            "gases.biogenic_co2": "$gases.co2",
            "factor": { "$subtract": ["$factor", "$gases.co2"] },
            "gases.co2": "$$REMOVE",
        } }],
        "making biofuel types' CO₂ biogenic",
    )
    .await
}

/// Types stored before category lists get theirs: their one category, or
/// none. Idempotent, in batches.
pub async fn backfill_scope3_categories(db: &Database) -> Result<u64, StoreError> {
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "scope3_categories": { "$exists": false } },
        vec![doc! { "$set": {
            "scope3_categories": { "$cond": [
                { "$eq": [{ "$ifNull": ["$scope3_category", null] }, null] }, [], ["$scope3_category"],
            ] },
        } }],
        "giving usage types their scope 3 categories",
    )
    .await
}

/// Sets the categories of the type `id` of `dataset` (a bundled type
/// re-tagged), where they differ; whether it changed.
pub async fn set_scope3_categories(
    db: &Database,
    dataset: &str,
    id: i64,
    categories: &[u8],
) -> Result<bool, StoreError> {
    let categories: Vec<i32> = categories.iter().map(|c| i32::from(*c)).collect();
    let updated = db
        .collection::<bson::Document>(COLLECTION)
        .update_one(
            doc! { "dataset": dataset, "id": id, "scope3_categories": { "$ne": &categories } },
            doc! { "$set": { "scope3_categories": &categories } },
        )
        .await
        .context("re-tagging a usage type's scope 3 categories")?;
    Ok(updated.modified_count == 1)
}

/// Deletes the types of the organization's own datasets, in the
/// transaction of `session` (an erasure's; usages keep their snapshots).
pub async fn delete_of_org(
    db: &Database,
    session: &mut mongodb::ClientSession,
    org_id: common::ids::OrgId,
) -> Result<u64, StoreError> {
    let deleted = types(db)
        .delete_many(doc! { "org_id": org_id })
        .session(session)
        .await
        .context("deleting an organization's types")?;
    Ok(deleted.deleted_count)
}
