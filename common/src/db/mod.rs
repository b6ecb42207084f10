//! MongoDB start-up, index management and error classification.
//!
//! The services are written for MongoDB 7 semantics and run on any
//! deployment of it (standalone, replica set, sharded through mongos), and on
//! the MongoDB-compatible SecantusDB used for development and tests, as long
//! as it runs multi-document transactions: a replica set (a single node is
//! enough) or a sharded cluster. [`in_transaction`] is the one way the
//! services write more than one document.
//!
//! [`StoreError`] is what every storage module returns: what happened, in
//! database terms, with the operation as context and the driver's error as
//! its source. Whether a duplicate key is a 409 is for the caller to say.
//!
//! By topic: this module (connecting, at start-up), [`indexes`], [`error`]
//! ([`StoreError`] and the server's error codes) and [`transaction`]
//! ([`in_transaction`]).

mod backfill;
mod error;
mod indexes;
mod transaction;

pub use backfill::{BACKFILL_BATCH, update_in_batches};
pub use error::{Context, PRIMARY_KEY, StoreError, is_duplicate_key, is_unavailable};
pub use indexes::{ensure_indexes, ttl_index};
pub use transaction::{TRANSACTION_ATTEMPTS, TransactionError, counting_retries, in_transaction};

use std::time::Duration;

use mongodb::bson::doc;
use mongodb::error::Error;
use mongodb::options::ClientOptions;
use mongodb::{Client, Database};

use crate::config::MongoSettings;

#[derive(Debug, thiserror::Error)]
pub enum DatabaseStartupError {
    #[error("invalid configuration: MONGODB_URI {problem}")]
    InvalidUri {
        problem: &'static str,
        #[source]
        source: Option<Error>,
    },
    /// A standalone server: it cannot run multi-document transactions.
    #[error(
        "invalid configuration: MONGODB_URI names a standalone MongoDB server, and this service \
         needs multi-document transactions, which MongoDB runs only on a replica set or a sharded \
         cluster. Point MONGODB_URI at a replica set (a single-node one is enough: start mongod \
         with --replSet rs0, run rs.initiate() once, and add ?replicaSet=rs0 to the URI) or at a \
         mongos"
    )]
    NoTransactions,
    #[error("the database did not answer after {attempts} attempts; the last error")]
    Unreachable {
        attempts: u32,
        #[source]
        last_error: Option<Error>,
    },
    #[error("preparing `{collection}` (its indexes, or a start-up step on it) failed")]
    Index {
        collection: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Parses the URI and builds a client without contacting the server.
pub async fn client_for(
    settings: &MongoSettings,
    app_name: &str,
) -> Result<(Client, String), DatabaseStartupError> {
    let mut options = ClientOptions::parse(&settings.uri).await.map_err(|e| {
        DatabaseStartupError::InvalidUri {
            problem: "cannot be parsed",
            source: Some(e),
        }
    })?;
    let database = options
        .default_database
        .clone()
        .ok_or(DatabaseStartupError::InvalidUri {
            problem: "must name the database in its path, e.g. mongodb://host:27017/users",
            source: None,
        })?;
    options.app_name = Some(app_name.to_owned());
    options.server_selection_timeout = Some(settings.server_selection_timeout);
    options.connect_timeout = Some(settings.server_selection_timeout);
    let client = Client::with_options(options).map_err(|e| DatabaseStartupError::InvalidUri {
        problem: "is not usable",
        source: Some(e),
    })?;
    Ok((client, database))
}

/// Connects and pings, retrying with exponential backoff (250 ms doubling,
/// capped at 5 s) so a service may start before its database.
pub async fn connect(
    settings: &MongoSettings,
    app_name: &str,
) -> Result<Database, DatabaseStartupError> {
    let (client, name) = client_for(settings, app_name).await?;
    let database = client.database(&name);
    let mut delay = Duration::from_millis(250);
    let mut last_error = None;
    for attempt in 1..=settings.connect_attempts {
        match ping(&database).await {
            Ok(()) => {
                tracing::info!(attempt, database = %name, "connected to the database");
                return Ok(database);
            }
            Err(e) => {
                tracing::warn!(
                    attempt,
                    max_attempts = settings.connect_attempts,
                    retry_in_ms = delay.as_millis() as u64,
                    error = %e,
                    "database not reachable yet"
                );
                last_error = Some(e);
                if attempt < settings.connect_attempts {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
    Err(DatabaseStartupError::Unreachable {
        attempts: settings.connect_attempts,
        last_error,
    })
}

/// [`connect`], then [`require_transactions`]: what both services start with.
pub async fn connect_transactional(
    settings: &MongoSettings,
    app_name: &str,
) -> Result<Database, DatabaseStartupError> {
    let database = connect(settings, app_name).await?;
    require_transactions(&database).await?;
    Ok(database)
}

/// Refuses a deployment that cannot run multi-document transactions: only
/// a replica-set member (`setName` in its `hello`) or a mongos
/// (`msg: "isdbgrid"`) can. Every multi-document write of the services is a
/// transaction, so a standalone server would fail them all.
pub async fn require_transactions(database: &Database) -> Result<(), DatabaseStartupError> {
    let hello = database
        .run_command(doc! { "hello": 1 })
        .await
        .map_err(|e| DatabaseStartupError::Unreachable {
            attempts: 1,
            last_error: Some(e),
        })?;
    let replica_set = hello.get_str("setName").is_ok();
    let mongos = hello.get_str("msg").is_ok_and(|m| m == "isdbgrid");
    if replica_set || mongos {
        Ok(())
    } else {
        Err(DatabaseStartupError::NoTransactions)
    }
}

pub async fn ping(database: &Database) -> Result<(), Error> {
    database.run_command(doc! { "ping": 1 }).await.map(|_| ())
}
