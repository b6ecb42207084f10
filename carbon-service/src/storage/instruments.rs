//! The `instruments` collection: each organization's contractual instruments for
//! the market-based scope 2 method.

use bson::doc;
use futures_util::TryStreamExt;
use mongodb::{ClientSession, Collection, Database, IndexModel};

use crate::domain::instrument::{Instrument, InstrumentId};
use common::db::{Context, StoreError};
use common::ids::OrgId;

pub const COLLECTION: &str = "instruments";

/// An organization's instruments by start: the list, and one year's for
/// a summary. (Keyed by user before organizations.)
pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (
        vec![
            IndexModel::builder()
                .keys(doc! { "org_id": 1, "from": 1, "_id": 1 })
                .build(),
        ],
        &["user_id_1_from_1__id_1"],
    )
}

fn instruments(db: &Database) -> Collection<Instrument> {
    db.collection(COLLECTION)
}

/// Stores a new instrument, in the transaction of `session`.
pub async fn insert(
    db: &Database,
    session: &mut ClientSession,
    instrument: &Instrument,
) -> Result<(), StoreError> {
    instruments(db)
        .insert_one(instrument)
        .session(session)
        .await
        .context("storing an instrument")?;
    Ok(())
}

/// The organization's instrument `id`.
pub async fn find(
    db: &Database,
    org_id: OrgId,
    id: InstrumentId,
) -> Result<Option<Instrument>, StoreError> {
    instruments(db)
        .find_one(doc! { "_id": id, "org_id": org_id })
        .await
        .context("reading an instrument")
}

/// The instrument `id` as the transaction of `session` sees it.
pub async fn find_in(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    id: InstrumentId,
) -> Result<Option<Instrument>, StoreError> {
    instruments(db)
        .find_one(doc! { "_id": id, "org_id": org_id })
        .session(session)
        .await
        .context("reading an instrument")
}

/// The organization's instruments by start, at most `limit`.
pub async fn list(db: &Database, org_id: OrgId, limit: i64) -> Result<Vec<Instrument>, StoreError> {
    instruments(db)
        .find(doc! { "org_id": org_id })
        .sort(doc! { "from": 1, "_id": 1 })
        .limit(limit)
        .await
        .context("listing instruments")?
        .try_collect()
        .await
        .context("reading instruments")
}

pub async fn count(db: &Database, org_id: OrgId) -> Result<u64, StoreError> {
    instruments(db)
        .count_documents(doc! { "org_id": org_id })
        .await
        .context("counting instruments")
}

/// The organization's instruments that start in `year`, in the snapshot of
/// `session` (a summary's).
pub async fn of_year(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    year: i32,
) -> Result<Vec<Instrument>, StoreError> {
    let start = |y: i32| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| bson::DateTime::from_chrono(t.and_utc()))
    };
    let (Some(from), Some(to)) = (start(year), start(year + 1)) else {
        return Ok(Vec::new());
    };
    instruments(db)
        .find(doc! { "org_id": org_id, "from": { "$gte": from, "$lt": to } })
        .session(&mut *session)
        .await
        .context("reading a year's instruments")?
        .stream(&mut *session)
        .try_collect()
        .await
        .context("reading a year's instruments")
}

/// Replaces the organization's instrument `id` in the transaction of
/// `session`; the one it replaced, `None` when there is none.
pub async fn replace(
    db: &Database,
    session: &mut ClientSession,
    instrument: &Instrument,
) -> Result<Option<Instrument>, StoreError> {
    instruments(db)
        .find_one_and_replace(
            doc! { "_id": instrument.id, "org_id": instrument.org_id },
            instrument,
        )
        .session(session)
        .await
        .context("replacing an instrument")
}

/// Deletes the organization's instrument `id` in the transaction of
/// `session`; the one deleted, `None` when there is none.
pub async fn delete(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    id: InstrumentId,
) -> Result<Option<Instrument>, StoreError> {
    instruments(db)
        .find_one_and_delete(doc! { "_id": id, "org_id": org_id })
        .session(session)
        .await
        .context("deleting an instrument")
}

/// Deletes every instrument of the organization, in the transaction of `session`
/// (an erasure's).
pub async fn delete_of_org(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
) -> Result<u64, StoreError> {
    let deleted = instruments(db)
        .delete_many(doc! { "org_id": org_id })
        .session(session)
        .await
        .context("deleting a user's instruments")?;
    Ok(deleted.deleted_count)
}

/// Instruments recorded before organizations belong to their user's
/// personal organization. Idempotent, in batches.
pub async fn move_to_organizations(db: &Database) -> Result<u64, StoreError> {
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "org_id": { "$exists": false } },
        vec![
            doc! { "$set": { "org_id": "$user_id" } },
            doc! { "$unset": "user_id" },
        ],
        "moving instruments into their personal organizations",
    )
    .await
}
