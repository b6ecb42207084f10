//! carbon-service's numbered start-up migrations (run by
//! `common::migrate`): each brings stored documents from an older shape to
//! the one the strict stored types read.

use common::db::StoreError;
use mongodb::Database;

use crate::domain::dataset::Dataset;
use crate::service::rollups as rollup_check;
use crate::storage::idempotency::{self, Outcome};
use crate::storage::{datasets, instruments, rollups, usage_types, usages};
use common::migrate::{MigrateError, Migration};

/// Why a migration could not bring the stored data up to date.
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

/// The schema document's id in the `schema` collection.
pub const SERVICE: &str = "carbon-service";

/// Every schema change, in order. A new one is a new entry at the end
/// (see docs/ARCHITECTURE.md, *Add a migration*).
pub const MIGRATIONS: &[Migration<MigrationError>] = &[
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
        name: "rollups (month and day, per gas) and quota counts exist (since organizations: migration 15 builds them)",
        run: |db| Box::pin(rollups_exist(db)),
    },
    Migration {
        version: 11,
        name: "every stored document has the shape the strict stored types read",
        run: |db| Box::pin(strict_shapes(db)),
    },
    Migration {
        version: 12,
        name: "the biofuels' CO₂ is biogenic, and every rollup carries the biogenic memo",
        run: |db| Box::pin(biogenic_co2(db)),
    },
    Migration {
        version: 13,
        name: "types list their scope 3 categories, usages and rollups carry the one they are reported under",
        run: |db| Box::pin(scope3_categories(db)),
    },
    Migration {
        version: 14,
        name: "every rollup carries fossil methane (since organizations: migration 15 builds them so)",
        run: |_| Box::pin(async move { Ok(()) }),
    },
    Migration {
        version: 15,
        name: "usages, instruments and idempotency records belong to organizations; rollups are built per organization",
        run: |db| Box::pin(organizations(db)),
    },
    Migration {
        version: 16,
        name: "every organization that holds data has an audit trail, begun by a genesis entry",
        run: |db| Box::pin(audit_trails(db)),
    },
];

/// The schema version this binary writes and reads.
pub const LATEST: u32 = common::migrate::latest(MIGRATIONS);

/// Brings the database to [`LATEST`] (see `common::migrate::run`).
pub async fn run(db: &Database) -> Result<(), MigrateError<MigrationError>> {
    common::migrate::run(db, SERVICE, MIGRATIONS).await
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
    let private_ids = datasets::private_ids(db).await?;
    let private_ids: Vec<&str> = private_ids.iter().map(String::as_str).collect();
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
    for (type_id, scope) in usage_types::scopes(db).await? {
        let updated = usages::backfill_scope(db, type_id, scope).await?;
        if updated > 0 {
            tracing::info!(
                %type_id,
                updated,
                "usage snapshots given their type's scope"
            );
        }
    }
    Ok(())
}

/// Rollups and quota counts from the usages: since organizations, built
/// by migration 15 (which every database that runs this one runs too), in
/// the organizations' collections.
async fn rollups_exist(_db: &Database) -> Result<(), MigrationError> {
    Ok(())
}

/// Settles the requests an earlier version left half done (migration 15
/// rebuilds the rollups from the usages that remain).
async fn settle_unfinished_requests(db: &Database) -> Result<(), MigrationError> {
    for record in idempotency::unfinished(db).await? {
        if let Some(body) = &record.response {
            idempotency::settle(db, &record.id, &answered_outcome(body)).await?;
            continue;
        }
        let removed = usages::delete_import(db, record.usage_id).await?;
        if removed > 0 {
            tracing::warn!(removed, "removed the usages of an interrupted import");
        }
        if usages::exists(db, record.usage_id).await? {
            let outcome = Outcome::Recorded { status: 201 };
            idempotency::settle(db, &record.id, &outcome).await?;
        } else {
            idempotency::forget(db, &record.id).await?;
        }
    }
    Ok(())
}

/// What a record answered before outcomes were kept, from the 201 body
/// it kept instead: an import's says how many it imported.
fn answered_outcome(body: &str) -> Outcome {
    let imported = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|body| body["imported"].as_u64());
    match imported {
        Some(imported) => Outcome::Imported { imported },
        None => Outcome::Recorded { status: 201 },
    }
}

/// Every field the stored types read is present: the read paths keep no
/// fallback for an older shape. Idempotency records answered before
/// outcomes get theirs (version 9 left them), and records from before
/// owners get the owner of what they wrote (or go, when that is gone).
async fn strict_shapes(db: &Database) -> Result<(), MigrationError> {
    settle_unfinished_requests(db).await?;
    for (record_id, wrote) in idempotency::without_owner(db).await? {
        match usages::owner_of(db, wrote).await? {
            Some(owner) => idempotency::set_owner(db, &record_id, owner).await?,
            None => idempotency::forget(db, &record_id).await?,
        }
    }
    let datasets = datasets::backfill_shape(db).await?;
    let types = usage_types::backfill_shape(db).await?;
    let usages = usages::backfill_shape(db).await?;
    if datasets + types + usages > 0 {
        tracing::info!(
            datasets,
            types,
            usages,
            "documents brought to their current shape"
        );
    }
    Ok(())
}

/// Earlier versions counted the CO₂ of biodiesel and ethanol (100 %) in
/// scope 1: it is biogenic. The bundled dataset says which of its types
/// give biogenic CO₂; their stored types and the usages recorded against
/// them move it (migration 15 rebuilds the rollups).
async fn biogenic_co2(db: &Database) -> Result<(), MigrationError> {
    let Ok(bundled) = crate::seed::parse_seed(crate::seed::EPA_GHG_HUB_2025) else {
        return Ok(());
    };
    let biogenic: Vec<i64> = bundled
        .types
        .iter()
        .filter(|t| t.gases.co2.is_none() && t.gases.biogenic_co2.is_some())
        .map(|t| t.id.get())
        .collect();
    let dataset = bundled.dataset.id.as_str();
    usage_types::move_co2_to_biogenic(db, dataset, &biogenic).await?;
    let moved = usages::move_co2_to_biogenic(db, dataset, &biogenic).await?;
    if moved > 0 {
        tracing::warn!(
            usages = moved,
            "biofuel CO₂ moved out of scope 1 into the biogenic memo"
        );
    }
    Ok(())
}

/// Scope 3 categories become a list per type (freight 4 and 9, travel 6
/// and 7, as the Hub tags them), and each usage is reported under one:
/// stored types and usages get theirs, the bundled types their Hub tags,
/// and every rollup is rebuilt with the category in its key.
async fn scope3_categories(db: &Database) -> Result<(), MigrationError> {
    let types = usage_types::backfill_scope3_categories(db).await?;
    let recorded = usages::backfill_scope3_categories(db).await?;
    if let Ok(bundled) = crate::seed::parse_seed(crate::seed::EPA_GHG_HUB_2025) {
        let dataset = bundled.dataset.id.as_str();
        for t in bundled
            .types
            .iter()
            .filter(|t| t.scope3_categories.len() > 1)
        {
            let id = t.id.get();
            usage_types::set_scope3_categories(db, dataset, id, &t.scope3_categories).await?;
            usages::set_snapshot_scope3_categories(db, dataset, id, &t.scope3_categories).await?;
        }
    }
    if types + recorded > 0 {
        tracing::info!(
            types,
            usages = recorded,
            "scope 3 categories recorded (migration 15 rebuilds the rollups by category)"
        );
    }
    Ok(())
}

/// Everything a user stored before organizations belongs to the user's
/// personal organization, whose id is the user's id (so no call to
/// user-service): usages (created and last changed by the user),
/// instruments and idempotency records move; quota counts are keyed by
/// that same id already. The rollups are built again per organization
/// from the usages, in new collections, and the per-user ones dropped.
async fn organizations(db: &Database) -> Result<(), MigrationError> {
    let usages = usages::move_to_organizations(db).await?;
    let instruments = instruments::move_to_organizations(db).await?;
    let records = idempotency::move_to_organizations(db).await?;
    let orgs = rollup_check::build_all(db).await?;
    for old in rollups::BEFORE_ORGANIZATIONS {
        db.collection::<bson::Document>(old)
            .drop()
            .await
            .map_err(|e| {
                StoreError::from_driver("dropping the rollups from before organizations", e)
            })?;
    }
    if usages + instruments + records + orgs > 0 {
        tracing::info!(
            usages,
            instruments,
            records,
            organizations = orgs,
            "data moved into personal organizations; rollups built per organization"
        );
    }
    Ok(())
}

async fn audit_trails(db: &Database) -> Result<(), MigrationError> {
    let begun = crate::service::audit::begin_trails(db).await?;
    if begun > 0 {
        tracing::info!(organizations = begun, "audit trails begun");
    }
    Ok(())
}
