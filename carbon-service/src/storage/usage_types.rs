//! The `usage_types` collection.

use bson::doc;
use futures_util::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};

use crate::domain::usage_type::UsageType;
use common::error::ApiError;

pub const COLLECTION: &str = "usage_types";

pub fn indexes() -> Vec<IndexModel> {
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
    ]
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

/// Replaces name, unit and factor; `None` when there is no such type.
pub async fn update(db: &Database, usage_type: &UsageType) -> Result<Option<UsageType>, ApiError> {
    // No projection: FerretDB 1.24's findAndModify does not support one
    // (and serde ignores `_id` anyway).
    Ok(types(db)
        .find_one_and_update(
            doc! { "id": usage_type.id },
            doc! { "$set": { "name": &usage_type.name, "unit": &usage_type.unit, "factor": usage_type.factor } },
        )
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

/// Inserts or updates by id (the seed command). Compares first, since
/// servers differ in what they count as modified.
pub async fn upsert(db: &Database, usage_type: &UsageType) -> Result<Upserted, ApiError> {
    match find(db, usage_type.id).await? {
        Some(existing) if existing == *usage_type => Ok(Upserted::Unchanged),
        Some(_) => {
            update(db, usage_type).await?;
            Ok(Upserted::Updated)
        }
        None => match insert(db, usage_type).await {
            Ok(()) => Ok(Upserted::Created),
            // Seeded concurrently by another process: make ours win.
            Err(ApiError::Conflict(_)) => update(db, usage_type).await.map(|_| Upserted::Updated),
            Err(e) => Err(e),
        },
    }
}
