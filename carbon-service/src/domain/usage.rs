//! Usage records: an amount of a usage type at a time, with the type's
//! factor frozen into a snapshot so later factor edits don't rewrite history.

use bson::oid::ObjectId;
use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};
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
        };
        usage.recompute();
        usage
    }

    /// Re-derives the precomputed fields after a change.
    pub fn recompute(&mut self) {
        self.usage_type_id = self.usage_type.id;
        self.co2e = self.amount * self.usage_type.factor;
    }
}

/// A usage as every endpoint shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "6740c8a2f1d3b2a1c0e9f812",
    "user_id": "0b6f1e5c-2f6e-4c1b-9d0a-3c1d2e4f5a6b",
    "amount": 120.5,
    "usage_type": {"id": 100, "name": "electricity", "unit": "kwh", "factor": 1.5},
    "usage_at": "2026-11-01T08:00:00Z",
    "co2e": 180.75,
    "created_at": "2026-11-22T10:00:00Z",
    "updated_at": "2026-11-22T10:00:00Z"
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

/// The body of `PUT /usages/{id}`: any non-empty subset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": 99.0}), min_properties = 1)]
pub struct UpdateUsageRequest {
    /// `null` counts as not given, for every field.
    #[schema(minimum = 0, maximum = 1e12)]
    pub amount: Option<f64>,
    /// A new type refreshes the snapshot.
    #[serde(default, deserialize_with = "common::extract::optional_integer")]
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    pub usage_type_id: Option<i64>,
    /// RFC 3339 with an offset, from 1900 to at most one day ahead.
    #[schema(format = DateTime, nullable)]
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
pub struct NewUsage {
    pub amount: f64,
    pub usage_type_id: i64,
    pub usage_at: DateTime<Utc>,
}

impl NewUsage {
    pub fn parse(req: &CreateUsageRequest) -> Result<Self, ApiError> {
        let amount = check_amount(req.amount);
        let type_id = check_type_id("usage_type_id", req.usage_type_id);
        let usage_at = req
            .usage_at
            .as_deref()
            .map(parse_usage_at)
            .unwrap_or_else(|| Ok(Utc::now()));
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
}

/// A validated partial update.
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

    fn electricity() -> UsageType {
        UsageType {
            id: 100,
            name: "electricity".into(),
            unit: "kwh".into(),
            factor: 1.5,
        }
    }

    #[test]
    fn co2e_is_derived() {
        let at = DateTime::parse_from_rfc3339("2026-03-31T23:30:00-02:00")
            .unwrap()
            .with_timezone(&Utc);
        let usage = Usage::new(ObjectId::new(), "u".into(), 10.0, electricity(), at);
        assert_eq!(usage.co2e, 15.0);
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
        let empty = UpdateUsageRequest {
            amount: None,
            usage_type_id: None,
            usage_at: None,
        };
        assert!(UsageChanges::parse(&empty).is_err());
    }

    #[test]
    fn malformed_ids_are_refused() {
        assert!(parse_usage_id("123").is_err());
        assert!(parse_usage_id("zzzzzzzzzzzzzzzzzzzzzzzz").is_err());
        assert!(parse_usage_id("6740c8a2f1d3b2a1c0e9f812").is_ok());
    }
}
