//! `carbon-service seed`: upserts the reference usage types.

use mongodb::Database;

use crate::domain::usage_type::UsageType;
use crate::storage::usage_types::{self, Upserted};

/// The five reference types, compiled in so `seed` works from anywhere.
pub const BUILT_IN: &str = include_str!("../seed/usage_types.json");

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Parses and validates a seed file (a JSON array of usage types).
pub fn parse_seed(json: &str) -> Result<Vec<UsageType>, String> {
    let raw: Vec<UsageType> =
        serde_json::from_str(json).map_err(|e| format!("not a JSON array of usage types: {e}"))?;
    raw.into_iter()
        .map(|t| {
            UsageType::parse(t.id, &t.name, &t.unit, t.factor)
                .map_err(|e| format!("usage type {} is invalid: {:?}", t.id, e.problem().errors))
        })
        .collect()
}

pub async fn seed(db: &Database, types: &[UsageType]) -> Result<SeedReport, String> {
    let mut report = SeedReport::default();
    for usage_type in types {
        match usage_types::upsert(db, usage_type)
            .await
            .map_err(|e| e.to_string())?
        {
            Upserted::Created => report.created += 1,
            Upserted::Updated => report.updated += 1,
            Upserted::Unchanged => report.unchanged += 1,
        }
    }
    Ok(report)
}
