//! What the handlers share: the database, the usage-type cache and the
//! per-user limits, and the service objects built from them.

use std::sync::Arc;

use mongodb::Database;

use crate::limits::UserLimiters;
use crate::service::datasets::Datasets;
use crate::service::instruments::Instruments;
use crate::service::slots::Slots;
use crate::service::types::Types;
use crate::service::usages::Usages;
use crate::service::usages::writes::UserWrites;
use crate::type_cache::UsageTypeCache;

pub struct AppContext {
    db: Database,
    /// Every type, read on nearly every request (see `type_cache`).
    types: Arc<UsageTypeCache>,
    limiters: UserLimiters,
    /// Queues each user's usage writes in this process.
    writes: Arc<UserWrites>,
    /// What this instance runs at once (see `service::slots`).
    slots: Slots,
}

impl AppContext {
    pub fn new(db: Database, types: UsageTypeCache, limiters: UserLimiters, slots: Slots) -> Self {
        Self {
            db,
            types: Arc::new(types),
            limiters,
            writes: Arc::new(UserWrites::default()),
            slots,
        }
    }

    pub fn db(&self) -> &Database {
        &self.db
    }

    pub fn type_cache(&self) -> &UsageTypeCache {
        &self.types
    }

    pub fn limiters(&self) -> &UserLimiters {
        &self.limiters
    }

    pub fn writes(&self) -> &UserWrites {
        &self.writes
    }

    pub fn slots(&self) -> &Slots {
        &self.slots
    }

    pub fn usages(&self) -> Usages<'_> {
        Usages {
            db: &self.db,
            types: &self.types,
            quota: self.limiters.usage_quota,
            writes: &self.writes,
            slots: &self.slots,
        }
    }

    pub fn datasets(&self) -> Datasets<'_> {
        Datasets {
            db: &self.db,
            cache: &self.types,
        }
    }

    pub fn facilities(&self) -> crate::service::facilities::Facilities<'_> {
        crate::service::facilities::Facilities {
            db: &self.db,
            types: &self.types,
        }
    }

    pub fn instruments(&self) -> Instruments<'_> {
        Instruments { db: &self.db }
    }

    pub fn periods(&self) -> crate::service::periods::Periods<'_> {
        crate::service::periods::Periods { db: &self.db }
    }

    pub fn restatements(&self) -> crate::service::restatement::Restatements<'_> {
        crate::service::restatement::Restatements {
            db: &self.db,
            types: &self.types,
            slots: &self.slots,
        }
    }

    pub fn trail(&self) -> crate::service::audit::Trail<'_> {
        crate::service::audit::Trail {
            db: &self.db,
            slots: &self.slots,
        }
    }

    pub fn types(&self) -> Types<'_> {
        Types {
            db: &self.db,
            cache: &self.types,
        }
    }
}
