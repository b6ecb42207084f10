//! One user's usage writes, one at a time in this process, and the creates
//! that arrive meanwhile grouped into one transaction.
//!
//! Every usage write of a user changes the same few documents (the quota
//! count, the month's rollup), so two concurrent transactions of one user
//! conflict and one of them runs again. Queuing them here turns that wasted
//! work into a short wait; writes from other instances still conflict now
//! and then, and `common::db::in_transaction` retries those. Queuing alone
//! would cap one user's creates at one transaction at a time, so creates
//! queue their usage here, and whichever of them gets the user's lock next
//! writes every queued create in one transaction and answers them all (see
//! `service::usages`): no task of its own, nothing left unanswered when a
//! request goes away.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use tokio::sync::{Mutex, MutexGuard};

use common::ids::UserId;

use super::usages::PendingCreate;

/// Locks shared by hash: memory stays fixed however many users write, and
/// two users rarely share one (then they queue behind each other).
const STRIPES: usize = 1024;

pub struct UserWrites {
    stripes: Vec<Mutex<()>>,
    hasher: RandomState,
    /// Creates waiting for their user's next transaction.
    creates: std::sync::Mutex<HashMap<UserId, Vec<PendingCreate>>>,
}

impl Default for UserWrites {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            hasher: RandomState::new(),
            creates: std::sync::Mutex::new(HashMap::new()),
        }
    }
}

impl UserWrites {
    /// Waits until no other write of this user runs here.
    pub async fn lock(&self, user_id: UserId) -> MutexGuard<'_, ()> {
        let index = (self.hasher.hash_one(user_id) as usize) % STRIPES;
        self.stripes[index].lock().await
    }

    fn creates(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, Vec<PendingCreate>>> {
        // A panic while holding it leaves only a queue of plain values.
        self.creates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues a create for the user's next transaction.
    pub fn enqueue(&self, user_id: UserId, create: PendingCreate) {
        self.creates().entry(user_id).or_default().push(create);
    }

    /// Up to `max` of the user's queued creates, oldest first.
    pub fn take(&self, user_id: UserId, max: usize) -> Vec<PendingCreate> {
        let mut queues = self.creates();
        let Some(queue) = queues.get_mut(&user_id) else {
            return Vec::new();
        };
        let n = queue.len().min(max);
        let taken: Vec<PendingCreate> = queue.drain(..n).collect();
        if queue.is_empty() {
            queues.remove(&user_id);
        }
        taken
    }
}
