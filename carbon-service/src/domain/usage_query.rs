//! Which of an organization's usages a list, export or summary covers, and where a
//! page starts: parsed from query strings into types the storage layer
//! trusts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

use super::ids::{FacilityId, UsageId, UsageTypeId};
use super::usage::parse_instant;
use common::pagination::Page;
use common::validation::{FieldError, Invalid, both};

/// Which of an organization's usages to list, export or sum.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct UsageFilter {
    pub usage_type_id: Option<UsageTypeId>,
    /// Only the usages of this facility.
    pub facility_id: Option<FacilityId>,
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
}

impl UsageFilter {
    /// `from`/`to` (RFC 3339) and an optional type id, every bad value named.
    /// A window with `from` after `to` is valid and empty.
    pub fn parse(
        usage_type_id: Option<i64>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Self, Invalid> {
        let type_id = usage_type_id
            .map(|id| UsageTypeId::parse("usage_type_id", id))
            .transpose();
        match (
            type_id,
            parse_instant("from", from),
            parse_instant("to", to),
        ) {
            (Ok(usage_type_id), Ok(from), Ok(to)) => Ok(Self {
                usage_type_id,
                facility_id: None,
                from,
                to,
            }),
            (t, f, u) => Err(Invalid(
                [t.err(), f.err(), u.err()].into_iter().flatten().collect(),
            )),
        }
    }
}

impl UsageFilter {
    /// [`UsageFilter::parse`], and only the usages of the facility `raw`
    /// (absent: of any), every bad value named.
    pub fn parse_with_facility(
        usage_type_id: Option<i64>,
        facility_id: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Self, Invalid> {
        let facility = facility_id
            .map(|raw| FacilityId::parse("facility_id", raw))
            .transpose()
            .map_err(Invalid::from);
        let (mut filter, facility_id) = both(Self::parse(usage_type_id, from, to), facility)?;
        filter.facility_id = facility_id;
        Ok(filter)
    }
}

/// [`page_floor_month`]'s start (the tests' view of it).
#[cfg(test)]
fn page_floor(
    months: &[(String, u64)],
    before: Option<&str>,
    needed: u64,
) -> Option<DateTime<Utc>> {
    page_floor_month(months, before, needed).and_then(|(month, _)| month_start(&month))
}

/// The month of the oldest instant a page of the list can reach: the
/// newest month such that the months from it on (strictly before `before`,
/// a `YYYY-MM`, when given) hold `needed` matching usages, by the month
/// rollups' counts (`months`, any order), with how many usages the newer
/// months hold (its day rollups then narrow it, see [`page_floor_day`]).
/// `None` when they hold fewer: the page may reach back to the first
/// usage. Bounding the list's index range so keeps a page of a large
/// inventory from walking all of it (an engine may examine every key in a
/// query's bounds, whatever the limit); the month of `before` stays inside
/// the bound, and counting none of it keeps the bound safe when that month
/// holds usages on the far side of a cursor or a window's end.
pub fn page_floor_month(
    months: &[(String, u64)],
    before: Option<&str>,
    needed: u64,
) -> Option<(String, u64)> {
    let mut sorted: Vec<&(String, u64)> = months
        .iter()
        .filter(|(month, _)| before.is_none_or(|b| month.as_str() < b))
        .collect();
    sorted.sort_by(|a, b| b.0.cmp(&a.0));
    let mut held = 0_u64;
    for (month, count) in sorted {
        if held.saturating_add(*count) >= needed {
            return Some((month.clone(), held));
        }
        held = held.saturating_add(*count);
    }
    None
}

/// The floor inside the month [`page_floor_month`] found: the start of
/// the newest of its days (`days`: counts by `YYYY-MM-DD`, any order) from
/// which on, with the `held` of the newer months, `needed` usages are
/// held. The month is older than any cursor or window end, so all of its
/// days count; `None` if they do not reach (the caller keeps the month).
pub fn page_floor_day(days: &[(String, u64)], held: u64, needed: u64) -> Option<DateTime<Utc>> {
    let mut sorted: Vec<&(String, u64)> = days.iter().collect();
    sorted.sort_by(|a, b| b.0.cmp(&a.0));
    let mut held = held;
    for (day, count) in sorted {
        held = held.saturating_add(*count);
        if held >= needed {
            return day_start(day);
        }
    }
    None
}

/// 00:00 UTC on the first day of `YYYY-MM`.
pub fn month_start(month: &str) -> Option<DateTime<Utc>> {
    day_start(&format!("{month}-01"))
}

/// 00:00 UTC of `YYYY-MM-DD`.
fn day_start(day: &str) -> Option<DateTime<Utc>> {
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

/// The position just after the last usage of a page, in the list's order
/// (`usage_at` descending, then `_id` descending). Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageCursor {
    pub usage_at: bson::DateTime,
    pub id: UsageId,
}

impl UsageCursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.usage_at.timestamp_millis(), self.id))
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new("cursor", "is not a cursor this API returned");
        let decoded = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| invalid())?;
        let text = String::from_utf8(decoded).map_err(|_| invalid())?;
        let (millis, id) = text.split_once(':').ok_or_else(invalid)?;
        Ok(Self {
            usage_at: bson::DateTime::from_millis(millis.parse().map_err(|_| invalid())?),
            id: UsageId::parse("cursor", id).map_err(|_| invalid())?,
        })
    }
}

/// Where a page starts: skipping `offset` usages, or after a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStart {
    Offset(u64),
    After(UsageCursor),
}

/// One page of a list request: a [`Page`] (limit and offset), or a limit
/// and a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsagePage {
    pub start: PageStart,
    pub limit: u32,
}

/// An offset from which a page is a heavy read: the database walks every
/// skipped usage (a cursor does not).
pub const DEEP_OFFSET: u64 = 1_000;

impl UsagePage {
    /// Whether the page starts at an offset of [`DEEP_OFFSET`] or more.
    pub fn is_deep(&self) -> bool {
        matches!(self.start, PageStart::Offset(offset) if offset >= DEEP_OFFSET)
    }

    /// A read that walks the index: a page with its total count, or a deep
    /// one (rate-limited per user and given a heavy-read slot).
    pub fn is_heavy(&self, with_total: bool) -> bool {
        with_total || self.is_deep()
    }

    /// `limit` and `offset` as [`Page::parse`] checks them; a `cursor`
    /// instead of a non-zero offset.
    pub fn parse(
        limit: Option<u32>,
        offset: Option<u64>,
        cursor: Option<&str>,
    ) -> Result<Self, Invalid> {
        let page = Page::parse(limit, offset);
        let cursor = cursor.map(UsageCursor::parse).transpose();
        let mut errors = Vec::new();
        if cursor.as_ref().is_ok_and(Option::is_some) && offset.is_some_and(|o| o > 0) {
            errors.push(FieldError::new(
                "cursor",
                "cannot be combined with a non-zero offset",
            ));
        }
        match (page, cursor) {
            (Ok(page), Ok(cursor)) if errors.is_empty() => Ok(Self {
                limit: page.limit,
                start: match cursor {
                    Some(cursor) => PageStart::After(cursor),
                    None => PageStart::Offset(page.offset),
                },
            }),
            (page, cursor) => {
                if let Err(Invalid(page_errors)) = page {
                    errors.extend(page_errors);
                }
                errors.extend(cursor.err());
                Err(Invalid(errors))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips() {
        let cursor = UsageCursor {
            usage_at: bson::DateTime::from_millis(1_700_000_000_123),
            id: UsageId::new(),
        };
        assert_eq!(UsageCursor::parse(&cursor.encode()).unwrap(), cursor);
    }

    #[test]
    fn a_made_up_cursor_is_refused_naming_the_parameter() {
        for raw in ["", "abc", "MTIzOnh5eg", &URL_SAFE_NO_PAD.encode("x:y")] {
            assert_eq!(UsageCursor::parse(raw).unwrap_err().field, "cursor");
        }
    }

    #[test]
    fn a_cursor_with_an_offset_is_refused() {
        let cursor = UsageCursor {
            usage_at: bson::DateTime::now(),
            id: UsageId::new(),
        }
        .encode();
        assert!(UsagePage::parse(None, Some(5), Some(&cursor)).is_err());
        assert!(UsagePage::parse(None, Some(0), Some(&cursor)).is_ok());
    }

    #[test]
    fn the_window_names_each_bad_parameter() {
        let Err(Invalid(errors)) =
            UsageFilter::parse(Some(0), Some("yesterday"), Some("2026-01-01T00:00:00Z"))
        else {
            panic!("expected a validation error");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["usage_type_id", "from"]);
    }

    #[test]
    fn a_page_floor_covers_the_newest_months_that_hold_enough_usages() {
        let months = vec![
            ("2026-01".to_owned(), 40),
            ("2026-03".to_owned(), 30),
            ("2026-02".to_owned(), 30),
        ];
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(
            page_floor(&months, None, 30),
            Some(at("2026-03-01T00:00:00Z"))
        );
        assert_eq!(
            page_floor(&months, None, 31),
            Some(at("2026-02-01T00:00:00Z"))
        );
        assert_eq!(page_floor(&months, None, 101), None);
        // A cursor in March: March stays in range and counts for nothing.
        assert_eq!(
            page_floor(&months, Some("2026-03"), 31),
            Some(at("2026-01-01T00:00:00Z"))
        );
    }
}
