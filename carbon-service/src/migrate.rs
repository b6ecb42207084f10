//! Start-up data migrations, each idempotent, run before the server binds.

use common::db::StoreError;
use mongodb::Database;

use crate::storage::{idempotency, usage_counts, usage_types, usages};

/// Why the stored data could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("migrating stored data")]
    Store(#[from] StoreError),
    #[error(
        "usage types {ids:?} have no GHG Protocol scope. Set one (1, 2 or 3) for each, \
         e.g. in mongosh: db.usage_types.updateOne({{id: {first}}}, {{$set: {{scope: 3}}}}), then start again"
    )]
    TypesWithoutScope { ids: Vec<i64>, first: i64 },
}

/// Brings stored data up to what this version reads:
/// - idempotency records get an `expires_at` for their TTL index;
/// - the reference types get their GHG scope when they predate scopes;
/// - every usage's type snapshot gets its type's scope;
/// - each user's usages are counted for the quota, once, on a database
///   whose counts predate quotas.
///
/// A custom type without a scope stops the start: this service will not
/// guess which scope a company's emissions belong to.
pub async fn run(db: &Database) -> Result<(), MigrationError> {
    idempotency::backfill_expiry(db).await?;
    for (id, scope) in crate::seed::built_in_scopes() {
        if usage_types::set_scope_if_missing(db, id.get(), scope.into()).await? {
            tracing::info!(
                type_id = %id,
                scope = scope.get(),
                "reference usage type given its scope"
            );
        }
    }
    if !usage_counts::any(db).await? {
        let users = usage_counts::recount(db).await?;
        if users > 0 {
            tracing::info!(users, "usages counted per user for the quota");
        }
    }
    let unscoped = usage_types::ids_without_scope(db).await?;
    if let Some(&first) = unscoped.first() {
        return Err(MigrationError::TypesWithoutScope {
            ids: unscoped,
            first,
        });
    }
    for usage_type in usage_types::all(db).await? {
        let scope = i64::from(usage_type.scope);
        let updated = usages::backfill_scope(db, usage_type.id, scope).await?;
        if updated > 0 {
            tracing::info!(
                type_id = %usage_type.id,
                updated,
                "usage snapshots given their type's scope"
            );
        }
    }
    Ok(())
}
