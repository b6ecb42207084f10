//! Usage records: an amount of a usage type at a time, with the type's
//! factor, scope and provenance frozen into a snapshot so later edits of the
//! type don't rewrite history.

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{UsageId, UsageTypeId};
use super::usage_type::UsageType;
use common::ids::UserId;
use common::validation::{FieldError, Invalid};

/// Amounts beyond this are certainly typos, and keep sums finite.
pub const MAX_AMOUNT: f64 = 1e12;

/// A stored usage (collection `usages`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Usage {
    #[serde(rename = "_id")]
    pub id: UsageId,
    pub user_id: UserId,
    pub amount: f64,
    pub usage_type: UsageType,
    /// `usage_type.id`, top-level for filtering and grouping.
    pub usage_type_id: UsageTypeId,
    pub usage_at: bson::DateTime,
    /// `amount × usage_type.factor`, kg CO₂e.
    pub co2e: f64,
    pub created_at: bson::DateTime,
    pub updated_at: bson::DateTime,
    /// Incremented by every change; the `ETag` (usages stored before
    /// versions existed read as 0).
    #[serde(default)]
    pub version: i64,
    /// The CSV import that created it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_id: Option<bson::oid::ObjectId>,
}

impl Usage {
    pub fn new(
        id: UsageId,
        user_id: UserId,
        amount: f64,
        usage_type: UsageType,
        usage_at: DateTime<Utc>,
    ) -> Self {
        let now = bson::DateTime::now();
        let mut usage = Self {
            id,
            user_id,
            amount,
            usage_type_id: usage_type.id,
            usage_type,
            usage_at: bson::DateTime::from_chrono(usage_at),
            co2e: 0.0,
            created_at: now,
            updated_at: now,
            version: 1,
            import_id: None,
        };
        usage.recompute();
        usage
    }

    /// Re-derives the precomputed fields after a change.
    pub fn recompute(&mut self) {
        self.usage_type_id = self.usage_type.id;
        self.co2e = self.amount * self.usage_type.factor;
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
        Ok(amount)
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

/// A validated new usage (the type still has to exist).
#[derive(Debug, Clone, PartialEq)]
pub struct NewUsage {
    pub amount: f64,
    pub usage_type_id: UsageTypeId,
    pub usage_at: DateTime<Utc>,
}

impl NewUsage {
    /// Every field checked, every failure reported; `usage_at` absent: now.
    pub fn parse(amount: f64, usage_type_id: i64, usage_at: Option<&str>) -> Result<Self, Invalid> {
        let amount = check_amount(amount);
        let type_id = UsageTypeId::parse("usage_type_id", usage_type_id);
        let usage_at = usage_at
            .map(parse_usage_at)
            .unwrap_or_else(|| Ok(Utc::now()));
        match (amount, type_id, usage_at) {
            (Ok(amount), Ok(usage_type_id), Ok(usage_at)) => Ok(Self {
                amount,
                usage_type_id,
                usage_at,
            }),
            (a, t, u) => Err(Invalid(
                [a.err(), t.err(), u.err()].into_iter().flatten().collect(),
            )),
        }
    }
}

/// A validated partial update.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageChanges {
    pub amount: Option<f64>,
    pub usage_type_id: Option<UsageTypeId>,
    pub usage_at: Option<DateTime<Utc>>,
}

impl UsageChanges {
    /// At least one field, each checked.
    pub fn parse(
        amount: Option<f64>,
        usage_type_id: Option<i64>,
        usage_at: Option<&str>,
    ) -> Result<Self, Invalid> {
        if amount.is_none() && usage_type_id.is_none() && usage_at.is_none() {
            return Err(Invalid::one(
                "body",
                "give at least one of amount, usage_type_id, usage_at",
            ));
        }
        let amount = amount.map(check_amount).transpose();
        let type_id = usage_type_id
            .map(|id| UsageTypeId::parse("usage_type_id", id))
            .transpose();
        let usage_at = usage_at.map(parse_usage_at).transpose();
        match (amount, type_id, usage_at) {
            (Ok(amount), Ok(usage_type_id), Ok(usage_at)) => Ok(Self {
                amount,
                usage_type_id,
                usage_at,
            }),
            (a, t, u) => Err(Invalid(
                [a.err(), t.err(), u.err()].into_iter().flatten().collect(),
            )),
        }
    }

    /// Applies the changes (with the new type's snapshot, if retyped).
    pub fn apply(&self, usage: &mut Usage, new_type: Option<UsageType>) {
        if let Some(usage_type) = new_type {
            usage.usage_type = usage_type;
        }
        if let Some(amount) = self.amount {
            usage.amount = amount;
        }
        if let Some(at) = self.usage_at {
            usage.usage_at = bson::DateTime::from_chrono(at);
        }
        usage.recompute();
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
mod tests {
    use super::*;

    fn electricity() -> UsageType {
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
        let usage = Usage::new(UsageId::new(), UserId::new(), 10.0, electricity(), at);
        assert_eq!(usage.co2e, 15.0);
        assert_eq!(usage.etag(), "\"1\"");
    }

    #[test]
    fn amounts_must_be_finite_and_not_negative() {
        for bad in [-0.1, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 2e12] {
            assert!(check_amount(bad).is_err(), "{bad}");
        }
        assert!(check_amount(0.0).is_ok());
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
        let mut usage = Usage::new(
            UsageId::new(),
            UserId::new(),
            1.0,
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
