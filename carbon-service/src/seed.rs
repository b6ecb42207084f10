//! `carbon-service seed`: loads usage types. Insert-only by default: a type
//! that exists is left as it is, so a superuser's edit survives a re-seed;
//! `--force` overwrites.

use common::db::StoreError;
use mongodb::Database;
use serde::Deserialize;

use crate::domain::ids::UsageTypeId;
use crate::domain::usage_type::{Scope, UsageType, UsageTypeFields};
use crate::storage::usage_types::{self, Upserted};

/// The five reference types, compiled in so `seed` works from anywhere.
pub const BUILT_IN: &str = include_str!("../seed/usage_types.json");

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Why a seed file was refused.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("not a JSON array of usage types")]
    NotJson(#[from] serde_json::Error),
    #[error("usage type {id} is invalid")]
    Invalid {
        id: i64,
        #[source]
        errors: common::validation::Invalid,
    },
    #[error("storing the usage types")]
    Store(#[from] StoreError),
}

/// One entry of a seed file: the fields of `POST /types`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedEntry {
    id: i64,
    name: String,
    unit: String,
    factor: f64,
    scope: i64,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    source_year: Option<i64>,
    #[serde(default)]
    region: Option<String>,
}

/// Parses and validates a seed file (a JSON array of usage types).
pub fn parse_seed(json: &str) -> Result<Vec<UsageType>, SeedError> {
    let entries: Vec<SeedEntry> = serde_json::from_str(json)?;
    entries
        .into_iter()
        .map(|e| {
            let fields = UsageTypeFields {
                name: e.name,
                unit: e.unit,
                factor: e.factor,
                scope: e.scope,
                source: e.source,
                source_year: e.source_year,
                region: e.region,
            };
            UsageType::parse(e.id, &fields)
                .map_err(|errors| SeedError::Invalid { id: e.id, errors })
        })
        .collect()
}

/// The scope of each built-in reference type, for stored types that predate
/// scopes.
pub fn built_in_scopes() -> Vec<(UsageTypeId, Scope)> {
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
) -> Result<SeedReport, SeedError> {
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
                    })?
            }
            SeedMode::Force => usage_types::upsert(db, usage_type).await?,
        };
        match outcome {
            Upserted::Created => report.created += 1,
            Upserted::Updated => report.updated += 1,
            Upserted::Unchanged => report.unchanged += 1,
        }
    }
    Ok(report)
}
