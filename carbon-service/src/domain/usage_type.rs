//! Usage types: what a usage measures and its emission factor.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use common::error::{ApiError, FieldError};

pub const MAX_LABEL_CHARS: usize = 64;
/// Ids are integers that survive a round trip through JavaScript.
pub const MAX_TYPE_ID: i64 = (1 << 53) - 1;

/// A usage type, as stored (collection `usage_types`) and as shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 100, "name": "electricity", "unit": "kwh", "factor": 1.5}))]
pub struct UsageType {
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    pub id: i64,
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    #[schema(min_length = 1, max_length = 64)]
    pub unit: String,
    /// kg CO₂e per unit.
    #[schema(minimum = 0)]
    pub factor: f64,
}

/// The body of `POST /types`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id": 105, "name": "gas", "unit": "m3", "factor": 2.02}))]
pub struct CreateUsageTypeRequest {
    /// A positive integer, unique.
    #[serde(deserialize_with = "common::extract::integer")]
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    pub id: i64,
    /// 1 to 64 characters, not only spaces.
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub name: String,
    /// 1 to 64 characters, not only spaces.
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub unit: String,
    /// kg CO₂e per unit: finite, ≥ 0.
    #[schema(minimum = 0)]
    pub factor: f64,
}

/// The body of `PUT /types/{id}`: every field but the id.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "electricity", "unit": "kwh", "factor": 1.2}))]
pub struct UpdateUsageTypeRequest {
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub name: String,
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub unit: String,
    #[schema(minimum = 0)]
    pub factor: f64,
}

fn check_label(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > MAX_LABEL_CHARS {
        errors.push(FieldError::new(
            field,
            format!("must be 1 to {MAX_LABEL_CHARS} characters"),
        ));
    }
    trimmed.to_owned()
}

pub fn check_type_id(field: &str, id: i64) -> Result<i64, FieldError> {
    if (1..=MAX_TYPE_ID).contains(&id) {
        Ok(id)
    } else {
        Err(FieldError::new(
            field,
            format!("must be between 1 and {MAX_TYPE_ID}"),
        ))
    }
}

impl UsageType {
    /// Validates every field, reporting all failures at once.
    pub fn parse(id: i64, name: &str, unit: &str, factor: f64) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        if let Err(e) = check_type_id("id", id) {
            errors.push(e);
        }
        let name = check_label("name", name, &mut errors);
        let unit = check_label("unit", unit, &mut errors);
        if !factor.is_finite() || factor < 0.0 {
            errors.push(FieldError::new(
                "factor",
                "must be a finite number greater than or equal to 0",
            ));
        }
        if errors.is_empty() {
            Ok(Self {
                id,
                name,
                unit,
                factor,
            })
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// A path id: 422 when it is not a positive integer.
pub fn parse_type_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| FieldError::new("id", "must be an integer"))
        .and_then(|id| check_type_id("id", id))
        .map_err(|e| ApiError::Validation(vec![e]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_type_is_trimmed() {
        let t = UsageType::parse(1, " gas ", "m3", 2.0).unwrap();
        assert_eq!((t.name.as_str(), t.unit.as_str()), ("gas", "m3"));
    }

    #[test]
    fn every_invalid_field_is_reported() {
        let Err(ApiError::Validation(errors)) = UsageType::parse(0, "", &"u".repeat(65), -1.0)
        else {
            panic!("expected a validation error");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["id", "name", "unit", "factor"]);
    }

    #[test]
    fn non_finite_factors_are_refused() {
        assert!(UsageType::parse(1, "a", "b", f64::NAN).is_err());
        assert!(UsageType::parse(1, "a", "b", f64::INFINITY).is_err());
    }
}
