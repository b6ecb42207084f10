//! carbon-service settings: the shared ones plus the token URL Swagger UI
//! logs in against and the usage-type cache lifetime.

use std::time::Duration;

use common::config::{CommonSettings, ConfigError, Env, ServiceDefaults};

pub const DEFAULT_AUTH_TOKEN_URL: &str = "http://localhost:8081/auth/jwt/login";

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    /// user-service's token endpoint, for Swagger UI's Authorize button.
    pub auth_token_url: String,
    /// How long another instance's type writes may take to show here.
    pub usage_types_cache_ttl: Duration,
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
        })
    }
}
