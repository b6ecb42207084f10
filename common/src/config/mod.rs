//! Typed settings read from the environment and validated at start-up.
//!
//! Every reader takes an [`Env`], not `std::env` directly, so tests can build
//! settings from a map without touching the process environment (which is
//! shared by tests running in parallel).

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use crate::jwt::JwtSettings;

mod jwt;

pub use jwt::{JwtAlgorithm, jwt_settings};

/// A configuration value that stops the service, naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {variable} {message}")]
pub struct ConfigError {
    pub variable: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(variable: &str, message: impl Into<String>) -> Self {
        Self {
            variable: variable.to_owned(),
            message: message.into(),
        }
    }
}

/// Where settings come from: the process environment or a fixed map.
pub struct Env {
    values: HashMap<String, String>,
}

impl Env {
    /// The process environment, after loading `.env` from the working
    /// directory when one exists (real environment variables win). Only the
    /// working directory: a `.env` found in some parent directory is not
    /// this deployment's.
    pub fn from_process() -> Self {
        let _ = dotenvy::from_path(".env");
        Self {
            values: std::env::vars().collect(),
        }
    }

    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
                .collect(),
        }
    }

    /// A set, non-blank value. Blank counts as unset so that compose files
    /// can pass `${VAR:-}` through.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    pub fn string_or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_owned()
    }

    pub fn required(&self, name: &str) -> Result<String, ConfigError> {
        self.get(name)
            .map(str::to_owned)
            .ok_or_else(|| ConfigError::new(name, "is not set"))
    }

    pub fn parse_or<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|e| ConfigError::new(name, format!("has an invalid value {raw:?}: {e}"))),
        }
    }

    /// A comma-separated list; blank items are dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "pretty" => Ok(Self::Pretty),
            "json" => Ok(Self::Json),
            _ => Err("expected `pretty` or `json`".into()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct MongoSettings {
    /// Full connection string; its path names the database.
    pub uri: String,
    /// How long an operation waits for a usable server before failing; kept
    /// short so a lost database becomes fast 503s instead of hung requests.
    pub server_selection_timeout: Duration,
    /// Start-up connection attempts before giving up.
    pub connect_attempts: u32,
}

impl MongoSettings {
    /// `MONGODB_URI` (else `default_uri`), `MONGODB_SERVER_SELECTION_TIMEOUT_MS`
    /// and `MONGODB_CONNECT_ATTEMPTS`: all that a command which only
    /// touches the database (seeding, say) reads.
    pub fn from_env(env: &Env, default_uri: &str) -> Result<Self, ConfigError> {
        let server_selection_ms: u64 = env.parse_or("MONGODB_SERVER_SELECTION_TIMEOUT_MS", 2000)?;
        if server_selection_ms == 0 {
            return Err(ConfigError::new(
                "MONGODB_SERVER_SELECTION_TIMEOUT_MS",
                "must be positive",
            ));
        }
        let connect_attempts: u32 = env.parse_or("MONGODB_CONNECT_ATTEMPTS", 30)?;
        if connect_attempts == 0 {
            return Err(ConfigError::new(
                "MONGODB_CONNECT_ATTEMPTS",
                "must be at least 1",
            ));
        }
        Ok(Self {
            uri: env.string_or("MONGODB_URI", default_uri),
            server_selection_timeout: Duration::from_millis(server_selection_ms),
            connect_attempts,
        })
    }
}

/// Per-service defaults for the settings both services read.
pub struct ServiceDefaults {
    pub port: u16,
    pub mongodb_uri: &'static str,
    /// user-service: it signs access tokens; the others only verify.
    pub signs_tokens: bool,
}

/// Settings every service reads, in the same way.
#[derive(Debug, Clone)]
pub struct CommonSettings {
    pub host: String,
    pub port: u16,
    pub mongodb: MongoSettings,
    pub jwt: JwtSettings,
    pub cors_allowed_origins: Vec<String>,
    pub log_format: LogFormat,
    /// Where `GET /metrics` is served (a separate listener); `None`: off.
    pub metrics_addr: Option<std::net::SocketAddr>,
}

pub const DEFAULT_CORS_ALLOWED_ORIGINS: &str =
    "http://localhost:8080,http://localhost:8081,http://localhost:8082";

impl CommonSettings {
    pub fn from_env(env: &Env, defaults: ServiceDefaults) -> Result<Self, ConfigError> {
        let host = env.string_or("HOST", "0.0.0.0");
        if host.parse::<std::net::IpAddr>().is_err() && host != "localhost" {
            return Err(ConfigError::new(
                "HOST",
                format!("must be an IP address, got {host:?}"),
            ));
        }
        let cors_allowed_origins = match env.get("CORS_ALLOWED_ORIGINS") {
            Some(_) => env.list("CORS_ALLOWED_ORIGINS"),
            None => DEFAULT_CORS_ALLOWED_ORIGINS
                .split(',')
                .map(str::to_owned)
                .collect(),
        };
        for origin in &cors_allowed_origins {
            let ok = (origin.starts_with("http://") || origin.starts_with("https://"))
                && !origin.ends_with('/');
            if !ok {
                return Err(ConfigError::new(
                    "CORS_ALLOWED_ORIGINS",
                    format!("must list origins like https://app.example.com, got {origin:?}"),
                ));
            }
        }
        Ok(Self {
            host,
            port: env.parse_or("PORT", defaults.port)?,
            mongodb: MongoSettings::from_env(env, defaults.mongodb_uri)?,
            jwt: jwt_settings(env, defaults.signs_tokens)?,
            cors_allowed_origins,
            log_format: env.parse_or("LOG_FORMAT", LogFormat::Pretty)?,
            metrics_addr: match env.get("METRICS_ADDR") {
                None => None,
                Some(raw) => Some(raw.parse().map_err(|_| {
                    ConfigError::new(
                        "METRICS_ADDR",
                        format!("must be an address such as 127.0.0.1:9464, got {raw:?}"),
                    )
                })?),
            },
        })
    }

    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    fn defaults() -> ServiceDefaults {
        ServiceDefaults {
            port: 8081,
            mongodb_uri: "mongodb://localhost:27017/users",
            signs_tokens: false,
        }
    }

    #[test]
    fn defaults_apply_when_only_the_secret_is_set() {
        let s = CommonSettings::from_env(&Env::from_pairs([("JWT_SECRET", SECRET)]), defaults())
            .unwrap();
        assert_eq!(s.port, 8081);
        assert_eq!(s.host, "0.0.0.0");
        assert_eq!(s.mongodb.uri, "mongodb://localhost:27017/users");
        assert_eq!(
            s.cors_allowed_origins,
            [
                "http://localhost:8080",
                "http://localhost:8081",
                "http://localhost:8082"
            ]
        );
        assert_eq!(s.log_format, LogFormat::Pretty);
    }

    #[test]
    fn a_missing_secret_is_refused_naming_the_variable() {
        let err =
            CommonSettings::from_env(&Env::from_pairs([("PORT", "1")]), defaults()).unwrap_err();
        assert_eq!(err.variable, "JWT_SECRET");
    }

    #[test]
    fn a_short_secret_is_refused_naming_the_variable() {
        let err =
            CommonSettings::from_env(&Env::from_pairs([("JWT_SECRET", "too-short")]), defaults())
                .unwrap_err();
        assert_eq!(err.variable, "JWT_SECRET");
        assert!(err.to_string().contains("32 bytes"), "{err}");
    }

    #[test]
    fn a_bad_port_is_refused_naming_the_variable() {
        let env = Env::from_pairs([("JWT_SECRET", SECRET), ("PORT", "eighty")]);
        let err = CommonSettings::from_env(&env, defaults()).unwrap_err();
        assert_eq!(err.variable, "PORT");
    }

    #[test]
    fn a_bad_log_format_is_refused_naming_the_variable() {
        let env = Env::from_pairs([("JWT_SECRET", SECRET), ("LOG_FORMAT", "xml")]);
        assert_eq!(
            CommonSettings::from_env(&env, defaults())
                .unwrap_err()
                .variable,
            "LOG_FORMAT"
        );
    }

    #[test]
    fn a_wildcard_cors_origin_is_refused() {
        let env = Env::from_pairs([("JWT_SECRET", SECRET), ("CORS_ALLOWED_ORIGINS", "*")]);
        assert_eq!(
            CommonSettings::from_env(&env, defaults())
                .unwrap_err()
                .variable,
            "CORS_ALLOWED_ORIGINS"
        );
    }
}
