//! MongoDB access, one module per collection.

pub mod action_tokens;
pub mod claims;
pub mod refresh_tokens;
pub mod users;

use common::db::{DatabaseStartupError, ensure_indexes};
use mongodb::Database;

pub async fn create_indexes(database: &Database) -> Result<(), DatabaseStartupError> {
    ensure_indexes(database, users::COLLECTION, users::indexes()).await?;
    ensure_indexes(
        database,
        refresh_tokens::COLLECTION,
        refresh_tokens::indexes(),
    )
    .await?;
    ensure_indexes(
        database,
        action_tokens::COLLECTION,
        action_tokens::indexes(),
    )
    .await?;
    Ok(())
}
