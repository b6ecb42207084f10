//! The `usage_counts` collection: how many usages each user has stored, so
//! the per-user quota is one conditional update instead of a count over the
//! user's whole index range.

use bson::doc;
use futures_util::TryStreamExt;
use mongodb::{Collection, Database};

use common::db::{Context, StoreError};
use common::ids::UserId;

pub const COLLECTION: &str = "usage_counts";

fn counts(db: &Database) -> Collection<bson::Document> {
    db.collection(COLLECTION)
}

/// Takes `n` usages of the user's `quota`: `false` (nothing taken) when
/// the user would then hold more than `quota`. One conditional upsert:
/// when the filter does not match an existing count, the insert collides
/// with it, and that duplicate key is the refusal.
#[tracing::instrument(skip(db))]
pub async fn reserve(
    db: &Database,
    user_id: UserId,
    n: u64,
    quota: u64,
) -> Result<bool, StoreError> {
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
            .await
            .context("taking from a user's usage quota");
        match taken {
            Ok(_) => return Ok(true),
            Err(e) if e.is_duplicate() => {
                let current = counts(db)
                    .find_one(doc! { "_id": user_id })
                    .await
                    .context("reading a user's usage count")?;
                let held = current
                    .and_then(|c| c.get("usages").and_then(bson::Bson::as_i64))
                    .unwrap_or(0);
                if held > room as i64 {
                    return Ok(false);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Gives back `n` usages (deleted, or a write that failed).
#[tracing::instrument(skip(db))]
pub async fn release(db: &Database, user_id: UserId, n: u64) -> Result<(), StoreError> {
    if n > 0 {
        counts(db)
            .update_one(
                doc! { "_id": user_id },
                doc! { "$inc": { "usages": -(n as i64) } },
            )
            .await
            .context("giving back to a user's usage quota")?;
    }
    Ok(())
}

/// Counts every user's usages from the `usages` collection (a start-up
/// backfill for data stored before counts existed).
pub async fn recount(db: &Database) -> Result<u64, StoreError> {
    let rows: Vec<bson::Document> = db
        .collection::<bson::Document>(super::usages::COLLECTION)
        .aggregate(vec![
            doc! { "$group": { "_id": "$user_id", "usages": { "$sum": 1 } } },
        ])
        .await
        .context("counting usages per user")?
        .try_collect()
        .await
        .context("reading usage counts")?;
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
            .await
            .context("storing a user's usage count")?;
    }
    Ok(rows.len() as u64)
}

/// Whether any count exists (the backfill runs once, on a database without).
pub async fn any(db: &Database) -> Result<bool, StoreError> {
    let found = counts(db)
        .find_one(doc! {})
        .await
        .context("looking for usage counts")?;
    Ok(found.is_some())
}
