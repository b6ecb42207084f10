//! Usage records: an amount of a usage type at a time, with the type's
//! factor, scope and provenance frozen into a snapshot so later edits of the
//! type don't rewrite history.

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::actor::Actor;
use super::gwp::Gases;
use super::ids::{FacilityId, UsageId, UsageTypeId};
use super::units::UnitChoice;
use super::usage_type::UsageType;
use common::ids::{OrgId, UserId};
use common::validation::{FieldError, Invalid};

/// Amounts beyond this are certainly typos, and keep sums finite.
pub const MAX_AMOUNT: f64 = 1e12;

/// A stored usage (collection `usages`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Usage {
    #[serde(rename = "_id")]
    pub id: UsageId,
    /// The organization it belongs to.
    pub org_id: OrgId,
    /// Who recorded it, and who changed it last.
    pub created_by: UserId,
    pub updated_by: UserId,
    /// As entered, in `unit`.
    pub amount: f64,
    /// The unit `amount` was entered in.
    pub unit: String,
    /// `amount` converted to the unit of the factor.
    pub factor_amount: f64,
    /// The type as it was when the usage was recorded: its dataset, its
    /// factor per gas and its unit.
    pub usage_type: UsageType,
    /// `usage_type.id`, top-level for filtering and grouping.
    pub usage_type_id: UsageTypeId,
    /// The scope 3 category it is reported under: one of its type's
    /// (the first unless chosen); none outside scope 3.
    pub scope3_category: Option<u8>,
    pub usage_at: bson::DateTime,
    /// kg of each gas emitted: the factor's gases × `factor_amount`.
    pub gases: Gases,
    /// `factor_amount × usage_type.factor`, kg CO₂e under the factor's GWP
    /// set.
    pub co2e: f64,
    pub created_at: bson::DateTime,
    pub updated_at: bson::DateTime,
    /// Incremented by every change; the `ETag`.
    pub version: i64,
    /// The CSV import that created it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_id: Option<bson::oid::ObjectId>,
    /// The facility (site) it belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility_id: Option<FacilityId>,
    /// How the amount was obtained, if said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_quality: Option<DataQuality>,
    /// An invoice number or a document link, for the auditor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// How a usage's amount was obtained (the summary's `by_data_quality`
/// shows the share of CO₂e of each).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DataQuality {
    /// Read from a meter or an invoice.
    Measured,
    /// Derived from other data.
    Calculated,
    Estimated,
    /// From money spent (spend-based factors).
    SpendBased,
}

impl DataQuality {
    pub const ALL: [DataQuality; 4] = [
        DataQuality::Measured,
        DataQuality::Calculated,
        DataQuality::Estimated,
        DataQuality::SpendBased,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DataQuality::Measured => "measured",
            DataQuality::Calculated => "calculated",
            DataQuality::Estimated => "estimated",
            DataQuality::SpendBased => "spend_based",
        }
    }
}

impl From<DataQuality> for bson::Bson {
    fn from(q: DataQuality) -> Self {
        bson::Bson::String(q.as_str().to_owned())
    }
}

/// The longest evidence reference.
pub const MAX_EVIDENCE_CHARS: usize = 500;

/// A data quality as given: blank is none.
pub fn parse_data_quality(raw: Option<&str>) -> Result<Option<DataQuality>, FieldError> {
    let Some(raw) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    DataQuality::ALL
        .into_iter()
        .find(|q| q.as_str() == raw)
        .map(Some)
        .ok_or_else(|| {
            FieldError::new(
                "data_quality",
                "must be measured, calculated, estimated or spend_based",
            )
        })
}

/// An evidence reference as given: trimmed, blank as none, at most
/// [`MAX_EVIDENCE_CHARS`].
pub fn parse_evidence(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        Some(text) if text.chars().count() > MAX_EVIDENCE_CHARS => Err(FieldError::new(
            "evidence",
            format!("must be at most {MAX_EVIDENCE_CHARS} characters"),
        )),
        text => Ok(text.map(str::to_owned)),
    }
}

impl Usage {
    /// `amount` of `unit` (checked against the type's unit by
    /// `units::check_unit`).
    pub fn new(
        id: UsageId,
        actor: Actor,
        amount: f64,
        unit: UnitChoice,
        usage_type: UsageType,
        usage_at: DateTime<Utc>,
    ) -> Self {
        let now = bson::DateTime::now();
        let mut usage = Self {
            id,
            org_id: actor.org,
            created_by: actor.user,
            updated_by: actor.user,
            amount,
            unit: String::new(),
            factor_amount: 0.0,
            usage_type_id: usage_type.id,
            scope3_category: usage_type.scope3_category,
            usage_type,
            usage_at: bson::DateTime::from_chrono(usage_at),
            gases: Gases::default(),
            co2e: 0.0,
            created_at: now,
            updated_at: now,
            version: 1,
            import_id: None,
            facility_id: None,
            data_quality: None,
            evidence: None,
        };
        usage.recompute(&unit);
        usage
    }

    /// Re-derives the converted amount, the gases and the CO₂e after a
    /// change, with the unit the amount is in.
    pub fn recompute(&mut self, unit: &UnitChoice) {
        self.usage_type_id = self.usage_type.id;
        self.unit = unit.entered.clone();
        let factor_amount = self.amount * unit.ratio;
        self.factor_amount = factor_amount;
        self.gases = self.usage_type.gases.times(factor_amount);
        self.co2e = factor_amount * self.usage_type.factor;
    }

    /// Reports it under `chosen`, one of its type's scope 3 categories
    /// (absent: keeps the current one).
    pub fn choose_scope3_category(&mut self, chosen: Option<i64>) -> Result<(), FieldError> {
        let Some(chosen) = chosen else {
            return Ok(());
        };
        match self
            .usage_type
            .scope3_categories
            .iter()
            .find(|c| i64::from(**c) == chosen)
        {
            Some(&category) => {
                self.scope3_category = Some(category);
                Ok(())
            }
            None => Err(FieldError::new(
                "scope3_category",
                format!(
                    "must be one of the type's scope3_categories {:?}",
                    self.usage_type.scope3_categories
                ),
            )),
        }
    }

    /// The strong entity tag of this version (RFC 9110 §8.8.3).
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }
}

/// What a client's `If-Match` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: any current version.
    Any,
    /// One of these entity tags.
    Tags(Vec<String>),
}

impl IfMatch {
    /// Parses a header value: `*` or a comma-separated list of entity tags.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        if raw == "*" {
            return Ok(Self::Any);
        }
        let tags: Vec<String> = raw
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        let quoted = |t: &str| t.len() >= 2 && t.starts_with('"') && t.ends_with('"');
        let well_formed = !tags.is_empty()
            && tags
                .iter()
                .all(|t| quoted(t.strip_prefix("W/").unwrap_or(t)));
        if !well_formed {
            return Err(FieldError::new(
                "If-Match",
                "must be * or quoted entity tags, as sent in ETag",
            ));
        }
        Ok(Self::Tags(tags))
    }

    /// Whether `usage`, as it is now, satisfies the condition.
    pub fn matches(&self, usage: &Usage) -> bool {
        match self {
            Self::Any => true,
            // Strong comparison: a weak tag never matches (RFC 9110 §13.1.1).
            Self::Tags(tags) => tags.iter().any(|t| *t == usage.etag()),
        }
    }
}

pub fn check_amount(amount: f64) -> Result<f64, FieldError> {
    if amount.is_finite() && (0.0..=MAX_AMOUNT).contains(&amount) {
        // -0.0 is in range; stored as 0, so that no export shows "-0".
        Ok(amount + 0.0)
    } else {
        Err(FieldError::new(
            "amount",
            format!("must be a finite number from 0 to {MAX_AMOUNT:e}"),
        ))
    }
}

/// An RFC 3339 instant with an offset, from 1900 up to one day ahead.
pub fn parse_usage_at(raw: &str) -> Result<DateTime<Utc>, FieldError> {
    let at = DateTime::parse_from_rfc3339(raw.trim())
        .map_err(|_| {
            FieldError::new(
                "usage_at",
                "must be an RFC 3339 date-time with an offset, e.g. 2026-11-01T08:00:00Z",
            )
        })?
        .with_timezone(&Utc);
    check_usage_at(at)
}

/// An instant from 1900 up to one day ahead.
pub fn check_usage_at(at: DateTime<Utc>) -> Result<DateTime<Utc>, FieldError> {
    if at > Utc::now() + Duration::days(1) {
        return Err(FieldError::new(
            "usage_at",
            "must be at most one day in the future",
        ));
    }
    if at.year() < 1900 {
        return Err(FieldError::new("usage_at", "must be in 1900 or later"));
    }
    Ok(at)
}

/// Four checked fields, or every failure among them at once.
fn all_four<A, B, C, D>(
    a: Result<A, FieldError>,
    b: Result<B, FieldError>,
    c: Result<C, FieldError>,
    d: Result<D, FieldError>,
) -> Result<(A, B, C, D), Invalid> {
    match (a, b, c, d) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => Ok((a, b, c, d)),
        (a, b, c, d) => Err(Invalid(
            [a.err(), b.err(), c.err(), d.err()]
                .into_iter()
                .flatten()
                .collect(),
        )),
    }
}

/// A validated new usage (the type still has to exist).
#[derive(Debug, Clone, PartialEq)]
pub struct NewUsage {
    pub amount: f64,
    /// The unit of `amount`, as given; absent: the type's unit. Checked
    /// against the type by `units::check_unit`.
    pub unit: Option<String>,
    pub usage_type_id: UsageTypeId,
    pub usage_at: DateTime<Utc>,
    /// One of the type's scope 3 categories; absent: its first.
    pub scope3_category: Option<i64>,
    /// The facility it belongs to (checked against the organization's).
    pub facility_id: Option<FacilityId>,
    pub data_quality: Option<DataQuality>,
    pub evidence: Option<String>,
}

/// The longest unit text (the longest code is far shorter).
pub const MAX_UNIT_CHARS: usize = 64;

/// A unit as given: trimmed, blank as absent, at most [`MAX_UNIT_CHARS`].
pub fn check_unit_text(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim).filter(|u| !u.is_empty()) {
        Some(unit) if unit.chars().count() > MAX_UNIT_CHARS => Err(FieldError::new(
            "unit",
            format!("must be at most {MAX_UNIT_CHARS} characters"),
        )),
        unit => Ok(unit.map(str::to_owned)),
    }
}

/// A usage as a request gives it, before any check.
#[derive(Debug, Clone, Copy)]
pub struct UsageInput<'a> {
    pub amount: f64,
    /// The unit the amount is in; absent: the type's.
    pub unit: Option<&'a str>,
    pub usage_type_id: i64,
    /// RFC 3339; absent: now.
    pub usage_at: Option<&'a str>,
    pub scope3_category: Option<i64>,
    /// A facility's id; absent or blank: none.
    pub facility_id: Option<&'a str>,
    /// `measured`, `calculated`, `estimated` or `spend_based`; blank: none.
    pub data_quality: Option<&'a str>,
    /// An invoice number or document link; blank: none.
    pub evidence: Option<&'a str>,
}

/// A partial update as a request gives it, before any check.
#[derive(Debug, Clone, Copy, Default)]
pub struct UsageChangesInput<'a> {
    pub amount: Option<f64>,
    pub unit: Option<&'a str>,
    pub usage_type_id: Option<i64>,
    pub usage_at: Option<&'a str>,
    pub scope3_category: Option<i64>,
    /// A facility's id; `Some("")`: no facility any more.
    pub facility_id: Option<&'a str>,
    /// `Some("")`: no data quality any more.
    pub data_quality: Option<&'a str>,
    /// `Some("")`: no evidence any more.
    pub evidence: Option<&'a str>,
}

/// A facility id as given: blank is none.
pub fn parse_facility(raw: Option<&str>) -> Result<Option<FacilityId>, FieldError> {
    raw.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| FacilityId::parse("facility_id", v))
        .transpose()
}

/// Four checked fields and the optional ones, every failure at once.
fn with_optional<T, F, Q, E>(
    four: Result<T, Invalid>,
    (facility, quality, evidence): (
        Result<F, FieldError>,
        Result<Q, FieldError>,
        Result<E, FieldError>,
    ),
) -> Result<(T, F, Q, E), Invalid> {
    match (four, facility, quality, evidence) {
        (Ok(four), Ok(f), Ok(q), Ok(e)) => Ok((four, f, q, e)),
        (four, f, q, e) => {
            let mut errors = four.err().map(|Invalid(e)| e).unwrap_or_default();
            errors.extend(f.err());
            errors.extend(q.err());
            errors.extend(e.err());
            Err(Invalid(errors))
        }
    }
}

impl NewUsage {
    /// Every field checked, every failure reported; `usage_at` absent: now.
    pub fn parse(amount: f64, usage_type_id: i64, usage_at: Option<&str>) -> Result<Self, Invalid> {
        Self::parse_input(UsageInput {
            amount,
            unit: None,
            usage_type_id,
            usage_at,
            scope3_category: None,
            facility_id: None,
            data_quality: None,
            evidence: None,
        })
    }

    /// [`NewUsage::parse`] of a whole input, the unit included.
    pub fn parse_input(input: UsageInput<'_>) -> Result<Self, Invalid> {
        let UsageInput {
            amount,
            unit,
            usage_type_id,
            usage_at,
            scope3_category,
            facility_id,
            data_quality,
            evidence,
        } = input;
        let amount = check_amount(amount);
        let unit = check_unit_text(unit);
        let type_id = UsageTypeId::parse("usage_type_id", usage_type_id);
        let usage_at = usage_at
            .map(parse_usage_at)
            .unwrap_or_else(|| Ok(Utc::now()));
        let ((amount, unit, usage_type_id, usage_at), facility_id, data_quality, evidence) =
            with_optional(
                all_four(amount, unit, type_id, usage_at),
                (
                    parse_facility(facility_id),
                    parse_data_quality(data_quality),
                    parse_evidence(evidence),
                ),
            )?;
        Ok(Self {
            amount,
            unit,
            usage_type_id,
            usage_at,
            scope3_category,
            facility_id,
            data_quality,
            evidence,
        })
    }
}

/// A validated partial update.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageChanges {
    pub amount: Option<f64>,
    /// A new unit for the amount (with or without a new amount).
    pub unit: Option<String>,
    pub usage_type_id: Option<UsageTypeId>,
    pub usage_at: Option<DateTime<Utc>>,
    pub scope3_category: Option<i64>,
    /// `Some(None)`: no facility any more.
    pub facility_id: Option<Option<FacilityId>>,
    /// `Some(None)`: no data quality any more.
    pub data_quality: Option<Option<DataQuality>>,
    /// `Some(None)`: no evidence any more.
    pub evidence: Option<Option<String>>,
}

impl UsageChanges {
    /// At least one field, each checked.
    pub fn parse(
        amount: Option<f64>,
        usage_type_id: Option<i64>,
        usage_at: Option<&str>,
    ) -> Result<Self, Invalid> {
        Self::parse_input(UsageChangesInput {
            amount,
            unit: None,
            usage_type_id,
            usage_at,
            scope3_category: None,
            facility_id: None,
            data_quality: None,
            evidence: None,
        })
    }

    /// [`UsageChanges::parse`] of a whole input, a new unit included.
    pub fn parse_input(input: UsageChangesInput<'_>) -> Result<Self, Invalid> {
        let UsageChangesInput {
            amount,
            unit,
            usage_type_id,
            usage_at,
            scope3_category,
            facility_id,
            data_quality,
            evidence,
        } = input;
        if amount.is_none()
            && unit.is_none()
            && usage_type_id.is_none()
            && usage_at.is_none()
            && scope3_category.is_none()
            && facility_id.is_none()
            && data_quality.is_none()
            && evidence.is_none()
        {
            return Err(Invalid::one(
                "body",
                "give at least one of amount, unit, usage_type_id, usage_at, scope3_category, facility_id, data_quality, evidence",
            ));
        }
        let amount = amount.map(check_amount).transpose();
        let unit = check_unit_text(unit);
        let type_id = usage_type_id
            .map(|id| UsageTypeId::parse("usage_type_id", id))
            .transpose();
        let usage_at = usage_at.map(parse_usage_at).transpose();
        let ((amount, unit, usage_type_id, usage_at), facility_id, data_quality, evidence) =
            with_optional(
                all_four(amount, unit, type_id, usage_at),
                (
                    facility_id.map(|raw| parse_facility(Some(raw))).transpose(),
                    data_quality
                        .map(|raw| parse_data_quality(Some(raw)))
                        .transpose(),
                    evidence.map(|raw| parse_evidence(Some(raw))).transpose(),
                ),
            )?;
        Ok(Self {
            amount,
            unit,
            usage_type_id,
            usage_at,
            scope3_category,
            facility_id,
            data_quality,
            evidence,
        })
    }

    /// The unit text the changed usage is in: the new one, else the one it
    /// was entered in.
    pub fn unit_of<'a>(&'a self, usage: &'a Usage) -> &'a str {
        self.unit.as_deref().unwrap_or(&usage.unit)
    }

    /// Applies the changes (with the new type's snapshot, if retyped, and
    /// the unit checked against the resulting type).
    /// A new type brings its default scope 3 category unless one is
    /// chosen; a chosen one must be the resulting type's.
    pub fn apply(
        &self,
        usage: &mut Usage,
        new_type: Option<UsageType>,
        unit: &UnitChoice,
    ) -> Result<(), FieldError> {
        if let Some(usage_type) = new_type {
            usage.scope3_category = usage_type.scope3_category;
            usage.usage_type = usage_type;
        }
        usage.choose_scope3_category(self.scope3_category)?;
        if let Some(amount) = self.amount {
            usage.amount = amount;
        }
        if let Some(at) = self.usage_at {
            usage.usage_at = bson::DateTime::from_chrono(at);
        }
        if let Some(facility) = self.facility_id {
            usage.facility_id = facility;
        }
        if let Some(quality) = self.data_quality {
            usage.data_quality = quality;
        }
        if let Some(evidence) = &self.evidence {
            usage.evidence = evidence.clone();
        }
        usage.recompute(unit);
        Ok(())
    }
}

pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// An `Idempotency-Key`: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &[u8]) -> Result<Self, FieldError> {
        let visible = raw.iter().all(|b| (b'!'..=b'~').contains(b));
        if raw.is_empty() || raw.len() > MAX_IDEMPOTENCY_KEY_CHARS || !visible {
            return Err(FieldError::new(
                "Idempotency-Key",
                format!("must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters"),
            ));
        }
        Ok(Self(String::from_utf8_lossy(raw).into_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A query-string instant (`from`/`to`): 422 naming the parameter.
pub fn parse_instant(field: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, FieldError> {
    raw.map(|raw| {
        DateTime::parse_from_rfc3339(raw.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| FieldError::new(field, "must be an RFC 3339 date-time with an offset"))
    })
    .transpose()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Type 100, electricity at 1.5 kg CO₂e per kWh, scope 2 (other
    /// modules' tests use it too).
    pub(crate) fn electricity() -> UsageType {
        let fields = crate::domain::usage_type::UsageTypeFields {
            name: "electricity".into(),
            unit: "kWh".into(),
            factor: Some(1.5),
            scope: 2,
            ..Default::default()
        };
        UsageType::parse(100, &fields, &crate::domain::dataset::Dataset::custom()).unwrap()
    }

    #[test]
    fn co2e_is_derived() {
        let at = DateTime::parse_from_rfc3339("2026-03-31T23:30:00-02:00")
            .unwrap()
            .with_timezone(&Utc);
        let kwh = crate::domain::units::check_unit("kWh", "kWh").unwrap();
        let usage = Usage::new(
            UsageId::new(),
            Actor::personal(UserId::new()),
            10.0,
            kwh,
            electricity(),
            at,
        );
        assert_eq!(usage.co2e, 15.0);
        assert_eq!(usage.etag(), "\"1\"");
    }

    #[test]
    fn an_amount_in_another_unit_is_converted_to_the_factors_before_anything_is_derived() {
        let mwh = crate::domain::units::check_unit("MWh", "kWh").unwrap();
        let usage = Usage::new(
            UsageId::new(),
            Actor::personal(UserId::new()),
            2.0,
            mwh,
            electricity(),
            Utc::now(),
        );
        assert_eq!((usage.amount, usage.unit.as_str()), (2.0, "MWh"));
        assert_eq!(usage.factor_amount, 2000.0);
        assert_eq!(usage.co2e, 3000.0);
        assert_eq!(usage.gases.other_co2e, Some(3000.0));
    }

    #[test]
    fn amounts_must_be_finite_and_not_negative() {
        for bad in [-0.1, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 2e12] {
            assert!(check_amount(bad).is_err(), "{bad}");
        }
        assert!(check_amount(0.0).is_ok());
    }

    #[test]
    fn a_negative_zero_amount_is_zero() {
        assert!(check_amount(-0.0).unwrap().is_sign_positive());
    }

    #[test]
    fn usage_at_needs_an_offset_and_at_most_a_day_ahead() {
        assert!(parse_usage_at("2026-11-01T08:00:00").is_err());
        assert!(parse_usage_at("yesterday").is_err());
        assert!(parse_usage_at(&(Utc::now() + Duration::hours(25)).to_rfc3339()).is_err());
        assert!(parse_usage_at(&(Utc::now() + Duration::hours(23)).to_rfc3339()).is_ok());
        assert!(parse_usage_at("2026-11-01T08:00:00+01:00").is_ok());
    }

    #[test]
    fn an_empty_update_is_refused() {
        assert!(UsageChanges::parse(None, None, None).is_err());
    }

    #[test]
    fn if_match_takes_a_star_or_quoted_tags() {
        let kwh = crate::domain::units::check_unit("kWh", "kWh").unwrap();
        let mut usage = Usage::new(
            UsageId::new(),
            Actor::personal(UserId::new()),
            1.0,
            kwh,
            electricity(),
            Utc::now(),
        );
        assert!(IfMatch::parse("*").unwrap().matches(&usage));
        assert!(IfMatch::parse("\"7\", \"1\"").unwrap().matches(&usage));
        usage.version = 2;
        assert!(!IfMatch::parse("\"1\"").unwrap().matches(&usage));
        assert!(!IfMatch::parse("W/\"2\"").unwrap().matches(&usage));
        assert!(IfMatch::parse("1").is_err());
    }

    #[test]
    fn idempotency_keys_are_visible_ascii() {
        assert!(IdempotencyKey::parse(b"abc-123").is_ok());
        for bad in [&b""[..], b"two words", &[b'a'; 256]] {
            assert!(IdempotencyKey::parse(bad).is_err());
        }
    }
}
