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

/// Every field but the id, as a `$set`.
fn fields(usage_type: &UsageType) -> Result<bson::Document, ApiError> {
    let mut set = bson::to_document(usage_type).map_err(ApiError::internal)?;
    set.remove("id");
    Ok(set)
}

/// Replaces every field but the id; `None` when there is no such type.
pub async fn update(db: &Database, usage_type: &UsageType) -> Result<Option<UsageType>, ApiError> {
    Ok(types(db)
        .find_one_and_update(
            doc! { "id": usage_type.id },
            doc! { "$set": fields(usage_type)? },
        )
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

/// Inserts or updates by id (the seed command), in one atomic upsert.
pub async fn upsert(db: &Database, usage_type: &UsageType) -> Result<Upserted, ApiError> {
    let result = types(db)
        .update_one(
            doc! { "id": usage_type.id },
            doc! { "$set": fields(usage_type)? },
        )
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
