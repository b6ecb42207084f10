//! The market-based scope 2 method (GHG Protocol Scope 2 Guidance, ch. 6):
//! which share of each month's purchased energy each source covers, and
//! the emissions that follow. Pure: computed at read time from the month
//! rollups and the instruments, never stored, so an instrument added later
//! changes the figures.
//!
//! The allocation is deterministic and does not depend on the window a
//! summary asks for: per calendar year, instruments apply in hierarchy
//! order (certificates and PPAs, then supplier factors), then by `from`,
//! then by id; each covers, pro rata, the energy still uncovered in its
//! months and boundary, up to its amount, which is so used at most once.
//! What no instrument covers takes a residual-mix factor for its region
//! where a dataset gives one, else its location-based factor (flagged).
//! Monthly market-based figures therefore add up to the annual one.

use std::collections::BTreeMap;

use super::gwp::Gases;
use super::ids::UsageTypeId;
use super::instrument::{Instrument, Level};
use super::summary::{MarketBased, SummaryCell};
use super::units::{Dimension, Unit};
use super::usage_type::{FactorBasis, UsageType};

/// A month of one type's purchased energy, as the rollups give it.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyCell {
    /// `YYYY-MM`.
    pub month: String,
    pub usage_type_id: UsageTypeId,
    /// The type's region (a market boundary covers it or not).
    pub region: String,
    pub energy_kwh: f64,
}

/// Where a share of a cell's energy takes its factor from.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub level: Level,
    /// Of the cell's energy, 0 to 1.
    pub fraction: f64,
    /// kg of each gas per kWh; `None`: the cell's own location-based
    /// gases.
    pub per_kwh: Option<Gases>,
}

/// The shares of every eligible (month, type).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Allocation {
    shares: BTreeMap<(String, UsageTypeId), Vec<Share>>,
}

/// A residual-mix factor (kg per kWh) for a region, when a dataset gives
/// one.
pub type ResidualMix<'a> = &'a dyn Fn(&str) -> Option<Gases>;

/// Allocates one calendar year: `cells` are its months' energy, and
/// `instruments` the instruments of that year.
pub fn allocate(
    cells: &[EnergyCell],
    instruments: &[Instrument],
    residual_mix: ResidualMix<'_>,
) -> Allocation {
    let mut order: Vec<&Instrument> = instruments.iter().collect();
    order.sort_by_key(|i| (i.kind.level(), i.from, i.id));
    let mut remaining: Vec<f64> = cells.iter().map(|c| c.energy_kwh.max(0.0)).collect();
    let mut allocation = Allocation::default();
    for instrument in order {
        let months = instrument.months();
        let eligible: Vec<usize> = cells
            .iter()
            .enumerate()
            .filter(|(_, c)| months.contains(&c.month) && instrument.covers(&c.region))
            .map(|(i, _)| i)
            .collect();
        let uncovered: f64 = eligible.iter().map(|&i| remaining[i]).sum();
        if uncovered <= 0.0 {
            continue;
        }
        let part = instrument.amount_kwh.min(uncovered) / uncovered;
        let per_kwh = instrument.gases_per_kwh();
        for i in eligible {
            let taken = remaining[i] * part;
            if taken <= 0.0 {
                continue;
            }
            remaining[i] -= taken;
            allocation.push(
                &cells[i],
                Share {
                    level: instrument.kind.level(),
                    fraction: taken / cells[i].energy_kwh,
                    per_kwh: Some(per_kwh.clone()),
                },
            );
        }
    }
    for (cell, left) in cells.iter().zip(remaining) {
        if cell.energy_kwh <= 0.0 || left <= 0.0 {
            continue;
        }
        let fraction = left / cell.energy_kwh;
        let share = match residual_mix(&cell.region) {
            Some(per_kwh) => Share {
                level: Level::ResidualMix,
                fraction,
                per_kwh: Some(per_kwh),
            },
            None => Share {
                level: Level::LocationBasedFallback,
                fraction,
                per_kwh: None,
            },
        };
        allocation.push(cell, share);
    }
    allocation
}

impl Allocation {
    fn push(&mut self, cell: &EnergyCell, share: Share) {
        self.shares
            .entry((cell.month.clone(), cell.usage_type_id))
            .or_default()
            .push(share);
    }

    /// Merges another year's allocation.
    pub fn extend(&mut self, other: Allocation) {
        self.shares.extend(other.shares);
    }

    /// Adds a summary cell's market-based figures: `energy_kwh` of the
    /// type in `month` (the whole month, or the part inside a window),
    /// whose location-based emissions are `location`. A cell the
    /// allocation does not know (not purchased energy, or a type without a
    /// region) keeps its location-based figures, flagged.
    pub fn add(
        &self,
        into: &mut MarketBased,
        month: &str,
        usage_type_id: UsageTypeId,
        energy_kwh: f64,
        location: &Gases,
    ) {
        let fallback = [Share {
            level: Level::LocationBasedFallback,
            fraction: 1.0,
            per_kwh: None,
        }];
        let shares = self
            .shares
            .get(&(month.to_owned(), usage_type_id))
            .map_or(&fallback[..], Vec::as_slice);
        for share in shares {
            let gases = match &share.per_kwh {
                Some(per_kwh) => per_kwh.times(energy_kwh * share.fraction),
                None => location.times(share.fraction),
            };
            into.gases = into.gases.plus(&gases);
            *into.energy_kwh.entry(share.level).or_insert(0.0) += energy_kwh * share.fraction;
        }
    }
}

/// A cell's amount in kWh, when it is energy.
pub fn energy_kwh(cell: &SummaryCell) -> Option<f64> {
    let unit = Unit::find(&cell.snapshot_unit).filter(|u| u.dimension() == Dimension::Energy)?;
    let kwh = Unit::find("kWh")?;
    unit.convert(cell.total_amount, kwh)
}

/// A month rollup of purchased energy, with its type's region: what an
/// instrument may cover. A type that is gone or has no region is not.
pub fn energy_cell(cell: &SummaryCell, usage_type: Option<&UsageType>) -> Option<EnergyCell> {
    Some(EnergyCell {
        month: cell.month.clone(),
        usage_type_id: cell.usage_type_id,
        region: usage_type?.region.clone()?,
        energy_kwh: energy_kwh(cell)?,
    })
}

/// The residual mix of `region`, kg per kWh: a scope 2 type marked
/// `residual_mix` whose region covers it, the most specific region first,
/// then the latest source year, then the lowest id.
pub fn residual_mix(types: &[UsageType], region: &str) -> Option<Gases> {
    let kwh = Unit::find("kWh")?;
    types
        .iter()
        .filter(|t| t.factor_basis == Some(FactorBasis::ResidualMix) && !t.retired)
        .filter(|t| {
            t.region
                .as_deref()
                .is_some_and(|r| super::instrument::covers(r, region))
        })
        .filter_map(|t| {
            let per_unit_kwh = Unit::find(&t.unit)?.convert(1.0, kwh)?;
            Some((t, per_unit_kwh))
        })
        .min_by_key(|(t, _)| {
            (
                std::cmp::Reverse(t.region.as_ref().map_or(0, String::len)),
                std::cmp::Reverse(t.source_year),
                t.id,
            )
        })
        .map(|(t, kwh_per_unit)| t.gases.times(1.0 / kwh_per_unit))
}

/// A window's market-based figures: each calendar year's allocation (its
/// month cells, scope 2 ones counted, and its instruments) applied to the
/// window's scope 2 cells. `types` are sorted by id (the type cache's
/// order).
pub fn market_based(
    window: &[SummaryCell],
    years: &[(Vec<SummaryCell>, Vec<Instrument>)],
    types: &[UsageType],
) -> MarketBased {
    let type_of = |id| {
        types
            .binary_search_by_key(&id, |t: &UsageType| t.id)
            .ok()
            .map(|i| &types[i])
    };
    let residual = |region: &str| residual_mix(types, region);
    let mut allocation = Allocation::default();
    for (year_cells, year_instruments) in years {
        let energy: Vec<EnergyCell> = year_cells
            .iter()
            .filter(|c| c.scope == 2)
            .filter_map(|c| energy_cell(c, type_of(c.usage_type_id)))
            .collect();
        allocation.extend(allocate(&energy, year_instruments, &residual));
    }
    let mut figures = MarketBased::default();
    for cell in window.iter().filter(|c| c.scope == 2) {
        let kwh = energy_kwh(cell).unwrap_or(0.0);
        allocation.add(
            &mut figures,
            &cell.month,
            cell.usage_type_id,
            kwh,
            &cell.gases,
        );
    }
    figures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::gwp::GwpSet;
    use crate::domain::instrument::{InstrumentFields, InstrumentId};
    use common::ids::OrgId;

    /// The US average grid, eGRID2023: 771.523 lb CO₂ per MWh.
    const GRID_KG_PER_KWH: f64 = 771.523 * 0.45359237 / 1000.0;

    /// A month of the grid type of `region`.
    fn cell(month: &str, region: &str, kwh: f64) -> EnergyCell {
        let type_id = match region {
            "US" => 20000,
            "US-eGRID-RFCE" => 20001,
            "US-eGRID-CAMX" => 20002,
            _ => 90000,
        };
        EnergyCell {
            month: month.into(),
            usage_type_id: UsageTypeId::parse("id", type_id).unwrap(),
            region: region.into(),
            energy_kwh: kwh,
        }
    }

    fn grid(kwh: f64) -> Gases {
        Gases {
            co2: Some(kwh * GRID_KG_PER_KWH),
            ..Gases::default()
        }
    }

    fn instrument(kind: &str, region: &str, from: &str, to: &str, kwh: f64) -> Instrument {
        let gases = (kind == "supplier_factor").then(|| Gases {
            co2: Some(0.2),
            ..Gases::default()
        });
        Instrument::parse(
            InstrumentId::new(),
            OrgId::new(),
            &InstrumentFields {
                kind: kind.into(),
                scheme: "REC".into(),
                region: region.into(),
                from: Some(from.to_owned()),
                to: Some(to.to_owned()),
                amount: kwh,
                unit: "kWh".into(),
                gases,
                reference: None,
            },
        )
        .unwrap()
    }

    fn none(_: &str) -> Option<Gases> {
        None
    }

    fn market(allocation: &Allocation, cells: &[EnergyCell]) -> MarketBased {
        let mut out = MarketBased::default();
        for c in cells {
            allocation.add(
                &mut out,
                &c.month,
                c.usage_type_id,
                c.energy_kwh,
                &grid(c.energy_kwh),
            );
        }
        out
    }

    #[test]
    fn without_instruments_market_based_equals_location_based_flagged_as_a_fallback() {
        let cells = [cell("2026-03", "US", 1000.0)];
        let allocation = allocate(&cells, &[], &none);
        let figures = market(&allocation, &cells);
        assert_eq!(figures.gases, grid(1000.0));
        assert_eq!(
            figures.energy_kwh,
            [(Level::LocationBasedFallback, 1000.0)].into()
        );
    }

    #[test]
    fn a_rec_for_600_kwh_of_1000_leaves_400_at_the_grid_factor() {
        let cells = [cell("2026-03", "US-eGRID-RFCE", 1000.0)];
        let rec = instrument(
            "certificate",
            "US",
            "2026-01-01T00:00:00Z",
            "2027-01-01T00:00:00Z",
            600.0,
        );
        let figures = market(&allocate(&cells, &[rec], &none), &cells);
        assert!((figures.gases.co2e(GwpSet::Ar5) - 400.0 * GRID_KG_PER_KWH).abs() < 1e-9);
        assert_eq!(figures.energy_kwh[&Level::CertificatesAndPpas], 600.0);
        assert_eq!(figures.energy_kwh[&Level::LocationBasedFallback], 400.0);
    }

    #[test]
    fn a_certificate_is_used_once_across_months_and_the_months_add_up_to_the_year() {
        let cells = [cell("2026-01", "US", 500.0), cell("2026-02", "US", 500.0)];
        let rec = instrument(
            "certificate",
            "US",
            "2026-01-01T00:00:00Z",
            "2027-01-01T00:00:00Z",
            600.0,
        );
        let allocation = allocate(&cells, &[rec], &none);
        let year = market(&allocation, &cells);
        let january = market(&allocation, &cells[..1]);
        let february = market(&allocation, &cells[1..]);
        assert_eq!(year.energy_kwh[&Level::CertificatesAndPpas], 600.0);
        assert_eq!(january.energy_kwh[&Level::CertificatesAndPpas], 300.0);
        assert_eq!(february.energy_kwh[&Level::CertificatesAndPpas], 300.0);
        let sum = january.gases.plus(&february.gases);
        assert!(sum.agrees_with(&year.gases, 1e-12));
    }

    #[test]
    fn certificates_apply_before_supplier_factors_and_then_the_residual_mix() {
        let cells = [cell("2026-05", "US", 1000.0)];
        // Given in the opposite order: the hierarchy, not the order, decides.
        let supplier = instrument(
            "supplier_factor",
            "US",
            "2026-01-01T00:00:00Z",
            "2027-01-01T00:00:00Z",
            500.0,
        );
        let rec = instrument(
            "certificate",
            "US",
            "2026-05-01T00:00:00Z",
            "2026-06-01T00:00:00Z",
            300.0,
        );
        let residual = |_: &str| {
            Some(Gases {
                co2: Some(0.5),
                ..Gases::default()
            })
        };
        let figures = market(&allocate(&cells, &[supplier, rec], &residual), &cells);
        assert_eq!(figures.energy_kwh[&Level::CertificatesAndPpas], 300.0);
        assert_eq!(figures.energy_kwh[&Level::SupplierFactors], 500.0);
        assert_eq!(figures.energy_kwh[&Level::ResidualMix], 200.0);
        assert!((figures.gases.co2.unwrap() - (500.0 * 0.2 + 200.0 * 0.5)).abs() < 1e-9);
    }

    #[test]
    fn an_instrument_covers_only_its_boundary_and_its_months() {
        let cells = [
            cell("2026-03", "US-eGRID-CAMX", 100.0),
            cell("2026-03", "FR", 100.0),
            cell("2026-09", "US-eGRID-CAMX", 100.0),
        ];
        let ppa = instrument(
            "ppa",
            "US-eGRID-CAMX",
            "2026-01-01T00:00:00Z",
            "2026-07-01T00:00:00Z",
            1000.0,
        );
        let figures = market(&allocate(&cells, &[ppa], &none), &cells);
        assert_eq!(figures.energy_kwh[&Level::CertificatesAndPpas], 100.0);
        assert_eq!(figures.energy_kwh[&Level::LocationBasedFallback], 200.0);
    }
}
