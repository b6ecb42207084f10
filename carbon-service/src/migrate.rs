//! Numbered start-up migrations: the database's schema version is kept in
//! the `schema` collection, one instance runs the pending migrations under a
//! lease while the others wait, and each is idempotent. They run before the
//! server binds.

use common::db::StoreError;
use mongodb::Database;

use crate::domain::dataset::Dataset;
use crate::domain::rollup::Grain;
use crate::service::rollups as rollup_check;
use crate::storage::idempotency::{self, Outcome};
use crate::storage::{datasets, rollups, schema, usage_types, usages};
use futures_util::future::LocalBoxFuture;

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
    #[error(
        "the database's schema is version {stored}, newer than this carbon-service's ({known}): \
         a newer version migrated it. Run that version (or a later one); an older one would misread the data"
    )]
    NewerSchema { stored: u32, known: u32 },
    #[error(
        "another instance took over the migration lease (a migration ran longer than the lease); start again"
    )]
    LeaseLost,
}

/// One numbered schema change: idempotent, so that a run cut short is
/// run again whole.
struct Migration {
    version: u32,
    name: &'static str,
    run: for<'a> fn(&'a Database) -> LocalBoxFuture<'a, Result<(), MigrationError>>,
}

/// Every schema change, in order. A new one is a new entry at the end
/// (see docs/ARCHITECTURE.md, *Add a migration*).
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "idempotency records get an expiry for their TTL index",
        run: |db| Box::pin(async move { Ok(idempotency::backfill_expiry(db).await.map(|_| ())?) }),
    },
    Migration {
        version: 2,
        name: "the reference types get their GHG scope",
        run: |db| Box::pin(reference_scopes(db)),
    },
    Migration {
        version: 3,
        name: "idempotency records lose the copy of their usage",
        run: |db| Box::pin(slim_idempotency_records(db)),
    },
    Migration {
        version: 4,
        name: "every custom type has a GHG scope",
        run: |db| Box::pin(require_scopes(db)),
    },
    Migration {
        version: 5,
        name: "every type belongs to a dataset",
        run: |db| Box::pin(datasets_for_types(db)),
    },
    Migration {
        version: 6,
        name: "the types of private datasets are private",
        run: |db| Box::pin(private_types(db)),
    },
    Migration {
        version: 7,
        name: "usages get their unit, factor amount and gases",
        run: |db| Box::pin(units_and_gases(db)),
    },
    Migration {
        version: 8,
        name: "usage snapshots get their type's scope",
        run: |db| Box::pin(snapshot_scopes(db)),
    },
    Migration {
        version: 9,
        name: "requests an earlier version left half done are settled",
        run: |db| Box::pin(settle_unfinished_requests(db)),
    },
    Migration {
        version: 10,
        name: "rollups (month and day, per gas) and quota counts exist",
        run: |db| Box::pin(rollups_exist(db)),
    },
];

/// The schema version this binary writes and reads.
pub const LATEST: u32 = MIGRATIONS.len() as u32;

/// How long a lease lasts without a renewal (each migration renews it).
const LEASE: std::time::Duration = std::time::Duration::from_secs(60);

/// How often a start that waits for another instance's migrations looks.
const WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// Brings the database to [`LATEST`]: one instance runs the pending
/// migrations under a lease, in order, recording each; the others wait
/// until the schema is current (or the lease expires, and one of them
/// takes over). A database whose schema is newer than this binary's stops
/// the start: an older binary would misread it.
pub async fn run(db: &Database) -> Result<(), MigrationError> {
    let owner = uuid::Uuid::new_v4().to_string();
    loop {
        let version = schema::version(db).await?;
        if version > LATEST {
            return Err(MigrationError::NewerSchema {
                stored: version,
                known: LATEST,
            });
        }
        if version == LATEST {
            return Ok(());
        }
        if schema::take_lease(db, &owner, lease_end()).await? {
            let outcome = migrate_from(db, &owner, version).await;
            schema::release(db, &owner).await?;
            return outcome;
        }
        tracing::info!(
            version,
            latest = LATEST,
            "another instance is migrating the database; waiting"
        );
        tokio::time::sleep(WAIT).await;
    }
}

fn lease_end() -> bson::DateTime {
    bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() + LEASE.as_millis() as i64)
}

async fn migrate_from(db: &Database, owner: &str, version: u32) -> Result<(), MigrationError> {
    for migration in MIGRATIONS.iter().filter(|m| m.version > version) {
        let started = std::time::Instant::now();
        (migration.run)(db).await?;
        if !schema::record(db, owner, migration.version, migration.name, lease_end()).await? {
            return Err(MigrationError::LeaseLost);
        }
        tracing::info!(
            version = migration.version,
            name = migration.name,
            ms = started.elapsed().as_millis() as u64,
            "migration applied"
        );
    }
    Ok(())
}

async fn reference_scopes(db: &Database) -> Result<(), MigrationError> {
    for (id, scope) in crate::seed::built_in_scopes() {
        if usage_types::set_scope_if_missing(db, id.get(), scope.into()).await? {
            tracing::info!(
                type_id = %id,
                scope = scope.get(),
                "reference usage type given its scope"
            );
        }
    }
    Ok(())
}

async fn slim_idempotency_records(db: &Database) -> Result<(), MigrationError> {
    let slimmed = idempotency::slim_legacy(db).await?;
    if slimmed > 0 {
        tracing::info!(
            records = slimmed,
            "idempotency records slimmed to the usage id"
        );
    }
    Ok(())
}

/// A custom type without a scope stops the start: this service will not
/// guess which scope a company's emissions belong to.
async fn require_scopes(db: &Database) -> Result<(), MigrationError> {
    let unscoped = usage_types::ids_without_scope(db).await?;
    match unscoped.first() {
        Some(&first) => Err(MigrationError::TypesWithoutScope {
            ids: unscoped,
            first,
        }),
        None => Ok(()),
    }
}

fn example_ids() -> (Option<crate::seed::SeedDataset>, Vec<i64>) {
    let examples = crate::seed::parse_seed(crate::seed::EXAMPLES).ok();
    let ids = examples
        .iter()
        .flat_map(|e| e.types.iter().map(|t| t.id.get()))
        .collect();
    (examples, ids)
}

/// The `custom` dataset exists, and every type that predates datasets
/// belongs to one (the examples' ids to `example`, the rest to `custom`),
/// its factor kept as a CO₂e-only figure.
async fn datasets_for_types(db: &Database) -> Result<(), MigrationError> {
    datasets::insert_if_absent(db, &Dataset::custom()).await?;
    let (examples, example_ids) = example_ids();
    let given = usage_types::backfill_datasets(db, &example_ids).await?;
    if given > 0 {
        if let Some(examples) = &examples {
            datasets::insert_if_absent(db, &examples.dataset).await?;
        }
        tracing::info!(types = given, "usage types given their dataset");
    }
    Ok(())
}

async fn private_types(db: &Database) -> Result<(), MigrationError> {
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
    Ok(())
}

async fn units_and_gases(db: &Database) -> Result<(), MigrationError> {
    let (_, example_ids) = example_ids();
    let backfilled = usages::backfill_units_and_gases(db, &example_ids).await?;
    if backfilled > 0 {
        tracing::info!(usages = backfilled, "usages given their unit and gases");
    }
    Ok(())
}

async fn snapshot_scopes(db: &Database) -> Result<(), MigrationError> {
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

/// Last: the rollups sum the usages as the migrations before left them.
async fn rollups_exist(db: &Database) -> Result<(), MigrationError> {
    let stale_rollups = !rollups::any(db, Grain::Month).await?
        || !rollups::any(db, Grain::Day).await?
        || rollups::any_without_gases(db).await?;
    if stale_rollups {
        let users = rollup_check::build_all(db).await?;
        if users > 0 {
            tracing::info!(users, "rollups and usage counts built from the usages");
        }
    }
    Ok(())
}

/// Settles the requests an earlier version left half done; when it removes
/// the usages of an interrupted import, the rollups are rebuilt from the
/// usages (in their final shape: this runs after the backfills).
async fn settle_unfinished_requests(db: &Database) -> Result<(), MigrationError> {
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
    if removed_usages > 0 {
        rollup_check::build_all(db).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_one_to_latest_in_order() {
        let versions: Vec<u32> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(versions, (1..=LATEST).collect::<Vec<_>>());
    }
}
