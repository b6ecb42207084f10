//! The in-process usage-type cache. Types are read on nearly every request
//! and written almost never: a write on this instance invalidates at once;
//! other instances' writes show within the TTL (at most 30 s).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use mongodb::Database;

use crate::domain::ids::UsageTypeId;
use crate::domain::usage_type::UsageType;
use crate::storage::usage_types;
use common::db::StoreError;

struct Loaded {
    at: Instant,
    types: Arc<Vec<UsageType>>,
}

pub struct UsageTypeCache {
    ttl: Duration,
    loaded: RwLock<Option<Loaded>>,
    /// Bumped by every invalidation. A reload stores its list only if no
    /// invalidation happened while it read: otherwise a read that began
    /// before a write could put the pre-write list back.
    generation: AtomicU64,
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
            generation: AtomicU64::new(0),
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    fn snapshot(&self) -> Option<(Instant, Arc<Vec<UsageType>>)> {
        self.loaded
            .read()
            .ok()
            .and_then(|guard| guard.as_ref().map(|l| (l.at, l.types.clone())))
    }

    /// Runs `load` and caches its list, unless the cache was invalidated
    /// meanwhile (then the list is returned but not kept).
    pub async fn reload_with(
        &self,
        load: impl Future<Output = Result<Vec<UsageType>, StoreError>>,
    ) -> Result<Arc<Vec<UsageType>>, StoreError> {
        let generation = self.generation.load(Ordering::SeqCst);
        let types = Arc::new(load.await?);
        if let Ok(mut guard) = self.loaded.write()
            && self.generation.load(Ordering::SeqCst) == generation
        {
            *guard = Some(Loaded {
                at: Instant::now(),
                types: types.clone(),
            });
        }
        Ok(types)
    }

    /// Every type, ordered by id. After expiry one request reloads while
    /// the others keep serving the previous list.
    pub async fn all(&self, db: &Database) -> Result<Arc<Vec<UsageType>>, StoreError> {
        match self.snapshot() {
            Some((at, types)) if at.elapsed() < self.ttl => Ok(types),
            Some((_, stale)) => match self.reloading.try_lock() {
                Ok(_reloading) => self.reload_with(usage_types::all(db)).await,
                Err(_) => Ok(stale),
            },
            None => {
                let _reloading = self.reloading.lock().await;
                // Another request may have loaded it while this one waited.
                match self.snapshot() {
                    Some((_, types)) => Ok(types),
                    None => self.reload_with(usage_types::all(db)).await,
                }
            }
        }
    }

    /// One type; a miss falls through to the database, so a type another
    /// instance just created is usable at once.
    pub async fn get(
        &self,
        db: &Database,
        id: UsageTypeId,
    ) -> Result<Option<UsageType>, StoreError> {
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

    /// The types among `ids` that exist: from the cached list, and the
    /// misses from the database in one query (a type another instance just
    /// created is usable at once), however many ids there are.
    pub async fn get_many(
        &self,
        db: &Database,
        ids: &[UsageTypeId],
    ) -> Result<HashMap<UsageTypeId, UsageType>, StoreError> {
        let types = self.all(db).await?;
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        for &id in ids {
            match types.binary_search_by_key(&id, |t| t.id) {
                Ok(i) => {
                    found.insert(id, types[i].clone());
                }
                Err(_) => missing.push(id),
            }
        }
        if !missing.is_empty() {
            let fresh = usage_types::find_many(db, &missing).await?;
            if !fresh.is_empty() {
                self.invalidate();
            }
            found.extend(fresh.into_iter().map(|t| (t.id, t)));
        }
        Ok(found)
    }

    /// The cached list, if any, without loading (for tests and metrics).
    pub fn cached(&self) -> Option<Arc<Vec<UsageType>>> {
        self.snapshot().map(|(_, types)| types)
    }

    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut guard) = self.loaded.write() {
            *guard = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(factor: f64) -> Vec<UsageType> {
        let fields = crate::domain::usage_type::UsageTypeFields {
            name: "electricity".into(),
            unit: "kWh".into(),
            factor: Some(factor),
            scope: 2,
            ..Default::default()
        };
        vec![UsageType::parse(100, &fields, &crate::domain::dataset::Dataset::custom()).unwrap()]
    }

    #[tokio::test]
    async fn a_reload_that_began_before_an_invalidation_does_not_store_its_stale_list() {
        let cache = Arc::new(UsageTypeCache::new(Duration::from_secs(30)));
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let reload = tokio::spawn({
            let cache = cache.clone();
            async move {
                cache
                    .reload_with(async move {
                        // The read happened before the write below...
                        let _ = released.await;
                        Ok(types(1.5))
                    })
                    .await
            }
        });
        tokio::task::yield_now().await;
        // ...a write invalidates while the read is in flight...
        cache.invalidate();
        let _ = release.send(());
        // ...and the old list must not come back as the cached one.
        assert_eq!(reload.await.unwrap().unwrap()[0].factor, 1.5);
        assert!(cache.cached().is_none(), "the stale list was cached");

        // A reload that starts after the write is kept.
        cache.reload_with(async { Ok(types(2.0)) }).await.unwrap();
        assert_eq!(cache.cached().unwrap()[0].factor, 2.0);
    }
}
