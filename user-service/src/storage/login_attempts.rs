//! The `login_attempts` collection: wrong passwords per (account, client).
//!
//! One client that guesses wrong [`LockoutPolicy::failures_per_client`]
//! times in a row is locked out of that account, for a period that doubles
//! with each lock; other clients are not affected, so nobody can keep an
//! account locked for its owner from one address. Records are keyed by the
//! SHA-256 of the normalised email and the client, so an unknown email is
//! counted exactly like a known one (no write tells them apart).
//!
//! Every attempt is *reserved* before the password is verified: the
//! reservation is one conditional update that counts the attempt and is
//! refused while the pair is locked or has used up its attempts. A burst of
//! concurrent guesses therefore gets at most `failures_per_client`
//! verifications, however many requests read the state at once.

use std::net::IpAddr;

use bson::doc;
use mongodb::options::ReturnDocument;
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use common::db::{Context, StoreError};

pub const COLLECTION: &str = "login_attempts";
pub const EXPIRY_INDEX: &str = "expires_at_ttl";
/// A pair's record is forgotten this long after its last change.
const FORGET_AFTER_MS: i64 = 24 * 3600 * 1000;
/// How often a reservation that lost an insert race is tried again.
const RESERVE_ATTEMPTS: usize = 3;

/// How wrong passwords are limited (NIST SP 800-63B §5.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Wrong passwords in a row from one client before that client is
    /// locked out of the account (`LOGIN_FAILURES_PER_CLIENT`).
    pub failures_per_client: i32,
    /// The first lock's length; each further lock of the same pair doubles
    /// it (`LOGIN_LOCK_SECONDS`).
    pub first_lock_seconds: i64,
    /// The longest lock (`LOGIN_LOCK_MAX_SECONDS`).
    pub max_lock_seconds: i64,
    /// Wrong passwords in a row, from all clients together, after which
    /// only a password reset unlocks the account
    /// (`LOGIN_FAILURES_BEFORE_RESET`; NIST allows at most 100).
    pub failures_before_reset: i32,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            failures_per_client: 10,
            first_lock_seconds: 60,
            max_lock_seconds: 3600,
            failures_before_reset: 100,
        }
    }
}

impl LockoutPolicy {
    /// The length of a pair's lock number `locks` (0 for the first):
    /// doubling from the first, capped.
    pub fn lock_seconds(&self, locks: u32) -> i64 {
        let factor = 1_i64.checked_shl(locks.min(40)).unwrap_or(i64::MAX);
        self.first_lock_seconds
            .saturating_mul(factor)
            .min(self.max_lock_seconds)
    }
}

/// Identifies one (account, client) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptKey(String);

impl AttemptKey {
    /// `email` normalised as look-ups do; `client` the limiter key.
    pub fn new(email: &str, client: IpAddr) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(email.as_bytes());
        hasher.update([0]);
        hasher.update(client.to_string().as_bytes());
        Self(hex::encode(hasher.finalize()))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AttemptRecord {
    #[serde(rename = "_id")]
    key: String,
    /// Attempts in a row that did not succeed (reserved ones included).
    #[serde(default)]
    failures: i32,
    /// Locks so far; each doubles the next one's length.
    #[serde(default)]
    locks: u32,
    #[serde(default)]
    locked_until: Option<bson::DateTime>,
    expires_at: bson::DateTime,
}

/// A reserved attempt: verify the password, then report the outcome.
#[derive(Debug)]
pub struct Reservation {
    key: AttemptKey,
    /// The attempts of the pair counted so far, this one included.
    failures: i32,
    locks: u32,
}

pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (vec![common::db::ttl_index("expires_at", EXPIRY_INDEX)], &[])
}

fn attempts(db: &Database) -> Collection<AttemptRecord> {
    db.collection(COLLECTION)
}

fn in_ms(ms: i64) -> bson::DateTime {
    bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis().saturating_add(ms))
}

/// Counts an attempt of the pair before its password is checked. `None`
/// when the pair is locked or has no attempt left until its lock starts.
pub async fn reserve(
    db: &Database,
    key: &AttemptKey,
    policy: &LockoutPolicy,
) -> Result<Option<Reservation>, StoreError> {
    let now = bson::DateTime::now();
    for _ in 0..RESERVE_ATTEMPTS {
        let reserved = attempts(db)
            .find_one_and_update(
                doc! {
                    "_id": &key.0,
                    "failures": { "$not": { "$gte": policy.failures_per_client } },
                    "$or": [
                        { "locked_until": null },
                        { "locked_until": { "$lte": now } },
                    ],
                },
                doc! {
                    "$inc": { "failures": 1 },
                    "$set": { "expires_at": in_ms(FORGET_AFTER_MS) },
                },
            )
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await
            .context("login_attempts::reserve");
        match reserved {
            Ok(Some(record)) => {
                return Ok(Some(Reservation {
                    key: key.clone(),
                    failures: record.failures,
                    locks: record.locks,
                }));
            }
            Ok(None) => return Ok(None),
            // The filter did not match an existing record, so the upsert
            // tried to insert its `_id` again: the pair is locked or used
            // up, unless two first attempts raced to create the record.
            Err(e) if e.is_duplicate() => {
                let current = attempts(db)
                    .find_one(doc! { "_id": &key.0 })
                    .await
                    .context("login_attempts::reserve")?;
                let open = current.is_some_and(|r| {
                    r.failures < policy.failures_per_client
                        && r.locked_until.is_none_or(|until| until <= now)
                });
                if !open {
                    return Ok(None);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// The password was wrong. Returns whether this attempt locked the pair:
/// the one whose reservation reached the limit starts the lock, once.
pub async fn failed(
    db: &Database,
    reservation: &Reservation,
    policy: &LockoutPolicy,
) -> Result<bool, StoreError> {
    if reservation.failures < policy.failures_per_client {
        return Ok(false);
    }
    let lock_ms = policy.lock_seconds(reservation.locks).saturating_mul(1000);
    let until = in_ms(lock_ms);
    let locked = attempts(db)
        .update_one(
            doc! {
                "_id": &reservation.key.0,
                "failures": { "$gte": policy.failures_per_client },
            },
            doc! {
                "$set": {
                    "failures": 0,
                    "locked_until": until,
                    "expires_at": in_ms(lock_ms.saturating_add(FORGET_AFTER_MS)),
                },
                "$inc": { "locks": 1 },
            },
        )
        .await
        .context("login_attempts::failed")?
        .modified_count
        == 1;
    Ok(locked)
}

/// The attempt was never judged (the hasher was busy, the database failed):
/// it does not count.
pub async fn release(db: &Database, reservation: &Reservation) -> Result<(), StoreError> {
    attempts(db)
        .update_one(
            doc! { "_id": &reservation.key.0, "failures": { "$gt": 0 } },
            doc! { "$inc": { "failures": -1 } },
        )
        .await
        .context("login_attempts::release")?;
    Ok(())
}

/// The right password: the pair starts afresh.
pub async fn succeeded(db: &Database, reservation: &Reservation) -> Result<(), StoreError> {
    attempts(db)
        .delete_one(doc! { "_id": &reservation.key.0 })
        .await
        .context("login_attempts::succeeded")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_lock_doubles_up_to_the_maximum() {
        let policy = LockoutPolicy::default();
        let periods: Vec<i64> = (0..8).map(|n| policy.lock_seconds(n)).collect();
        assert_eq!(periods, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(policy.lock_seconds(u32::MAX), 3600);
    }

    #[test]
    fn keys_differ_by_client_and_by_account() {
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert_ne!(
            AttemptKey::new("x@example.com", a),
            AttemptKey::new("x@example.com", b)
        );
        assert_ne!(
            AttemptKey::new("x@example.com", a),
            AttemptKey::new("y@example.com", a)
        );
        assert_eq!(
            AttemptKey::new("x@example.com", a),
            AttemptKey::new("x@example.com", a)
        );
    }
}
