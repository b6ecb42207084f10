//! MongoDB start-up, index management and error classification.
//!
//! The services are written for MongoDB 7 semantics and run on any
//! deployment of it (standalone, replica set, sharded through mongos), and on
//! the MongoDB-compatible SecantusDB used for development and tests.
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
    #[error("invalid configuration: MONGODB_URI {0}")]
    InvalidUri(String),
    #[error("the database did not answer after {attempts} attempts; last error: {last_error}")]
    Unreachable { attempts: u32, last_error: String },
    #[error("creating indexes on `{collection}` failed: {error}")]
    Index { collection: String, error: String },
}

/// Parses the URI and builds a client without contacting the server.
pub async fn client_for(
    settings: &MongoSettings,
    app_name: &str,
) -> Result<(Client, String), DatabaseStartupError> {
    let mut options = ClientOptions::parse(&settings.uri)
        .await
        .map_err(|e| DatabaseStartupError::InvalidUri(format!("cannot be parsed: {e}")))?;
    let database = options.default_database.clone().ok_or_else(|| {
        DatabaseStartupError::InvalidUri(
            "must name the database in its path, e.g. mongodb://host:27017/users".into(),
        )
    })?;
    options.app_name = Some(app_name.to_owned());
    options.server_selection_timeout = Some(settings.server_selection_timeout);
    options.connect_timeout = Some(settings.server_selection_timeout);
    let client = Client::with_options(options)
        .map_err(|e| DatabaseStartupError::InvalidUri(format!("is not usable: {e}")))?;
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
    let mut last_error = String::new();
    for attempt in 1..=settings.connect_attempts {
        match ping(&database).await {
            Ok(()) => {
                tracing::info!(attempt, database = %name, "connected to the database");
                return Ok(database);
            }
            Err(e) => {
                last_error = e.to_string();
                tracing::warn!(
                    attempt,
                    max_attempts = settings.connect_attempts,
                    retry_in_ms = delay.as_millis() as u64,
                    error = %e,
                    "database not reachable yet"
                );
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
        error: e.to_string(),
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

    /// A duplicate key on the unique index `name`.
    pub fn is_duplicate_on(&self, name: &str) -> bool {
        matches!(self, Self::Duplicate { index: Some(index), .. } if index == name)
    }

    /// A duplicate key, on whatever index.
    pub fn is_duplicate(&self) -> bool {
        matches!(self, Self::Duplicate { .. })
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
}
