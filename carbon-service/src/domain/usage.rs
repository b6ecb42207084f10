//! Usage records: an amount of a usage type at a time, with the type's
//! factor, scope and provenance frozen into a snapshot so later edits of the
//! type don't rewrite history.

use bson::oid::ObjectId;
use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::usage_type::{UsageType, check_type_id};
use common::error::{ApiError, FieldError};

/// Amounts beyond this are certainly typos, and keep sums finite.
pub const MAX_AMOUNT: f64 = 1e12;

/// A stored usage (collection `usages`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Usage {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub user_id: String,
    pub amount: f64,
    pub usage_type: UsageType,
    /// `usage_type.id`, top-level for filtering and grouping.
    pub usage_type_id: i64,
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
    pub import_id: Option<ObjectId>,
}

impl Usage {
    pub fn new(
        id: ObjectId,
        user_id: String,
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
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
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
            return Err(ApiError::validation(
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

/// A usage as every endpoint shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "6740c8a2f1d3b2a1c0e9f812",
    "user_id": "0b6f1e5c-2f6e-4c1b-9d0a-3c1d2e4f5a6b",
    "amount": 120.5,
    "usage_type": {"id": 100, "name": "electricity", "unit": "kwh", "factor": 1.5, "scope": 2},
    "usage_at": "2026-11-01T08:00:00Z",
    "co2e": 180.75,
    "created_at": "2026-11-22T10:00:00Z",
    "updated_at": "2026-11-22T10:00:00Z",
    "version": 1
}))]
pub struct UsageResponse {
    /// ObjectId, hex.
    pub id: String,
    pub user_id: String,
    pub amount: f64,
    /// The type as it was when the usage was recorded (or last retyped).
    pub usage_type: UsageType,
    pub usage_at: DateTime<Utc>,
    /// kg CO₂e.
    pub co2e: f64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change; `ETag` is this number in quotes, for
    /// `If-Match`.
    pub version: i64,
}

impl From<&Usage> for UsageResponse {
    fn from(u: &Usage) -> Self {
        Self {
            id: u.id.to_hex(),
            user_id: u.user_id.clone(),
            amount: u.amount,
            usage_type: u.usage_type.clone(),
            usage_at: u.usage_at.to_chrono(),
            co2e: u.co2e,
            created_at: u.created_at.to_chrono(),
            updated_at: u.updated_at.to_chrono(),
            version: u.version,
        }
    }
}

/// The body of `POST /usages`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": 120.5, "usage_type_id": 100, "usage_at": "2026-11-01T08:00:00Z"}))]
pub struct CreateUsageRequest {
    /// Finite, 0 to 1e12, in the type's unit.
    #[schema(minimum = 0, maximum = 1e12)]
    pub amount: f64,
    #[serde(deserialize_with = "common::extract::integer")]
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    pub usage_type_id: i64,
    /// RFC 3339 with an offset, from 1900 to at most one day ahead; absent or null: now.
    #[schema(format = DateTime, nullable)]
    pub usage_at: Option<String>,
}

/// A field that may be left out but, when present, must not be `null`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom(
            "must not be null; leave the field out to keep its value",
        )),
    }
}

fn present_integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match common::extract::optional_integer(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom(
            "must not be null; leave the field out to keep its value",
        )),
    }
}

/// The body of `PUT /usages/{id}`: any non-empty subset. A field left out
/// keeps its value; `null` is never a value (422 naming the field).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
// `minProperties: 1` is set in `openapi::document`: utoipa-gen 5.5 writes
// the `min_properties` attribute out as `maxProperties`.
#[schema(example = json!({"amount": 99.0}))]
pub struct UpdateUsageRequest {
    /// Finite, 0 to 1e12, in the type's unit.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = f64, minimum = 0, maximum = 1e12)]
    pub amount: Option<f64>,
    /// A new type refreshes the snapshot.
    #[serde(default, deserialize_with = "present_integer")]
    #[schema(value_type = i64, minimum = 1, maximum = 9007199254740991_i64)]
    pub usage_type_id: Option<i64>,
    /// RFC 3339 with an offset, from 1900 to at most one day ahead.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, format = DateTime)]
    pub usage_at: Option<String>,
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

/// A validated create request (the type still has to exist).
#[derive(Debug, Clone, PartialEq)]
pub struct NewUsage {
    pub amount: f64,
    pub usage_type_id: i64,
    pub usage_at: DateTime<Utc>,
}

impl NewUsage {
    pub fn parse(req: &CreateUsageRequest) -> Result<Self, ApiError> {
        Self::parse_fields(req.amount, req.usage_type_id, req.usage_at.as_deref())
            .map_err(ApiError::Validation)
    }

    /// Every field checked, every failure reported; `usage_at` absent: now.
    pub fn parse_fields(
        amount: f64,
        usage_type_id: i64,
        usage_at: Option<&str>,
    ) -> Result<Self, Vec<FieldError>> {
        let amount = check_amount(amount);
        let type_id = check_type_id("usage_type_id", usage_type_id);
        let usage_at = usage_at
            .map(parse_usage_at)
            .unwrap_or_else(|| Ok(Utc::now()));
        match (amount, type_id, usage_at) {
            (Ok(amount), Ok(usage_type_id), Ok(usage_at)) => Ok(Self {
                amount,
                usage_type_id,
                usage_at,
            }),
            (a, t, u) => Err([a.err(), t.err(), u.err()].into_iter().flatten().collect()),
        }
    }
}

/// A validated partial update.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageChanges {
    pub amount: Option<f64>,
    pub usage_type_id: Option<i64>,
    pub usage_at: Option<DateTime<Utc>>,
}

impl UsageChanges {
    pub fn parse(req: &UpdateUsageRequest) -> Result<Self, ApiError> {
        if req.amount.is_none() && req.usage_type_id.is_none() && req.usage_at.is_none() {
            return Err(ApiError::validation(
                "body",
                "give at least one of amount, usage_type_id, usage_at",
            ));
        }
        let amount = req.amount.map(check_amount).transpose();
        let type_id = req
            .usage_type_id
            .map(|id| check_type_id("usage_type_id", id))
            .transpose();
        let usage_at = req.usage_at.as_deref().map(parse_usage_at).transpose();
        match (amount, type_id, usage_at) {
            (Ok(amount), Ok(usage_type_id), Ok(usage_at)) => Ok(Self {
                amount,
                usage_type_id,
                usage_at,
            }),
            (a, t, u) => Err(ApiError::Validation(
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

/// A path id: 422 when it is not a 24-digit hex ObjectId.
pub fn parse_usage_id(raw: &str) -> Result<ObjectId, ApiError> {
    ObjectId::parse_str(raw)
        .map_err(|_| ApiError::validation("id", "must be a 24-character hexadecimal ObjectId"))
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
    use crate::domain::usage_type::Scope;

    fn electricity() -> UsageType {
        UsageType {
            id: 100,
            name: "electricity".into(),
            unit: "kwh".into(),
            factor: 1.5,
            scope: Scope::parse(2).unwrap(),
            source: None,
            source_year: None,
            region: None,
        }
    }

    #[test]
    fn co2e_is_derived() {
        let at = DateTime::parse_from_rfc3339("2026-03-31T23:30:00-02:00")
            .unwrap()
            .with_timezone(&Utc);
        let usage = Usage::new(ObjectId::new(), "u".into(), 10.0, electricity(), at);
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
        let empty: UpdateUsageRequest = serde_json::from_str("{}").unwrap();
        assert!(UsageChanges::parse(&empty).is_err());
    }

    #[test]
    fn null_is_never_a_value_in_an_update() {
        for body in [
            r#"{"amount": null}"#,
            r#"{"usage_type_id": null, "amount": 1}"#,
            r#"{"usage_at": null, "usage_type_id": 101}"#,
        ] {
            let err =
                common::extract::parse_json::<UpdateUsageRequest>(body.as_bytes()).unwrap_err();
            let ApiError::Validation(errors) = err else {
                panic!("expected a validation error for {body}");
            };
            assert!(errors[0].message.contains("must not be null"), "{body}");
        }
    }

    #[test]
    fn if_match_takes_a_star_or_quoted_tags() {
        let mut usage = Usage::new(ObjectId::new(), "u".into(), 1.0, electricity(), Utc::now());
        assert!(IfMatch::parse("*").unwrap().matches(&usage));
        assert!(IfMatch::parse("\"7\", \"1\"").unwrap().matches(&usage));
        usage.version = 2;
        assert!(!IfMatch::parse("\"1\"").unwrap().matches(&usage));
        assert!(!IfMatch::parse("W/\"2\"").unwrap().matches(&usage));
        assert!(IfMatch::parse("1").is_err());
    }

    #[test]
    fn malformed_ids_are_refused() {
        assert!(parse_usage_id("123").is_err());
        assert!(parse_usage_id("zzzzzzzzzzzzzzzzzzzzzzzz").is_err());
    }

    #[test]
    fn idempotency_keys_are_visible_ascii() {
        assert!(IdempotencyKey::parse(b"abc-123").is_ok());
        for bad in [&b""[..], b"two words", &[b'a'; 256]] {
            assert!(IdempotencyKey::parse(bad).is_err());
        }
    }
}
