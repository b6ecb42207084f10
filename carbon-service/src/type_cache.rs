//! The in-process usage-type cache. Types are read on nearly every request
//! and written almost never: a write on this instance invalidates at once;
//! other instances' writes show within the TTL (at most 30 s).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use mongodb::Database;

use crate::domain::usage_type::UsageType;
use crate::storage::usage_types;
use common::error::ApiError;

pub struct UsageTypeCache {
    ttl: Duration,
    loaded: RwLock<Option<(Instant, Arc<Vec<UsageType>>)>>,
    /// Held by the one request that reloads. Without it every request
    /// arriving after expiry reloaded at once, and behind a slow database
    /// even `GET /types` stalled (seen in the benchmark).
    reloading: tokio::sync::Mutex<()>,
}

impl UsageTypeCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            loaded: RwLock::new(None),
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    fn snapshot(&self) -> Option<(Instant, Arc<Vec<UsageType>>)> {
        self.loaded.read().ok().and_then(|guard| guard.clone())
    }

    async fn reload(&self, db: &Database) -> Result<Arc<Vec<UsageType>>, ApiError> {
        let types = Arc::new(usage_types::all(db).await?);
        if let Ok(mut guard) = self.loaded.write() {
            *guard = Some((Instant::now(), types.clone()));
        }
        Ok(types)
    }

    /// Every type, ordered by id. After expiry one request reloads while
    /// the others keep serving the previous list.
    pub async fn all(&self, db: &Database) -> Result<Arc<Vec<UsageType>>, ApiError> {
        match self.snapshot() {
            Some((at, types)) if at.elapsed() < self.ttl => Ok(types),
            Some((_, stale)) => match self.reloading.try_lock() {
                Ok(_reloading) => self.reload(db).await,
                Err(_) => Ok(stale),
            },
            None => {
                let _reloading = self.reloading.lock().await;
                // Another request may have loaded it while this one waited.
                match self.snapshot() {
                    Some((_, types)) => Ok(types),
                    None => self.reload(db).await,
                }
            }
        }
    }

    /// One type; a miss falls through to the database, so a type another
    /// instance just created is usable at once.
    pub async fn get(&self, db: &Database, id: i64) -> Result<Option<UsageType>, ApiError> {
        let types = self.all(db).await?;
        if let Ok(i) = types.binary_search_by_key(&id, |t| t.id) {
            return Ok(Some(types[i].clone()));
        }
        let found = usage_types::find(db, id).await?;
        if found.is_some() {
            self.invalidate();
        }
        Ok(found)
    }

    pub fn invalidate(&self) {
        if let Ok(mut guard) = self.loaded.write() {
            *guard = None;
        }
    }
}
