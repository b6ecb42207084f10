//! Numbered start-up migrations, the same way in both services: a service's
//! schema version is kept in its database's `schema` collection, one
//! instance runs the pending migrations under a lease while the others wait
//! (answering `/readyz` with 503, see `server::while_starting`), each
//! migration is idempotent and logged, and a binary older than the schema
//! refuses to start.

pub mod schema;

use std::time::Duration;

use futures_util::future::LocalBoxFuture;
use mongodb::Database;

use crate::db::StoreError;

/// One numbered schema change: idempotent, so that a run cut short is run
/// again whole. `E` is the service's own migration error.
pub struct Migration<E> {
    pub version: u32,
    pub name: &'static str,
    pub run: for<'a> fn(&'a Database) -> LocalBoxFuture<'a, Result<(), E>>,
}

/// Why the migrations did not bring the database up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError<E: std::error::Error + 'static> {
    #[error("reading or writing the schema version")]
    Store(#[from] StoreError),
    #[error("migration {version} ({name})")]
    Step {
        version: u32,
        name: &'static str,
        #[source]
        source: E,
    },
    #[error(
        "the database's schema is version {stored}, newer than this {service}'s ({known}): \
         a newer version migrated it. Run that version (or a later one); an older one would misread the data"
    )]
    NewerSchema {
        service: &'static str,
        stored: u32,
        known: u32,
    },
    #[error(
        "another instance took over the migration lease (a migration ran longer than the lease); start again"
    )]
    LeaseLost,
    /// A programming error, caught by every start (and so by every test
    /// that starts the service).
    #[error("{service}'s migrations are not numbered 1, 2, 3... in order")]
    Misnumbered { service: &'static str },
}

/// How long a lease lasts without a renewal (each migration renews it).
const LEASE: Duration = Duration::from_secs(60);

/// How often a start that waits for another instance's migrations looks.
const WAIT: Duration = Duration::from_millis(500);

/// The schema version `migrations` bring a database to (they are numbered
/// 1..n in order: the start checks).
pub const fn latest<E>(migrations: &[Migration<E>]) -> u32 {
    migrations.len() as u32
}

/// Brings `service`'s database to the last of `migrations` (numbered 1..n
/// in order): one instance runs the pending ones under a lease, in order,
/// recording each; the others wait until the schema is current (or the
/// lease expires, and one of them takes over). A schema newer than the
/// last migration stops the start.
pub async fn run<E: std::error::Error + 'static>(
    db: &Database,
    service: &'static str,
    migrations: &[Migration<E>],
) -> Result<(), MigrateError<E>> {
    if !numbered_in_order(migrations) {
        return Err(MigrateError::Misnumbered { service });
    }
    let latest = latest(migrations);
    let owner = uuid::Uuid::new_v4().to_string();
    loop {
        let version = schema::version(db, service).await?;
        if version > latest {
            return Err(MigrateError::NewerSchema {
                service,
                stored: version,
                known: latest,
            });
        }
        if version == latest {
            return Ok(());
        }
        if schema::take_lease(db, service, &owner, lease_end()).await? {
            let outcome = migrate_from(db, service, &owner, version, migrations).await;
            schema::release(db, service, &owner).await?;
            return outcome;
        }
        tracing::info!(
            version,
            latest,
            "another instance is migrating the database; waiting"
        );
        tokio::time::sleep(WAIT).await;
    }
}

fn lease_end() -> bson::DateTime {
    bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() + LEASE.as_millis() as i64)
}

async fn migrate_from<E: std::error::Error + 'static>(
    db: &Database,
    service: &'static str,
    owner: &str,
    version: u32,
    migrations: &[Migration<E>],
) -> Result<(), MigrateError<E>> {
    for migration in migrations.iter().filter(|m| m.version > version) {
        let started = std::time::Instant::now();
        (migration.run)(db)
            .await
            .map_err(|source| MigrateError::Step {
                version: migration.version,
                name: migration.name,
                source,
            })?;
        let recorded = schema::record(
            db,
            service,
            owner,
            migration.version,
            migration.name,
            lease_end(),
        )
        .await?;
        if !recorded {
            return Err(MigrateError::LeaseLost);
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

/// Whether `migrations` are numbered 1..n in order.
fn numbered_in_order<E>(migrations: &[Migration<E>]) -> bool {
    migrations
        .iter()
        .enumerate()
        .all(|(i, m)| m.version as usize == i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(version: u32) -> Migration<StoreError> {
        Migration {
            version,
            name: "a step",
            run: |_| Box::pin(async { Ok(()) }),
        }
    }

    #[test]
    fn migrations_must_be_numbered_from_one_without_gaps() {
        assert!(numbered_in_order(&[step(1), step(2), step(3)]));
        assert!(!numbered_in_order(&[step(1), step(3)]));
        assert!(!numbered_in_order(&[step(2), step(1)]));
    }
}
