//! Rollups: what each usage adds to the totals of its cell (user, UTC
//! month, type, scope), and how a summary window splits into whole months
//! (read from rollups) and the partial months at its edges (read from the
//! usages). Pure, so both are tested without a database.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, TimeZone, Utc};

use super::gwp::Gases;
use super::ids::UsageTypeId;
use super::usage::Usage;
use common::ids::UserId;

/// The cell a usage counts in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellKey {
    pub user_id: UserId,
    /// `YYYY-MM`, UTC.
    pub month: String,
    pub usage_type_id: UsageTypeId,
    pub scope: u8,
}

/// A change to one cell's totals.
#[derive(Debug, Clone, PartialEq)]
pub struct RollupDelta {
    pub key: CellKey,
    pub usage_count: i64,
    pub total_amount: f64,
    pub co2e: f64,
    /// kg of each gas.
    pub gases: Gases,
    /// The label a cell keeps for a type that no longer exists.
    pub name: String,
    pub unit: String,
}

/// `YYYY-MM` of an instant, in UTC.
pub fn month_of(at: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", at.year(), at.month())
}

impl RollupDelta {
    /// What `usage` adds to its cell (`sign` 1) or takes from it (`sign` -1).
    pub fn of(usage: &Usage, sign: i64) -> Self {
        let s = sign as f64;
        Self {
            key: CellKey {
                user_id: usage.user_id,
                month: month_of(usage.usage_at.to_chrono()),
                usage_type_id: usage.usage_type_id,
                scope: usage.usage_type.scope.get(),
            },
            usage_count: sign,
            // In the factor's unit: the amounts of one type add up there.
            total_amount: s * usage.factor_amount(),
            co2e: s * usage.co2e,
            gases: usage.emitted().times(s),
            name: usage.usage_type.name.clone(),
            unit: usage.usage_type.unit.clone(),
        }
    }
}

impl RollupDelta {
    /// Changes nothing (an update that kept the usage's figures and cell).
    pub fn is_empty(&self) -> bool {
        self.usage_count == 0
            && self.total_amount == 0.0
            && self.co2e == 0.0
            && self.gases.values().all(|(_, kg)| kg == 0.0)
    }
}

/// The deltas of many usages, one per cell (an import writes each cell
/// once).
pub fn merge(deltas: impl IntoIterator<Item = RollupDelta>) -> Vec<RollupDelta> {
    let mut cells: BTreeMap<CellKey, RollupDelta> = BTreeMap::new();
    for delta in deltas {
        match cells.get_mut(&delta.key) {
            Some(cell) => {
                cell.usage_count += delta.usage_count;
                cell.total_amount += delta.total_amount;
                cell.co2e += delta.co2e;
                cell.gases = cell.gases.plus(&delta.gases);
                cell.name = delta.name;
                cell.unit = delta.unit;
            }
            None => {
                cells.insert(delta.key.clone(), delta);
            }
        }
    }
    cells.into_values().collect()
}

/// How a window `[from, to)` is read: the whole months inside it from the
/// rollups, the rest from the usages.
#[derive(Debug, Clone, PartialEq)]
pub enum WindowPlan {
    /// No whole month inside: every usage in the window is read.
    UsagesOnly,
    /// The months `[from_month, to_month)` (an open end: every month that
    /// way) from rollups; the usages in `head` and `tail` from the usages.
    Split {
        from_month: Option<String>,
        to_month: Option<String>,
        head: Option<(DateTime<Utc>, DateTime<Utc>)>,
        tail: Option<(DateTime<Utc>, DateTime<Utc>)>,
    },
}

fn month_start(year: i32, month: u32) -> Option<DateTime<Utc>> {
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).single()
}

/// The first month start at or after `at`.
fn month_ceiling(at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let start = month_start(at.year(), at.month())?;
    if start == at {
        return Some(start);
    }
    match at.month() {
        12 => month_start(at.year() + 1, 1),
        m => month_start(at.year(), m + 1),
    }
}

/// The last month start at or before `at`.
fn month_floor(at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    month_start(at.year(), at.month())
}

/// Splits `[from, to)` (either end open) into rollup months and edges.
pub fn plan(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> WindowPlan {
    let lower = from.map(month_ceiling);
    let upper = to.map(month_floor);
    // A date chrono cannot place in a month: read the usages.
    if matches!(lower, Some(None)) || matches!(upper, Some(None)) {
        return WindowPlan::UsagesOnly;
    }
    let (lower, upper) = (lower.flatten(), upper.flatten());
    if let (Some(lower), Some(upper)) = (lower, upper)
        && lower >= upper
    {
        return WindowPlan::UsagesOnly;
    }
    let head = match (from, lower) {
        (Some(from), Some(lower)) if from < lower => Some((from, lower)),
        _ => None,
    };
    let tail = match (upper, to) {
        (Some(upper), Some(to)) if upper < to => Some((upper, to)),
        _ => None,
    };
    WindowPlan::Split {
        from_month: lower.map(month_of),
        to_month: upper.map(month_of),
        head,
        tail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_calendar_year_is_twelve_rollup_months_and_no_edges() {
        assert_eq!(
            plan(
                Some(at("2026-01-01T00:00:00Z")),
                Some(at("2027-01-01T00:00:00Z"))
            ),
            WindowPlan::Split {
                from_month: Some("2026-01".into()),
                to_month: Some("2027-01".into()),
                head: None,
                tail: None,
            }
        );
    }

    #[test]
    fn partial_months_at_the_edges_are_read_from_usages() {
        assert_eq!(
            plan(
                Some(at("2026-01-15T12:00:00Z")),
                Some(at("2026-04-10T00:00:00Z"))
            ),
            WindowPlan::Split {
                from_month: Some("2026-02".into()),
                to_month: Some("2026-04".into()),
                head: Some((at("2026-01-15T12:00:00Z"), at("2026-02-01T00:00:00Z"))),
                tail: Some((at("2026-04-01T00:00:00Z"), at("2026-04-10T00:00:00Z"))),
            }
        );
    }

    #[test]
    fn a_window_inside_one_month_or_reversed_reads_usages_only() {
        let inside = plan(
            Some(at("2026-03-02T00:00:00Z")),
            Some(at("2026-03-20T00:00:00Z")),
        );
        assert_eq!(inside, WindowPlan::UsagesOnly);
        let reversed = plan(
            Some(at("2026-06-01T00:00:00Z")),
            Some(at("2026-01-01T00:00:00Z")),
        );
        assert_eq!(reversed, WindowPlan::UsagesOnly);
    }

    #[test]
    fn open_ends_take_every_month_that_way() {
        assert_eq!(
            plan(None, Some(at("2026-03-20T00:00:00Z"))),
            WindowPlan::Split {
                from_month: None,
                to_month: Some("2026-03".into()),
                head: None,
                tail: Some((at("2026-03-01T00:00:00Z"), at("2026-03-20T00:00:00Z"))),
            }
        );
        assert_eq!(
            plan(None, None),
            WindowPlan::Split {
                from_month: None,
                to_month: None,
                head: None,
                tail: None
            }
        );
    }

    #[test]
    fn december_rolls_over_into_the_next_year() {
        let WindowPlan::Split { from_month, .. } = plan(Some(at("2026-12-05T00:00:00Z")), None)
        else {
            panic!("expected a split");
        };
        assert_eq!(from_month.as_deref(), Some("2027-01"));
    }

    #[test]
    fn an_update_within_one_cell_nets_its_count_and_keeps_its_amount_change() {
        let key = CellKey {
            user_id: UserId::new(),
            month: "2026-01".into(),
            usage_type_id: UsageTypeId::parse("id", 100).unwrap(),
            scope: 2,
        };
        let delta = |count: i64, amount: f64| RollupDelta {
            key: key.clone(),
            usage_count: count,
            total_amount: amount,
            co2e: amount * 0.5,
            gases: Gases::co2e_only(amount * 0.5),
            name: "electricity".into(),
            unit: "kWh".into(),
        };
        let merged = merge([delta(-1, -10.0), delta(1, 12.0)]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].usage_count, 0);
        assert!(!merged[0].is_empty(), "the amount changed by 2");
        assert!(merge([delta(-1, -10.0), delta(1, 10.0)])[0].is_empty());
    }
}
