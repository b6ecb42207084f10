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

use std::time::Duration;

use mongodb::bson::doc;
use mongodb::error::{Error, ErrorKind, WriteFailure};
use mongodb::options::ClientOptions;
use mongodb::{Client, Database, IndexModel};

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

/// Creates `indexes` on `collection` (a no-op for those that exist with the
/// same definition) and drops the ones named in `obsolete`, which a newer
/// index has replaced. Safe to run at every start and from several
/// instances at once.
pub async fn ensure_indexes(
    database: &Database,
    collection: &str,
    indexes: Vec<IndexModel>,
    obsolete: &[&str],
) -> Result<(), DatabaseStartupError> {
    let failed = |e: Error| DatabaseStartupError::Index {
        collection: collection.to_owned(),
        source: Box::new(e),
    };
    let coll = database.collection::<mongodb::bson::Document>(collection);
    if !obsolete.is_empty() {
        // A collection that does not exist yet has no indexes to drop.
        let existing = coll.list_index_names().await.unwrap_or_default();
        for name in obsolete.iter().filter(|n| existing.iter().any(|e| e == *n)) {
            match coll.drop_index(*name).await {
                Ok(()) => tracing::info!(collection, index = name, "dropped an obsolete index"),
                // Another instance dropped it first.
                Err(e) if is_index_not_found(&e) => {}
                Err(e) => return Err(failed(e)),
            }
        }
    }
    if !indexes.is_empty() {
        coll.create_indexes(indexes).await.map_err(failed)?;
    }
    Ok(())
}

/// A TTL index on `field` (a date): the server deletes each document in its
/// first TTL pass after that date.
pub fn ttl_index(field: &str, name: &str) -> IndexModel {
    IndexModel::builder()
        .keys(mongodb::bson::doc! { field: 1 })
        .options(
            mongodb::options::IndexOptions::builder()
                .name(name.to_owned())
                .expire_after(Duration::ZERO)
                .build(),
        )
        .build()
}

/// `WriteConflict`: two transactions wrote one document.
const WRITE_CONFLICT: i32 = 112;
/// `TransactionTooLargeForCache`.
const TRANSACTION_TOO_LARGE_FOR_CACHE: i32 = 388;
/// `MaxTimeMSExpired`: the operation ran past its `maxTimeMS`.
const MAX_TIME_MS_EXPIRED: i32 = 50;

/// The server's code of a command's or a write's failure.
fn error_code(err: &Error) -> Option<i32> {
    match err.kind.as_ref() {
        ErrorKind::Command(e) => Some(e.code),
        ErrorKind::Write(WriteFailure::WriteError(e)) => Some(e.code),
        ErrorKind::InsertMany(e) => e.write_errors.as_ref()?.first().map(|e| e.code),
        _ => None,
    }
}

/// `IndexNotFound` (27).
fn is_index_not_found(err: &Error) -> bool {
    matches!(err.kind.as_ref(), ErrorKind::Command(e) if e.code == 27)
}

/// A storage operation that failed, in database terms.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique index refused the write. `index` is its name when the
    /// server said it (`_id_` for the primary key).
    #[error("{context}: duplicate key on index {}", .index.as_deref().unwrap_or("?"))]
    Duplicate {
        context: &'static str,
        index: Option<String>,
        #[source]
        source: Error,
    },
    /// The database could not be reached; retrying later may help.
    #[error("{context}: the database is unavailable")]
    Unavailable {
        context: &'static str,
        #[source]
        source: Error,
    },
    /// The operation ran past its server-side time limit (`maxTimeMS`):
    /// the database is loaded, or the query too big for now.
    #[error("{context}: the query ran past its time limit")]
    TimedOut {
        context: &'static str,
        #[source]
        source: Error,
    },
    /// Any other failure of the operation.
    #[error("{context}: the database failed")]
    Failed {
        context: &'static str,
        #[source]
        source: Error,
    },
    /// A document could not be converted to or from BSON.
    #[error("{context}: a document does not have the expected shape")]
    Malformed {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    /// Classifies a driver error of the operation `context`.
    pub fn from_driver(context: &'static str, source: Error) -> Self {
        if is_duplicate_key(&source) {
            let index = duplicate_index(&source);
            Self::Duplicate {
                context,
                index,
                source,
            }
        } else if is_unavailable(&source) {
            Self::Unavailable { context, source }
        } else if error_code(&source) == Some(MAX_TIME_MS_EXPIRED) {
            Self::TimedOut { context, source }
        } else {
            Self::Failed { context, source }
        }
    }

    pub fn malformed(
        context: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Malformed {
            context,
            source: source.into(),
        }
    }

    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    pub fn is_timed_out(&self) -> bool {
        matches!(self, Self::TimedOut { .. })
    }

    /// A duplicate key on the unique index `name`.
    pub fn is_duplicate_on(&self, name: &str) -> bool {
        matches!(self, Self::Duplicate { index: Some(index), .. } if index == name)
    }

    /// A duplicate key, on whatever index.
    pub fn is_duplicate(&self) -> bool {
        matches!(self, Self::Duplicate { .. })
    }
}

impl StoreError {
    /// The driver's error, when there is one.
    fn driver(&self) -> Option<&Error> {
        match self {
            Self::Duplicate { source, .. }
            | Self::Unavailable { source, .. }
            | Self::TimedOut { source, .. }
            | Self::Failed { source, .. } => Some(source),
            Self::Malformed { .. } => None,
        }
    }

    /// A transaction lost to another (a write conflict) or to a passing
    /// failure: running the whole transaction again may succeed.
    pub fn is_transient_transaction(&self) -> bool {
        self.driver()
            .is_some_and(|e| e.contains_label(mongodb::error::TRANSIENT_TRANSACTION_ERROR))
    }

    /// Another transaction wrote the same document first (`WriteConflict`).
    pub fn is_write_conflict(&self) -> bool {
        self.driver()
            .is_some_and(|e| error_code(e) == Some(WRITE_CONFLICT))
    }
}

/// An error a transaction's body can fail with, which says whether it is
/// the database's transient failure (then the whole transaction runs
/// again) or the flow's own outcome (then it is returned).
pub trait TransactionError: From<StoreError> {
    fn store_error(&self) -> Option<&StoreError>;
}

impl TransactionError for StoreError {
    fn store_error(&self) -> Option<&StoreError> {
        Some(self)
    }
}

/// How often a transaction is run when it keeps failing for a transient
/// reason (a write conflict with another transaction, say), and how often
/// a commit whose result is unknown is tried again.
pub const TRANSACTION_ATTEMPTS: u32 = 10;

/// Waits before attempt `attempt + 1`: 0.5-1, 1-2, 2-4 ... 32-64 ms (half
/// fixed, half random), so that transactions that conflicted do not meet
/// again, and the attempts span at least about 130 ms in all: longer than
/// the other transaction of a conflict usually runs.
async fn backoff(attempt: u32) {
    let ceiling_us = 1000u64 << attempt.saturating_sub(1).min(6);
    let random = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0),
    );
    let half = ceiling_us / 2;
    tokio::time::sleep(Duration::from_micros(half + random % half)).await;
}

tokio::task_local! {
    /// Transactions run again within the current request.
    static TRANSACTION_RETRIES: std::cell::Cell<u64>;
}

/// Runs `work` and says how many transactions in it were run again after
/// a conflict (the HTTP metrics middleware reports them).
pub async fn counting_retries<F: std::future::Future>(work: F) -> (F::Output, u64) {
    TRANSACTION_RETRIES
        .scope(std::cell::Cell::new(0), async {
            let output = work.await;
            (output, TRANSACTION_RETRIES.with(std::cell::Cell::get))
        })
        .await
}

fn note_retry() {
    // Outside `counting_retries` (a CLI, a start-up step) nobody counts.
    let _ = TRANSACTION_RETRIES.try_with(|n| n.set(n.get() + 1));
}

/// Runs `body` in one multi-document transaction (snapshot reads, majority
/// writes) and commits it: every write in it happens or none does, and no
/// reader sees some of them. A transient failure (a write conflict, a lost
/// primary) runs the whole transaction again, up to
/// [`TRANSACTION_ATTEMPTS`] times; a commit whose result is unknown is
/// committed again. Any other error aborts and is returned.
pub async fn in_transaction<T, E, F>(
    database: &Database,
    context: &'static str,
    mut body: F,
) -> Result<T, E>
where
    E: TransactionError,
    F: AsyncFnMut(&mut mongodb::ClientSession) -> Result<T, E>,
{
    use mongodb::error::{TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT};
    use mongodb::options::{ReadConcern, WriteConcern};
    let mut session = database.client().start_session().await.context(context)?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        session
            .start_transaction()
            .read_concern(ReadConcern::snapshot())
            .write_concern(WriteConcern::majority())
            .await
            .context(context)?;
        let value = match body(&mut session).await {
            Ok(value) => value,
            Err(e) => {
                // Aborting may itself fail (the server is gone); the
                // transaction then dies with the session.
                let _ = session.abort_transaction().await;
                let transient = e
                    .store_error()
                    .is_some_and(StoreError::is_transient_transaction);
                if transient && attempt < TRANSACTION_ATTEMPTS {
                    note_retry();
                    backoff(attempt).await;
                    continue;
                }
                return Err(e);
            }
        };
        let mut commits = 0;
        loop {
            commits += 1;
            match session.commit_transaction().await {
                Ok(()) => return Ok(value),
                Err(e)
                    if e.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT)
                        && commits < TRANSACTION_ATTEMPTS => {}
                Err(e)
                    if e.contains_label(TRANSIENT_TRANSACTION_ERROR)
                        && attempt < TRANSACTION_ATTEMPTS =>
                {
                    break;
                }
                Err(e) => return Err(StoreError::from_driver(context, e).into()),
            }
        }
        note_retry();
        backoff(attempt).await;
    }
}

/// Adds the operation to a driver result: `.context("inserting a usage")?`.
pub trait Context<T> {
    fn context(self, context: &'static str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, Error> {
    fn context(self, context: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::from_driver(context, e))
    }
}

/// The index a duplicate-key error names: MongoDB says `... index: NAME dup key: ...`.
fn duplicate_index(err: &Error) -> Option<String> {
    let message = match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.message.clone(),
        ErrorKind::Command(e) => e.message.clone(),
        ErrorKind::InsertMany(e) => e
            .write_errors
            .as_ref()
            .and_then(|errors| errors.iter().find(|e| e.code == DUPLICATE_KEY))
            .map(|e| e.message.clone())
            .unwrap_or_default(),
        _ => return None,
    };
    let after = message.split("index: ").nth(1)?;
    let name = after.split_whitespace().next()?;
    Some(
        name.trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '_'))
            .to_owned(),
    )
}

const DUPLICATE_KEY: i32 = 11000;

/// The name of every collection's `_id` index (for [`StoreError::is_duplicate_on`]).
pub const PRIMARY_KEY: &str = "_id_";

/// A unique-index violation (code 11000).
pub fn is_duplicate_key(err: &Error) -> bool {
    match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == DUPLICATE_KEY,
        ErrorKind::Command(e) => e.code == DUPLICATE_KEY,
        ErrorKind::InsertMany(e) => e
            .write_errors
            .as_ref()
            .is_some_and(|errors| errors.iter().any(|e| e.code == DUPLICATE_KEY)),
        _ => false,
    }
}

/// The database could not be reached: worth a 503 and a retry, not a 500.
pub fn is_unavailable(err: &Error) -> bool {
    matches!(
        err.kind.as_ref(),
        ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::DnsResolve { .. }
            | ErrorKind::Shutdown
    ) || err.contains_label("RetryableWriteError")
        || err.contains_label("TransientTransactionError")
        // The storage engine's cache cannot hold the transaction now (other
        // transactions fill it): a retry later may fit.
        || error_code(err) == Some(TRANSACTION_TOO_LARGE_FOR_CACHE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command_error(code: i32, name: &str) -> Error {
        let error: mongodb::error::CommandError = mongodb::bson::from_document(
            doc! { "code": code, "codeName": name, "errmsg": "from the server" },
        )
        .expect("a command error");
        Error::from(ErrorKind::Command(error))
    }

    #[test]
    fn a_transaction_too_large_for_the_cache_is_a_retry_later() {
        let error = StoreError::from_driver(
            "importing usages",
            command_error(
                TRANSACTION_TOO_LARGE_FOR_CACHE,
                "TransactionTooLargeForCache",
            ),
        );
        assert!(error.is_unavailable(), "{error:?}");
    }

    #[test]
    fn a_write_conflict_is_recognised_and_another_failure_is_not_unavailable() {
        let conflict = StoreError::from_driver("x", command_error(WRITE_CONFLICT, "WriteConflict"));
        assert!(conflict.is_write_conflict());
        let other = StoreError::from_driver("x", command_error(2, "BadValue"));
        assert!(!other.is_write_conflict() && !other.is_unavailable());
    }
}
