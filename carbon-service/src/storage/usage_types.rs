//! The `usage_types` collection.

use bson::doc;
use futures_util::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};

use crate::domain::usage_type::UsageType;
use common::error::ApiError;

pub const COLLECTION: &str = "usage_types";

pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (
        vec![
            IndexModel::builder()
                .keys(doc! { "id": 1 })
                .options(
                    IndexOptions::builder()
                        .unique(true)
                        .name("id_unique".to_owned())
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
pub async fn all(db: &Database) -> Result<Vec<UsageType>, ApiError> {
    Ok(types(db)
        .find(doc! {})
        .projection(doc! { "_id": 0 })
        .sort(doc! { "id": 1 })
        .await?
        .try_collect()
        .await?)
}

pub async fn find(db: &Database, id: i64) -> Result<Option<UsageType>, ApiError> {
    Ok(types(db)
        .find_one(doc! { "id": id })
        .projection(doc! { "_id": 0 })
        .await?)
}

/// The types among `ids` that exist, in one query.
pub async fn find_many(db: &Database, ids: &[i64]) -> Result<Vec<UsageType>, ApiError> {
    Ok(types(db)
        .find(doc! { "id": { "$in": ids } })
        .projection(doc! { "_id": 0 })
        .await?
        .try_collect()
        .await?)
}

pub async fn insert(db: &Database, usage_type: &UsageType) -> Result<(), ApiError> {
    types(db)
        .insert_one(usage_type)
        .await
        .map(|_| ())
        .map_err(|e| {
            if common::db::is_duplicate_key(&e) {
                ApiError::Conflict(format!(
                    "A usage type with id {} already exists.",
                    usage_type.id
                ))
            } else {
                e.into()
            }
        })
}

/// The update that makes a stored type equal to `usage_type`: `$set` of its
/// fields, `$unset` of the optional ones it lacks. (Not a replacement: an
/// update that changes nothing then reports nothing modified.)
fn replacement(usage_type: &UsageType) -> Result<bson::Document, ApiError> {
    let mut set = bson::to_document(usage_type).map_err(ApiError::internal)?;
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
pub async fn update(db: &Database, usage_type: &UsageType) -> Result<Option<UsageType>, ApiError> {
    Ok(types(db)
        .find_one_and_update(doc! { "id": usage_type.id }, replacement(usage_type)?)
        .projection(doc! { "_id": 0 })
        .return_document(ReturnDocument::After)
        .await?)
}

pub async fn delete(db: &Database, id: i64) -> Result<bool, ApiError> {
    Ok(types(db).delete_one(doc! { "id": id }).await?.deleted_count == 1)
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
pub async fn insert_if_absent(db: &Database, usage_type: &UsageType) -> Result<bool, ApiError> {
    let mut fields = bson::to_document(usage_type).map_err(ApiError::internal)?;
    fields.remove("id");
    let result = types(db)
        .update_one(
            doc! { "id": usage_type.id },
            doc! { "$setOnInsert": fields },
        )
        .upsert(true)
        .await?;
    Ok(result.upserted_id.is_some())
}

/// Inserts or updates by id (the seed command with `--force`), in one
/// atomic upsert.
pub async fn upsert(db: &Database, usage_type: &UsageType) -> Result<Upserted, ApiError> {
    let result = types(db)
        .update_one(doc! { "id": usage_type.id }, replacement(usage_type)?)
        .upsert(true)
        .await?;
    Ok(if result.upserted_id.is_some() {
        Upserted::Created
    } else if result.modified_count > 0 {
        Upserted::Updated
    } else {
        Upserted::Unchanged
    })
}

/// Ids of stored types without a GHG scope (written before scopes existed).
pub async fn ids_without_scope(db: &Database) -> Result<Vec<i64>, ApiError> {
    let rows: Vec<bson::Document> = db
        .collection::<bson::Document>(COLLECTION)
        .find(doc! { "scope": { "$exists": false } })
        .projection(doc! { "_id": 0, "id": 1 })
        .await?
        .try_collect()
        .await?;
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
pub async fn set_scope_if_missing(db: &Database, id: i64, scope: i64) -> Result<bool, ApiError> {
    Ok(types(db)
        .update_one(
            doc! { "id": id, "scope": { "$exists": false } },
            doc! { "$set": { "scope": scope } },
        )
        .await?
        .modified_count
        == 1)
}
