//! user-service settings: the shared ones plus token lifetimes, rate limits,
//! mail and the bootstrap superuser.

use std::time::Duration;

use common::config::{CommonSettings, ConfigError, Env, ServiceDefaults};

#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    /// Sustained login/refresh attempts per client IP per minute; 0 disables.
    pub per_minute: u32,
    pub burst: u32,
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://user:pass@host:587` (STARTTLS) or `smtps://...`; unset logs mail instead.
    pub smtp_url: Option<String>,
    pub from: String,
}

#[derive(Clone)]
pub struct SuperuserBootstrap {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for SuperuserBootstrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuperuserBootstrap")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub rate_limit: RateLimitSettings,
    pub mail: MailSettings,
    pub superuser: Option<SuperuserBootstrap>,
    /// Password hashes computed at once (each 19 MiB and a core).
    pub password_hash_concurrency: usize,
}

/// One less than the cores (at least 1): hashing never takes every core
/// from the async workers.
fn default_hash_concurrency() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1)
}

impl Settings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = CommonSettings::from_env(
            env,
            ServiceDefaults {
                port: 8081,
                mongodb_uri: "mongodb://localhost:27017/users",
            },
        )?;
        let access_ttl: u64 = env.parse_or("ACCESS_TOKEN_TTL_SECONDS", 900)?;
        if !(60..=86_400).contains(&access_ttl) {
            return Err(ConfigError::new(
                "ACCESS_TOKEN_TTL_SECONDS",
                "must be between 60 and 86400",
            ));
        }
        let refresh_ttl: u64 = env.parse_or("REFRESH_TOKEN_TTL_SECONDS", 14 * 86_400)?;
        if refresh_ttl < access_ttl {
            return Err(ConfigError::new(
                "REFRESH_TOKEN_TTL_SECONDS",
                "must be at least ACCESS_TOKEN_TTL_SECONDS",
            ));
        }
        let burst: u32 = env.parse_or("LOGIN_RATE_LIMIT_BURST", 5)?;
        if burst == 0 {
            return Err(ConfigError::new(
                "LOGIN_RATE_LIMIT_BURST",
                "must be at least 1",
            ));
        }
        let superuser = match (env.get("SUPERUSER_EMAIL"), env.get("SUPERUSER_PASSWORD")) {
            (Some(email), Some(password)) => Some(SuperuserBootstrap {
                email: email.to_owned(),
                password: password.to_owned(),
            }),
            _ => None,
        };
        Ok(Self {
            common,
            access_token_ttl: Duration::from_secs(access_ttl),
            refresh_token_ttl: Duration::from_secs(refresh_ttl),
            rate_limit: RateLimitSettings {
                per_minute: env.parse_or("LOGIN_RATE_LIMIT_PER_MINUTE", 10)?,
                burst,
            },
            mail: MailSettings {
                smtp_url: env.get("SMTP_URL").map(str::to_owned),
                from: env.string_or("MAIL_FROM", "Carbon Platform <no-reply@localhost>"),
            },
            superuser,
            password_hash_concurrency: {
                let n: usize =
                    env.parse_or("PASSWORD_HASH_CONCURRENCY", default_hash_concurrency())?;
                if n == 0 {
                    return Err(ConfigError::new(
                        "PASSWORD_HASH_CONCURRENCY",
                        "must be at least 1",
                    ));
                }
                n
            },
        })
    }
}
