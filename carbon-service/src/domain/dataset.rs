//! Datasets: where a usage type's factors come from. Every type belongs to
//! exactly one dataset, and a dataset says who published it, which edition
//! it is, under which licence, and which GWP set its CO₂e factors use.

use serde::{Deserialize, Serialize};

use super::gwp::GwpSet;
use common::validation::{FieldError, Invalid};

/// A dataset's id: 2 to 64 lower-case letters, digits and dashes, starting
/// with a letter or digit (`epa-ghg-hub-2025`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DatasetId(String);

impl DatasetId {
    /// The bundled US EPA GHG Emission Factors Hub 2025.
    pub const EPA_HUB_2025: &'static str = "epa-ghg-hub-2025";
    /// The original coding challenge's five placeholder types.
    pub const EXAMPLE: &'static str = "example";
    /// Types entered one at a time through `POST /types`.
    pub const CUSTOM: &'static str = "custom";

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let well_formed = (2..=64).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !raw.starts_with('-');
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                "must be 2 to 64 lower-case letters, digits and dashes, not starting with a dash",
            ))
        }
    }

    pub fn custom() -> Self {
        Self(Self::CUSTOM.to_owned())
    }

    pub fn example() -> Self {
        Self(Self::EXAMPLE.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DatasetId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for DatasetId {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse("dataset", &raw).map_err(|e| e.message)
    }
}

impl From<DatasetId> for String {
    fn from(id: DatasetId) -> String {
        id.0
    }
}

/// A dataset as stored (collection `datasets`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    #[serde(rename = "_id")]
    pub id: DatasetId,
    pub name: String,
    pub publisher: String,
    /// The edition or year (`2025`).
    pub edition: String,
    /// When it was published (`2025-01`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    pub licence: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The GWP set its types' `factor` (kg CO₂e per unit) uses.
    pub gwp_basis: GwpSet,
    /// What was transcribed how, what was left out and why.
    pub notes: Vec<String>,
    /// Placeholder figures, never for reporting.
    pub illustrative: bool,
    /// Hidden from new usages; existing usages keep its factors.
    pub retired: bool,
    /// Uploaded by a superuser of this deployment, or an organization's.
    pub private: bool,
    /// The organization whose own it is: only its members see it and its
    /// types. None: the deployment's (public, or private to every
    /// signed-in user, as every dataset from before organizations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<common::ids::OrgId>,
}

pub const MAX_TEXT_CHARS: usize = 256;
pub const MAX_NOTES: usize = 100;

/// The metadata of a dataset, as given (an upload, a seed file).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct DatasetFields {
    pub id: String,
    pub name: String,
    pub publisher: String,
    pub edition: String,
    #[serde(default)]
    pub published: Option<String>,
    pub licence: String,
    #[serde(default)]
    pub url: Option<String>,
    pub gwp_basis: String,
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(default)]
    pub illustrative: bool,
}

fn text(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    super::text::check_label(field, value, MAX_TEXT_CHARS, errors)
}

impl Dataset {
    /// Checks every field, reporting all failures at once.
    pub fn parse(fields: &DatasetFields, private: bool) -> Result<Self, Invalid> {
        let mut errors = Vec::new();
        let id = DatasetId::parse("id", &fields.id)
            .map_err(|e| errors.push(e))
            .ok();
        let name = text("name", &fields.name, &mut errors);
        let publisher = text("publisher", &fields.publisher, &mut errors);
        let edition = text("edition", &fields.edition, &mut errors);
        let licence = text("licence", &fields.licence, &mut errors);
        let published = fields
            .published
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| text("published", p, &mut errors));
        let url = fields
            .url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(|u| {
                if !(u.starts_with("https://") || u.starts_with("http://")) {
                    errors.push(FieldError::new("url", "must be an http(s) URL"));
                }
                text("url", u, &mut errors)
            });
        let gwp_basis = GwpSet::parse("gwp_basis", &fields.gwp_basis)
            .map_err(|e| errors.push(e))
            .ok();
        if fields.notes.len() > MAX_NOTES || fields.notes.iter().any(|n| n.chars().count() > 1000) {
            errors.push(FieldError::new(
                "notes",
                format!("at most {MAX_NOTES} notes of at most 1000 characters"),
            ));
        }
        match (id, gwp_basis) {
            (Some(id), Some(gwp_basis)) if errors.is_empty() => Ok(Self {
                id,
                name,
                publisher,
                edition,
                published,
                licence,
                url,
                gwp_basis,
                notes: fields.notes.clone(),
                illustrative: fields.illustrative,
                retired: false,
                private,
                org_id: None,
            }),
            _ => Err(Invalid(errors)),
        }
    }

    /// The dataset of the types entered one at a time through the API
    /// (and of every type stored before datasets existed, but the example
    /// ones).
    pub fn custom() -> Self {
        Self {
            id: DatasetId::custom(),
            name: "Types entered through the API".into(),
            publisher: "This deployment's superusers".into(),
            edition: "-".into(),
            published: None,
            licence: "Whatever its authors chose; see each type's source".into(),
            url: None,
            gwp_basis: GwpSet::Ar5,
            notes: vec!["Each type's `source` says where its factor comes from.".into()],
            illustrative: false,
            retired: false,
            private: true,
            org_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> DatasetFields {
        DatasetFields {
            id: "acme-2026".into(),
            name: "ACME supplier factors".into(),
            publisher: "ACME".into(),
            edition: "2026".into(),
            licence: "Proprietary".into(),
            gwp_basis: "AR6".into(),
            ..DatasetFields::default()
        }
    }

    #[test]
    fn a_valid_dataset_parses() {
        let d = Dataset::parse(&fields(), true).unwrap();
        assert_eq!(
            (d.id.as_str(), d.gwp_basis, d.private),
            ("acme-2026", GwpSet::Ar6, true)
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = DatasetFields {
            id: "ACME 2026".into(),
            name: " ".into(),
            url: Some("ftp://x".into()),
            gwp_basis: "SAR".into(),
            ..fields()
        };
        let Err(Invalid(errors)) = Dataset::parse(&bad, true) else {
            panic!("expected errors");
        };
        let names: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, ["id", "name", "url", "gwp_basis"]);
    }
}
