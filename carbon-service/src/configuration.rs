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
}

/// What one user may cost the service.
#[derive(Debug, Clone, Copy)]
pub struct UserLimits {
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
        Ok(Self {
            common,
            auth_token_url,
            usage_types_cache_ttl: Duration::from_secs(ttl),
            limits: UserLimits::from_env(env)?,
        })
    }
}
