//! `carbon-service seed`: loads usage types. Insert-only by default: a type
//! that exists is left as it is, so a superuser's edit survives a re-seed;
//! `--force` overwrites.

use mongodb::Database;

use crate::domain::usage_type::{CreateUsageTypeRequest, UsageType};
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
/// Each entry has the fields of `POST /types`.
pub fn parse_seed(json: &str) -> Result<Vec<UsageType>, String> {
    let raw: Vec<CreateUsageTypeRequest> =
        serde_json::from_str(json).map_err(|e| format!("not a JSON array of usage types: {e}"))?;
    raw.into_iter()
        .map(|t| {
            let (id, fields) = t.into_parts();
            UsageType::parse(id, &fields)
                .map_err(|e| format!("usage type {id} is invalid: {:?}", e.problem().errors))
        })
        .collect()
}

/// The scope of each built-in reference type, for stored types that predate
/// scopes.
pub fn built_in_scopes() -> Vec<(i64, crate::domain::usage_type::Scope)> {
    parse_seed(BUILT_IN)
        .map(|types| types.iter().map(|t| (t.id, t.scope)).collect())
        .unwrap_or_default()
}

/// Whether `seed` may overwrite a type that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedMode {
    /// Create missing types; leave existing ones as they are.
    InsertOnly,
    /// Create missing types and make existing ones equal to the file.
    Force,
}

pub async fn seed(
    db: &Database,
    types: &[UsageType],
    mode: SeedMode,
) -> Result<SeedReport, String> {
    let mut report = SeedReport::default();
    for usage_type in types {
        let outcome = match mode {
            SeedMode::InsertOnly => {
                usage_types::insert_if_absent(db, usage_type)
                    .await
                    .map(|inserted| {
                        if inserted {
                            Upserted::Created
                        } else {
                            Upserted::Unchanged
                        }
                    })
            }
            SeedMode::Force => usage_types::upsert(db, usage_type).await,
        };
        match outcome.map_err(|e| e.to_string())? {
            Upserted::Created => report.created += 1,
            Upserted::Updated => report.updated += 1,
            Upserted::Unchanged => report.unchanged += 1,
        }
    }
    Ok(report)
}
