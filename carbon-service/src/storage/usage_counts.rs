//! The `usage_counts` collection: how many usages each user has stored, so
//! the per-user quota is one conditional update instead of a count over the
//! user's whole index range.

use bson::doc;
use futures_util::TryStreamExt;
use mongodb::{Collection, Database};

use common::error::ApiError;

pub const COLLECTION: &str = "usage_counts";

fn counts(db: &Database) -> Collection<bson::Document> {
    db.collection(COLLECTION)
}

/// Takes `n` usages of the user's `quota`: `false` (nothing taken) when
/// the user would then hold more than `quota`. One conditional upsert:
/// when the filter does not match an existing count, the insert collides
/// with it, and that duplicate key is the refusal.
pub async fn reserve(db: &Database, user_id: &str, n: u64, quota: u64) -> Result<bool, ApiError> {
    let Some(room) = quota.checked_sub(n) else {
        return Ok(false);
    };
    // Two first writes of a user may race to create the count; the loser
    // tries again.
    for _ in 0..3 {
        let taken = counts(db)
            .update_one(
                doc! { "_id": user_id, "usages": { "$not": { "$gt": room as i64 } } },
                doc! { "$inc": { "usages": n as i64 } },
            )
            .upsert(true)
            .await;
        match taken {
            Ok(_) => return Ok(true),
            Err(e) if common::db::is_duplicate_key(&e) => {
                let current = counts(db).find_one(doc! { "_id": user_id }).await?;
                let held = current
                    .and_then(|c| c.get("usages").and_then(bson::Bson::as_i64))
                    .unwrap_or(0);
                if held > room as i64 {
                    return Ok(false);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(false)
}

/// Gives back `n` usages (deleted, or a write that failed).
pub async fn release(db: &Database, user_id: &str, n: u64) -> Result<(), ApiError> {
    if n > 0 {
        counts(db)
            .update_one(
                doc! { "_id": user_id },
                doc! { "$inc": { "usages": -(n as i64) } },
            )
            .await?;
    }
    Ok(())
}

/// Counts every user's usages from the `usages` collection (a start-up
/// backfill for data stored before counts existed).
pub async fn recount(db: &Database) -> Result<u64, ApiError> {
    let rows: Vec<bson::Document> = db
        .collection::<bson::Document>(super::usages::COLLECTION)
        .aggregate(vec![
            doc! { "$group": { "_id": "$user_id", "usages": { "$sum": 1 } } },
        ])
        .await?
        .try_collect()
        .await?;
    for row in &rows {
        let user_id = row.get_str("_id").unwrap_or_default();
        let usages = row
            .get("usages")
            .and_then(|n| n.as_i64().or_else(|| n.as_i32().map(i64::from)))
            .unwrap_or(0);
        counts(db)
            .update_one(
                doc! { "_id": user_id },
                doc! { "$set": { "usages": usages } },
            )
            .upsert(true)
            .await?;
    }
    Ok(rows.len() as u64)
}

/// Whether any count exists (the backfill runs once, on a database without).
pub async fn any(db: &Database) -> Result<bool, ApiError> {
    Ok(counts(db).find_one(doc! {}).await?.is_some())
}
