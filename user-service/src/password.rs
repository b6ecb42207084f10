//! Argon2id hashing, always on the blocking pool: one hash is ~20 MiB and
//! tens of milliseconds of CPU, which must never run on an async worker.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use common::metrics::Metrics;
use rand::rngs::OsRng;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub const PERMITS_IN_USE: &str = "password_hash_permits_in_use";

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every slot stayed taken for `PASSWORD_HASH_MAX_WAIT_MS`: retrying
    /// after `retry_after_seconds` helps.
    #[error("password hashing is saturated")]
    Busy { retry_after_seconds: u64 },
    #[error("argon2 failed: {0}")]
    Argon2(argon2::password_hash::Error),
    #[error("argon2's parameters were refused: {0}")]
    Parameters(argon2::Error),
    #[error("the hashing task did not finish")]
    Task(#[source] tokio::task::JoinError),
}

/// OWASP's argon2id parameters: m = 19 MiB, t = 2, p = 1.
fn argon2() -> Result<Argon2<'static>, HashError> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(HashError::Parameters)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_now(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(HashError::Argon2)?
        .to_string())
}

fn verify_now(password: &str, phc: &str) -> Result<bool, HashError> {
    let parsed = PasswordHash::new(phc).map_err(HashError::Argon2)?;
    // Parameters come from the PHC string, so old hashes keep verifying.
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// Which callers a hash is computed for. Each pool has its own slots, so
/// signed-in accounts checking their current password (`PATCH` and
/// `DELETE /users/me`) can never starve logins, registrations and resets,
/// nor the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashPool {
    /// Logins, registrations, resets and the bootstrap
    /// (`PASSWORD_HASH_CONCURRENCY`).
    SignIn,
    /// Signed-in callers: current-password checks and their new passwords,
    /// and administrators setting one (`ACCOUNT_PASSWORD_HASH_CONCURRENCY`).
    Account,
}

/// Hashes and verifies passwords off the async workers.
#[derive(Clone)]
pub struct PasswordHasher {
    /// Verified against when the account does not exist, so an unknown
    /// email costs the same time as a wrong password.
    dummy_hash: String,
    /// Verifications run so far, and how many of them were against the
    /// dummy hash (tests tell real checks of a password from the others).
    verifications: Arc<AtomicU64>,
    dummy_verifications: Arc<AtomicU64>,
    /// Requests waiting for a slot now, and the most seen at once (the
    /// `password_hash_waiting` gauge; tests prove a burst was concurrent).
    waiting: Arc<AtomicU64>,
    peak_waiting: Arc<AtomicU64>,
    /// Bound the hashes running at once, per pool. Each takes 19 MiB and a
    /// core; the blocking pool alone would run hundreds during a login
    /// flood (the benchmark saw 6 GiB of RSS). Waiting callers queue here,
    /// in order, for at most `max_wait`.
    sign_in: Arc<tokio::sync::Semaphore>,
    account: Arc<tokio::sync::Semaphore>,
    max_wait: Duration,
    /// The application's registry, for the two gauges.
    metrics: Metrics,
}

/// A hashing slot; the gauge counts it until it is dropped.
struct Permit<'a> {
    _permit: tokio::sync::SemaphorePermit<'a>,
    metrics: &'a Metrics,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.metrics
            .record(|| metrics::gauge!(PERMITS_IN_USE).decrement(1.0));
    }
}

/// Counts a caller as waiting until it is dropped.
struct Waiting<'a> {
    count: &'a AtomicU64,
    metrics: &'a Metrics,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
        self.metrics
            .record(|| metrics::gauge!(WAITING).decrement(1.0));
    }
}

pub const WAITING: &str = "password_hash_waiting";

impl PasswordHasher {
    /// `sign_in` and `account`: hashes allowed at once in each pool (at
    /// least 1); `max_wait`: how long a request may wait for one before it
    /// is refused with 503.
    pub fn new(
        sign_in: usize,
        account: usize,
        max_wait: Duration,
        metrics: Metrics,
    ) -> Result<Self, HashError> {
        let dummy: String = {
            use rand::Rng;
            rand::thread_rng()
                .sample_iter(&rand::distributions::Alphanumeric)
                .take(24)
                .map(char::from)
                .collect()
        };
        Ok(Self {
            dummy_hash: hash_now(&dummy)?,
            verifications: Arc::default(),
            dummy_verifications: Arc::default(),
            waiting: Arc::default(),
            peak_waiting: Arc::default(),
            sign_in: Arc::new(tokio::sync::Semaphore::new(sign_in.max(1))),
            account: Arc::new(tokio::sync::Semaphore::new(account.max(1))),
            max_wait,
            metrics,
        })
    }

    /// A hashing slot of `pool`, or 503 when none frees up within
    /// `max_wait`: a flood is refused early instead of queueing without
    /// bound.
    async fn permit(&self, pool: HashPool) -> Result<Permit<'_>, HashError> {
        let semaphore = match pool {
            HashPool::SignIn => &self.sign_in,
            HashPool::Account => &self.account,
        };
        let now_waiting = self.waiting.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_waiting.fetch_max(now_waiting, Ordering::Relaxed);
        self.metrics
            .record(|| metrics::gauge!(WAITING).increment(1.0));
        let _waiting = Waiting {
            count: &self.waiting,
            metrics: &self.metrics,
        };
        let busy = || HashError::Busy {
            retry_after_seconds: self.max_wait.as_secs().max(1),
        };
        match tokio::time::timeout(self.max_wait, semaphore.acquire()).await {
            Ok(Ok(permit)) => {
                self.metrics
                    .record(|| metrics::gauge!(PERMITS_IN_USE).increment(1.0));
                Ok(Permit {
                    _permit: permit,
                    metrics: &self.metrics,
                })
            }
            // The semaphores are never closed; if one were, nothing could hash.
            Ok(Err(_closed)) => Err(busy()),
            Err(_) => {
                tracing::warn!(
                    ?pool,
                    waited_ms = self.max_wait.as_millis() as u64,
                    "password hashing saturated; refusing"
                );
                Err(busy())
            }
        }
    }

    pub async fn hash(&self, pool: HashPool, password: &str) -> Result<String, HashError> {
        let password = password.to_owned();
        let _permit = self.permit(pool).await?;
        on_blocking_thread(move || hash_now(&password)).await?
    }

    pub async fn verify(
        &self,
        pool: HashPool,
        password: &str,
        phc: &str,
    ) -> Result<bool, HashError> {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let (password, phc) = (password.to_owned(), phc.to_owned());
        let _permit = self.permit(pool).await?;
        on_blocking_thread(move || verify_now(&password, &phc)).await?
    }

    /// Every verification so far, dummy ones included.
    pub fn verification_count(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Verifications of a real password hash so far.
    pub fn real_verification_count(&self) -> u64 {
        self.verification_count() - self.dummy_verifications.load(Ordering::Relaxed)
    }

    /// The most requests that waited for a hashing slot at once.
    pub fn peak_waiting(&self) -> u64 {
        self.peak_waiting.load(Ordering::Relaxed)
    }

    /// Spends a verification's time and always fails.
    pub async fn verify_dummy(&self, pool: HashPool, password: &str) -> Result<bool, HashError> {
        self.dummy_verifications.fetch_add(1, Ordering::Relaxed);
        self.verify(pool, password, &self.dummy_hash.clone())
            .await
            .map(|_| false)
    }
}

/// Runs `work` on the blocking pool inside the caller's span, so that its
/// log lines (a hashing failure) carry the request id.
async fn on_blocking_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work))
        .await
        .map_err(HashError::Task)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_with_owasp_parameters() {
        let phc = hash_now("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_now("correct horse", &phc).unwrap());
        assert!(!verify_now("wrong horse", &phc).unwrap());
    }
}
