//! Restatement: a period's totals as if its usages had used other factors
//! (another edition or dataset, matched by type) or another GWP set,
//! beside the original ones, and whether the change is one that calls for
//! recalculating the base year (GHG Protocol Corporate Standard, ch. 5:
//! changes in methodology or data accuracy, and errors, do; a newer grid
//! edition that reflects a cleaner grid is a real change and does not).
//! Pure: the service feeds it the usages and the types.

use std::collections::{BTreeMap, HashMap};

use super::gwp::{Gases, GwpSet};
use super::ids::UsageTypeId;
use super::units;
use super::usage::Usage;
use super::usage_type::{FactorBasis, UsageType};

/// Totals of one side of a restatement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    pub co2e: f64,
    pub by_scope: BTreeMap<u8, f64>,
    pub by_scope3_category: BTreeMap<u8, f64>,
    pub by_gas: Gases,
}

impl Totals {
    fn add(&mut self, scope: u8, category: Option<u8>, gases: &Gases, gwp: GwpSet) {
        let co2e = gases.co2e(gwp);
        self.co2e += co2e;
        *self.by_scope.entry(scope).or_default() += co2e;
        if let Some(category) = category {
            *self.by_scope3_category.entry(category).or_default() += co2e;
        }
        self.by_gas = self.by_gas.plus(gases);
    }
}

/// What kind of change a restatement found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// The same factors and GWP set.
    None,
    /// Only location-based grid factors changed: a newer grid edition
    /// reflecting a cleaner (or dirtier) grid, a real change that calls
    /// for no recalculation.
    GridUpdate,
    /// Another GWP set, or other emission factors than the grid's: a
    /// change in methodology or data accuracy.
    Methodology,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::None => "none",
            ChangeKind::GridUpdate => "grid_update",
            ChangeKind::Methodology => "methodology",
        }
    }
}

/// Why a usage kept its original figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmatched {
    /// No type of the dataset is, or replaces, its type.
    NoType,
    /// The matching type's unit is of another kind than the usage's.
    Unit(String),
}

impl Unmatched {
    pub fn describe(&self) -> String {
        match self {
            Unmatched::NoType => "no type of the dataset is or replaces its type".to_owned(),
            Unmatched::Unit(unit) => {
                format!("the matching type is per {unit}, which its amount cannot be converted to")
            }
        }
    }
}

/// Where each type's usages go in the other dataset: the type itself
/// when it is one of the dataset's, else the dataset's type that replaces
/// it (directly or through earlier replacements).
pub struct TypeMatch<'a> {
    dataset: &'a str,
    by_id: HashMap<UsageTypeId, &'a UsageType>,
    replaced_by: HashMap<UsageTypeId, Vec<&'a UsageType>>,
}

/// Replacement chains longer than this are not followed.
const MAX_CHAIN: usize = 16;

impl<'a> TypeMatch<'a> {
    /// Over every type the organization may see; `dataset` is the other
    /// dataset's id.
    pub fn new(dataset: &'a str, types: impl IntoIterator<Item = &'a UsageType>) -> Self {
        let mut by_id = HashMap::new();
        let mut replaced_by: HashMap<UsageTypeId, Vec<&UsageType>> = HashMap::new();
        for t in types {
            by_id.insert(t.id, t);
            if let Some(old) = t.replaces_type_id {
                replaced_by.entry(old).or_default().push(t);
            }
        }
        Self {
            dataset,
            by_id,
            replaced_by,
        }
    }

    /// The other dataset's type for usages of `id`.
    pub fn target(&self, id: UsageTypeId) -> Option<&'a UsageType> {
        if let Some(t) = self
            .by_id
            .get(&id)
            .filter(|t| t.dataset.as_str() == self.dataset)
        {
            return Some(t);
        }
        let mut frontier = vec![id];
        for _ in 0..MAX_CHAIN {
            let mut next = Vec::new();
            for old in frontier {
                for t in self.replaced_by.get(&old).into_iter().flatten() {
                    if t.dataset.as_str() == self.dataset {
                        return Some(t);
                    }
                    next.push(t.id);
                }
            }
            if next.is_empty() {
                return None;
            }
            frontier = next;
        }
        None
    }
}

/// A usage's gases had it used `target`'s factor: its amount as entered,
/// converted to `target`'s unit.
pub fn restated_gases(usage: &Usage, target: &UsageType) -> Result<Gases, Unmatched> {
    let choice = units::check_unit(&usage.unit, &target.unit)
        .map_err(|_| Unmatched::Unit(target.unit.clone()))?;
    Ok(target.gases.times(usage.amount * choice.ratio))
}

/// Both sides of a restatement, built usage by usage.
#[derive(Debug, Default)]
pub struct Restating {
    pub original: Totals,
    pub restated: Totals,
    pub usage_count: u64,
    pub matched: u64,
    pub unmatched_count: u64,
    /// Usages that kept their original figures, and why (the first
    /// [`MAX_LISTED`]).
    pub unmatched: Vec<(Usage, Unmatched)>,
    /// Usages with other factors, grid averages or not.
    changed_grid: u64,
    changed_other: u64,
}

/// The most unmatched usages an answer lists (the count is exact).
pub const MAX_LISTED: usize = 1_000;

impl Restating {
    /// Adds `usage`: its own gases weighed by `original_gwp`, and beside
    /// them `target`'s (its own type when `None`), weighed by `gwp`.
    pub fn add(
        &mut self,
        usage: &Usage,
        target: Option<&UsageType>,
        (original_gwp, gwp): (GwpSet, GwpSet),
    ) {
        self.usage_count += 1;
        let scope = usage.usage_type.scope.get();
        self.original
            .add(scope, usage.scope3_category, &usage.gases, original_gwp);
        let restated = match target {
            None => Err(Unmatched::NoType),
            Some(t) => restated_gases(usage, t),
        };
        match restated {
            Ok(gases) => {
                self.matched += 1;
                let target = target.unwrap_or(&usage.usage_type);
                if target.gases != usage.usage_type.gases {
                    let grid = usage.usage_type.scope.get() == 2
                        && target.factor_basis.unwrap_or(FactorBasis::LocationBased)
                            == FactorBasis::LocationBased;
                    if grid {
                        self.changed_grid += 1;
                    } else {
                        self.changed_other += 1;
                    }
                }
                self.restated.add(scope, usage.scope3_category, &gases, gwp);
            }
            Err(why) => {
                self.unmatched_count += 1;
                if self.unmatched.len() < MAX_LISTED {
                    self.unmatched.push((usage.clone(), why));
                }
                self.restated
                    .add(scope, usage.scope3_category, &usage.gases, gwp);
            }
        }
    }

    /// The kind of change: another GWP set or other non-grid factors is
    /// methodology; only grid factors, a grid update.
    pub fn kind(&self, gwp_changed: bool) -> ChangeKind {
        if gwp_changed || self.changed_other > 0 {
            ChangeKind::Methodology
        } else if self.changed_grid > 0 {
            ChangeKind::GridUpdate
        } else {
            ChangeKind::None
        }
    }
}

/// The restated total's change, in percent of the original (none when the
/// original is zero).
pub fn percent_change(original: f64, restated: f64) -> Option<f64> {
    (original != 0.0).then(|| (restated - original) / original * 100.0)
}
