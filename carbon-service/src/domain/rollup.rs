//! Rollups: what each usage adds to the totals of its cells (organization, UTC
//! month or day, type, scope), and how a summary window splits into whole
//! months and days (read from rollups) and the partial days at its edges
//! (read from the usages). Pure, so both are tested without a database.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, Months, TimeZone, Utc};

use super::gwp::Gases;
use super::ids::{FacilityId, UsageTypeId};
use super::usage::{DataQuality, Usage};
use common::ids::OrgId;

/// The day cell a usage counts in (and, by its month, the month cell).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellKey {
    pub org_id: OrgId,
    /// `YYYY-MM`, UTC.
    pub month: String,
    /// `YYYY-MM-DD`, UTC; empty in a month cell's key.
    pub day: String,
    pub usage_type_id: UsageTypeId,
    pub scope: u8,
    /// The scope 3 category the usages are reported under.
    pub scope3_category: Option<u8>,
    /// The facility the usages belong to.
    pub facility_id: Option<FacilityId>,
    /// How the usages' amounts were obtained.
    pub data_quality: Option<DataQuality>,
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

/// `YYYY-MM-DD` of an instant, in UTC.
pub fn day_of(at: DateTime<Utc>) -> String {
    format!("{:04}-{:02}-{:02}", at.year(), at.month(), at.day())
}

impl RollupDelta {
    /// What `usage` adds to its cell (`sign` 1) or takes from it (`sign` -1).
    pub fn of(usage: &Usage, sign: i64) -> Self {
        let s = sign as f64;
        Self {
            key: CellKey {
                org_id: usage.org_id,
                month: month_of(usage.usage_at.to_chrono()),
                day: day_of(usage.usage_at.to_chrono()),
                usage_type_id: usage.usage_type_id,
                scope: usage.usage_type.scope.get(),
                scope3_category: usage.scope3_category,
                facility_id: usage.facility_id,
                data_quality: usage.data_quality,
            },
            usage_count: sign,
            // In the factor's unit: the amounts of one type add up there.
            total_amount: s * usage.factor_amount,
            co2e: s * usage.co2e,
            gases: usage.gases.times(s),
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

/// Day deltas merged into their month cells.
pub fn monthly(deltas: &[RollupDelta]) -> Vec<RollupDelta> {
    merge(deltas.iter().map(|delta| RollupDelta {
        key: CellKey {
            day: String::new(),
            ..delta.key.clone()
        },
        ..delta.clone()
    }))
}

/// The two grains rollups are kept at: a summary reads whole months from
/// month rollups and whole days from day rollups, so only the partial days
/// at its edges are read from the usages, wherever the edges fall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    Month,
    Day,
}

impl Grain {
    /// The field a rollup of this grain is keyed and ranged by.
    pub fn field(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::Day => "day",
        }
    }

    /// The key of the period holding `at` (`YYYY-MM` or `YYYY-MM-DD`),
    /// `None` past year 9999: no usage is that late (RFC 3339 years have
    /// four digits), and a five-digit key would sort before every other.
    pub fn key(self, at: DateTime<Utc>) -> Option<String> {
        if !(0..=9999).contains(&at.year()) {
            return None;
        }
        Some(match self {
            Self::Month => month_of(at),
            Self::Day => day_of(at),
        })
    }

    /// The first period start at or after `at`.
    fn ceiling(self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let floor = self.floor(at)?;
        if floor == at {
            return Some(floor);
        }
        match self {
            Self::Day => floor.checked_add_days(Days::new(1)),
            Self::Month => floor.checked_add_months(Months::new(1)),
        }
    }

    /// The last period start at or before `at`.
    fn floor(self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let day = match self {
            Self::Month => 1,
            Self::Day => at.day(),
        };
        Utc.with_ymd_and_hms(at.year(), at.month(), day, 0, 0, 0)
            .single()
    }
}

/// A range of periods `[from, to)` by key, either end open (`None`).
pub type KeyRange = (Option<String>, Option<String>);
/// A range of instants `[from, to)`, either end open.
pub type Span = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// How a window `[from, to)` is read: whole months from month rollups,
/// whole days from day rollups, and the partial days at its edges (at most
/// two) from the usages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowPlan {
    pub months: Option<KeyRange>,
    /// At most two: before and after the months.
    pub days: Vec<KeyRange>,
    /// At most two partial days.
    pub usages: Vec<Span>,
}

/// The whole periods of `grain` inside `[from, to)`, if any.
fn whole(grain: Grain, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Option<Span> {
    let lower = match from {
        Some(from) => Some(grain.ceiling(from)?),
        None => None,
    };
    let upper = match to {
        Some(to) => Some(grain.floor(to)?),
        None => None,
    };
    match (lower, upper) {
        (Some(lower), Some(upper)) if lower >= upper => None,
        _ => Some((lower, upper)),
    }
}

/// The keys of a span of whole periods: a start past year 9999 holds no
/// period with data, an end past it is open.
fn keys(grain: Grain, (from, to): Span) -> Option<KeyRange> {
    let from = match from {
        Some(from) => Some(grain.key(from)?),
        None => None,
    };
    Some((from, to.and_then(|to| grain.key(to))))
}

impl WindowPlan {
    /// `[from, to)` inside no whole month: its whole days, and the partial
    /// days from the usages.
    fn days_and_edges(&mut self, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) {
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return;
        }
        let Some((lower, upper)) = whole(Grain::Day, from, to) else {
            self.usages.push((from, to));
            return;
        };
        if let (Some(from), Some(lower)) = (from, lower)
            && from < lower
        {
            self.usages.push((Some(from), Some(lower)));
        }
        if let Some(days) = keys(Grain::Day, (lower, upper)) {
            self.days.push(days);
        }
        if let (Some(upper), Some(to)) = (upper, to)
            && upper < to
        {
            self.usages.push((Some(upper), Some(to)));
        }
    }
}

/// Splits `[from, to)` (either end open) into month rollups, day rollups
/// and the usages of at most two partial days.
pub fn plan(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> WindowPlan {
    let mut plan = WindowPlan::default();
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return plan;
    }
    match whole(Grain::Month, from, to) {
        Some((lower, upper)) => {
            if let Some(lower) = lower {
                plan.days_and_edges(from, Some(lower));
            }
            plan.months = keys(Grain::Month, (lower, upper));
            if let Some(upper) = upper {
                plan.days_and_edges(Some(upper), to);
            }
        }
        None => plan.days_and_edges(from, to),
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn months(from: &str, to: &str) -> Option<KeyRange> {
        Some((Some(from.into()), Some(to.into())))
    }

    fn span(from: &str, to: &str) -> Span {
        (Some(at(from)), Some(at(to)))
    }

    #[test]
    fn a_calendar_year_is_twelve_rollup_months_and_nothing_else() {
        assert_eq!(
            plan(
                Some(at("2026-01-01T00:00:00Z")),
                Some(at("2027-01-01T00:00:00Z"))
            ),
            WindowPlan {
                months: months("2026-01", "2027-01"),
                days: vec![],
                usages: vec![],
            }
        );
    }

    #[test]
    fn mid_month_edges_read_whole_days_from_rollups_and_only_the_partial_days_from_usages() {
        assert_eq!(
            plan(
                Some(at("2026-01-15T12:00:00Z")),
                Some(at("2026-04-10T06:00:00Z"))
            ),
            WindowPlan {
                months: months("2026-02", "2026-04"),
                days: vec![
                    (Some("2026-01-16".into()), Some("2026-02-01".into())),
                    (Some("2026-04-01".into()), Some("2026-04-10".into())),
                ],
                usages: vec![
                    span("2026-01-15T12:00:00Z", "2026-01-16T00:00:00Z"),
                    span("2026-04-10T00:00:00Z", "2026-04-10T06:00:00Z"),
                ],
            }
        );
    }

    #[test]
    fn every_usage_read_lies_within_the_first_or_last_day_of_the_window() {
        let (from, to) = (at("2026-03-02T07:30:00Z"), at("2026-11-27T18:45:00Z"));
        for (start, end) in plan(Some(from), Some(to)).usages {
            let (start, end) = (start.unwrap(), end.unwrap());
            assert!(end - start < chrono::Duration::days(1), "{start}..{end}");
            assert!(start == from || end == to, "{start}..{end} is not an edge");
        }
    }

    #[test]
    fn a_window_inside_one_month_reads_its_days_and_inside_one_day_its_usages() {
        assert_eq!(
            plan(
                Some(at("2026-03-02T00:00:00Z")),
                Some(at("2026-03-20T00:00:00Z"))
            ),
            WindowPlan {
                months: None,
                days: vec![(Some("2026-03-02".into()), Some("2026-03-20".into()))],
                usages: vec![],
            }
        );
        assert_eq!(
            plan(
                Some(at("2026-03-02T01:00:00Z")),
                Some(at("2026-03-02T02:00:00Z"))
            ),
            WindowPlan {
                months: None,
                days: vec![],
                usages: vec![span("2026-03-02T01:00:00Z", "2026-03-02T02:00:00Z")],
            }
        );
    }

    #[test]
    fn a_reversed_window_reads_nothing() {
        let reversed = plan(
            Some(at("2026-06-01T00:00:00Z")),
            Some(at("2026-01-01T00:00:00Z")),
        );
        assert_eq!(reversed, WindowPlan::default());
    }

    #[test]
    fn open_ends_take_every_month_that_way() {
        assert_eq!(
            plan(None, Some(at("2026-03-20T00:00:00Z"))),
            WindowPlan {
                months: Some((None, Some("2026-03".into()))),
                days: vec![(Some("2026-03-01".into()), Some("2026-03-20".into()))],
                usages: vec![],
            }
        );
        assert_eq!(
            plan(None, None),
            WindowPlan {
                months: Some((None, None)),
                ..WindowPlan::default()
            }
        );
    }

    #[test]
    fn december_rolls_over_into_the_next_year() {
        let planned = plan(Some(at("2026-12-05T00:00:00Z")), None);
        assert_eq!(planned.months, Some((Some("2027-01".into()), None)));
    }

    #[test]
    fn a_window_starting_in_the_last_month_of_year_9999_reads_no_earlier_month() {
        // "10000-01" would sort before "2026-01" and take in everything.
        let planned = plan(Some(at("9999-12-01T00:00:01Z")), None);
        assert_eq!(
            planned,
            WindowPlan {
                months: None,
                days: vec![(Some("9999-12-02".into()), None)],
                usages: vec![(
                    Some(at("9999-12-01T00:00:01Z")),
                    Some(at("9999-12-02T00:00:00Z"))
                )],
            }
        );
        let last_day = plan(Some(at("9999-12-31T00:00:01Z")), None);
        assert_eq!(last_day.months, None);
        assert_eq!(last_day.days, vec![]);
    }

    #[test]
    fn an_update_within_one_cell_nets_its_count_and_keeps_its_amount_change() {
        let key = CellKey {
            org_id: OrgId::new(),
            month: "2026-01".into(),
            day: "2026-01-05".into(),
            usage_type_id: UsageTypeId::parse("id", 100).unwrap(),
            scope: 2,
            scope3_category: None,
            facility_id: None,
            data_quality: None,
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
