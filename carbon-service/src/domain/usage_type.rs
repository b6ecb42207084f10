//! Usage types: what a usage measures, its emission factor, its GHG
//! Protocol scope and where the factor comes from.

use serde::{Deserialize, Serialize};

use super::ids::UsageTypeId;
use common::validation::{FieldError, Invalid};

pub const MAX_LABEL_CHARS: usize = 64;
pub const MAX_SOURCE_CHARS: usize = 256;
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

/// A usage type. Stored as it is (collection `usage_types`); the routes
/// show it through their own response type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageType {
    pub id: UsageTypeId,
    pub name: String,
    pub unit: String,
    /// kg CO₂e per unit.
    pub factor: f64,
    /// GHG Protocol scope: 1 direct, 2 purchased energy, 3 other indirect.
    pub scope: Scope,
    /// Where the factor comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The year the factor applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_year: Option<i32>,
    /// An ISO 3166-1 alpha-2 code or free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// Every field of a type but its id, as given (a create or a replace).
#[derive(Debug, Clone, PartialEq)]
pub struct UsageTypeFields {
    pub name: String,
    pub unit: String,
    pub factor: f64,
    pub scope: i64,
    pub source: Option<String>,
    pub source_year: Option<i64>,
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
    pub fn parse(id: i64, fields: &UsageTypeFields) -> Result<Self, Invalid> {
        let mut errors = Vec::new();
        let id = UsageTypeId::parse("id", id)
            .map_err(|e| errors.push(e))
            .ok();
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
        match (id, factor, scope) {
            (Some(id), Some(factor), Some(scope)) if errors.is_empty() => Ok(Self {
                id,
                name,
                unit,
                factor,
                scope,
                source,
                source_year,
                region,
            }),
            _ => Err(Invalid(errors)),
        }
    }
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
        let Err(Invalid(errors)) = UsageType::parse(0, &bad) else {
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
