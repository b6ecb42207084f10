//! The `usage_counts` collection: how many usages each organization has
//! stored (keyed by its id), so the quota is one conditional update instead
//! of a count over the organization's whole index range.

use bson::doc;
use mongodb::{ClientSession, Collection, Database};

use common::db::{Context, StoreError};
use common::ids::OrgId;

pub const COLLECTION: &str = "usage_counts";

fn counts(db: &Database) -> Collection<bson::Document> {
    db.collection(COLLECTION)
}

/// Takes `n` usages of the organization's `quota` in the transaction of
/// `session`: `false` (nothing taken) when the organization would then hold more
/// than `quota`. The read and the increment are one transaction's, so two
/// writers that both read room cannot both take it: the second to write
/// the count conflicts and runs again.
#[tracing::instrument(skip(db, session))]
pub async fn reserve(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    n: u64,
    quota: u64,
) -> Result<bool, StoreError> {
    let held = held(db, session, org_id).await?;
    if held.saturating_add(n) > quota {
        return Ok(false);
    }
    add(db, session, org_id, n).await?;
    Ok(true)
}

/// Counts `n` more usages of the organization (room checked by the caller, in the
/// same transaction).
pub async fn add(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    n: u64,
) -> Result<(), StoreError> {
    upsert(
        db,
        session,
        org_id,
        doc! { "$inc": { "usages": n as i64 } },
        "taking from an organization's usage quota",
    )
    .await
}

/// Takes `n` of the organization's `quota` in one conditional update, when the
/// organization's count exists and has room for all of them: `false` otherwise
/// (nothing taken; read [`held`] to see why).
pub async fn try_take(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    n: u64,
    quota: u64,
) -> Result<bool, StoreError> {
    let Some(room) = quota.checked_sub(n) else {
        return Ok(false);
    };
    let taken = counts(db)
        .update_one(
            doc! { "_id": org_id, "usages": { "$lte": room as i64 } },
            doc! { "$inc": { "usages": n as i64 } },
        )
        .session(session)
        .await
        .context("taking from an organization's usage quota")?;
    Ok(taken.matched_count == 1)
}

/// How many usages the organization holds, read in the transaction of `session`.
pub async fn held(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
) -> Result<u64, StoreError> {
    let current = counts(db)
        .find_one(doc! { "_id": org_id })
        .session(session)
        .await
        .context("reading an organization's usage count")?;
    Ok(current
        .and_then(|c| c.get("usages").and_then(bson::Bson::as_i64))
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0))
}

/// Gives back `n` usages (deleted) in the transaction of `session`.
#[tracing::instrument(skip(db, session))]
pub async fn release(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    n: u64,
) -> Result<(), StoreError> {
    if n > 0 {
        counts(db)
            .update_one(
                doc! { "_id": org_id },
                doc! { "$inc": { "usages": -(n as i64) } },
            )
            .session(session)
            .await
            .context("giving back to an organization's usage quota")?;
    }
    Ok(())
}

/// Sets the organization's count (a repair), in the transaction of `session`.
pub async fn set(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    usages: u64,
) -> Result<(), StoreError> {
    upsert(
        db,
        session,
        org_id,
        doc! { "$set": { "usages": usages as i64 } },
        "setting an organization's usage count",
    )
    .await
}

/// Every organization that has a count.
pub async fn org_ids(db: &Database) -> Result<Vec<OrgId>, StoreError> {
    super::distinct_orgs(db, COLLECTION, "_id").await
}

/// Applies `change` to the organization's count, creating it if absent, in the
/// transaction of `session`.
async fn upsert(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    change: bson::Document,
    context: &'static str,
) -> Result<(), StoreError> {
    counts(db)
        .update_one(doc! { "_id": org_id }, change)
        .upsert(true)
        .session(session)
        .await
        .context(context)?;
    Ok(())
}
