//! Checking the month and day rollups (and the quota counts) against the
//! usages they sum,
//! and rebuilding them: `carbon-service verify-rollups [--repair]`, and the
//! start-up migration that builds rollups for data stored before them.
//!
//! Each organization is read (and repaired) in one transaction, so its usages,
//! rollups and count are compared as of one instant even while the service
//! serves writes.

use std::collections::{BTreeMap, BTreeSet};

use mongodb::{ClientSession, Database};

use crate::domain::gwp::Gases;
use crate::domain::ids::{FacilityId, UsageTypeId};
use crate::domain::rollup::Grain;
use crate::domain::summary::SummaryCell;
use crate::domain::usage_query::UsageFilter;
use crate::storage::rollups::{self, Rollup};
use crate::storage::{usage_counts, usages};
use common::db::{StoreError, in_transaction};
use common::ids::OrgId;

/// A sum of floats taken in another order may differ in its last bits;
/// anything beyond this relative difference is a real one.
const RELATIVE_TOLERANCE: f64 = 1e-9;

/// One cell's figures: usages, amount, kg CO₂e.
#[derive(Debug, Clone, PartialEq)]
pub struct Totals {
    pub usage_count: u64,
    pub total_amount: f64,
    pub co2e: f64,
    /// kg of each gas, and CO₂e given without gases.
    pub gases: Gases,
}

impl Totals {
    fn of(cell: &SummaryCell) -> Self {
        Self {
            usage_count: cell.usage_count,
            total_amount: cell.total_amount,
            co2e: cell.co2e,
            gases: cell.gases.clone(),
        }
    }

    fn agrees_with(&self, other: &Self) -> bool {
        let close =
            |a: f64, b: f64| (a - b).abs() <= RELATIVE_TOLERANCE * a.abs().max(b.abs()).max(1.0);
        self.usage_count == other.usage_count
            && close(self.total_amount, other.total_amount)
            && close(self.co2e, other.co2e)
            && self.gases.agrees_with(&other.gases, RELATIVE_TOLERANCE)
    }
}

/// A rollup that does not equal the sum of its usages.
#[derive(Debug, Clone, PartialEq)]
pub struct CellDifference {
    pub org_id: OrgId,
    pub month: String,
    /// A day rollup's day.
    pub day: Option<String>,
    pub usage_type_id: UsageTypeId,
    pub scope: u8,
    /// `None`: no rollup is stored for usages that exist.
    pub stored: Option<Totals>,
    /// `None`: a rollup is stored for usages that do not exist.
    pub recomputed: Option<Totals>,
}

/// A quota count that does not equal the organization's usages.
#[derive(Debug, Clone, PartialEq)]
pub struct CountDifference {
    pub org_id: OrgId,
    pub stored: u64,
    pub recomputed: u64,
}

/// What a verification found.
#[derive(Debug, Default)]
pub struct Verification {
    pub users: u64,
    pub cells: u64,
    pub cell_differences: Vec<CellDifference>,
    pub count_differences: Vec<CountDifference>,
    /// Users repaired (with `--repair`).
    pub repaired: u64,
}

impl Verification {
    pub fn is_clean(&self) -> bool {
        self.cell_differences.is_empty() && self.count_differences.is_empty()
    }
}

type CellKey = (
    String,
    Option<String>,
    UsageTypeId,
    u8,
    Option<u8>,
    Option<FacilityId>,
    Option<crate::domain::usage::DataQuality>,
);

/// The cells keyed, those of one key summed (day cells by month, when
/// their days are dropped).
fn keyed(cells: impl IntoIterator<Item = SummaryCell>) -> BTreeMap<CellKey, SummaryCell> {
    let mut keyed: BTreeMap<CellKey, SummaryCell> = BTreeMap::new();
    for cell in cells {
        let key = (
            cell.month.clone(),
            cell.day.clone(),
            cell.usage_type_id,
            cell.scope,
            cell.scope3_category,
            cell.facility_id,
            cell.data_quality,
        );
        match keyed.get_mut(&key) {
            Some(sum) => {
                sum.usage_count += cell.usage_count;
                sum.total_amount += cell.total_amount;
                sum.co2e += cell.co2e;
                sum.gases = sum.gases.plus(&cell.gases);
            }
            None => {
                keyed.insert(key, cell);
            }
        }
    }
    keyed
}

/// Day cells summed into their months.
fn months_of(days: &[SummaryCell]) -> Vec<SummaryCell> {
    let months = days.iter().map(|cell| SummaryCell {
        day: None,
        ..cell.clone()
    });
    keyed(months).into_values().collect()
}

/// One organization as of one snapshot: stored rollups and count, and the same
/// recomputed from the usages.
struct UserState {
    stored: BTreeMap<CellKey, SummaryCell>,
    recomputed: BTreeMap<CellKey, SummaryCell>,
    count: u64,
}

/// The organization's day cells summed from the usages, and their months.
async fn recompute(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
) -> Result<(Vec<SummaryCell>, Vec<SummaryCell>), StoreError> {
    let all = UsageFilter::default();
    let days = usages::summary_cells(db, session, org_id, &all, Grain::Day, None).await?;
    let months = months_of(&days);
    Ok((months, days))
}

async fn read_user(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
) -> Result<UserState, StoreError> {
    let (months, days) = recompute(db, session, org_id).await?;
    let mut stored = rollups::of_org(db, session, Grain::Month, org_id).await?;
    stored.extend(rollups::of_org(db, session, Grain::Day, org_id).await?);
    let count = usage_counts::held(db, session, org_id).await?;
    Ok(UserState {
        stored: keyed(stored.iter().map(Rollup::cell)),
        recomputed: keyed(months.into_iter().chain(days)),
        count,
    })
}

fn compare(org_id: OrgId, state: &UserState, report: &mut Verification) {
    let keys: BTreeSet<&CellKey> = state.stored.keys().chain(state.recomputed.keys()).collect();
    for key in keys {
        report.cells += 1;
        let stored = state.stored.get(key).map(Totals::of);
        let recomputed = state.recomputed.get(key).map(Totals::of);
        let agree = match (&stored, &recomputed) {
            (Some(a), Some(b)) => a.agrees_with(b),
            _ => false,
        };
        if !agree {
            report.cell_differences.push(CellDifference {
                org_id,
                month: key.0.clone(),
                day: key.1.clone(),
                usage_type_id: key.2,
                scope: key.3,
                stored,
                recomputed,
            });
        }
    }
    let usages: u64 = state
        .recomputed
        .values()
        .filter(|c| c.day.is_none())
        .map(|c| c.usage_count)
        .sum();
    if usages != state.count {
        report.count_differences.push(CountDifference {
            org_id,
            stored: state.count,
            recomputed: usages,
        });
    }
}

/// Every organization that has usages, rollups or a count.
async fn every_user(db: &Database) -> Result<BTreeSet<OrgId>, StoreError> {
    let mut users = BTreeSet::new();
    users.extend(usages::org_ids(db).await?);
    users.extend(rollups::org_ids(db).await?);
    users.extend(usage_counts::org_ids(db).await?);
    Ok(users)
}

/// Rebuilds one organization's rollups and count from the usages, in one
/// transaction: a concurrent write conflicts with it and one of them runs
/// again, so nothing written meanwhile is lost.
pub async fn repair_org(db: &Database, org_id: OrgId) -> Result<(), StoreError> {
    in_transaction(db, "rebuilding a user's rollups", async |session| {
        let (months, days) = recompute(db, session, org_id).await?;
        for (grain, cells) in [(Grain::Month, &months), (Grain::Day, &days)] {
            let rebuilt: Vec<Rollup> = cells
                .iter()
                .map(|cell| Rollup::from_cell(org_id, cell))
                .collect();
            rollups::delete_org(db, session, grain, org_id).await?;
            rollups::insert(db, session, grain, &rebuilt).await?;
        }
        let usages: u64 = months.iter().map(|c| c.usage_count).sum();
        usage_counts::set(db, session, org_id, usages).await
    })
    .await
}

/// Compares every organization's rollups and count with their usages, and with
/// `repair` rebuilds each organization that differs.
#[tracing::instrument(skip(db))]
pub async fn verify(db: &Database, repair: bool) -> Result<Verification, StoreError> {
    let mut report = Verification::default();
    for org_id in every_user(db).await? {
        report.users += 1;
        let state = in_transaction(db, "verifying a user's rollups", async |session| {
            read_user(db, session, org_id).await
        })
        .await?;
        let before = report.cell_differences.len() + report.count_differences.len();
        compare(org_id, &state, &mut report);
        let differs = report.cell_differences.len() + report.count_differences.len() > before;
        if repair && differs {
            repair_org(db, org_id).await?;
            report.repaired += 1;
        }
    }
    Ok(report)
}

/// Builds the rollups of every organization that has usages: the start-up
/// migration of a database whose usages predate rollups.
pub async fn build_all(db: &Database) -> Result<u64, StoreError> {
    let users = usages::org_ids(db).await?;
    for &org_id in &users {
        repair_org(db, org_id).await?;
    }
    Ok(users.len() as u64)
}
