//! In-process keyed rate limiting: per client address, per account, per
//! token family. Limits are per instance (see the README's *Scaling*).

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::config::{ConfigError, Env};

/// How many checks between evictions of idle keys.
const EVICT_EVERY: u64 = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Sustained requests per key per minute; 0 disables the limit.
    pub per_minute: u32,
    /// Requests allowed at once before the per-minute rate applies.
    pub burst: u32,
}

impl RateLimitSettings {
    /// `{prefix}_PER_MINUTE` and `{prefix}_BURST` (burst defaults to
    /// `default_burst`, or to the per-minute figure when that is smaller).
    pub fn from_env(
        env: &Env,
        prefix: &str,
        default_per_minute: u32,
        default_burst: u32,
    ) -> Result<Self, ConfigError> {
        let per_minute: u32 = env.parse_or(&format!("{prefix}_PER_MINUTE"), default_per_minute)?;
        let burst_var = format!("{prefix}_BURST");
        let burst: u32 = env.parse_or(&burst_var, default_burst.min(per_minute.max(1)))?;
        if burst == 0 {
            return Err(ConfigError::new(&burst_var, "must be at least 1"));
        }
        Ok(Self { per_minute, burst })
    }
}

/// A limiter keyed by `K`. `check` answers how long to wait when a key is
/// over its quota.
pub struct RateLimiter<K: Hash + Eq + Clone> {
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(settings: &RateLimitSettings) -> Self {
        let limiter = NonZeroU32::new(settings.per_minute).map(|per_minute| {
            let burst = NonZeroU32::new(settings.burst).unwrap_or(NonZeroU32::MIN);
            governor::RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst))
        });
        Self {
            limiter,
            checks: AtomicU64::new(0),
        }
    }

    /// `Err(seconds to wait)` when `key` is over its quota.
    pub fn check(&self, key: &K) -> Result<(), u64> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(EVICT_EVERY)
        {
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    #[test]
    fn the_burst_passes_then_the_client_must_wait() {
        let limiter = RateLimiter::<IpAddr>::new(&RateLimitSettings {
            per_minute: 10,
            burst: 3,
        });
        let ip: IpAddr = "10.1.2.3".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(&ip).is_ok());
        }
        let wait = limiter.check(&ip).unwrap_err();
        assert!((1..=6).contains(&wait), "{wait}");
        assert!(
            limiter.check(&"10.9.9.9".parse().unwrap()).is_ok(),
            "other clients are unaffected"
        );
    }

    #[test]
    fn zero_per_minute_disables_the_limit() {
        let limiter = RateLimiter::<u64>::new(&RateLimitSettings {
            per_minute: 0,
            burst: 1,
        });
        for _ in 0..100 {
            assert!(limiter.check(&7).is_ok());
        }
    }

    #[test]
    fn settings_read_both_variables_and_refuse_a_zero_burst() {
        let env = Env::from_pairs([("X_PER_MINUTE", "30"), ("X_BURST", "4")]);
        assert_eq!(
            RateLimitSettings::from_env(&env, "X", 10, 5).unwrap(),
            RateLimitSettings {
                per_minute: 30,
                burst: 4
            }
        );
        let env = Env::from_pairs([("X_BURST", "0")]);
        assert_eq!(
            RateLimitSettings::from_env(&env, "X", 10, 5)
                .unwrap_err()
                .variable,
            "X_BURST"
        );
    }
}
