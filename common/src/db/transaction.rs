//! [`in_transaction`]: the one way the services write more than one
//! document, with retries of transient failures.

use std::time::Duration;

use mongodb::Database;

use super::{Context, StoreError};

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
