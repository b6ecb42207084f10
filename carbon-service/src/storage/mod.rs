//! MongoDB access, one module per collection.

pub mod idempotency;
pub mod usage_counts;
pub mod usage_types;
pub mod usages;

use common::db::{DatabaseStartupError, ensure_indexes};
use mongodb::Database;

/// Creates the indexes every query relies on and drops replaced ones.
pub async fn create_indexes(database: &Database) -> Result<(), DatabaseStartupError> {
    for (collection, (indexes, obsolete)) in [
        (usage_types::COLLECTION, usage_types::indexes()),
        (usages::COLLECTION, usages::indexes()),
        (idempotency::COLLECTION, idempotency::indexes()),
    ] {
        ensure_indexes(database, collection, indexes, obsolete).await?;
    }
    Ok(())
}
