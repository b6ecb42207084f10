//! The `usages` collection. Every query is scoped by `org_id`: an organization's
//! usages are invisible to everyone else, and a foreign id is simply absent.
//! Every per-organization query is served by one of the indexes below (the explain
//! test in `tests/api/indexes.rs` holds them to it).

use bson::oid::ObjectId;
use bson::{Document, doc};
use futures_util::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{ClientSession, Collection, Database, IndexModel};

use std::time::Duration;

use mongodb::action::Action;

use crate::domain::fgases::FGASES;
use crate::domain::ids::{UsageId, UsageTypeId};
use crate::domain::rollup::Grain;
use crate::domain::summary::SummaryCell;
use crate::domain::usage::Usage;
use crate::domain::usage_query::{PageStart, UsageCursor, UsageFilter};
use common::db::{Context, StoreError};
use common::ids::{OrgId, UserId};

pub const COLLECTION: &str = "usages";

/// An organization's usages, newest first: the list, its cursor, counts,
/// the summary.
pub const BY_ORG_INDEX: &str = "org_usage_at";
/// An organization's usages of one type, newest first (the list filtered
/// by type), and through its prefix every usage of one type (deleting a
/// type checks for references). The type leads, not the organization: both
/// are equality matches, so the order costs the typed list nothing, and a
/// query on `org_id` alone then has exactly one candidate index, with no
/// plan to trial against it.
pub const BY_TYPE_AND_ORG_INDEX: &str = "type_org_usage_at";
/// A facility's usages, newest first (the list filtered by facility). The
/// facility leads, as the type does in [`BY_TYPE_AND_ORG_INDEX`], so that
/// a query on `org_id` alone keeps one candidate index.
pub const BY_FACILITY_INDEX: &str = "facility_org_usage_at";

/// Replaced by the two above: `user_usage_at` and `type_user_usage_at`
/// were keyed by user before organizations; `user_id_1_usage_at_-1` lacked
/// the `_id` tie-break; `user_type_usage_at` competed with the by-user index
/// for every plain list; `usage_type_id`(`_1`) is a prefix of
/// [`BY_TYPE_AND_ORG_INDEX`].
const OBSOLETE_INDEXES: &[&str] = &[
    "user_usage_at",
    "type_user_usage_at",
    "user_id_1_usage_at_-1",
    "usage_type_id_1",
    "usage_type_id",
    "user_type_usage_at",
];

/// The list's order; the by-organization indexes hold it, so no page is sorted in memory.
fn newest_first() -> Document {
    doc! { "usage_at": -1, "_id": -1 }
}

fn named(keys: Document, name: &str) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(IndexOptions::builder().name(name.to_owned()).build())
        .build()
}

pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (
        vec![
            named(
                doc! { "org_id": 1, "usage_at": -1, "_id": -1 },
                BY_ORG_INDEX,
            ),
            named(
                doc! { "usage_type_id": 1, "org_id": 1, "usage_at": -1, "_id": -1 },
                BY_TYPE_AND_ORG_INDEX,
            ),
            named(
                doc! { "facility_id": 1, "org_id": 1, "usage_at": -1, "_id": -1 },
                BY_FACILITY_INDEX,
            ),
        ],
        OBSOLETE_INDEXES,
    )
}

fn usages(db: &Database) -> Collection<Usage> {
    db.collection(COLLECTION)
}

/// Stores a new usage in the transaction of `session`.
#[tracing::instrument(skip_all, fields(usage_id = %usage.id))]
pub async fn insert(
    db: &Database,
    session: &mut ClientSession,
    usage: &Usage,
) -> Result<(), StoreError> {
    usages(db)
        .insert_one(usage)
        .session(session)
        .await
        .context("inserting a usage")?;
    Ok(())
}

/// The lookup by id, scoped to the caller.
pub fn by_id(org_id: OrgId, id: UsageId) -> Document {
    doc! { "_id": id, "org_id": org_id }
}

#[tracing::instrument(skip(db))]
pub async fn find(db: &Database, org_id: OrgId, id: UsageId) -> Result<Option<Usage>, StoreError> {
    usages(db)
        .find_one(by_id(org_id, id))
        .await
        .context("reading a usage")
}

/// [`find`], in the transaction of `session` (a read before its write).
#[tracing::instrument(skip(db, session))]
pub async fn find_in(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    id: UsageId,
) -> Result<Option<Usage>, StoreError> {
    usages(db)
        .find_one(by_id(org_id, id))
        .session(session)
        .await
        .context("reading a usage")
}

/// The query document for an organization's usages under `filter`.
pub fn matching(org_id: OrgId, filter: &UsageFilter) -> Document {
    let mut query = doc! { "org_id": org_id };
    if let Some(type_id) = filter.usage_type_id {
        query.insert("usage_type_id", type_id);
    }
    if let Some(facility) = filter.facility_id {
        query.insert("facility_id", facility);
    }
    let mut window = Document::new();
    if let Some(from) = filter.from {
        window.insert("$gte", bson::DateTime::from_chrono(from));
    }
    if let Some(to) = filter.to {
        window.insert("$lt", bson::DateTime::from_chrono(to));
    }
    if !window.is_empty() {
        query.insert("usage_at", window);
    }
    query
}

/// `matching`, restricted to the usages after `cursor` in the list's order.
///
/// The `$lte` bound lets the index scan start at the cursor; the `$or`
/// settles ties on `usage_at` by `_id`, from the index keys alone.
pub fn after(mut query: Document, cursor: &UsageCursor) -> Document {
    let bound = match query.get_document("usage_at") {
        Ok(window) => {
            let mut window = window.clone();
            window.insert("$lte", cursor.usage_at);
            window
        }
        Err(_) => doc! { "$lte": cursor.usage_at },
    };
    query.insert("usage_at", bound);
    query.insert(
        "$or",
        vec![
            doc! { "usage_at": { "$lt": cursor.usage_at } },
            doc! { "_id": { "$lt": cursor.id } },
        ],
    );
    query
}

/// The list's query for a page: the filter, from where the page starts,
/// and how many to skip. The explain tests run exactly this.
pub fn page_query(org_id: OrgId, filter: &UsageFilter, start: PageStart) -> (Document, u64) {
    let base = matching(org_id, filter);
    match start {
        PageStart::Offset(offset) => (base, offset),
        PageStart::After(cursor) => (after(base, &cursor), 0),
    }
}

/// The list's order; the by-organization indexes hold it.
pub fn list_order() -> Document {
    newest_first()
}

/// The export's order, oldest first: the same index, walked backwards.
pub fn export_order() -> Document {
    doc! { "usage_at": 1, "_id": 1 }
}

/// A page of up to `limit` usages, newest first, and whether more follow;
/// none older than `floor` (see `usage_query::page_floor_month`);
/// `StoreError::TimedOut` past `max_time`.
#[tracing::instrument(skip(db, filter))]
pub async fn page(
    db: &Database,
    org_id: OrgId,
    filter: &UsageFilter,
    start: PageStart,
    (limit, floor): (u32, Option<chrono::DateTime<chrono::Utc>>),
    max_time: Duration,
) -> Result<(Vec<Usage>, bool), StoreError> {
    let floored;
    let filter = match floor {
        Some(floor) if filter.from.is_none_or(|from| from < floor) => {
            floored = UsageFilter {
                from: Some(floor),
                ..filter.clone()
            };
            &floored
        }
        _ => filter,
    };
    let (query, skip) = page_query(org_id, filter, start);
    // One more than asked tells whether another page exists, without a count.
    let mut found: Vec<Usage> = usages(db)
        .find(query)
        .sort(newest_first())
        .skip(skip)
        .limit(i64::from(limit) + 1)
        .max_time(max_time)
        .await
        .context("listing usages")?
        .try_collect()
        .await
        .context("reading a page of usages")?;
    let more = found.len() > limit as usize;
    found.truncate(limit as usize);
    Ok((found, more))
}

/// How many of the organization's usages match (walks the index range: on request
/// only); `StoreError::TimedOut` past `max_time`.
#[tracing::instrument(skip(db, filter))]
pub async fn count(
    db: &Database,
    org_id: OrgId,
    filter: &UsageFilter,
    max_time: Duration,
) -> Result<u64, StoreError> {
    usages(db)
        .count_documents(matching(org_id, filter))
        .max_time(max_time)
        .await
        .context("counting usages")
}

/// Matches the stored version `version`.
fn at_version(mut query: Document, version: i64) -> Document {
    query.insert("version", version);
    query
}

/// Writes `usage`'s changeable fields if the stored usage is still at
/// `expected_version`, and moves it to the next version. `None` when the
/// usage is gone or has changed since (see [`find`] to tell which).
#[tracing::instrument(skip_all, fields(usage_id = %usage.id, expected_version))]
pub async fn write_changes(
    db: &Database,
    session: &mut ClientSession,
    usage: &Usage,
    expected_version: i64,
) -> Result<Option<Usage>, StoreError> {
    let snapshot = bson::to_bson(&usage.usage_type)
        .map_err(|e| StoreError::malformed("writing a usage's type snapshot", e))?;
    let gases = bson::to_bson(&usage.gases)
        .map_err(|e| StoreError::malformed("writing a usage's gases", e))?;
    let mut changes = doc! {
        "$set": {
            "amount": usage.amount,
            "unit": &usage.unit,
            "factor_amount": usage.factor_amount,
            "usage_type": snapshot,
            "usage_type_id": usage.usage_type_id,
            "scope3_category": usage.scope3_category.map(i32::from),
            "usage_at": usage.usage_at,
            "gases": gases,
            "co2e": usage.co2e,
            "updated_at": bson::DateTime::now(),
            "updated_by": usage.updated_by,
        },
        "$inc": { "version": 1_i64 },
    };
    // The optional fields: set when present, else removed (as stored
    // usages without them are).
    let optional = [
        ("facility_id", usage.facility_id.map(bson::Bson::from)),
        ("data_quality", usage.data_quality.map(bson::Bson::from)),
        ("evidence", usage.evidence.clone().map(bson::Bson::String)),
    ];
    let mut unset = doc! {};
    for (field, value) in optional {
        match value {
            Some(value) => {
                if let Ok(set) = changes.get_document_mut("$set") {
                    set.insert(field, value);
                }
            }
            None => {
                unset.insert(field, "");
            }
        }
    }
    if !unset.is_empty() {
        changes.insert("$unset", unset);
    }
    usages(db)
        .find_one_and_update(
            at_version(by_id(usage.org_id, usage.id), expected_version),
            changes,
        )
        .return_document(ReturnDocument::After)
        .session(session)
        .await
        .context("writing a usage's changes")
}

/// Deletes the caller's usage, only at `version` when one is given.
#[tracing::instrument(skip(db, session))]
pub async fn delete(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    id: UsageId,
    version: i64,
) -> Result<bool, StoreError> {
    let deleted = usages(db)
        .delete_one(at_version(by_id(org_id, id), version))
        .session(session)
        .await
        .context("deleting a usage")?;
    Ok(deleted.deleted_count == 1)
}

/// Up to `limit` of the organization's usages (an erasure's next batch), read in
/// the transaction of `session`.
#[tracing::instrument(skip(db, session))]
pub async fn first_of_org(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    limit: i64,
) -> Result<Vec<Usage>, StoreError> {
    usages(db)
        .find(doc! { "org_id": org_id })
        .limit(limit)
        .session(&mut *session)
        .await
        .context("reading usages to erase")?
        .stream(&mut *session)
        .try_collect()
        .await
        .context("reading usages to erase")
}

/// Deletes these usages of the organization; returns how many.
#[tracing::instrument(skip(db, session, ids), fields(ids = ids.len()))]
pub async fn delete_ids(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    ids: &[UsageId],
) -> Result<u64, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let deleted = usages(db)
        .delete_many(doc! { "org_id": org_id, "_id": { "$in": ids } })
        .session(session)
        .await
        .context("erasing usages")?;
    Ok(deleted.deleted_count)
}

/// Rows per `insert_many` of an import: bounded batches inside its
/// transaction.
pub const IMPORT_BATCH: usize = 1000;

/// Stores an import's usages in the transaction of `session`, in batches
/// of [`IMPORT_BATCH`].
#[tracing::instrument(skip_all, fields(rows = batch.len()))]
pub async fn insert_batch(
    db: &Database,
    session: &mut ClientSession,
    batch: &[Usage],
) -> Result<(), StoreError> {
    let mut stored = 0;
    for chunk in batch.chunks(IMPORT_BATCH) {
        usages(db)
            .insert_many(chunk)
            .session(&mut *session)
            .await
            .context("inserting an import's usages")?;
        stored += chunk.len();
        tracing::debug!(
            stored,
            of = batch.len(),
            "batch of usages inserted, not yet committed"
        );
    }
    Ok(())
}

/// Removes every usage of one import: what an import interrupted before
/// transactions existed left behind (a start-up clean-up, so unindexed).
#[tracing::instrument(skip(db))]
pub async fn delete_import(db: &Database, import_id: ObjectId) -> Result<u64, StoreError> {
    let deleted = usages(db)
        .delete_many(doc! { "import_id": import_id })
        .await
        .context("removing an import's usages")?;
    Ok(deleted.deleted_count)
}

/// The organization's usages under `filter`, oldest first, as a stream read from
/// the cursor batch by batch (an export never holds them all in memory).
#[tracing::instrument(skip(db, filter))]
pub async fn stream(
    db: &Database,
    org_id: OrgId,
    filter: &UsageFilter,
) -> Result<mongodb::Cursor<Usage>, StoreError> {
    usages(db)
        .find(matching(org_id, filter))
        .sort(export_order())
        .batch_size(500)
        .await
        .context("exporting usages")
}

/// Sets the scope on snapshots of `type_id` that predate scopes. Idempotent.
pub async fn backfill_scope(
    db: &Database,
    type_id: UsageTypeId,
    scope: i64,
) -> Result<u64, StoreError> {
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "usage_type_id": type_id, "usage_type.scope": { "$exists": false } },
        doc! { "$set": { "usage_type.scope": scope } },
        "giving usage snapshots their type's scope",
    )
    .await
}

/// The query that finds any usage of a type.
pub fn of_type(type_id: UsageTypeId) -> Document {
    doc! { "usage_type_id": type_id }
}

#[tracing::instrument(skip(db))]
pub async fn references_type(db: &Database, type_id: UsageTypeId) -> Result<bool, StoreError> {
    let found = db
        .collection::<Document>(COLLECTION)
        .find_one(of_type(type_id))
        .projection(doc! { "_id": 1 })
        .await
        .context("looking for usages of a type")?;
    Ok(found.is_some())
}

/// The summary's pipeline: one `$group` per (type, month or day, scope)
/// cell with every
/// accumulator, so all figures come from one consistent read.
pub fn summary_pipeline(org_id: OrgId, filter: &UsageFilter, grain: Grain) -> Vec<Document> {
    let mut key = doc! {
        "usage_type_id": "$usage_type_id",
        "month": { "$dateToString": { "format": "%Y-%m", "date": "$usage_at" } },
        "scope": "$usage_type.scope",
        "scope3_category": "$scope3_category",
        "facility_id": "$facility_id",
        "data_quality": "$data_quality",
    };
    if grain == Grain::Day {
        key.insert(
            "day",
            doc! { "$dateToString": { "format": "%Y-%m-%d", "date": "$usage_at" } },
        );
    }
    let mut group = doc! {
            "_id": key,
            "usage_count": { "$sum": 1 },
            "total_amount": { "$sum": "$factor_amount" },
            "co2e": { "$sum": "$co2e" },
            "co2": { "$sum": "$gases.co2" },
            "ch4": { "$sum": "$gases.ch4" },
            "ch4_fossil": { "$sum": "$gases.ch4_fossil" },
            "n2o": { "$sum": "$gases.n2o" },
            "biogenic_co2": { "$sum": "$gases.biogenic_co2" },
            "other_co2e": { "$sum": "$gases.other_co2e" },
            // Labels of a type that no longer exists (see `domain::summary`).
            "name": { "$first": "$usage_type.name" },
            "unit": { "$first": "$usage_type.unit" },
    };
    // One sum per fluorinated gas the service knows (`fgas_<i>`: a code
    // may hold `-`, which an output field name may too, but an index keeps
    // it plain).
    for (i, gas) in FGASES.iter().enumerate() {
        group.insert(
            format!("fgas_{i}"),
            doc! { "$sum": format!("$gases.fgases.{}", gas.code) },
        );
    }
    vec![
        doc! { "$match": matching(org_id, filter) },
        doc! { "$group": group },
    ]
}

#[derive(serde::Deserialize)]
struct CellKey {
    usage_type_id: UsageTypeId,
    month: String,
    #[serde(default)]
    day: Option<String>,
    scope: u8,
    #[serde(default)]
    scope3_category: Option<u8>,
    #[serde(default)]
    facility_id: Option<crate::domain::ids::FacilityId>,
    #[serde(default)]
    data_quality: Option<crate::domain::usage::DataQuality>,
}

#[derive(serde::Deserialize)]
struct CellRow {
    #[serde(rename = "_id")]
    key: CellKey,
    usage_count: u64,
    total_amount: f64,
    co2e: f64,
    #[serde(default)]
    co2: f64,
    #[serde(default)]
    ch4: f64,
    #[serde(default)]
    n2o: f64,
    #[serde(default)]
    biogenic_co2: f64,
    ch4_fossil: f64,
    other_co2e: f64,
    name: String,
    unit: String,
}

/// Count, amount, CO₂e and gases per (type, month or day, scope) of the
/// user's usages, read in the transaction of `session` (with the rollups
/// it completes). With `max_time`, `StoreError::TimedOut` past it
/// (`verify-rollups` has none: it must see every usage).
#[tracing::instrument(skip(db, session, filter))]
pub async fn summary_cells(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    filter: &UsageFilter,
    grain: Grain,
    max_time: Option<Duration>,
) -> Result<Vec<SummaryCell>, StoreError> {
    let rows: Vec<Document> = db
        .collection::<Document>(COLLECTION)
        .aggregate(summary_pipeline(org_id, filter, grain))
        .optional(max_time, |a, t| a.max_time(t))
        .session(&mut *session)
        .await
        .context("summing usages")?
        .stream(&mut *session)
        .try_collect()
        .await
        .context("reading the summary's cells")?;
    rows.into_iter().map(cell_of).collect()
}

/// Gives usages stored before units and gases their unit (the type's),
/// their amount in the factor's unit (the amount), their gases (the CO₂e,
/// as a CO₂e-only figure) and their snapshot its dataset. Idempotent;
/// returns how many.
pub async fn backfill_units_and_gases(
    db: &Database,
    example_ids: &[i64],
) -> Result<u64, StoreError> {
    let example = doc! { "$in": ["$usage_type_id", example_ids] };
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "factor_amount": { "$exists": false } },
        vec![doc! { "$set": {
            "unit": "$usage_type.unit",
            "factor_amount": "$amount",
            "gases": { "other_co2e": "$co2e" },
            "usage_type.dataset": { "$ifNull": ["$usage_type.dataset", { "$cond": [example.clone(), "example", "custom"] }] },
            "usage_type.gases": { "$ifNull": ["$usage_type.gases", { "other_co2e": "$usage_type.factor" }] },
            "usage_type.gwp_basis": { "$ifNull": ["$usage_type.gwp_basis", "AR5"] },
            "usage_type.category": { "$ifNull": ["$usage_type.category", crate::domain::usage_type::UNCATEGORIZED] },
            "usage_type.illustrative": { "$ifNull": ["$usage_type.illustrative", example] },
            "usage_type.retired": { "$ifNull": ["$usage_type.retired", false] },
        } }],
        "giving usages their unit and gases",
    )
    .await
}

/// Brings every usage to the shape [`Usage`] reads: a version (0 for
/// usages stored before versions), the unit it was entered in (its type's,
/// when stored before units), its gases and its snapshot's (the CO₂e alone,
/// when stored before gases), and the snapshot's dataset flags. Idempotent,
/// in batches; returns how many.
pub async fn backfill_shape(db: &Database) -> Result<u64, StoreError> {
    let empty = doc! { "$literal": {} };
    let unset_or_empty = |field: &str| {
        doc! { "$eq": [ { "$ifNull": [format!("${field}"), empty.clone()] }, empty.clone() ] }
    };
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "$or": [
            { "version": null },
            { "unit": { "$in": [null, ""] } },
            { "factor_amount": null },
            { "gases": null },
            { "gases": {} },
            { "usage_type.gases": null },
            { "usage_type.gases": {} },
            { "usage_type.gwp_basis": null },
            { "usage_type.dataset": null },
            { "usage_type.category": null },
            { "usage_type.illustrative": null },
            { "usage_type.retired": null },
            { "usage_type.private": null },
        ] },
        vec![doc! { "$set": {
            "version": { "$ifNull": ["$version", 0_i64] },
            "unit": { "$cond": [
                { "$eq": [ { "$ifNull": ["$unit", ""] }, "" ] }, "$usage_type.unit", "$unit",
            ] },
            "factor_amount": { "$ifNull": ["$factor_amount", "$amount"] },
            "gases": { "$cond": [unset_or_empty("gases"), { "other_co2e": "$co2e" }, "$gases"] },
            "usage_type.gases": { "$cond": [
                unset_or_empty("usage_type.gases"), { "other_co2e": "$usage_type.factor" }, "$usage_type.gases",
            ] },
            "usage_type.gwp_basis": { "$ifNull": ["$usage_type.gwp_basis", "AR5"] },
            "usage_type.dataset": { "$ifNull": ["$usage_type.dataset", "custom"] },
            "usage_type.category": { "$ifNull": ["$usage_type.category", crate::domain::usage_type::UNCATEGORIZED] },
            "usage_type.illustrative": { "$ifNull": ["$usage_type.illustrative", false] },
            "usage_type.retired": { "$ifNull": ["$usage_type.retired", false] },
            "usage_type.private": { "$ifNull": ["$usage_type.private", false] },
        } }],
        "bringing usages to their current shape",
    )
    .await
}

/// Moves the CO₂ of the usages of the types `ids` of `dataset` (and of
/// their snapshots) to biogenic CO₂, taking it out of their CO₂e (CO₂
/// weighs 1 in every GWP set). Idempotent, in batches; the rollups are
/// rebuilt after.
pub async fn move_co2_to_biogenic(
    db: &Database,
    dataset: &str,
    ids: &[i64],
) -> Result<u64, StoreError> {
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        fossil_co2_of(dataset, ids),
        vec![doc! { "$set": {
            "gases.biogenic_co2": { "$ifNull": ["$gases.co2", 0.0] },
            "co2e": { "$subtract": ["$co2e", { "$ifNull": ["$gases.co2", 0.0] }] },
            "gases.co2": "$$REMOVE",
            "usage_type.gases.biogenic_co2": "$usage_type.gases.co2",
            "usage_type.factor": { "$subtract": ["$usage_type.factor", "$usage_type.gases.co2"] },
            "usage_type.gases.co2": "$$REMOVE",
        } }],
        "making biofuel usages' CO₂ biogenic",
    )
    .await
}

/// The usages of the types `ids` of `dataset` whose snapshot still counts
/// their CO₂ as fossil.
fn fossil_co2_of(dataset: &str, ids: &[i64]) -> Document {
    doc! {
        "usage_type_id": { "$in": ids },
        "usage_type.dataset": dataset,
        "usage_type.gases.co2": { "$exists": true },
    }
}

/// Usages stored before scope 3 categories are reported under their
/// snapshot's one category, and the snapshot lists it. Idempotent, in
/// batches.
pub async fn backfill_scope3_categories(db: &Database) -> Result<u64, StoreError> {
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "usage_type.scope3_categories": { "$exists": false } },
        vec![doc! { "$set": {
            "scope3_category": { "$ifNull": ["$usage_type.scope3_category", null] },
            "usage_type.scope3_categories": { "$cond": [
                { "$eq": [{ "$ifNull": ["$usage_type.scope3_category", null] }, null] },
                [],
                ["$usage_type.scope3_category"],
            ] },
        } }],
        "giving usages their scope 3 category",
    )
    .await
}

/// Sets the categories of the snapshots of the type `id` of `dataset` (a
/// bundled type re-tagged), so that a usage may choose among them.
pub async fn set_snapshot_scope3_categories(
    db: &Database,
    dataset: &str,
    id: i64,
    categories: &[u8],
) -> Result<u64, StoreError> {
    let categories: Vec<i32> = categories.iter().map(|c| i32::from(*c)).collect();
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! {
            "usage_type_id": id,
            "usage_type.dataset": dataset,
            "usage_type.scope3_categories": { "$ne": &categories },
        },
        doc! { "$set": { "usage_type.scope3_categories": &categories } },
        "re-tagging usage snapshots' scope 3 categories",
    )
    .await
}

/// Whether the usage `id` exists (of any organization).
pub async fn exists(db: &Database, id: ObjectId) -> Result<bool, StoreError> {
    Ok(db
        .collection::<Document>(COLLECTION)
        .find_one(doc! { "_id": id })
        .projection(doc! { "_id": 1 })
        .await
        .context("looking for a usage")?
        .is_some())
}

/// The owner of the usage `id`, or of the usages the import `id` created,
/// as stored before organizations (migration 11).
pub async fn owner_of(db: &Database, id: ObjectId) -> Result<Option<UserId>, StoreError> {
    let found = db
        .collection::<Document>(COLLECTION)
        .find_one(doc! { "$or": [ { "_id": id }, { "import_id": id } ] })
        .projection(doc! { "_id": 0, "user_id": 1 })
        .await
        .context("finding a usage's owner")?;
    Ok(found
        .and_then(|d| d.get_str("user_id").ok().map(str::to_owned))
        .and_then(|id| id.parse().ok()))
}

/// Every organization that has usages (`verify-rollups`).
pub async fn org_ids(db: &Database) -> Result<Vec<OrgId>, StoreError> {
    super::distinct_orgs(db, COLLECTION, "org_id").await
}

fn cell_of(row: Document) -> Result<SummaryCell, StoreError> {
    // Only gases some usage of the cell gave (a sum of none is 0).
    let fgases = FGASES
        .iter()
        .enumerate()
        .filter_map(|(i, gas)| {
            let kg = row.get_f64(format!("fgas_{i}")).ok()?;
            (kg != 0.0).then(|| (gas.code.to_owned(), kg))
        })
        .collect();
    let row: CellRow =
        bson::from_document(row).map_err(|e| StoreError::malformed("reading a summary cell", e))?;
    Ok(SummaryCell {
        usage_type_id: row.key.usage_type_id,
        month: row.key.month,
        day: row.key.day,
        scope: row.key.scope,
        scope3_category: row.key.scope3_category,
        facility_id: row.key.facility_id,
        data_quality: row.key.data_quality,
        usage_count: row.usage_count,
        total_amount: row.total_amount,
        co2e: row.co2e,
        gases: crate::domain::gwp::Gases {
            co2: Some(row.co2),
            ch4: Some(row.ch4),
            ch4_fossil: Some(row.ch4_fossil),
            n2o: Some(row.n2o),
            biogenic_co2: Some(row.biogenic_co2),
            other_co2e: Some(row.other_co2e),
            fgases,
        },
        snapshot_name: row.name,
        snapshot_unit: row.unit,
    })
}

/// Usages stored before organizations belong to their user's personal
/// organization (whose id is the user's), created and last changed by
/// that user. Idempotent, in batches.
pub async fn move_to_organizations(db: &Database) -> Result<u64, StoreError> {
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "org_id": { "$exists": false } },
        vec![
            doc! { "$set": {
                "org_id": "$user_id",
                "created_by": "$user_id",
                "updated_by": "$user_id",
            } },
            doc! { "$unset": "user_id" },
        ],
        "moving usages into their personal organizations",
    )
    .await
}
