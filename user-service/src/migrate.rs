//! user-service's numbered start-up migrations (run by `common::migrate`):
//! each brings stored documents from an older shape to the one the strict
//! stored types read. A new one is a new entry at the end (see
//! docs/ARCHITECTURE.md, *Add a migration*).

use common::db::StoreError;
use common::migrate::{MigrateError, Migration};
use mongodb::Database;

use crate::storage::{claims, organizations, refresh_tokens, users};

/// The schema document's id in the `schema` collection.
pub const SERVICE: &str = "user-service";

pub const MIGRATIONS: &[Migration<StoreError>] = &[
    Migration {
        version: 1,
        name: "once-only claims get an expiry for their TTL index",
        run: |db| {
            Box::pin(logged(
                db,
                claims::backfill_expiry,
                "claims given an expiry",
            ))
        },
    },
    Migration {
        version: 2,
        name: "refresh tokens get their family's end, session generation and login time",
        run: |db| {
            Box::pin(logged(
                db,
                refresh_tokens::backfill_families,
                "refresh tokens given their family's end",
            ))
        },
    },
    Migration {
        version: 3,
        name: "accounts get their failed-login count and session generation",
        run: |db| {
            Box::pin(logged(
                db,
                users::backfill_counters,
                "accounts given their login counters",
            ))
        },
    },
    Migration {
        version: 4,
        name: "every account gets its personal organization",
        run: |db| {
            Box::pin(logged(
                db,
                organizations::backfill_personal,
                "personal organizations created",
            ))
        },
    },
    Migration {
        version: 5,
        name: "refresh tokens act in their user's personal organization",
        run: |db| {
            Box::pin(logged(
                db,
                refresh_tokens::backfill_organizations,
                "refresh tokens given their organization",
            ))
        },
    },
];

/// The schema version this binary writes and reads.
pub const LATEST: u32 = common::migrate::latest(MIGRATIONS);

/// Brings the database to [`LATEST`] (see `common::migrate::run`).
pub async fn run(db: &Database) -> Result<(), MigrateError<StoreError>> {
    common::migrate::run(db, SERVICE, MIGRATIONS).await
}

async fn logged<'a, F>(
    db: &'a Database,
    backfill: fn(&'a Database) -> F,
    what: &'static str,
) -> Result<(), StoreError>
where
    F: std::future::Future<Output = Result<u64, StoreError>> + 'a,
{
    let changed = backfill(db).await?;
    if changed > 0 {
        tracing::info!(documents = changed, "{what}");
    }
    Ok(())
}
