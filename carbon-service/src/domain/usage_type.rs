//! Usage types: what a usage measures, its emission factor, its GHG
//! Protocol scope and where the factor comes from.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use common::error::{ApiError, FieldError};

pub const MAX_LABEL_CHARS: usize = 64;
pub const MAX_SOURCE_CHARS: usize = 256;
/// Ids are integers that survive a round trip through JavaScript.
pub const MAX_TYPE_ID: i64 = (1 << 53) - 1;
/// No real emission factor comes near this (kg CO₂e per unit), and it keeps
/// every product with an amount finite.
pub const MAX_FACTOR: f64 = 1e6;
pub const MIN_SOURCE_YEAR: i32 = 1900;
pub const MAX_SOURCE_YEAR: i32 = 2100;

/// A GHG Protocol scope: 1 direct emissions, 2 purchased energy, 3 other
/// indirect (value chain) emissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Scope(u8);

impl Scope {
    pub fn parse(value: i64) -> Result<Self, FieldError> {
        match value {
            1..=3 => Ok(Self(value as u8)),
            _ => Err(FieldError::new("scope", "must be 1, 2 or 3")),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Scope {
    type Error = String;
    fn try_from(value: i64) -> Result<Self, String> {
        Self::parse(value).map_err(|e| e.message)
    }
}

impl From<Scope> for i64 {
    fn from(scope: Scope) -> i64 {
        i64::from(scope.0)
    }
}

/// A usage type, as stored (collection `usage_types`) and as shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 100, "name": "electricity", "unit": "kwh", "factor": 1.5, "scope": 2,
    "source": "Example grid-average factor; replace with your supplier's or national inventory's",
    "source_year": 2024, "region": "DE"}))]
pub struct UsageType {
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    pub id: i64,
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    #[schema(min_length = 1, max_length = 64)]
    pub unit: String,
    /// kg CO₂e per unit.
    #[schema(minimum = 0, maximum = 1000000)]
    pub factor: f64,
    /// GHG Protocol scope: 1 direct, 2 purchased energy, 3 other indirect.
    #[schema(value_type = u8, minimum = 1, maximum = 3)]
    pub scope: Scope,
    /// Where the factor comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 256, nullable = false)]
    pub source: Option<String>,
    /// The year the factor applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1900, maximum = 2100, nullable = false)]
    pub source_year: Option<i32>,
    /// An ISO 3166-1 alpha-2 code or free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64, nullable = false)]
    pub region: Option<String>,
}

/// The body of `POST /types`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id": 105, "name": "diesel", "unit": "l", "factor": 2.68, "scope": 1,
    "source": "Supplier's fuel declaration", "source_year": 2025, "region": "FR"}))]
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
    /// kg CO₂e per unit: finite, 0 to 1,000,000.
    #[schema(minimum = 0, maximum = 1000000)]
    pub factor: f64,
    /// GHG Protocol scope: 1, 2 or 3.
    #[serde(deserialize_with = "common::extract::integer")]
    #[schema(value_type = u8, minimum = 1, maximum = 3)]
    pub scope: i64,
    /// Where the factor comes from, up to 256 characters.
    #[serde(default)]
    #[schema(max_length = 256)]
    pub source: Option<String>,
    /// The year the factor applies to, 1900 to 2100.
    #[serde(default, deserialize_with = "common::extract::optional_integer")]
    #[schema(value_type = Option<i32>, minimum = 1900, maximum = 2100)]
    pub source_year: Option<i64>,
    /// An ISO 3166-1 alpha-2 code or free text, up to 64 characters.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub region: Option<String>,
}

impl CreateUsageTypeRequest {
    pub fn into_parts(self) -> (i64, UsageTypeFields) {
        (
            self.id,
            UsageTypeFields {
                name: self.name,
                unit: self.unit,
                factor: self.factor,
                scope: self.scope,
                source: self.source,
                source_year: self.source_year,
                region: self.region,
            },
        )
    }
}

/// The body of `PUT /types/{id}`: every field but the id (a replacement:
/// an optional field left out is removed).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "electricity", "unit": "kwh", "factor": 1.2, "scope": 2}))]
pub struct UsageTypeFields {
    /// 1 to 64 characters, not only spaces.
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub name: String,
    /// 1 to 64 characters, not only spaces.
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub unit: String,
    /// kg CO₂e per unit: finite, 0 to 1,000,000.
    #[schema(minimum = 0, maximum = 1000000)]
    pub factor: f64,
    /// GHG Protocol scope: 1, 2 or 3.
    #[serde(deserialize_with = "common::extract::integer")]
    #[schema(value_type = u8, minimum = 1, maximum = 3)]
    pub scope: i64,
    /// Where the factor comes from, up to 256 characters.
    #[serde(default)]
    #[schema(max_length = 256)]
    pub source: Option<String>,
    /// The year the factor applies to, 1900 to 2100.
    #[serde(default, deserialize_with = "common::extract::optional_integer")]
    #[schema(value_type = Option<i32>, minimum = 1900, maximum = 2100)]
    pub source_year: Option<i64>,
    /// An ISO 3166-1 alpha-2 code or free text, up to 64 characters.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub region: Option<String>,
}

fn check_label(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > max {
        errors.push(FieldError::new(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    trimmed.to_owned()
}

/// An optional text: blank counts as absent.
fn check_optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    Some(check_label(field, value, max, errors))
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

pub fn check_factor(factor: f64) -> Result<f64, FieldError> {
    if factor.is_finite() && (0.0..=MAX_FACTOR).contains(&factor) {
        Ok(factor)
    } else {
        Err(FieldError::new(
            "factor",
            "must be a finite number from 0 to 1000000 (kg CO₂e per unit)",
        ))
    }
}

impl UsageType {
    /// Validates every field, reporting all failures at once.
    pub fn parse(id: i64, fields: &UsageTypeFields) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        if let Err(e) = check_type_id("id", id) {
            errors.push(e);
        }
        let name = check_label("name", &fields.name, MAX_LABEL_CHARS, &mut errors);
        let unit = check_label("unit", &fields.unit, MAX_LABEL_CHARS, &mut errors);
        let factor = check_factor(fields.factor).map_err(|e| errors.push(e)).ok();
        let scope = Scope::parse(fields.scope).map_err(|e| errors.push(e)).ok();
        let source = check_optional_text(
            "source",
            fields.source.as_deref(),
            MAX_SOURCE_CHARS,
            &mut errors,
        );
        let region = check_optional_text(
            "region",
            fields.region.as_deref(),
            MAX_LABEL_CHARS,
            &mut errors,
        );
        let source_year = match fields.source_year {
            Some(year)
                if (i64::from(MIN_SOURCE_YEAR)..=i64::from(MAX_SOURCE_YEAR)).contains(&year) =>
            {
                Some(year as i32)
            }
            Some(_) => {
                errors.push(FieldError::new(
                    "source_year",
                    format!("must be from {MIN_SOURCE_YEAR} to {MAX_SOURCE_YEAR}"),
                ));
                None
            }
            None => None,
        };
        match (factor, scope) {
            (Some(factor), Some(scope)) if errors.is_empty() => Ok(Self {
                id,
                name,
                unit,
                factor,
                scope,
                source,
                source_year,
                region,
            }),
            _ => Err(ApiError::Validation(errors)),
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

    fn fields(name: &str, unit: &str, factor: f64, scope: i64) -> UsageTypeFields {
        UsageTypeFields {
            name: name.into(),
            unit: unit.into(),
            factor,
            scope,
            source: None,
            source_year: None,
            region: None,
        }
    }

    #[test]
    fn a_valid_type_is_trimmed() {
        let t = UsageType::parse(1, &fields(" gas ", "m3", 2.0, 1)).unwrap();
        assert_eq!((t.name.as_str(), t.unit.as_str()), ("gas", "m3"));
        assert_eq!(t.scope.get(), 1);
    }

    #[test]
    fn every_invalid_field_is_reported() {
        let mut bad = fields("", &"u".repeat(65), -1.0, 4);
        bad.source_year = Some(1800);
        bad.source = Some("s".repeat(257));
        let Err(ApiError::Validation(errors)) = UsageType::parse(0, &bad) else {
            panic!("expected a validation error");
        };
        let names: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            names,
            [
                "id",
                "name",
                "unit",
                "factor",
                "scope",
                "source",
                "source_year"
            ]
        );
    }

    #[test]
    fn factors_must_be_finite_and_at_most_a_million() {
        for bad in [f64::NAN, f64::INFINITY, -0.1, 1e6 + 1.0] {
            assert!(
                UsageType::parse(1, &fields("a", "b", bad, 2)).is_err(),
                "{bad}"
            );
        }
        assert!(UsageType::parse(1, &fields("a", "b", 1e6, 2)).is_ok());
    }

    #[test]
    fn a_blank_source_is_absent() {
        let mut f = fields("a", "b", 1.0, 3);
        f.source = Some("  ".into());
        assert_eq!(UsageType::parse(1, &f).unwrap().source, None);
    }
}
