//! Start-up data migrations, each idempotent, run before the server binds.

use common::db::StoreError;
use mongodb::Database;

use crate::domain::dataset::Dataset;
use crate::domain::rollup::Grain;
use crate::service::rollups as rollup_check;
use crate::storage::idempotency::{self, Outcome};
use crate::storage::{datasets, rollups, usage_types, usages};

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
/// - idempotency records get an `expires_at` for their TTL index, and
///   lose the copy of their usage (keeping its owner);
/// - the reference types get their GHG scope when they predate scopes;
/// - every usage's type snapshot gets its type's scope;
/// - requests with an `Idempotency-Key` that an earlier version left
///   unfinished (before every write was a transaction) are settled: a
///   partial import is removed, a stored usage becomes the key's answer;
/// - the `custom` dataset exists, and every type that predates datasets
///   belongs to one (the examples' ids to `example`, the rest to `custom`),
///   its factor kept as a CO₂e-only figure;
/// - the types of private datasets are marked private (hidden from the
///   anonymous);
/// - usages stored before units and gases get their type's unit, their
///   amount in the factor's unit and their CO₂e as a CO₂e-only figure;
/// - each user's rollups and quota count are built from the usages, once,
///   on a database whose usages predate rollups (or whose rollups predate
///   gases, or day rollups).
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
    let removed_usages = settle_unfinished_requests(db).await?;
    let slimmed = idempotency::slim_legacy(db).await?;
    if slimmed > 0 {
        tracing::info!(
            records = slimmed,
            "idempotency records slimmed to the usage id"
        );
    }
    let unscoped = usage_types::ids_without_scope(db).await?;
    if let Some(&first) = unscoped.first() {
        return Err(MigrationError::TypesWithoutScope {
            ids: unscoped,
            first,
        });
    }
    datasets::insert_if_absent(db, &Dataset::custom()).await?;
    let examples = crate::seed::parse_seed(crate::seed::EXAMPLES).ok();
    let example_ids: Vec<i64> = examples
        .iter()
        .flat_map(|e| e.types.iter().map(|t| t.id.get()))
        .collect();
    let given = usage_types::backfill_datasets(db, &example_ids).await?;
    if given > 0 {
        if let Some(examples) = &examples {
            datasets::insert_if_absent(db, &examples.dataset).await?;
        }
        tracing::info!(types = given, "usage types given their dataset");
    }
    let private: Vec<_> = datasets::all(db)
        .await?
        .into_iter()
        .filter(|d| d.private)
        .collect();
    let private_ids: Vec<&str> = private.iter().map(|d| d.id.as_str()).collect();
    let marked = usage_types::backfill_private(db, &private_ids).await?;
    if marked > 0 {
        tracing::info!(types = marked, "private datasets' types marked private");
    }
    let backfilled = usages::backfill_units_and_gases(db, &example_ids).await?;
    if backfilled > 0 {
        tracing::info!(usages = backfilled, "usages given their unit and gases");
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
    // Last: the rollups sum the usages as the steps above left them.
    let stale_rollups = !rollups::any(db, Grain::Month).await?
        || !rollups::any(db, Grain::Day).await?
        || rollups::any_without_gases(db).await?;
    if removed_usages > 0 || stale_rollups {
        let users = rollup_check::build_all(db).await?;
        if users > 0 {
            tracing::info!(users, "rollups and usage counts built from the usages");
        }
    }
    Ok(())
}

/// Settles the requests an earlier version left half done; returns how
/// many usages of interrupted imports it removed.
async fn settle_unfinished_requests(db: &Database) -> Result<u64, StoreError> {
    let mut removed_usages = 0;
    for record in idempotency::unfinished(db).await? {
        let removed = usages::delete_import(db, record.usage_id).await?;
        if removed > 0 {
            tracing::warn!(removed, "removed the usages of an interrupted import");
        }
        removed_usages += removed;
        match usages::find_any(db, record.usage_id).await? {
            Some(_) => {
                let outcome = Outcome::Recorded { status: 201 };
                idempotency::settle(db, &record.id, &outcome).await?;
            }
            None => idempotency::forget(db, &record.id).await?,
        }
    }
    Ok(removed_usages)
}
