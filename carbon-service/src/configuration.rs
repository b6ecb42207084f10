//! carbon-service settings: the shared ones plus the token URL Swagger UI
//! logs in against and the usage-type cache lifetime.

use std::time::Duration;

use common::config::{CommonSettings, ConfigError, Env, ServiceDefaults};
use common::rate_limit::RateLimitSettings;

pub const DEFAULT_AUTH_TOKEN_URL: &str = "http://localhost:8081/auth/jwt/login";

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    /// user-service's token endpoint, for Swagger UI's Authorize button.
    pub auth_token_url: String,
    /// How long another instance's type writes may take to show here.
    pub usage_types_cache_ttl: Duration,
    /// Per-user limits of the expensive reads and writes.
    pub limits: UserLimits,
    /// CSV imports this instance writes at once (`IMPORT_CONCURRENCY`);
    /// more wait their turn. Each import is one transaction whose rows the
    /// database must hold in its cache until it commits.
    pub import_concurrency: usize,
}

/// What one user may cost the service.
#[derive(Debug, Clone, Copy)]
pub struct UserLimits {
    /// Single-usage creates, updates and deletes
    /// (`USAGE_WRITE_RATE_LIMIT_*`).
    pub write: RateLimitSettings,
    /// CSV imports (`IMPORT_RATE_LIMIT_*`).
    pub import: RateLimitSettings,
    /// Exports (`EXPORT_RATE_LIMIT_*`).
    pub export: RateLimitSettings,
    /// Summaries (`SUMMARY_RATE_LIMIT_*`).
    pub summary: RateLimitSettings,
    /// Usages one user may store (`USAGE_QUOTA_PER_USER`).
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
                mongodb_uri: "mongodb://localhost:27018/carbon",
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
        let import_concurrency: usize = env.parse_or("IMPORT_CONCURRENCY", 2)?;
        if !(1..=64).contains(&import_concurrency) {
            return Err(ConfigError::new(
                "IMPORT_CONCURRENCY",
                "must be between 1 and 64",
            ));
        }
        Ok(Self {
            common,
            auth_token_url,
            usage_types_cache_ttl: Duration::from_secs(ttl),
            limits: UserLimits::from_env(env)?,
            import_concurrency,
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
        assert_eq!(with(&[]).unwrap().import_concurrency, 2);
        assert_eq!(
            with(&[("IMPORT_CONCURRENCY", "8")])
                .unwrap()
                .import_concurrency,
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
