//! One user's usage writes run one at a time in this process.
//!
//! Every usage write of a user changes the same few documents (the quota
//! count, the rollup of the month), so two concurrent transactions of one
//! user conflict, and one of them runs again. Queuing them here instead
//! turns that wasted work into a short wait; writes from other instances
//! still conflict now and then, and `common::db::in_transaction` retries
//! those.

use std::hash::{BuildHasher, RandomState};

use tokio::sync::{Mutex, MutexGuard};

use common::ids::UserId;

/// Locks shared by hash: memory stays fixed however many users write, and
/// two users rarely share one (then they queue behind each other).
const STRIPES: usize = 1024;

pub struct UserLocks {
    stripes: Vec<Mutex<()>>,
    hasher: RandomState,
}

impl Default for UserLocks {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            hasher: RandomState::new(),
        }
    }
}

impl UserLocks {
    /// Waits until no other write of this user runs here.
    pub async fn lock(&self, user_id: UserId) -> MutexGuard<'_, ()> {
        let index = (self.hasher.hash_one(user_id) as usize) % STRIPES;
        self.stripes[index].lock().await
    }
}
