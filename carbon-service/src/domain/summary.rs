//! The footprint summary: per-cell totals from the database folded into
//! overall, per-type and per-month figures. The fold is pure, so it is
//! tested without a database (including against a brute-force sum).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::gwp::{Gases, GwpSet};
use super::ids::{FacilityId, UsageTypeId};
use super::instrument::Level;
use super::usage_query::UsageFilter;

#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The window's start (inclusive), as given.
    pub from: Option<DateTime<Utc>>,
    /// The window's end (exclusive), as given.
    pub to: Option<DateTime<Utc>>,
    pub usage_count: u64,
    /// kg CO₂e, under the GWP set the summary was asked for.
    pub total_co2e: f64,
    /// kg of each gas.
    pub by_gas: Gases,
    /// Ordered by usage type id.
    pub by_type: Vec<TypeTotal>,
    /// Ordered by month (UTC).
    pub by_month: Vec<MonthTotal>,
    /// GHG Protocol scopes present, in order; each usage counts under the
    /// scope of its type snapshot.
    pub by_scope: Vec<ScopeTotal>,
    /// Scope 3 per GHG Protocol category, in order, each usage under the
    /// category it is reported under.
    pub by_scope3_category: Vec<CategoryTotal>,
    /// Per facility, by id; the usages that name none last.
    pub by_facility: Vec<FacilityTotal>,
    /// Per data quality (measured, calculated, estimated, spend-based),
    /// the usages that say none last.
    pub by_data_quality: Vec<QualityTotal>,
    /// Scope 2 by both methods, never added together.
    pub scope2: Scope2,
    /// `total_co2e` with scope 2 market-based instead of location-based.
    pub total_co2e_market_based: f64,
}

/// Scope 2 by the location-based and the market-based method (GHG
/// Protocol Scope 2 Guidance): the same energy, two figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope2 {
    /// The grid-average factors the usages were recorded with: what
    /// `by_scope` counts.
    pub location_based: Figures,
    /// Contractual instruments, then residual mixes, then the
    /// location-based factor (see `market`).
    pub market_based: Figures,
    /// kWh of the window's purchased energy each level covered, in
    /// hierarchy order, every level listed.
    pub coverage: Vec<(Level, f64)>,
}

/// A window's market-based figures: the gases and the energy each level
/// covered (`market` computes them from the
/// summary's cells).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarketBased {
    pub gases: Gases,
    pub energy_kwh: BTreeMap<Level, f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub co2e: f64,
    pub by_gas: Gases,
}

impl Summary {
    /// Sets the scope 2 figures: location-based from `by_scope`,
    /// market-based from `market`, weighed by `set`.
    pub fn with_market_based(mut self, market: MarketBased, set: GwpSet) -> Self {
        let location = self
            .by_scope
            .iter()
            .find(|s| s.scope == 2)
            .map(|s| Figures {
                co2e: s.co2e,
                by_gas: s.by_gas.clone(),
            })
            .unwrap_or_default();
        let market_co2e = market.gases.co2e(set);
        self.total_co2e_market_based = self.total_co2e - location.co2e + market_co2e;
        self.scope2 = Scope2 {
            location_based: location,
            market_based: Figures {
                co2e: market_co2e,
                by_gas: market.gases,
            },
            coverage: Level::ALL
                .iter()
                .map(|level| (*level, market.energy_kwh.get(level).copied().unwrap_or(0.0)))
                .collect(),
        };
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeTotal {
    pub usage_type_id: UsageTypeId,
    pub name: String,
    pub unit: String,
    pub usage_count: u64,
    /// In the type's unit.
    pub total_amount: f64,
    /// kg CO₂e.
    pub co2e: f64,
    pub by_gas: Gases,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct MonthTotal {
    /// `YYYY-MM`.
    pub month: String,
    pub usage_count: u64,
    pub co2e: f64,
    pub by_gas: Gases,
    /// The month's figures per usage type, by type id (for a chart stacked
    /// by type).
    pub by_type: Vec<MonthTypeTotal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonthTypeTotal {
    pub usage_type_id: UsageTypeId,
    pub usage_count: u64,
    /// kg CO₂e.
    pub co2e: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScopeTotal {
    /// 1, 2 or 3.
    pub scope: u8,
    pub usage_count: u64,
    pub co2e: f64,
    pub by_gas: Gases,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CategoryTotal {
    /// 1 to 15.
    pub category: u8,
    pub usage_count: u64,
    pub co2e: f64,
    pub by_gas: Gases,
}

/// The totals of the usages of one data quality (none: those that say
/// none), and their share of the total CO₂e.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityTotal {
    pub data_quality: Option<crate::domain::usage::DataQuality>,
    pub usage_count: u64,
    pub co2e: f64,
    /// Percent of the summary's `total_co2e` (0 when that is 0).
    pub share_percent: f64,
}

/// One facility's totals (`facility_id` none: the usages that name none).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FacilityTotal {
    pub facility_id: Option<FacilityId>,
    /// Its current name (filled in by the caller; none for a facility
    /// deleted since, which cannot have usages left).
    pub name: Option<String>,
    pub usage_count: u64,
    pub co2e: f64,
    pub by_gas: Gases,
}

/// The totals of one (usage type, month, scope) of an organization's usages, as the
/// database computes them.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryCell {
    pub usage_type_id: UsageTypeId,
    /// `YYYY-MM`, UTC.
    pub month: String,
    /// `YYYY-MM-DD`, UTC: a day cell's (a summary sums by month).
    pub day: Option<String>,
    /// The GHG Protocol scope of the usages' type snapshots.
    pub scope: u8,
    /// The scope 3 category the usages are reported under.
    pub scope3_category: Option<u8>,
    /// The facility the usages belong to.
    pub facility_id: Option<FacilityId>,
    /// How the usages' amounts were obtained.
    pub data_quality: Option<crate::domain::usage::DataQuality>,
    pub usage_count: u64,
    pub total_amount: f64,
    /// kg CO₂e: as stored (under each factor's GWP set) until
    /// [`weigh`] puts it under one set.
    pub co2e: f64,
    /// kg of each gas emitted (every field given: sums, 0 when none).
    pub gases: Gases,
    /// A label from one of the cell's usage snapshots, for a type that no
    /// longer exists.
    pub snapshot_name: String,
    pub snapshot_unit: String,
}

/// Puts every cell's CO₂e under `set`, from its gases (never from the
/// CO₂e stored with each usage, which is under its factor's own set).
pub fn weigh(cells: &mut [SummaryCell], set: super::gwp::GwpSet) {
    for cell in cells {
        cell.co2e = cell.gases.co2e(set);
    }
}

/// Adds a cell's count, CO₂e and gases to a line's.
fn add(cell: &SummaryCell, usage_count: &mut u64, co2e: &mut f64, by_gas: &mut Gases) {
    *usage_count += cell.usage_count;
    *co2e += cell.co2e;
    *by_gas = by_gas.plus(&cell.gases);
}

/// Folds the cells into a summary. Lines are named with the type's current
/// name (`current_name`) when it still exists, else with a snapshot's, and
/// their unit is always the snapshots': the unit the amounts were summed in.
pub fn fold(
    filter: &UsageFilter,
    cells: &[SummaryCell],
    current_name: impl Fn(UsageTypeId) -> Option<String>,
) -> Summary {
    let mut by_type: BTreeMap<UsageTypeId, TypeTotal> = BTreeMap::new();
    let mut by_month: BTreeMap<&str, MonthTotal> = BTreeMap::new();
    let mut by_scope: BTreeMap<u8, ScopeTotal> = BTreeMap::new();
    let mut by_category: BTreeMap<u8, CategoryTotal> = BTreeMap::new();
    // `None` sorts first: moved last below.
    let mut by_facility: BTreeMap<Option<FacilityId>, FacilityTotal> = BTreeMap::new();
    let mut by_quality: BTreeMap<Option<crate::domain::usage::DataQuality>, (u64, f64)> =
        BTreeMap::new();
    for cell in cells {
        let quality = by_quality.entry(cell.data_quality).or_default();
        quality.0 += cell.usage_count;
        quality.1 += cell.co2e;
        let site = by_facility
            .entry(cell.facility_id)
            .or_insert_with(|| FacilityTotal {
                facility_id: cell.facility_id,
                ..FacilityTotal::default()
            });
        add(
            cell,
            &mut site.usage_count,
            &mut site.co2e,
            &mut site.by_gas,
        );
        let line = by_type
            .entry(cell.usage_type_id)
            .or_insert_with(|| TypeTotal {
                usage_type_id: cell.usage_type_id,
                name: current_name(cell.usage_type_id)
                    .unwrap_or_else(|| cell.snapshot_name.clone()),
                unit: cell.snapshot_unit.clone(),
                usage_count: 0,
                total_amount: 0.0,
                co2e: 0.0,
                by_gas: Gases::default(),
            });
        line.total_amount += cell.total_amount;
        add(
            cell,
            &mut line.usage_count,
            &mut line.co2e,
            &mut line.by_gas,
        );
        let month = by_month.entry(&cell.month).or_insert_with(|| MonthTotal {
            month: cell.month.clone(),
            ..MonthTotal::default()
        });
        add(
            cell,
            &mut month.usage_count,
            &mut month.co2e,
            &mut month.by_gas,
        );
        match month
            .by_type
            .iter_mut()
            .find(|t| t.usage_type_id == cell.usage_type_id)
        {
            Some(line) => {
                line.usage_count += cell.usage_count;
                line.co2e += cell.co2e;
            }
            None => month.by_type.push(MonthTypeTotal {
                usage_type_id: cell.usage_type_id,
                usage_count: cell.usage_count,
                co2e: cell.co2e,
            }),
        }
        let scope = by_scope.entry(cell.scope).or_insert_with(|| ScopeTotal {
            scope: cell.scope,
            ..ScopeTotal::default()
        });
        add(
            cell,
            &mut scope.usage_count,
            &mut scope.co2e,
            &mut scope.by_gas,
        );
        if let Some(category) = cell.scope3_category.filter(|_| cell.scope == 3) {
            let line = by_category
                .entry(category)
                .or_insert_with(|| CategoryTotal {
                    category,
                    ..CategoryTotal::default()
                });
            add(
                cell,
                &mut line.usage_count,
                &mut line.co2e,
                &mut line.by_gas,
            );
        }
    }
    let by_type: Vec<TypeTotal> = by_type.into_values().collect();
    Summary {
        from: filter.from,
        to: filter.to,
        usage_count: by_type.iter().map(|t| t.usage_count).sum(),
        total_co2e: by_type.iter().map(|t| t.co2e).sum(),
        by_gas: by_type
            .iter()
            .fold(Gases::default(), |sum, t| sum.plus(&t.by_gas)),
        by_type,
        by_month: by_month
            .into_values()
            .map(|mut m| {
                m.by_type.sort_by_key(|t| t.usage_type_id);
                m
            })
            .collect(),
        by_scope: by_scope.into_values().collect(),
        by_scope3_category: by_category.into_values().collect(),
        by_facility: {
            let mut sites: Vec<FacilityTotal> = by_facility.into_values().collect();
            let none_first = sites.first().is_some_and(|s| s.facility_id.is_none());
            sites.rotate_left(usize::from(none_first));
            sites
        },
        by_data_quality: {
            let total: f64 = by_quality.values().map(|(_, co2e)| co2e).sum();
            let mut lines: Vec<QualityTotal> = by_quality
                .into_iter()
                .map(|(data_quality, (usage_count, co2e))| QualityTotal {
                    data_quality,
                    usage_count,
                    co2e,
                    share_percent: if total == 0.0 {
                        0.0
                    } else {
                        co2e / total * 100.0
                    },
                })
                .collect();
            let none_first = lines.first().is_some_and(|q| q.data_quality.is_none());
            lines.rotate_left(usize::from(none_first));
            lines
        },
        scope2: Scope2::default(),
        total_co2e_market_based: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's scopes: 100 and 102 are scope 2, 101 scope 3, 103 and 104 scope 1.
    fn scope_of(type_id: i64) -> u8 {
        match type_id {
            100 | 102 => 2,
            101 => 3,
            _ => 1,
        }
    }

    fn id(type_id: i64) -> UsageTypeId {
        UsageTypeId::parse("id", type_id).unwrap()
    }

    fn cell(type_id: i64, month: &str, count: u64, amount: f64, co2e: f64) -> SummaryCell {
        SummaryCell {
            usage_type_id: id(type_id),
            month: month.into(),
            day: None,
            scope: scope_of(type_id),
            scope3_category: None,
            facility_id: None,
            data_quality: None,
            usage_count: count,
            total_amount: amount,
            co2e,
            gases: Gases::co2e_only(co2e),
            snapshot_name: format!("snapshot-{type_id}"),
            snapshot_unit: "u".into(),
        }
    }

    #[test]
    fn weighing_puts_every_cell_under_one_gwp_set_from_its_gases() {
        use crate::domain::gwp::GwpSet;
        let mut cells = [cell(100, "2026-01", 1, 1.0, 999.0)];
        cells[0].gases = Gases {
            co2: Some(10.0),
            ch4: Some(1.0),
            n2o: Some(0.1),
            other_co2e: Some(2.0),
            ..Gases::default()
        };
        weigh(&mut cells, GwpSet::Ar4);
        assert_eq!(cells[0].co2e, 10.0 + 25.0 + 29.8 + 2.0);
        let s = fold(&UsageFilter::default(), &cells, |_| None);
        assert_eq!(s.by_gas, cells[0].gases);
        assert_eq!(s.by_scope[0].by_gas, cells[0].gases);
    }

    #[test]
    fn no_cells_is_an_empty_summary() {
        let s = fold(&UsageFilter::default(), &[], |_| None);
        assert_eq!((s.usage_count, s.total_co2e), (0, 0.0));
        assert!(s.by_type.is_empty() && s.by_month.is_empty());
    }

    #[test]
    fn lines_use_the_current_name_and_fall_back_to_a_snapshots() {
        let cells = [
            cell(101, "2026-02", 1, 2.0, 3.0),
            cell(100, "2026-01", 2, 4.0, 6.0),
        ];
        let s = fold(&UsageFilter::default(), &cells, |id| {
            (id == super::tests::id(100)).then(|| "electricity".to_owned())
        });
        let labels: Vec<_> = s
            .by_type
            .iter()
            .map(|t| (t.usage_type_id.get(), t.name.as_str()))
            .collect();
        assert_eq!(labels, [(100, "electricity"), (101, "snapshot-101")]);
        assert!(s.by_type.iter().all(|t| t.unit == "u"), "the summed unit");
        let months: Vec<_> = s.by_month.iter().map(|m| m.month.as_str()).collect();
        assert_eq!(months, ["2026-01", "2026-02"]);
    }

    mod property {
        use super::*;
        use proptest::prelude::*;

        /// A usage as the brute force sees it: (type, month, amount, factor).
        fn usages() -> impl Strategy<Value = Vec<(i64, u8, f64, f64)>> {
            proptest::collection::vec((100i64..105, 1u8..13, 0.0f64..1e6, 0.0f64..1e3), 0..60)
        }

        proptest! {
            #[test]
            fn the_fold_equals_a_brute_force_sum(usages in usages()) {
                // Cells as the database would group them.
                let mut cells: BTreeMap<(i64, u8), SummaryCell> = BTreeMap::new();
                for (type_id, month, amount, factor) in &usages {
                    let c = cells.entry((*type_id, *month)).or_insert_with(|| {
                        cell(*type_id, &format!("2026-{month:02}"), 0, 0.0, 0.0)
                    });
                    c.usage_count += 1;
                    c.total_amount += amount;
                    c.co2e += amount * factor;
                    c.gases = Gases::co2e_only(c.co2e);
                }
                let cells: Vec<SummaryCell> = cells.into_values().collect();
                let s = fold(&UsageFilter::default(), &cells, |_| None);

                let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
                let brute_total: f64 = usages.iter().map(|(_, _, a, f)| a * f).sum();
                prop_assert_eq!(s.usage_count, usages.len() as u64);
                prop_assert!(close(s.total_co2e, brute_total), "{} vs {}", s.total_co2e, brute_total);
                for line in &s.by_type {
                    let mine = usages.iter().filter(|u| u.0 == line.usage_type_id.get());
                    let (count, amount, co2e) = mine.fold((0u64, 0.0, 0.0), |acc, (_, _, a, f)| {
                        (acc.0 + 1, acc.1 + a, acc.2 + a * f)
                    });
                    prop_assert_eq!(line.usage_count, count);
                    prop_assert!(close(line.total_amount, amount));
                    prop_assert!(close(line.co2e, co2e));
                }
                for month in &s.by_month {
                    let mine = usages
                        .iter()
                        .filter(|u| format!("2026-{:02}", u.1) == month.month);
                    let (count, co2e) = mine.fold((0u64, 0.0), |acc, (_, _, a, f)| (acc.0 + 1, acc.1 + a * f));
                    prop_assert_eq!(month.usage_count, count);
                    prop_assert!(close(month.co2e, co2e));
                    for line in &month.by_type {
                        let brute: f64 = usages
                            .iter()
                            .filter(|u| u.0 == line.usage_type_id.get() && format!("2026-{:02}", u.1) == month.month)
                            .map(|(_, _, a, f)| a * f)
                            .sum();
                        prop_assert!(close(line.co2e, brute));
                    }
                }
                for scope in &s.by_scope {
                    let mine = usages.iter().filter(|u| scope_of(u.0) == scope.scope);
                    let (count, co2e) = mine.fold((0u64, 0.0), |acc, (_, _, a, f)| (acc.0 + 1, acc.1 + a * f));
                    prop_assert_eq!(scope.usage_count, count);
                    prop_assert!(close(scope.co2e, co2e));
                }
                let months_sum: u64 = s.by_month.iter().map(|m| m.usage_count).sum();
                prop_assert_eq!(months_sum, s.usage_count);
                let scopes_sum: u64 = s.by_scope.iter().map(|m| m.usage_count).sum();
                prop_assert_eq!(scopes_sum, s.usage_count);
            }
        }
    }
}
