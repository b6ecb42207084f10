//! Per-user rate limits (how often one user may write, import, export and
//! sum) and the organization's quota (how many usages it may keep). An
//! export or summary walks every usage of the organization in its window,
//! and an import writes up to 10,000: one user must not be able to take the
//! service from everyone else.

use common::error::ApiError;
use common::ids::UserId;
use common::rate_limit::RateLimiter;

use crate::configuration::UserLimits;

pub struct UserLimiters {
    write: RateLimiter<UserId>,
    deep_read: RateLimiter<UserId>,
    import: RateLimiter<UserId>,
    export: RateLimiter<UserId>,
    summary: RateLimiter<UserId>,
    /// The most usages one organization may store.
    pub usage_quota: u64,
}

/// Which limited operation a request is.
#[derive(Debug, Clone, Copy)]
pub enum Limited {
    /// Creating, changing or deleting one usage.
    Write,
    /// A page with its total count, or at an offset of 1,000 or more.
    DeepRead,
    Import,
    Export,
    Summary,
}

impl UserLimiters {
    pub fn new(limits: &UserLimits) -> Self {
        Self {
            write: RateLimiter::new(&limits.write),
            deep_read: RateLimiter::new(&limits.deep_read),
            import: RateLimiter::new(&limits.import),
            export: RateLimiter::new(&limits.export),
            summary: RateLimiter::new(&limits.summary),
            usage_quota: limits.usage_quota,
        }
    }

    /// 429 with `Retry-After` when `user` is over the operation's limit.
    pub fn check(&self, operation: Limited, user: &UserId) -> Result<(), ApiError> {
        let limiter = match operation {
            Limited::Write => &self.write,
            Limited::DeepRead => &self.deep_read,
            Limited::Import => &self.import,
            Limited::Export => &self.export,
            Limited::Summary => &self.summary,
        };
        limiter.check(user).map_err(|retry_after_seconds| {
            tracing::warn!(user_id = %user, ?operation, "per-user rate limit exceeded");
            ApiError::TooManyRequests {
                retry_after_seconds,
            }
        })
    }
}
