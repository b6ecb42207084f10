//! MongoDB access, one module per collection.

pub mod idempotency;
pub mod usage_types;
pub mod usages;

use common::db::{DatabaseStartupError, ensure_indexes};
use mongodb::Database;

pub async fn create_indexes(database: &Database) -> Result<(), DatabaseStartupError> {
    ensure_indexes(database, usage_types::COLLECTION, usage_types::indexes()).await?;
    ensure_indexes(database, usages::COLLECTION, usages::indexes()).await?;
    ensure_indexes(database, idempotency::COLLECTION, idempotency::indexes()).await?;
    Ok(())
}
