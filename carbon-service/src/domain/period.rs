//! Reporting periods: an organization's fiscal years (`FY2025` is the one
//! that ends in 2025, in UTC), their locks, and the inventory settings
//! that define them (fiscal-year start, base year, significance
//! threshold).

use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use common::ids::{OrgId, UserId};
use common::validation::{FieldError, Invalid};

/// The earliest and latest fiscal years a request may name.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2200;

/// The GHG Protocol sets no significance threshold; 5 % is common
/// practice and SBTi's recalculation trigger (SBTi Corporate Net-Zero
/// Standard, C.2).
pub const DEFAULT_THRESHOLD_PERCENT: f64 = 5.0;

/// A fiscal year, by the calendar year it ends in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeriodName(i32);

impl PeriodName {
    /// `FY2025` (case-insensitive).
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let year = raw
            .get(..2)
            .filter(|p| p.eq_ignore_ascii_case("FY"))
            .and_then(|_| raw[2..].parse::<i32>().ok())
            .filter(|y| (FIRST_YEAR..=LAST_YEAR).contains(y));
        year.map(Self).ok_or_else(|| {
            FieldError::new(
                field,
                format!("must name a fiscal year as FY and the year it ends in, {FIRST_YEAR} to {LAST_YEAR} (e.g. FY2025)"),
            )
        })
    }

    pub fn year(self) -> i32 {
        self.0
    }
}

impl std::fmt::Display for PeriodName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FY{}", self.0)
    }
}

/// When fiscal years start: the first day of `start_month`, 00:00 UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FiscalCalendar {
    start_month: u32,
}

impl FiscalCalendar {
    pub fn new(start_month: u32) -> Self {
        Self {
            start_month: start_month.clamp(1, 12),
        }
    }

    /// `[from, to)` of the fiscal year `name`: it ends in `name`'s year
    /// (a January start: the calendar year).
    pub fn bounds(self, name: PeriodName) -> (DateTime<Utc>, DateTime<Utc>) {
        let end_year = if self.start_month == 1 {
            name.0 + 1
        } else {
            name.0
        };
        let start = |year: i32| {
            Utc.with_ymd_and_hms(year, self.start_month, 1, 0, 0, 0)
                .single()
                .unwrap_or(DateTime::<Utc>::MIN_UTC)
        };
        (start(end_year - 1), start(end_year))
    }

    /// The fiscal year `at` falls in.
    pub fn period_of(self, at: DateTime<Utc>) -> PeriodName {
        let year = at.year();
        if self.start_month == 1 {
            PeriodName(year)
        } else if at.month() >= self.start_month {
            PeriodName(year + 1)
        } else {
            PeriodName(year)
        }
    }
}

/// A lock's record (kept after an unlock, with who unlocked and why).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodLock {
    pub name: String,
    pub from: bson::DateTime,
    pub to: bson::DateTime,
    pub locked: bool,
    pub locked_at: bson::DateTime,
    pub locked_by: UserId,
    /// The audit trail's head when it was locked: the entry before the
    /// lock's own.
    pub head_seq: i64,
    pub head_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlocked_at: Option<bson::DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlocked_by: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlock_reason: Option<String>,
}

/// An organization's inventory settings and period locks (collection
/// `inventory_settings`, one document per organization).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventorySettings {
    #[serde(rename = "_id")]
    pub org_id: OrgId,
    /// 1 (January) to 12.
    pub fiscal_year_start_month: u32,
    pub base_year: Option<i32>,
    pub significance_threshold_percent: f64,
    /// Every period ever locked, by name.
    #[serde(default)]
    pub periods: Vec<PeriodLock>,
}

impl InventorySettings {
    /// What an organization has before it sets anything: calendar years,
    /// no base year, the 5 % threshold.
    pub fn defaults(org_id: OrgId) -> Self {
        Self {
            org_id,
            fiscal_year_start_month: 1,
            base_year: None,
            significance_threshold_percent: DEFAULT_THRESHOLD_PERCENT,
            periods: Vec::new(),
        }
    }

    pub fn calendar(&self) -> FiscalCalendar {
        FiscalCalendar::new(self.fiscal_year_start_month)
    }

    pub fn lock_of(&self, name: PeriodName) -> Option<&PeriodLock> {
        let name = name.to_string();
        self.periods.iter().find(|p| p.name == name)
    }

    pub fn is_locked(&self, name: PeriodName) -> bool {
        self.lock_of(name).is_some_and(|p| p.locked)
    }

    pub fn any_locked(&self) -> bool {
        self.periods.iter().any(|p| p.locked)
    }

    /// The locked period `at` falls in, if any.
    pub fn locked_at(&self, at: DateTime<Utc>) -> Option<PeriodName> {
        let name = self.calendar().period_of(at);
        self.is_locked(name).then_some(name)
    }

    /// The first locked period that `[from, to)` overlaps, if any.
    pub fn locked_within(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<PeriodName> {
        self.periods
            .iter()
            .filter(|p| p.locked)
            .find(|p| p.from.to_chrono() < to && from < p.to.to_chrono())
            .and_then(|p| PeriodName::parse("period", &p.name).ok())
    }
}

/// Settings as a request gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsFields {
    pub fiscal_year_start_month: i64,
    pub base_year: Option<i64>,
    pub significance_threshold_percent: f64,
}

impl SettingsFields {
    /// Applies checked fields to `settings`: a month from 1 to 12, a base
    /// year from 1990 (the Kyoto Protocol's base year) to 2100, a
    /// threshold above 0 and at most 100.
    pub fn apply(&self, settings: &mut InventorySettings) -> Result<(), Invalid> {
        let mut errors = Vec::new();
        if !(1..=12).contains(&self.fiscal_year_start_month) {
            errors.push(FieldError::new(
                "fiscal_year_start_month",
                "must be from 1 (January) to 12",
            ));
        }
        if self.base_year.is_some_and(|y| !(1990..=2100).contains(&y)) {
            errors.push(FieldError::new("base_year", "must be from 1990 to 2100"));
        }
        let t = self.significance_threshold_percent;
        if !(t.is_finite() && t > 0.0 && t <= 100.0) {
            errors.push(FieldError::new(
                "significance_threshold_percent",
                "must be above 0 and at most 100",
            ));
        }
        Invalid::check(errors)?;
        settings.fiscal_year_start_month = self.fiscal_year_start_month as u32;
        settings.base_year = self.base_year.map(|y| y as i32);
        settings.significance_threshold_percent = t;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn a_fiscal_year_is_named_by_the_year_it_ends_in() {
        let july = FiscalCalendar::new(7);
        let fy2025 = PeriodName::parse("p", "FY2025").unwrap();
        assert_eq!(july.bounds(fy2025), (at(2024, 7, 1), at(2025, 7, 1)));
        assert_eq!(july.period_of(at(2024, 7, 1)), fy2025);
        assert_eq!(july.period_of(at(2025, 6, 30)), fy2025);
        assert_eq!(july.period_of(at(2025, 7, 1)).to_string(), "FY2026");
    }

    #[test]
    fn a_january_start_makes_fiscal_years_calendar_years() {
        let calendar = FiscalCalendar::new(1);
        let fy2025 = PeriodName::parse("p", "fy2025").unwrap();
        assert_eq!(calendar.bounds(fy2025), (at(2025, 1, 1), at(2026, 1, 1)));
        assert_eq!(calendar.period_of(at(2025, 12, 31)), fy2025);
    }

    #[test]
    fn a_period_name_is_fy_and_a_year() {
        for bad in ["2025", "FY", "FY20x5", "CY2025", "FY1899"] {
            assert!(PeriodName::parse("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_are_checked_field_by_field() {
        let mut settings = InventorySettings::defaults(OrgId::new());
        let bad = SettingsFields {
            fiscal_year_start_month: 13,
            base_year: Some(1980),
            significance_threshold_percent: 0.0,
        };
        let errors = bad.apply(&mut settings).unwrap_err();
        assert_eq!(errors.0.len(), 3);
        assert_eq!(settings, InventorySettings::defaults(settings.org_id));
    }
}
