//! The `usages` collection. Every query is scoped by `user_id`: a user's
//! usages are invisible to everyone else, and a foreign id is simply absent.

use std::future::IntoFuture;

use bson::oid::ObjectId;
use bson::{Document, doc};
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::options::ReturnDocument;
use mongodb::{Collection, Database, IndexModel};

use crate::domain::usage::Usage;
use common::error::ApiError;

pub const COLLECTION: &str = "usages";

pub fn indexes() -> Vec<IndexModel> {
    vec![
        IndexModel::builder()
            .keys(doc! { "user_id": 1, "usage_at": -1 })
            .build(),
        // Deleting a type checks for references.
        IndexModel::builder()
            .keys(doc! { "usage_type_id": 1 })
            .build(),
    ]
}

fn usages(db: &Database) -> Collection<Usage> {
    db.collection(COLLECTION)
}

/// `Ok(false)` when a usage with this id exists already (an idempotent retry).
pub async fn insert(db: &Database, usage: &Usage) -> Result<bool, ApiError> {
    match usages(db).insert_one(usage).await {
        Ok(_) => Ok(true),
        Err(e) if common::db::is_duplicate_key(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

pub async fn find(db: &Database, user_id: &str, id: ObjectId) -> Result<Option<Usage>, ApiError> {
    Ok(usages(db)
        .find_one(doc! { "_id": id, "user_id": user_id })
        .await?)
}

/// Which of a user's usages to list or sum.
#[derive(Debug, Default, Clone)]
pub struct UsageFilter {
    pub usage_type_id: Option<i64>,
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
}

impl UsageFilter {
    fn to_document(&self, user_id: &str) -> Document {
        let mut filter = doc! { "user_id": user_id };
        if let Some(type_id) = self.usage_type_id {
            filter.insert("usage_type_id", type_id);
        }
        let mut window = Document::new();
        if let Some(from) = self.from {
            window.insert("$gte", bson::DateTime::from_chrono(from));
        }
        if let Some(to) = self.to {
            window.insert("$lt", bson::DateTime::from_chrono(to));
        }
        if !window.is_empty() {
            filter.insert("usage_at", window);
        }
        filter
    }
}

/// A page, newest `usage_at` first, and the unpaged total.
pub async fn list(
    db: &Database,
    user_id: &str,
    filter: &UsageFilter,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Usage>, u64), ApiError> {
    let query = filter.to_document(user_id);
    let page = async {
        usages(db)
            .find(query.clone())
            .sort(doc! { "usage_at": -1, "_id": -1 })
            .skip(offset)
            .limit(i64::from(limit))
            .await?
            .try_collect::<Vec<Usage>>()
            .await
    };
    // Concurrently: on a server that scans, the two cost the same.
    let (page, total) = futures_util::future::try_join(
        page,
        usages(db).count_documents(query.clone()).into_future(),
    )
    .await?;
    Ok((page, total))
}

/// Applies `$set` to the caller's usage; `None` when it is not theirs or gone.
pub async fn update(
    db: &Database,
    user_id: &str,
    id: ObjectId,
    set: Document,
) -> Result<Option<Usage>, ApiError> {
    Ok(usages(db)
        .find_one_and_update(doc! { "_id": id, "user_id": user_id }, doc! { "$set": set })
        .return_document(ReturnDocument::After)
        .await?)
}

pub async fn delete(db: &Database, user_id: &str, id: ObjectId) -> Result<bool, ApiError> {
    Ok(usages(db)
        .delete_one(doc! { "_id": id, "user_id": user_id })
        .await?
        .deleted_count
        == 1)
}

pub async fn references_type(db: &Database, type_id: i64) -> Result<bool, ApiError> {
    let ids = db.collection::<Document>(COLLECTION);
    Ok(ids
        .find_one(doc! { "usage_type_id": type_id })
        .projection(doc! { "_id": 1 })
        .await?
        .is_some())
}

/// The totals of one (usage type, month) cell of the caller's usages.
#[derive(Debug, Clone, PartialEq)]
pub struct CellTotal {
    pub usage_type_id: i64,
    pub month: String,
    pub usage_count: u64,
    pub total_amount: f64,
    pub co2e: f64,
}

type Cell = (i64, String);

fn as_f64(value: Option<&bson::Bson>) -> f64 {
    match value {
        Some(bson::Bson::Double(v)) => *v,
        Some(bson::Bson::Int32(v)) => f64::from(*v),
        Some(bson::Bson::Int64(v)) => *v as f64,
        _ => 0.0,
    }
}

/// Sums `operand` per (type, month) cell with a single accumulator.
///
/// One `$sum` per `$group` is deliberate: FerretDB 1.24 computes only the
/// first accumulator of a `$group` and returns 0 for the others.
async fn sum_per_cell(
    db: &Database,
    matcher: &Document,
    operand: bson::Bson,
) -> Result<std::collections::HashMap<Cell, f64>, ApiError> {
    let pipeline = vec![
        doc! { "$match": matcher.clone() },
        doc! { "$group": {
            "_id": { "t": "$usage_type_id", "m": "$usage_month" },
            "total": { "$sum": operand },
        } },
    ];
    let groups: Vec<Document> = db
        .collection::<Document>(COLLECTION)
        .aggregate(pipeline)
        .await?
        .try_collect()
        .await?;
    groups
        .iter()
        .map(|group| {
            let key = group.get_document("_id").map_err(ApiError::internal)?;
            let type_id = match key.get("t") {
                Some(bson::Bson::Int64(v)) => *v,
                Some(bson::Bson::Int32(v)) => i64::from(*v),
                other => {
                    return Err(ApiError::internal(format!(
                        "summary: unexpected type id {other:?}"
                    )));
                }
            };
            let month = key.get_str("m").map_err(ApiError::internal)?.to_owned();
            Ok(((type_id, month), as_f64(group.get("total"))))
        })
        .collect()
}

/// Count, amount and CO₂e per (type, month), computed in the database
/// (three aggregations, run concurrently), ordered by type then month.
pub async fn totals_per_cell(
    db: &Database,
    user_id: &str,
    filter: &UsageFilter,
) -> Result<Vec<CellTotal>, ApiError> {
    let matcher = filter.to_document(user_id);
    let (counts, amounts, co2e) = futures_util::future::try_join3(
        sum_per_cell(db, &matcher, bson::Bson::Int32(1)),
        sum_per_cell(db, &matcher, bson::Bson::String("$amount".into())),
        sum_per_cell(db, &matcher, bson::Bson::String("$co2e".into())),
    )
    .await?;
    let mut cells: Vec<CellTotal> = counts
        .into_iter()
        .map(|(cell, count)| CellTotal {
            usage_count: count as u64,
            total_amount: amounts.get(&cell).copied().unwrap_or(0.0),
            co2e: co2e.get(&cell).copied().unwrap_or(0.0),
            usage_type_id: cell.0,
            month: cell.1,
        })
        .collect();
    cells.sort_by(|a, b| (a.usage_type_id, &a.month).cmp(&(b.usage_type_id, &b.month)));
    Ok(cells)
}

/// The latest snapshot of a type among a user's usages (labels for a
/// summary line whose type no longer exists).
pub async fn latest_snapshot(
    db: &Database,
    user_id: &str,
    type_id: i64,
) -> Result<Option<Usage>, ApiError> {
    Ok(usages(db)
        .find_one(doc! { "user_id": user_id, "usage_type_id": type_id })
        .sort(doc! { "updated_at": -1 })
        .await?)
}
