//! carbon-service settings: the shared ones plus the token URL Swagger UI
//! logs in against and the usage-type cache lifetime.

use std::time::Duration;

use common::config::{CommonSettings, ConfigError, Env, ServiceDefaults};
use common::rate_limit::RateLimitSettings;

use crate::service::slots::SlotSettings;

pub const DEFAULT_AUTH_TOKEN_URL: &str = "http://localhost:8081/auth/jwt/login";
pub const DEFAULT_MONGODB_URI: &str = "mongodb://localhost:27018/carbon";

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    /// user-service's token endpoint, for Swagger UI's Authorize button.
    pub auth_token_url: String,
    /// How long another instance's type writes may take to show here.
    pub usage_types_cache_ttl: Duration,
    /// Per-user limits of the expensive reads and writes.
    pub limits: UserLimits,
    /// What this instance runs at once (imports: each one transaction
    /// whose rows the database must hold in its cache until it commits),
    /// how long a request waits for a turn, and the server-side query time
    /// limit.
    pub slots: SlotSettings,
}

/// What one user may cost the service.
#[derive(Debug, Clone, Copy)]
pub struct UserLimits {
    /// `GET /usages` with `include_total=true` or an offset of 1,000 or
    /// more (`DEEP_READ_RATE_LIMIT_*`).
    pub deep_read: RateLimitSettings,
    /// Single-usage creates, updates and deletes
    /// (`USAGE_WRITE_RATE_LIMIT_*`).
    pub write: RateLimitSettings,
    /// CSV imports (`IMPORT_RATE_LIMIT_*`).
    pub import: RateLimitSettings,
    /// Exports (`EXPORT_RATE_LIMIT_*`).
    pub export: RateLimitSettings,
    /// Summaries (`SUMMARY_RATE_LIMIT_*`).
    pub summary: RateLimitSettings,
    /// Usages one organization may store (`USAGE_QUOTA_PER_USER`, named
    /// before organizations).
    pub usage_quota: u64,
}

pub const DEFAULT_USAGE_QUOTA: u64 = 1_000_000;

impl UserLimits {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let usage_quota: u64 = env.parse_or("USAGE_QUOTA_PER_USER", DEFAULT_USAGE_QUOTA)?;
        if !(1..=1_000_000_000).contains(&usage_quota) {
            return Err(ConfigError::new(
                "USAGE_QUOTA_PER_USER",
                "must be between 1 and 1000000000",
            ));
        }
        Ok(Self {
            // Generous: a person or a script entering bills one by one;
            // bulk data goes through the import.
            write: RateLimitSettings::from_env(env, "USAGE_WRITE_RATE_LIMIT", 600, 120)?,
            deep_read: RateLimitSettings::from_env(env, "DEEP_READ_RATE_LIMIT", 60, 10)?,
            import: RateLimitSettings::from_env(env, "IMPORT_RATE_LIMIT", 6, 3)?,
            export: RateLimitSettings::from_env(env, "EXPORT_RATE_LIMIT", 12, 4)?,
            summary: RateLimitSettings::from_env(env, "SUMMARY_RATE_LIMIT", 120, 20)?,
            usage_quota,
        })
    }
}

impl Settings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = CommonSettings::from_env(
            env,
            ServiceDefaults {
                port: 8082,
                mongodb_uri: DEFAULT_MONGODB_URI,
                signs_tokens: false,
            },
        )?;
        let auth_token_url = env.string_or("AUTH_TOKEN_URL", DEFAULT_AUTH_TOKEN_URL);
        if !(auth_token_url.starts_with("http://") || auth_token_url.starts_with("https://")) {
            return Err(ConfigError::new("AUTH_TOKEN_URL", "must be an http(s) URL"));
        }
        let ttl: u64 = env.parse_or("USAGE_TYPES_CACHE_TTL_SECONDS", 30)?;
        if ttl > 30 {
            return Err(ConfigError::new(
                "USAGE_TYPES_CACHE_TTL_SECONDS",
                "must be at most 30 (other instances must see type changes within 30 s)",
            ));
        }
        let concurrency = |name: &'static str, default: usize| -> Result<usize, ConfigError> {
            let n: usize = env.parse_or(name, default)?;
            if (1..=64).contains(&n) {
                Ok(n)
            } else {
                Err(ConfigError::new(name, "must be between 1 and 64"))
            }
        };
        let millis =
            |name: &'static str, default: u64, max: u64| -> Result<Duration, ConfigError> {
                let ms: u64 = env.parse_or(name, default)?;
                if (1..=max).contains(&ms) {
                    Ok(Duration::from_millis(ms))
                } else {
                    Err(ConfigError::new(
                        name,
                        format!("must be between 1 and {max}"),
                    ))
                }
            };
        let slots = SlotSettings {
            heavy_reads: concurrency("HEAVY_READ_CONCURRENCY", 8)?,
            exports: concurrency("EXPORT_CONCURRENCY", 4)?,
            imports: concurrency("IMPORT_CONCURRENCY", 2)?,
            max_wait: millis("SLOT_MAX_WAIT_MS", 2_000, 60_000)?,
            query_max_time: millis("QUERY_MAX_TIME_MS", 10_000, 600_000)?,
        };
        Ok(Self {
            common,
            auth_token_url,
            usage_types_cache_ttl: Duration::from_secs(ttl),
            limits: UserLimits::from_env(env)?,
            slots,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut all = vec![("JWT_SECRET", "a-test-secret-of-at-least-32-bytes-long")];
        all.extend_from_slice(pairs);
        Settings::from_env(&Env::from_pairs(all))
    }

    #[test]
    fn imports_run_two_at_a_time_unless_told_otherwise() {
        assert_eq!(with(&[]).unwrap().slots.imports, 2);
        assert_eq!(
            with(&[("IMPORT_CONCURRENCY", "8")]).unwrap().slots.imports,
            8
        );
    }

    #[test]
    fn an_import_concurrency_of_zero_or_over_64_is_refused_by_name() {
        for bad in ["0", "65", "many"] {
            let error = with(&[("IMPORT_CONCURRENCY", bad)]).unwrap_err();
            assert!(error.to_string().contains("IMPORT_CONCURRENCY"), "{error}");
        }
    }
}
