//! Usage types: what a usage measures, its emission factor per gas, its GHG
//! Protocol scope and category, its dataset and where the factor comes
//! from.

use serde::{Deserialize, Serialize};

use super::dataset::{Dataset, DatasetId};
use super::gwp::{Gases, GwpSet, check_fgases};
use super::ids::UsageTypeId;
use super::text::check_label;
use super::units::{Dimension, Unit};
use common::validation::{FieldError, Invalid};

pub const MAX_LABEL_CHARS: usize = 128;
/// The category of a type stored before categories existed.
pub const UNCATEGORIZED: &str = "uncategorized";
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

/// What a factor stands for, where it matters to the market-based scope 2
/// method (Scope 2 Guidance, ch. 6): a grid average, or a residual mix
/// (the grid once the energy claimed by instruments is taken out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FactorBasis {
    LocationBased,
    ResidualMix,
}

impl FactorBasis {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "location_based" => Ok(Self::LocationBased),
            "residual_mix" => Ok(Self::ResidualMix),
            _ => Err(FieldError::new(
                "factor_basis",
                "must be location_based or residual_mix",
            )),
        }
    }
}

fn uncategorized() -> String {
    UNCATEGORIZED.to_owned()
}

/// A usage type. Stored as it is (collection `usage_types`, and as each
/// usage's snapshot); the routes show it through their own response type.
/// Documents of older shapes are brought to this one by `migrate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageType {
    pub id: UsageTypeId,
    pub name: String,
    /// The unit of the factor.
    pub unit: String,
    /// kg CO₂e per unit, under `gwp_basis`: `gases` weighed by that set's
    /// GWPs (or the CO₂e given directly).
    pub factor: f64,
    /// kg of each gas per unit (or the CO₂e alone, when the gases are
    /// unknown).
    pub gases: Gases,
    /// The GWP set of `factor`: its dataset's.
    pub gwp_basis: GwpSet,
    pub dataset: DatasetId,
    /// What kind of activity (`stationary_combustion`, `purchased_electricity`...).
    pub category: String,
    /// The GHG Protocol scope 3 category (1 to 15), for a scope 3 type: the
    /// first of `scope3_categories`, a usage's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope3_category: Option<u8>,
    /// Every scope 3 category its usages may be reported under (freight:
    /// 4 upstream and 9 downstream transportation); empty outside scope 3.
    pub scope3_categories: Vec<u8>,
    /// Its dataset is illustrative: never for reporting.
    pub illustrative: bool,
    /// Its dataset is retired: no new usages.
    pub retired: bool,
    /// Its dataset is private (see `domain::viewer`).
    pub private: bool,
    /// Its dataset is this organization's own (see `domain::viewer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<common::ids::OrgId>,
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
    /// For a scope 2 factor: a grid average or a residual mix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor_basis: Option<FactorBasis>,
    /// The type of an earlier edition (or another dataset) this one
    /// replaces: what a restatement matches a usage's type to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces_type_id: Option<UsageTypeId>,
}

/// Every field of a type but its id, as given (a create or a replace, a
/// seed file's or an upload's row). Give `gases` or, for a factor whose
/// gases are unknown, `factor` (kg CO₂e per unit) alone.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UsageTypeFields {
    pub name: String,
    pub unit: String,
    pub factor: Option<f64>,
    pub gases: Option<Gases>,
    pub scope: i64,
    pub category: Option<String>,
    pub scope3_category: Option<i64>,
    /// The categories it may be reported under, the default first; a
    /// single `scope3_category` is a list of one.
    pub scope3_categories: Option<Vec<i64>>,
    pub source: Option<String>,
    pub source_year: Option<i64>,
    pub region: Option<String>,
    pub factor_basis: Option<String>,
    /// The type this one replaces (see [`UsageType::replaces_type_id`]).
    pub replaces_type_id: Option<i64>,
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

/// The gases (or the CO₂e alone) of a type, checked.
fn check_gases(fields: &UsageTypeFields, errors: &mut Vec<FieldError>) -> Option<Gases> {
    match (fields.gases.clone(), fields.factor) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "factor",
                "give gases or a factor (kg CO₂e per unit), not both: the factor is computed from the gases",
            ));
            None
        }
        (None, None) => {
            errors.push(FieldError::new(
                "gases",
                "give the kg of co2, ch4 and n2o per unit (or a factor in kg CO₂e per unit)",
            ));
            None
        }
        (None, Some(factor)) => check_factor(factor)
            .map(Gases::co2e_only)
            .map_err(|e| errors.push(e))
            .ok(),
        (Some(gases), None) => {
            let mut good = gases.other_co2e.is_none() && !gases.is_empty();
            for (gas, kg) in gases.values() {
                if !(kg.is_finite() && (0.0..=MAX_FACTOR).contains(&kg)) {
                    errors.push(FieldError::new(
                        format!("gases.{gas}"),
                        "must be a finite number from 0 to 1000000 (kg per unit)",
                    ));
                    good = false;
                }
            }
            if let Err(e) = check_fgases("gases.fgases", &gases.fgases) {
                errors.push(e);
                good = false;
            }
            if gases.is_empty() || gases.other_co2e.is_some() {
                errors.push(FieldError::new(
                    "gases",
                    "give at least one of co2, biogenic_co2, ch4 and n2o (kg per unit)",
                ));
            }
            good.then_some(gases)
        }
    }
}

/// The scope 3 categories: a list (the default first) or one category,
/// each 1 to 15, without repeats, for a scope 3 type only. An empty list
/// is none, as a type without categories is answered: a client may send
/// back what it read.
fn check_scope3_categories(fields: &UsageTypeFields, errors: &mut Vec<FieldError>) -> Vec<u8> {
    let given: Vec<i64> = match (&fields.scope3_categories, fields.scope3_category) {
        (None, None) => return Vec::new(),
        (Some(list), None) if list.is_empty() => return Vec::new(),
        (None, Some(one)) => vec![one],
        (Some(list), None) => list.clone(),
        (Some(list), Some(one)) if list.first() == Some(&one) => list.clone(),
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "scope3_category",
                "must be the first of scope3_categories (or leave it out)",
            ));
            return Vec::new();
        }
    };
    let mut categories: Vec<u8> = Vec::new();
    let valid = fields.scope == 3
        && !given.is_empty()
        && given.iter().all(|n| {
            let fits = (1..=15).contains(n) && !categories.contains(&(*n as u8));
            if fits {
                categories.push(*n as u8);
            }
            fits
        });
    if !valid {
        errors.push(FieldError::new(
            "scope3_categories",
            "must be scope 3 categories 1 to 15, without repeats, and only for a scope 3 type",
        ));
        return Vec::new();
    }
    categories
}

fn check_category(fields: &UsageTypeFields, errors: &mut Vec<FieldError>) -> String {
    let Some(category) = fields
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    else {
        return uncategorized();
    };
    let well_formed = category.len() <= 64
        && category
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !well_formed {
        errors.push(FieldError::new(
            "category",
            "must be 1 to 64 lower-case letters, digits and underscores (e.g. stationary_combustion)",
        ));
    }
    category.to_owned()
}

impl UsageType {
    /// The dimension of the factor's unit, when the unit is one the
    /// service converts (see `domain::units`).
    pub fn unit_dimension(&self) -> Option<Dimension> {
        Unit::find(&self.unit).map(Unit::dimension)
    }

    /// Validates every field, reporting all failures at once. The type
    /// belongs to `dataset`, whose GWP set turns its gases into `factor`.
    pub fn parse(id: i64, fields: &UsageTypeFields, dataset: &Dataset) -> Result<Self, Invalid> {
        let mut errors = Vec::new();
        let id = UsageTypeId::parse("id", id)
            .map_err(|e| errors.push(e))
            .ok();
        let name = check_label("name", &fields.name, MAX_LABEL_CHARS, &mut errors);
        let unit = check_label("unit", &fields.unit, MAX_LABEL_CHARS, &mut errors);
        if let Err(e) = super::units::check_unambiguous("unit", &unit) {
            errors.push(e);
        }
        // A known unit is stored under its code ("kwh" becomes "kWh").
        let unit = Unit::find(&unit).map_or(unit, |u| u.code().to_owned());
        let gases = check_gases(fields, &mut errors);
        let scope = Scope::parse(fields.scope).map_err(|e| errors.push(e)).ok();
        let category = check_category(fields, &mut errors);
        let scope3_categories = check_scope3_categories(fields, &mut errors);
        let scope3_category = scope3_categories.first().copied();
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
        let factor_basis = match fields.factor_basis.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => match FactorBasis::parse(raw) {
                Ok(basis) if fields.scope == 2 => Some(basis),
                Ok(_) => {
                    errors.push(FieldError::new(
                        "factor_basis",
                        "applies to scope 2 types only",
                    ));
                    None
                }
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        let replaces_type_id = fields.replaces_type_id.and_then(|raw| {
            UsageTypeId::parse("replaces_type_id", raw)
                .map_err(|e| errors.push(e))
                .ok()
        });
        if replaces_type_id.is_some() && replaces_type_id == id {
            errors.push(FieldError::new(
                "replaces_type_id",
                "cannot be the type's own id",
            ));
        }
        match (id, gases, scope) {
            (Some(id), Some(gases), Some(scope)) if errors.is_empty() => Ok(Self {
                id,
                name,
                unit,
                factor: gases.co2e(dataset.gwp_basis),
                gases,
                gwp_basis: dataset.gwp_basis,
                dataset: dataset.id.clone(),
                category,
                scope3_category,
                scope3_categories,
                illustrative: dataset.illustrative,
                retired: dataset.retired,
                private: dataset.private,
                org_id: dataset.org_id,
                scope,
                source,
                source_year,
                region,
                factor_basis,
                replaces_type_id,
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
            factor: Some(factor),
            scope,
            ..UsageTypeFields::default()
        }
    }

    fn parse(id: i64, fields: &UsageTypeFields) -> Result<UsageType, Invalid> {
        UsageType::parse(id, fields, &Dataset::custom())
    }

    #[test]
    fn a_valid_type_is_trimmed() {
        let t = parse(1, &fields(" gas ", "m3", 2.0, 1)).unwrap();
        assert_eq!((t.name.as_str(), t.unit.as_str()), ("gas", "m3"));
        assert_eq!(t.scope.get(), 1);
    }

    #[test]
    fn every_invalid_field_is_reported() {
        let mut bad = fields("", &"u".repeat(129), -1.0, 4);
        bad.source_year = Some(1800);
        bad.source = Some("s".repeat(257));
        let Err(Invalid(errors)) = parse(0, &bad) else {
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
            assert!(parse(1, &fields("a", "b", bad, 2)).is_err(), "{bad}");
        }
        assert!(parse(1, &fields("a", "b", 1e6, 2)).is_ok());
    }

    #[test]
    fn a_blank_source_is_absent() {
        let mut f = fields("a", "b", 1.0, 3);
        f.source = Some("  ".into());
        assert_eq!(parse(1, &f).unwrap().source, None);
    }

    #[test]
    fn a_factor_is_its_gases_under_the_datasets_gwp_set() {
        let mut f = fields("grid", "MWh", 0.0, 2);
        f.factor = None;
        f.gases = Some(Gases {
            co2: Some(300.0),
            ch4: Some(0.1),
            n2o: Some(0.01),
            ..Gases::default()
        });
        let mut ar6 = Dataset::custom();
        ar6.gwp_basis = GwpSet::Ar6;
        let t = UsageType::parse(1, &f, &ar6).unwrap();
        assert_eq!(t.factor, 300.0 + 0.1 * 27.0 + 0.01 * 273.0);
        assert_eq!(t.gwp_basis, GwpSet::Ar6);
        assert_eq!(t.unit_dimension(), Some(Dimension::Energy));
    }

    #[test]
    fn gases_and_a_factor_together_or_neither_are_refused() {
        let mut both = fields("a", "kWh", 1.0, 2);
        both.gases = Some(Gases {
            co2: Some(1.0),
            ..Gases::default()
        });
        assert_eq!(parse(1, &both).unwrap_err().0[0].field, "factor");
        let mut neither = fields("a", "kWh", 1.0, 2);
        neither.factor = None;
        assert_eq!(parse(1, &neither).unwrap_err().0[0].field, "gases");
    }

    #[test]
    fn a_factor_alone_is_co2e_with_unknown_gases() {
        let t = parse(1, &fields("water", "kg", 26.93, 3)).unwrap();
        assert_eq!(t.gases, Gases::co2e_only(26.93));
        assert_eq!(t.factor, 26.93);
    }

    #[test]
    fn freight_may_be_reported_under_4_or_9_the_first_by_default() {
        let mut f = fields("freight", "short_ton_mi", 0.2, 3);
        f.scope3_categories = Some(vec![4, 9]);
        let t = parse(1, &f).unwrap();
        assert_eq!(
            (t.scope3_category, t.scope3_categories.as_slice()),
            (Some(4), &[4, 9][..])
        );
        f.scope3_categories = Some(vec![4, 4]);
        assert_eq!(parse(1, &f).unwrap_err().0[0].field, "scope3_categories");
    }

    #[test]
    fn an_empty_category_list_is_none_in_any_scope() {
        for scope in [1, 2, 3] {
            let mut f = fields("heat", "kWh", 0.2, scope);
            f.scope3_categories = Some(Vec::new());
            let t = parse(1, &f).unwrap();
            assert_eq!((t.scope3_category, t.scope3_categories.len()), (None, 0));
        }
    }

    #[test]
    fn a_scope3_category_needs_a_scope_3_type() {
        let mut f = fields("flight", "passenger_mi", 0.2, 2);
        f.scope3_category = Some(6);
        assert_eq!(parse(1, &f).unwrap_err().0[0].field, "scope3_categories");
    }
}
