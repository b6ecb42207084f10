//! Per-client rate limiting (keys from `client_address`): one limiter for
//! login and refresh, one for registration and the mail-sending endpoints.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::configuration::RateLimitSettings;

/// How many checks between evictions of idle keys.
const EVICT_EVERY: u64 = 1024;

pub struct RateLimiter {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    checks: AtomicU64,
}

impl RateLimiter {
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

    /// `Err(seconds to wait)` when `client` is over its quota.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
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
        limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burst_passes_then_the_client_must_wait() {
        let limiter = RateLimiter::new(&RateLimitSettings {
            per_minute: 10,
            burst: 3,
        });
        let ip: IpAddr = "10.1.2.3".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(ip).is_ok());
        }
        let wait = limiter.check(ip).unwrap_err();
        assert!((1..=6).contains(&wait), "{wait}");
        assert!(
            limiter.check("10.9.9.9".parse().unwrap()).is_ok(),
            "other clients are unaffected"
        );
    }

    #[test]
    fn zero_per_minute_disables_the_limit() {
        let limiter = RateLimiter::new(&RateLimitSettings {
            per_minute: 0,
            burst: 1,
        });
        for _ in 0..100 {
            assert!(limiter.check("10.1.2.3".parse().unwrap()).is_ok());
        }
    }
}
