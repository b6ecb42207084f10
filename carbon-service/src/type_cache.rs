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
}

impl UsageTypeCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            loaded: RwLock::new(None),
        }
    }

    /// Every type, ordered by id.
    pub async fn all(&self, db: &Database) -> Result<Arc<Vec<UsageType>>, ApiError> {
        if let Ok(guard) = self.loaded.read()
            && let Some((at, types)) = guard.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(types.clone());
        }
        let types = Arc::new(usage_types::all(db).await?);
        if let Ok(mut guard) = self.loaded.write() {
            *guard = Some((Instant::now(), types.clone()));
        }
        Ok(types)
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
