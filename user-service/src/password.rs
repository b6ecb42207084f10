//! Argon2id hashing, always on the blocking pool: one hash is ~20 MiB and
//! tens of milliseconds of CPU, which must never run on an async worker.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use common::error::ApiError;
use rand::rngs::OsRng;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub const PERMITS_IN_USE: &str = "password_hash_permits_in_use";

/// OWASP's argon2id parameters: m = 19 MiB, t = 2, p = 1.
fn argon2() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(ApiError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_now(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(ApiError::internal)?
        .to_string())
}

fn verify_now(password: &str, phc: &str) -> Result<bool, ApiError> {
    let parsed = PasswordHash::new(phc).map_err(ApiError::internal)?;
    // Parameters come from the PHC string, so old hashes keep verifying.
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// Hashes and verifies passwords off the async workers.
#[derive(Clone)]
pub struct PasswordHasher {
    /// Verified against when the account does not exist, so an unknown
    /// email costs the same time as a wrong password.
    dummy_hash: String,
    /// Verifications run so far (a metric; tests use it to see the dummy
    /// verification happen).
    verifications: Arc<AtomicU64>,
    /// Bounds the hashes running at once. Each takes 19 MiB and a core; the
    /// blocking pool alone would run hundreds during a login flood (the
    /// benchmark saw 6 GiB of RSS). Waiting callers queue here, in order,
    /// for at most `max_wait`.
    permits: Arc<tokio::sync::Semaphore>,
    max_wait: Duration,
}

/// A hashing slot; the gauge counts it until it is dropped.
struct Permit<'a>(#[allow(dead_code)] tokio::sync::SemaphorePermit<'a>);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        metrics::gauge!(PERMITS_IN_USE).decrement(1.0);
    }
}

impl PasswordHasher {
    /// `concurrency`: hashes allowed at once (at least 1); `max_wait`: how
    /// long a request may wait for one before it is refused with 503.
    pub fn new(concurrency: usize, max_wait: Duration) -> Result<Self, ApiError> {
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
            permits: Arc::new(tokio::sync::Semaphore::new(concurrency.max(1))),
            max_wait,
        })
    }

    /// A hashing slot, or 503 when none frees up within `max_wait`: a flood
    /// is refused early instead of queueing without bound.
    async fn permit(&self) -> Result<Permit<'_>, ApiError> {
        match tokio::time::timeout(self.max_wait, self.permits.acquire()).await {
            Ok(Ok(permit)) => {
                metrics::gauge!(PERMITS_IN_USE).increment(1.0);
                Ok(Permit(permit))
            }
            Ok(Err(closed)) => Err(ApiError::internal(closed)),
            Err(_) => {
                tracing::warn!(
                    waited_ms = self.max_wait.as_millis() as u64,
                    "password hashing saturated; refusing"
                );
                Err(ApiError::Busy {
                    retry_after_seconds: self.max_wait.as_secs().max(1),
                })
            }
        }
    }

    pub async fn hash(&self, password: &str) -> Result<String, ApiError> {
        let password = password.to_owned();
        let _permit = self.permit().await?;
        actix_web::web::block(move || hash_now(&password))
            .await
            .map_err(ApiError::internal)?
    }

    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, ApiError> {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let (password, phc) = (password.to_owned(), phc.to_owned());
        let _permit = self.permit().await?;
        actix_web::web::block(move || verify_now(&password, &phc))
            .await
            .map_err(ApiError::internal)?
    }

    pub fn verification_count(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Spends a verification's time and always fails.
    pub async fn verify_dummy(&self, password: &str) -> Result<bool, ApiError> {
        self.verify(password, &self.dummy_hash.clone())
            .await
            .map(|_| false)
    }
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
