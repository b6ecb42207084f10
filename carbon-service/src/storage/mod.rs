//! MongoDB access, one module per collection.

pub mod datasets;
pub mod facilities;
pub mod idempotency;
pub mod instruments;
pub mod rollups;
pub mod settings;
pub mod usage_counts;
pub mod usage_types;
pub mod usages;

use common::db::{DatabaseStartupError, ensure_indexes};

use crate::domain::rollup::Grain;
use mongodb::Database;

/// Creates the indexes every query relies on and drops replaced ones.
pub async fn create_indexes(database: &Database) -> Result<(), DatabaseStartupError> {
    for (collection, (indexes, obsolete)) in [
        (usage_types::COLLECTION, usage_types::indexes()),
        (usages::COLLECTION, usages::indexes()),
        (idempotency::COLLECTION, idempotency::indexes()),
        (instruments::COLLECTION, instruments::indexes()),
        (facilities::COLLECTION, facilities::indexes()),
        (rollups::COLLECTION, rollups::indexes(Grain::Month)),
        (rollups::DAY_COLLECTION, rollups::indexes(Grain::Day)),
    ] {
        ensure_indexes(database, collection, indexes, obsolete).await?;
    }
    Ok(())
}

/// The distinct organization ids in `field` of `collection`
/// (`verify-rollups` walks every organization that has usages, rollups or
/// a count).
pub(crate) async fn distinct_orgs(
    database: &Database,
    collection: &str,
    field: &str,
) -> Result<Vec<common::ids::OrgId>, common::db::StoreError> {
    distinct_orgs_where(database, collection, field, bson::doc! {}).await
}

/// The distinct organization ids of the documents `filter` selects.
pub(crate) async fn distinct_orgs_where(
    database: &Database,
    collection: &str,
    field: &str,
    filter: bson::Document,
) -> Result<Vec<common::ids::OrgId>, common::db::StoreError> {
    use common::db::{Context, StoreError};
    let values = database
        .collection::<bson::Document>(collection)
        .distinct(field, filter)
        .await
        .context("listing users")?;
    values
        .into_iter()
        .map(|value| {
            bson::from_bson(value).map_err(|e| StoreError::malformed("reading a user id", e))
        })
        .collect()
}
