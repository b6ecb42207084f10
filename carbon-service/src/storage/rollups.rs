//! The `org_rollups` and `org_day_rollups` collections: per organization, UTC month (or
//! day), usage type and scope, the number of usages, their amount, CO₂e and
//! gases. Every usage write changes the rollups it touches, at both grains,
//! in the same transaction, so they always equal a sum over the usages; the
//! summary reads them instead of every usage of the whole months and days
//! in its window.

use std::collections::BTreeMap;

use bson::{Document, doc};
use futures_util::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use crate::domain::gwp::Gases;
use crate::domain::ids::{FacilityId, UsageTypeId};
use crate::domain::rollup::{self, CellKey, Grain, KeyRange, RollupDelta};
use crate::domain::summary::SummaryCell;
use crate::domain::usage::DataQuality;
use common::db::{Context, StoreError};
use common::ids::OrgId;

pub const COLLECTION: &str = "org_rollups";
pub const DAY_COLLECTION: &str = "org_day_rollups";
/// One rollup per cell; also serves an organization's months (days) in order.
pub const CELL_INDEX: &str = "org_month_type_scope_category_facility_quality";
pub const DAY_CELL_INDEX: &str = "org_day_type_scope_category_facility_quality";

fn collection_name(grain: Grain) -> &'static str {
    match grain {
        Grain::Month => COLLECTION,
        Grain::Day => DAY_COLLECTION,
    }
}

/// The unique cell index of the collection of `grain`.
pub fn indexes(grain: Grain) -> (Vec<IndexModel>, &'static [&'static str]) {
    let name = match grain {
        Grain::Month => CELL_INDEX,
        Grain::Day => DAY_CELL_INDEX,
    };
    let mut keys = doc! { "org_id": 1 };
    keys.insert(grain.field(), 1);
    keys.insert("usage_type_id", 1);
    keys.insert("scope", 1);
    keys.insert("scope3_category", 1);
    keys.insert("facility_id", 1);
    keys.insert("data_quality", 1);
    // The cell indexes before facilities, and before data quality (cells
    // stored before it have none, which the new index reads as null).
    let replaced: &'static [&'static str] = match grain {
        Grain::Month => &[
            "org_month_type_scope_category",
            "org_month_type_scope_category_facility",
        ],
        Grain::Day => &[
            "org_day_type_scope_category",
            "org_day_type_scope_category_facility",
        ],
    };
    (
        vec![
            IndexModel::builder()
                .keys(keys)
                .options(
                    IndexOptions::builder()
                        .unique(true)
                        .name(name.to_owned())
                        .build(),
                )
                .build(),
        ],
        replaced,
    )
}

/// A stored rollup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rollup {
    pub org_id: OrgId,
    /// `YYYY-MM`, UTC.
    pub month: String,
    /// `YYYY-MM-DD`, UTC: a day rollup's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    pub usage_type_id: UsageTypeId,
    pub scope: u8,
    /// The scope 3 category of the cell's usages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope3_category: Option<u8>,
    /// The facility of the cell's usages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility_id: Option<FacilityId>,
    /// How the cell's usages' amounts were obtained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_quality: Option<DataQuality>,
    pub usage_count: i64,
    pub total_amount: f64,
    /// kg CO₂e as stored with the usages (each under its factor's set).
    pub co2e: f64,
    /// kg of each gas.
    pub co2: f64,
    pub ch4: f64,
    pub ch4_fossil: f64,
    pub n2o: f64,
    /// A memo, in no CO₂e.
    pub biogenic_co2: f64,
    pub other_co2e: f64,
    /// kg of each fluorinated gas, by its code.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fgases: BTreeMap<String, f64>,
    /// A type snapshot's label, for a type that no longer exists.
    pub name: String,
    pub unit: String,
}

impl Rollup {
    pub fn key(&self) -> CellKey {
        CellKey {
            org_id: self.org_id,
            month: self.month.clone(),
            day: self.day.clone().unwrap_or_default(),
            usage_type_id: self.usage_type_id,
            scope: self.scope,
            scope3_category: self.scope3_category,
            facility_id: self.facility_id,
            data_quality: self.data_quality,
        }
    }

    /// The stored form of a recomputed cell of `org_id`.
    pub fn from_cell(org_id: OrgId, cell: &SummaryCell) -> Self {
        Self {
            org_id,
            month: cell.month.clone(),
            day: cell.day.clone(),
            usage_type_id: cell.usage_type_id,
            scope: cell.scope,
            scope3_category: cell.scope3_category,
            facility_id: cell.facility_id,
            data_quality: cell.data_quality,
            usage_count: i64::try_from(cell.usage_count).unwrap_or(i64::MAX),
            total_amount: cell.total_amount,
            co2e: cell.co2e,
            co2: cell.gases.co2.unwrap_or(0.0),
            ch4: cell.gases.ch4.unwrap_or(0.0),
            ch4_fossil: cell.gases.ch4_fossil.unwrap_or(0.0),
            n2o: cell.gases.n2o.unwrap_or(0.0),
            biogenic_co2: cell.gases.biogenic_co2.unwrap_or(0.0),
            other_co2e: cell.gases.other_co2e.unwrap_or(0.0),
            fgases: cell.gases.fgases.clone(),
            name: cell.snapshot_name.clone(),
            unit: cell.snapshot_unit.clone(),
        }
    }

    pub fn cell(&self) -> SummaryCell {
        SummaryCell {
            usage_type_id: self.usage_type_id,
            month: self.month.clone(),
            day: self.day.clone(),
            scope: self.scope,
            scope3_category: self.scope3_category,
            facility_id: self.facility_id,
            data_quality: self.data_quality,
            usage_count: u64::try_from(self.usage_count).unwrap_or(0),
            total_amount: self.total_amount,
            co2e: self.co2e,
            gases: Gases {
                co2: Some(self.co2),
                ch4: Some(self.ch4),
                ch4_fossil: Some(self.ch4_fossil),
                n2o: Some(self.n2o),
                biogenic_co2: Some(self.biogenic_co2),
                other_co2e: Some(self.other_co2e),
                fgases: self.fgases.clone(),
            },
            snapshot_name: self.name.clone(),
            snapshot_unit: self.unit.clone(),
        }
    }
}

fn rollups(db: &Database, grain: Grain) -> Collection<Rollup> {
    db.collection(collection_name(grain))
}

fn key_filter(key: &CellKey, grain: Grain) -> Document {
    let mut filter = doc! { "org_id": key.org_id };
    match grain {
        Grain::Month => filter.insert("month", &key.month),
        Grain::Day => filter.insert("day", &key.day),
    };
    filter.insert("usage_type_id", key.usage_type_id);
    filter.insert("scope", i32::from(key.scope));
    // Null matches a cell without a category, and an upsert stores it so.
    filter.insert(
        "scope3_category",
        key.scope3_category
            .map_or(bson::Bson::Null, |c| bson::Bson::Int32(i32::from(c))),
    );
    filter.insert(
        "facility_id",
        key.facility_id.map_or(bson::Bson::Null, bson::Bson::from),
    );
    filter.insert(
        "data_quality",
        key.data_quality.map_or(bson::Bson::Null, bson::Bson::from),
    );
    filter
}

/// Applies the day deltas `deltas` (see `rollup::merge`) to the day
/// rollups and, merged by month, to the month rollups, in the transaction
/// of `session`.
#[tracing::instrument(skip_all, fields(cells = deltas.len()))]
pub async fn apply(
    db: &Database,
    session: &mut ClientSession,
    deltas: &[RollupDelta],
) -> Result<(), StoreError> {
    apply_at(db, session, Grain::Day, deltas).await?;
    apply_at(db, session, Grain::Month, &rollup::monthly(deltas)).await
}

/// Applies `deltas` to the rollups of `grain`. A cell whose count reaches
/// zero is removed, so no rounding residue of added and removed amounts
/// outlives its usages.
async fn apply_at(
    db: &Database,
    session: &mut ClientSession,
    grain: Grain,
    deltas: &[RollupDelta],
) -> Result<(), StoreError> {
    for delta in deltas.iter().filter(|d| !d.is_empty()) {
        let filter = key_filter(&delta.key, grain);
        let gas = |kg: Option<f64>| kg.unwrap_or(0.0);
        let mut inc = doc! {
            "usage_count": delta.usage_count,
            "total_amount": delta.total_amount,
            "co2e": delta.co2e,
            "co2": gas(delta.gases.co2),
            "ch4": gas(delta.gases.ch4),
            "ch4_fossil": gas(delta.gases.ch4_fossil),
            "n2o": gas(delta.gases.n2o),
            "biogenic_co2": gas(delta.gases.biogenic_co2),
            "other_co2e": gas(delta.gases.other_co2e),
        };
        // Gas codes are checked against the GWP table: no `.` or `$`.
        for (code, kg) in &delta.gases.fgases {
            inc.insert(format!("fgases.{code}"), *kg);
        }
        let mut set = doc! { "name": &delta.name, "unit": &delta.unit };
        if grain == Grain::Day {
            set.insert("month", &delta.key.month);
        }
        let change = doc! { "$inc": inc, "$set": set };
        if delta.usage_count >= 0 {
            // Nothing leaves the cell: it cannot empty.
            rollups(db, grain)
                .update_one(filter, change)
                .upsert(true)
                .session(&mut *session)
                .await
                .context("changing a rollup")?;
            continue;
        }
        let updated = rollups(db, grain)
            .find_one_and_update(filter.clone(), change)
            .upsert(true)
            .return_document(ReturnDocument::After)
            .session(&mut *session)
            .await
            .context("changing a rollup")?;
        if updated.is_some_and(|r| r.usage_count <= 0) {
            rollups(db, grain)
                .delete_one(filter)
                .session(&mut *session)
                .await
                .context("removing an emptied rollup")?;
        }
    }
    Ok(())
}

/// The organization's rollups of `grain` in `[from, to)` (by key, either end open),
/// of one type when given, read in the transaction of `session`.
#[tracing::instrument(skip(db, session))]
pub async fn cells(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    usage_type_id: Option<UsageTypeId>,
    grain: Grain,
    (from, to): &KeyRange,
) -> Result<Vec<SummaryCell>, StoreError> {
    let mut filter = doc! { "org_id": org_id };
    if let Some(type_id) = usage_type_id {
        filter.insert("usage_type_id", type_id);
    }
    let mut range = Document::new();
    if let Some(from) = from {
        range.insert("$gte", from);
    }
    if let Some(to) = to {
        range.insert("$lt", to);
    }
    if !range.is_empty() {
        filter.insert(grain.field(), range);
    }
    let found: Vec<Rollup> = rollups(db, grain)
        .find(filter)
        .session(&mut *session)
        .await
        .context("reading rollups")?
        .stream(&mut *session)
        .try_collect()
        .await
        .context("reading rollups")?;
    Ok(found.iter().map(Rollup::cell).collect())
}

/// How many of the organization's usages (of one type, of one facility,
/// when given) each month holds, from the month rollups; with `month`,
/// each day of that month, from the day rollups.
pub async fn counts(
    db: &Database,
    org_id: OrgId,
    month: Option<&str>,
    usage_type_id: Option<UsageTypeId>,
    facility_id: Option<FacilityId>,
) -> Result<Vec<(String, u64)>, StoreError> {
    let (grain, mut filter) = match month {
        Some(month) => (Grain::Day, doc! { "org_id": org_id, "month": month }),
        None => (Grain::Month, doc! { "org_id": org_id }),
    };
    if let Some(type_id) = usage_type_id {
        filter.insert("usage_type_id", type_id);
    }
    if let Some(facility) = facility_id {
        filter.insert("facility_id", facility);
    }
    let field = grain.field();
    let rows: Vec<Document> = db
        .collection::<Document>(collection_name(grain))
        .find(filter)
        .projection(doc! { "_id": 0, field: 1, "usage_count": 1 })
        .await
        .context("reading rollup counts")?
        .try_collect()
        .await
        .context("reading rollup counts")?;
    let mut cells: BTreeMap<String, u64> = BTreeMap::new();
    for row in rows {
        if let (Ok(key), Ok(count)) = (row.get_str(field), row.get_i64("usage_count")) {
            *cells.entry(key.to_owned()).or_default() += u64::try_from(count).unwrap_or(0);
        }
    }
    Ok(cells.into_iter().collect())
}

/// Every rollup of `grain` of the organization, read in the transaction of
/// `session` (`verify-rollups`).
pub async fn of_org(
    db: &Database,
    session: &mut ClientSession,
    grain: Grain,
    org_id: OrgId,
) -> Result<Vec<Rollup>, StoreError> {
    rollups(db, grain)
        .find(doc! { "org_id": org_id })
        .session(&mut *session)
        .await
        .context("reading a user's rollups")?
        .stream(&mut *session)
        .try_collect()
        .await
        .context("reading a user's rollups")
}

/// Every organization that has rollups of either grain.
pub async fn org_ids(db: &Database) -> Result<Vec<OrgId>, StoreError> {
    let mut users = super::distinct_orgs(db, COLLECTION, "org_id").await?;
    users.extend(super::distinct_orgs(db, DAY_COLLECTION, "org_id").await?);
    users.sort_unstable();
    users.dedup();
    Ok(users)
}

/// Removes every rollup of `grain` of the organization (before a rebuild).
pub async fn delete_org(
    db: &Database,
    session: &mut ClientSession,
    grain: Grain,
    org_id: OrgId,
) -> Result<(), StoreError> {
    rollups(db, grain)
        .delete_many(doc! { "org_id": org_id })
        .session(&mut *session)
        .await
        .context("removing a user's rollups")?;
    Ok(())
}

/// Stores rebuilt rollups of `grain` (after [`delete_user`], in its
/// transaction).
pub async fn insert(
    db: &Database,
    session: &mut ClientSession,
    grain: Grain,
    rebuilt: &[Rollup],
) -> Result<(), StoreError> {
    if !rebuilt.is_empty() {
        rollups(db, grain)
            .insert_many(rebuilt)
            .session(&mut *session)
            .await
            .context("storing rebuilt rollups")?;
    }
    Ok(())
}

/// The collections of the rollups from before organizations (keyed by
/// user): migration 15 builds the organizations' rollups from the usages
/// and drops these.
pub const BEFORE_ORGANIZATIONS: [&str; 2] = ["rollups", "day_rollups"];
