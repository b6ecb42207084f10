//! Facilities: the sites an organization's bills belong to (a plant, an
//! office, a warehouse). A usage may name one; the summary totals them.

use serde::{Deserialize, Serialize};

pub use super::ids::FacilityId;
use super::ids::UsageTypeId;
use common::ids::OrgId;
use common::validation::{FieldError, Invalid};

/// The most facilities one organization keeps.
pub const MAX_FACILITIES: u64 = 1_000;
const MAX_NAME_CHARS: usize = 100;
const MAX_REGION_CHARS: usize = 64;
const MAX_ADDRESS_CHARS: usize = 300;

/// A stored facility (collection `facilities`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facility {
    #[serde(rename = "_id")]
    pub id: FacilityId,
    pub org_id: OrgId,
    /// Unique within the organization.
    pub name: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    /// A grid or market region where it applies (an eGRID subregion such
    /// as `US-eGRID-CAMX`), else a state or province.
    pub region: Option<String>,
    pub address: Option<String>,
    /// The electricity type its bills usually use (the form's default).
    pub default_usage_type_id: Option<UsageTypeId>,
    /// How many usages name it: a facility with usages cannot be deleted,
    /// and every usage write that names it changes this in its
    /// transaction, so a deletion and such a write always conflict.
    pub usage_count: i64,
    pub created_at: bson::DateTime,
    pub updated_at: bson::DateTime,
}

/// A facility as a request gives it.
#[derive(Debug, Clone, Default)]
pub struct FacilityFields {
    pub name: String,
    pub country: String,
    pub region: Option<String>,
    pub address: Option<String>,
    pub default_usage_type_id: Option<i64>,
}

fn optional_text(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max => Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        )),
        Some(v) if v.chars().any(char::is_control) => Err(FieldError::new(
            field,
            "must not contain control characters",
        )),
        v => Ok(v.map(str::to_owned)),
    }
}

impl Facility {
    /// A facility of `org_id` from `fields`, every failure reported at once.
    pub fn parse(id: FacilityId, org_id: OrgId, fields: &FacilityFields) -> Result<Self, Invalid> {
        let mut errors = Vec::new();
        let name = match optional_text("name", Some(&fields.name), MAX_NAME_CHARS) {
            Ok(Some(name)) => name,
            Ok(None) => {
                errors.push(FieldError::new("name", "must not be empty"));
                String::new()
            }
            Err(e) => {
                errors.push(e);
                String::new()
            }
        };
        let country = fields.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            errors.push(FieldError::new(
                "country",
                "must be an ISO 3166-1 alpha-2 code, e.g. US",
            ));
        }
        let region = optional_text("region", fields.region.as_deref(), MAX_REGION_CHARS)
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let address = optional_text("address", fields.address.as_deref(), MAX_ADDRESS_CHARS)
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let default_usage_type_id = fields
            .default_usage_type_id
            .map(|id| UsageTypeId::parse("default_usage_type_id", id))
            .transpose()
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        if !errors.is_empty() {
            return Err(Invalid(errors));
        }
        let now = bson::DateTime::now();
        Ok(Self {
            id,
            org_id,
            name,
            country,
            region,
            address,
            default_usage_type_id,
            usage_count: 0,
            created_at: now,
            updated_at: now,
        })
    }
}

/// How many usages of each facility a write adds (positive) or removes.
pub fn usage_deltas<'a>(
    changes: impl IntoIterator<Item = (Option<FacilityId>, i64)> + 'a,
) -> Vec<(FacilityId, i64)> {
    let mut deltas: std::collections::BTreeMap<FacilityId, i64> = Default::default();
    for (facility, sign) in changes {
        if let Some(facility) = facility {
            *deltas.entry(facility).or_default() += sign;
        }
    }
    deltas.into_iter().filter(|(_, n)| *n != 0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str, country: &str) -> FacilityFields {
        FacilityFields {
            name: name.into(),
            country: country.into(),
            ..FacilityFields::default()
        }
    }

    #[test]
    fn a_facility_has_a_name_and_a_country_code() {
        let plant =
            Facility::parse(FacilityId::new(), OrgId::new(), &fields(" Plant 1 ", "us")).unwrap();
        assert_eq!(
            (plant.name.as_str(), plant.country.as_str()),
            ("Plant 1", "US")
        );
        let Invalid(errors) =
            Facility::parse(FacilityId::new(), OrgId::new(), &fields("", "USA")).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "country"]);
    }

    #[test]
    fn a_default_type_must_be_a_type_id() {
        let with_type = FacilityFields {
            default_usage_type_id: Some(0),
            ..fields("Plant", "US")
        };
        let Invalid(errors) =
            Facility::parse(FacilityId::new(), OrgId::new(), &with_type).unwrap_err();
        assert_eq!(errors[0].field, "default_usage_type_id");
    }

    #[test]
    fn a_move_between_facilities_counts_out_of_one_and_into_the_other() {
        let (a, b) = (FacilityId::new(), FacilityId::new());
        let mut deltas = usage_deltas([
            (Some(a), -1),
            (Some(b), 1),
            (None, 1),
            (Some(a), 1),
            (Some(a), -1),
        ]);
        deltas.sort();
        let mut want = vec![(a, -1), (b, 1)];
        want.sort();
        assert_eq!(deltas, want);
    }
}
