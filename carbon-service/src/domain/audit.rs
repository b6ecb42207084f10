//! What carbon-service's audit entries say (the chain itself is
//! `common::audit`): the entities and actions, and each entity's record,
//! the fields an auditor compares before and after. Records keep what a
//! replay needs (a usage's type, amount, unit, date, category, facility,
//! CO₂e and version), not the factor snapshot, which its type and dataset
//! name.

use serde::Serialize;

use super::dataset::Dataset;
use super::facility::Facility;
use super::gwp::Gases;
use super::instrument::Instrument;
use super::usage::Usage;
use super::usage_type::UsageType;
use common::audit::time_text;

/// The kinds of entity an entry is about.
pub mod entity {
    pub const USAGE: &str = "usage";
    /// An import: one entry for all of its usages.
    pub const USAGE_IMPORT: &str = "usage_import";
    /// An erasure of the organization's usages (one entry per batch).
    pub const USAGES: &str = "usages";
    pub const FACILITY: &str = "facility";
    pub const INSTRUMENT: &str = "instrument";
    pub const DATASET: &str = "dataset";
    pub const PERIOD: &str = "period";
    pub const SETTINGS: &str = "settings";
}

/// What happened to it.
pub mod action {
    pub const CREATE: &str = "create";
    pub const UPDATE: &str = "update";
    pub const DELETE: &str = "delete";
    pub const IMPORT: &str = "import";
    pub const ERASE: &str = "erase";
    pub const RETIRE: &str = "retire";
    pub const LOCK: &str = "lock";
    pub const UNLOCK: &str = "unlock";
}

/// A usage as the trail records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageRecord {
    pub id: String,
    pub usage_type_id: i64,
    pub dataset: String,
    pub amount: f64,
    pub unit: String,
    pub usage_at: String,
    pub scope3_category: Option<u8>,
    pub facility_id: Option<String>,
    pub co2e: f64,
    pub version: i64,
    pub data_quality: Option<super::usage::DataQuality>,
    pub evidence: Option<String>,
}

impl From<&Usage> for UsageRecord {
    fn from(usage: &Usage) -> Self {
        Self {
            id: usage.id.to_string(),
            usage_type_id: usage.usage_type_id.get(),
            dataset: usage.usage_type.dataset.to_string(),
            amount: usage.amount,
            unit: usage.unit.clone(),
            usage_at: time_text(usage.usage_at.to_chrono()),
            scope3_category: usage.scope3_category,
            facility_id: usage.facility_id.map(|f| f.to_string()),
            co2e: usage.co2e,
            version: usage.version,
            data_quality: usage.data_quality,
            evidence: usage.evidence.clone(),
        }
    }
}

/// A facility as the trail records it (not its usage count, which every
/// usage write moves).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacilityRecord {
    pub id: String,
    pub name: String,
    pub country: String,
    pub region: Option<String>,
    pub address: Option<String>,
    pub default_usage_type_id: Option<i64>,
}

impl From<&Facility> for FacilityRecord {
    fn from(f: &Facility) -> Self {
        Self {
            id: f.id.to_string(),
            name: f.name.clone(),
            country: f.country.clone(),
            region: f.region.clone(),
            address: f.address.clone(),
            default_usage_type_id: f.default_usage_type_id.map(|t| t.get()),
        }
    }
}

/// An instrument as the trail records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstrumentRecord {
    pub id: String,
    pub kind: super::instrument::InstrumentKind,
    pub scheme: String,
    pub region: String,
    pub from: String,
    pub to: String,
    pub amount: f64,
    pub unit: String,
    pub gases: Gases,
    pub reference: Option<String>,
}

impl From<&Instrument> for InstrumentRecord {
    fn from(i: &Instrument) -> Self {
        Self {
            id: i.id.to_string(),
            kind: i.kind,
            scheme: i.scheme.clone(),
            region: i.region.clone(),
            from: time_text(i.from.to_chrono()),
            to: time_text(i.to.to_chrono()),
            amount: i.amount,
            unit: i.unit.clone(),
            gases: i.gases.clone(),
            reference: i.reference.clone(),
        }
    }
}

/// An organization's dataset as the trail records it: what it is, the
/// type ids it got and the SHA-256 of the CSV it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetRecord {
    pub id: String,
    pub name: String,
    pub publisher: String,
    pub edition: String,
    pub gwp_basis: super::gwp::GwpSet,
    pub type_ids: Vec<i64>,
    pub csv_sha256: String,
}

impl DatasetRecord {
    pub fn of(dataset: &Dataset, types: &[UsageType], csv: &[u8]) -> Self {
        Self {
            id: dataset.id.to_string(),
            name: dataset.name.clone(),
            publisher: dataset.publisher.clone(),
            edition: dataset.edition.clone(),
            gwp_basis: dataset.gwp_basis,
            type_ids: types.iter().map(|t| t.id.get()).collect(),
            csv_sha256: common::audit::chain::sha256_hex(csv),
        }
    }
}

/// A change's payload: the record before and after (absent for a
/// create's before and a delete's after).
#[derive(Debug, Clone, Serialize)]
pub struct Change<R> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<R>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<R>,
}

impl<R> Change<R> {
    pub fn created(after: R) -> Self {
        Self {
            before: None,
            after: Some(after),
        }
    }

    pub fn updated(before: R, after: R) -> Self {
        Self {
            before: Some(before),
            after: Some(after),
        }
    }

    pub fn deleted(before: R) -> Self {
        Self {
            before: Some(before),
            after: None,
        }
    }
}

/// An import's payload: how many rows, the SHA-256 of the CSV as sent, and
/// the usages it created (ids included).
#[derive(Debug, Clone, Serialize)]
pub struct ImportRecord {
    pub rows: u64,
    pub rows_sha256: String,
    pub created: Vec<UsageRecord>,
}

/// An erasure batch's payload: the usages it deleted and what else went
/// with them.
#[derive(Debug, Clone, Serialize)]
pub struct EraseRecord {
    pub usages: u64,
    pub deleted: Vec<String>,
    pub instruments: u64,
    pub facilities: u64,
    pub datasets: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::audit::audit_value;

    #[test]
    fn a_change_payload_keeps_numbers_as_strings() {
        let record = FacilityRecord {
            id: "f".into(),
            name: "Plant".into(),
            country: "DE".into(),
            region: None,
            address: None,
            default_usage_type_id: Some(100),
        };
        let payload = audit_value(&Change::created(record));
        assert_eq!(payload["after"]["default_usage_type_id"], "100");
        assert!(payload.get("before").is_none());
    }
}
