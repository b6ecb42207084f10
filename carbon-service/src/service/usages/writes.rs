//! One organization's usage writes, one at a time in this process, and the creates
//! that arrive meanwhile grouped into one transaction.
//!
//! Every usage write of an organization changes the same few documents (the quota
//! count, the month's rollup), so two concurrent transactions of one organization
//! conflict and one of them runs again. Queuing them here turns that wasted
//! work into a short wait; writes from other instances still conflict now
//! and then, and `common::db::in_transaction` retries those. Queuing alone
//! would cap one organization's creates at one transaction at a time, so creates
//! queue their usage here, and whichever of them gets the organization's lock next
//! writes every queued create in one transaction and answers them all (see
//! `service::usages`): no task of its own, nothing left unanswered when a
//! request goes away.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};

use tokio::sync::{Mutex, MutexGuard};

use common::audit::store::Head;
use common::ids::OrgId;

use super::PendingCreate;
use crate::domain::period::InventorySettings;

/// Locks shared by hash: memory stays fixed however many users write, and
/// two users rarely share one (then they queue behind each other).
const STRIPES: usize = 1024;

/// The most organizations whose head and settings one process keeps.
const MAX_KNOWN: usize = 10_000;

pub struct UserWrites {
    stripes: Vec<Mutex<()>>,
    hasher: RandomState,
    /// Creates waiting for their organization's next transaction.
    creates: std::sync::Mutex<HashMap<OrgId, Vec<PendingCreate>>>,
    /// Users with an import in flight here (one each).
    importing: std::sync::Mutex<HashSet<OrgId>>,
    /// Each organization's audit head after this process's last committed
    /// create batch, and the settings that batch read: the next batch that
    /// trusts them skips two reads. Every settings change and lock moves
    /// the head, so the batch's conditional move of the head
    /// (`audit::store::append_after`) also catches settings gone stale.
    /// Bounded: emptied when it holds [`MAX_KNOWN`].
    known: std::sync::Mutex<HashMap<OrgId, (Head, InventorySettings)>>,
}

/// An organization's one import in flight in this instance, from before its body is
/// read until it is answered; ends when dropped.
pub struct ImportTurn<'a> {
    writes: &'a UserWrites,
    org_id: OrgId,
}

impl ImportTurn<'_> {
    pub fn org_id(&self) -> OrgId {
        self.org_id
    }
}

impl Drop for ImportTurn<'_> {
    fn drop(&mut self) {
        self.writes.importing().remove(&self.org_id);
    }
}

impl Default for UserWrites {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            hasher: RandomState::new(),
            creates: std::sync::Mutex::new(HashMap::new()),
            importing: std::sync::Mutex::new(HashSet::new()),
            known: std::sync::Mutex::new(HashMap::new()),
        }
    }
}

impl UserWrites {
    /// Waits until no other write of this organization runs here.
    pub async fn lock(&self, org_id: OrgId) -> MutexGuard<'_, ()> {
        let index = (self.hasher.hash_one(org_id) as usize) % STRIPES;
        self.stripes[index].lock().await
    }

    fn creates(&self) -> std::sync::MutexGuard<'_, HashMap<OrgId, Vec<PendingCreate>>> {
        // A panic while holding it leaves only a queue of plain values.
        self.creates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn importing(&self) -> std::sync::MutexGuard<'_, HashSet<OrgId>> {
        // A panic while holding it leaves only a set of plain values.
        self.importing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn known_heads(&self) -> std::sync::MutexGuard<'_, HashMap<OrgId, (Head, InventorySettings)>> {
        // A panic while holding it leaves only plain values.
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The organization's audit head as this process last committed it,
    /// and its settings then.
    pub fn known(&self, org_id: OrgId) -> Option<(Head, InventorySettings)> {
        self.known_heads().get(&org_id).cloned()
    }

    /// After a batch committed: its head, and the settings it read.
    pub fn committed(&self, head: Head, settings: InventorySettings) {
        let mut known = self.known_heads();
        if known.len() >= MAX_KNOWN {
            known.clear();
        }
        known.insert(head.org_id, (head, settings));
    }

    /// After a batch found them stale.
    pub fn forget(&self, org_id: OrgId) {
        self.known_heads().remove(&org_id);
    }

    /// The organization's import turn, `None` while another import of its is
    /// in flight.
    pub fn begin_import(&self, org_id: OrgId) -> Option<ImportTurn<'_>> {
        // The guard is released before a turn exists: a turn dropped while
        // it is held would lock the set again.
        let first = self.importing().insert(org_id);
        first.then(|| ImportTurn {
            writes: self,
            org_id,
        })
    }

    /// Queues a create for the organization's next transaction.
    pub fn enqueue(&self, org_id: OrgId, create: PendingCreate) {
        self.creates().entry(org_id).or_default().push(create);
    }

    /// Up to `max` of the organization's queued creates, oldest first.
    pub fn take(&self, org_id: OrgId, max: usize) -> Vec<PendingCreate> {
        let mut queues = self.creates();
        let Some(queue) = queues.get_mut(&org_id) else {
            return Vec::new();
        };
        let n = queue.len().min(max);
        let taken: Vec<PendingCreate> = queue.drain(..n).collect();
        if queue.is_empty() {
            queues.remove(&org_id);
        }
        taken
    }
}
