//! What the handlers share: the database, the usage-type cache and the
//! per-user limits, and the service objects built from them.

use std::sync::Arc;

use mongodb::Database;

use crate::limits::UserLimiters;
use crate::service::datasets::Datasets;
use crate::service::slots::Slots;
use crate::service::types::Types;
use crate::service::usages::Usages;
use crate::service::usages::writes::UserWrites;
use crate::type_cache::UsageTypeCache;

pub struct AppContext {
    pub db: Database,
    /// Every type, read on nearly every request (see `type_cache`).
    pub types: Arc<UsageTypeCache>,
    pub limiters: UserLimiters,
    /// Queues each user's usage writes in this process.
    pub writes: Arc<UserWrites>,
    /// What this instance runs at once (see `service::slots`).
    pub slots: Slots,
}

impl AppContext {
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

    pub fn types(&self) -> Types<'_> {
        Types {
            db: &self.db,
            cache: &self.types,
        }
    }
}
