//! Instance-wide admission: how many heavy reads, exports and import (or
//! erase) transactions this instance runs at once, and how long a request
//! waits for a turn before it is told to come back (503 with
//! `Retry-After`). Without them one organization's summaries, counts or imports
//! could hold every database connection of the instance.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many of each run at once, and how long a request waits.
#[derive(Debug, Clone, Copy)]
pub struct SlotSettings {
    /// Summaries and counted or deep pages (`HEAVY_READ_CONCURRENCY`).
    pub heavy_reads: usize,
    /// Exports, each held while it streams (`EXPORT_CONCURRENCY`).
    pub exports: usize,
    /// Import transactions and erase batches (`IMPORT_CONCURRENCY`).
    pub imports: usize,
    /// The longest wait for a slot (`SLOT_MAX_WAIT_MS`).
    pub max_wait: Duration,
    /// The server-side limit of every aggregation, count and page query
    /// (`QUERY_MAX_TIME_MS`); exports are exempt.
    pub query_max_time: Duration,
}

/// Which kind of work a slot is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    HeavyRead,
    Import,
    /// Held by an export's stream until it ends.
    Export,
}

/// Every slot of a kind stayed taken for the longest wait.
#[derive(Debug, thiserror::Error)]
#[error("every {slot} slot stayed taken")]
pub struct NoSlot {
    pub slot: &'static str,
    pub retry_after_seconds: u64,
}

pub struct Slots {
    heavy_reads: Arc<Semaphore>,
    imports: Arc<Semaphore>,
    exports: Arc<Semaphore>,
    max_wait: Duration,
    pub query_max_time: Duration,
}

impl Slots {
    pub fn new(settings: &SlotSettings) -> Self {
        Self {
            heavy_reads: Arc::new(Semaphore::new(settings.heavy_reads)),
            imports: Arc::new(Semaphore::new(settings.imports)),
            exports: Arc::new(Semaphore::new(settings.exports)),
            max_wait: settings.max_wait,
            query_max_time: settings.query_max_time,
        }
    }

    fn retry_after(&self) -> u64 {
        self.max_wait.as_secs().max(1)
    }

    /// A turn for `slot`, waiting at most the longest wait; owned, so that
    /// a stream can hold it.
    pub async fn acquire(&self, slot: Slot) -> Result<OwnedSemaphorePermit, NoSlot> {
        let (semaphore, name) = match slot {
            Slot::HeavyRead => (&self.heavy_reads, "heavy read"),
            Slot::Import => (&self.imports, "import"),
            Slot::Export => (&self.exports, "export"),
        };
        match tokio::time::timeout(self.max_wait, semaphore.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(NoSlot {
                slot: name,
                retry_after_seconds: self.retry_after(),
            }),
        }
    }
}
