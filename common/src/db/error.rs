//! [`StoreError`]: a storage operation that failed, in database terms, and
//! the server's error codes it is told apart by.

use mongodb::error::{Error, ErrorKind, WriteFailure};

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
    /// What the transaction read and relied on was changed by another
    /// writer first (an optimistic check found it moved): running the
    /// transaction again, reading afresh, may succeed.
    #[error("{context}: changed by another writer meanwhile")]
    Moved { context: &'static str },
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
            Self::Malformed { .. } | Self::Moved { .. } => None,
        }
    }

    /// A transaction lost to another (a write conflict) or to a passing
    /// failure: running the whole transaction again may succeed.
    pub fn is_transient_transaction(&self) -> bool {
        matches!(self, Self::Moved { .. })
            || self
                .driver()
                .is_some_and(|e| e.contains_label(mongodb::error::TRANSIENT_TRANSACTION_ERROR))
    }

    /// Another transaction wrote the same document first (`WriteConflict`).
    pub fn is_write_conflict(&self) -> bool {
        self.driver()
            .is_some_and(|e| error_code(e) == Some(WRITE_CONFLICT))
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
    use mongodb::bson::doc;

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
