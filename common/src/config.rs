//! Typed settings read from the environment and validated at start-up.
//!
//! Every reader takes an [`Env`], not `std::env` directly, so tests can build
//! settings from a map without touching the process environment (which is
//! shared by tests running in parallel).

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use crate::jwk::{JwkSet, PrivateKey};
use crate::jwt::{
    DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEFAULT_MAX_ACCESS_TOKEN_TTL_SECONDS, JwtSecret, JwtSettings,
    SigningKey,
};

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

/// How access tokens are signed (`JWT_ALGORITHM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    /// A shared secret that signs and verifies (the default).
    Hs256,
    /// Ed25519: user-service signs with its private key, verifiers hold
    /// only public keys.
    EdDsa,
}

impl FromStr for JwtAlgorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "HS256" => Ok(Self::Hs256),
            "EdDSA" => Ok(Self::EdDsa),
            _ => Err("expected `HS256` or `EdDSA`".into()),
        }
    }
}

fn read_key_file(env: &Env, variable: &str) -> Result<String, ConfigError> {
    let path = env.required(variable)?;
    std::fs::read_to_string(&path)
        .map_err(|e| ConfigError::new(variable, format!("cannot be read ({path}): {e}")))
}

fn hs256_secrets(env: &Env, current: Option<JwtSecret>) -> Result<Vec<JwtSecret>, ConfigError> {
    let previous: Vec<JwtSecret> = env
        .list("JWT_PREVIOUS_SECRETS")
        .iter()
        .map(|s| JwtSecret::parse(s))
        .collect::<Result<_, _>>()
        .map_err(|e| ConfigError::new("JWT_PREVIOUS_SECRETS", e.to_string()))?;
    Ok(current.into_iter().chain(previous).collect())
}

/// The JWT settings both services read: `JWT_ALGORITHM` (`HS256` or
/// `EdDSA`); for HS256 `JWT_SECRET` (required, 32+ bytes); for EdDSA
/// `JWT_PRIVATE_KEY_FILE` (the service that `signs`) and
/// `JWT_PUBLIC_KEYS_FILE` (required where it does not sign); in both modes
/// `JWT_PREVIOUS_SECRETS`, `JWT_AUDIENCE`, `JWT_ISSUER` and
/// `ACCESS_TOKEN_MAX_TTL_SECONDS`.
pub fn jwt_settings(env: &Env, signs: bool) -> Result<JwtSettings, ConfigError> {
    let algorithm: JwtAlgorithm = env.parse_or("JWT_ALGORITHM", JwtAlgorithm::Hs256)?;
    let (signing, hs256_secrets, public_keys) = match algorithm {
        JwtAlgorithm::Hs256 => {
            let secret = JwtSecret::parse(&env.required("JWT_SECRET")?)
                .map_err(|e| ConfigError::new("JWT_SECRET", e.to_string()))?;
            let signing = signs.then(|| SigningKey::Hs256(secret.clone()));
            (signing, hs256_secrets(env, Some(secret))?, Vec::new())
        }
        JwtAlgorithm::EdDsa => {
            if env.get("JWT_SECRET").is_some() {
                return Err(ConfigError::new(
                    "JWT_SECRET",
                    "must be unset with JWT_ALGORITHM=EdDSA (a verifier holding it could sign); list it in JWT_PREVIOUS_SECRETS for one access-token lifetime while switching",
                ));
            }
            let mut public_keys = match env.get("JWT_PUBLIC_KEYS_FILE") {
                Some(_) => JwkSet::parse(&read_key_file(env, "JWT_PUBLIC_KEYS_FILE")?)
                    .map_err(|e| ConfigError::new("JWT_PUBLIC_KEYS_FILE", e.to_string()))?,
                None if signs => Vec::new(),
                None => {
                    return Err(ConfigError::new(
                        "JWT_PUBLIC_KEYS_FILE",
                        "is required with JWT_ALGORITHM=EdDSA: a JWK Set of user-service's public keys (`user-service jwks` prints it)",
                    ));
                }
            };
            let signing = if signs {
                let key = PrivateKey::from_pem(&read_key_file(env, "JWT_PRIVATE_KEY_FILE")?)
                    .map_err(|e| ConfigError::new("JWT_PRIVATE_KEY_FILE", e.to_string()))?;
                if !public_keys.contains(key.public_key()) {
                    public_keys.insert(0, key.public_key().clone());
                }
                Some(SigningKey::EdDsa(key))
            } else {
                None
            };
            (signing, hs256_secrets(env, None)?, public_keys)
        }
    };
    let max_ttl_seconds: i64 = env.parse_or(
        "ACCESS_TOKEN_MAX_TTL_SECONDS",
        DEFAULT_MAX_ACCESS_TOKEN_TTL_SECONDS,
    )?;
    if !(60..=86_400).contains(&max_ttl_seconds) {
        return Err(ConfigError::new(
            "ACCESS_TOKEN_MAX_TTL_SECONDS",
            "must be between 60 and 86400",
        ));
    }
    Ok(JwtSettings {
        signing,
        hs256_secrets,
        public_keys,
        audience: env.string_or("JWT_AUDIENCE", DEFAULT_AUDIENCE),
        issuer: env.string_or("JWT_ISSUER", DEFAULT_ISSUER),
        max_ttl_seconds,
    })
}

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

    const OLD_SECRET: &str = "previous-secret-previous-secret-01";

    #[test]
    fn previous_secrets_are_read_from_a_comma_separated_list() {
        let env = Env::from_pairs([
            ("JWT_SECRET", SECRET),
            (
                "JWT_PREVIOUS_SECRETS",
                &format!("{OLD_SECRET}, another-old-secret-another-old-secret"),
            ),
        ]);
        assert_eq!(jwt_settings(&env, false).unwrap().hs256_secrets.len(), 3);
    }

    #[test]
    fn a_short_previous_secret_is_refused_naming_the_variable() {
        let env = Env::from_pairs([("JWT_SECRET", SECRET), ("JWT_PREVIOUS_SECRETS", "short")]);
        assert_eq!(
            jwt_settings(&env, false).unwrap_err().variable,
            "JWT_PREVIOUS_SECRETS"
        );
    }

    #[test]
    fn the_maximum_access_token_lifetime_defaults_to_an_hour_and_is_bounded() {
        let env = Env::from_pairs([("JWT_SECRET", SECRET)]);
        assert_eq!(jwt_settings(&env, false).unwrap().max_ttl_seconds, 3600);
        let env = Env::from_pairs([
            ("JWT_SECRET", SECRET),
            ("ACCESS_TOKEN_MAX_TTL_SECONDS", "10"),
        ]);
        assert_eq!(
            jwt_settings(&env, false).unwrap_err().variable,
            "ACCESS_TOKEN_MAX_TTL_SECONDS"
        );
    }

    fn key_files() -> (String, String) {
        use crate::jwk::{JwkSet, PrivateKey};
        let dir = std::env::temp_dir().join(format!("jwt-keys-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let pem = PrivateKey::generate_pem();
        let public = PrivateKey::from_pem(&pem).unwrap().public_key().clone();
        let (private_path, public_path) = (dir.join("jwt.pem"), dir.join("jwks.json"));
        std::fs::write(&private_path, pem).unwrap();
        std::fs::write(
            &public_path,
            serde_json::to_string(&JwkSet::of(&[public])).unwrap(),
        )
        .unwrap();
        (
            private_path.display().to_string(),
            public_path.display().to_string(),
        )
    }

    #[test]
    fn in_eddsa_mode_the_signer_reads_its_private_key_and_verifies_with_its_public_key() {
        let (private, _) = key_files();
        let env = Env::from_pairs([
            ("JWT_ALGORITHM", "EdDSA"),
            ("JWT_PRIVATE_KEY_FILE", private.as_str()),
        ]);
        let s = jwt_settings(&env, true).unwrap();
        assert!(matches!(s.signing, Some(SigningKey::EdDsa(_))));
        assert_eq!(s.public_keys.len(), 1);
        assert!(s.hs256_secrets.is_empty());
    }

    #[test]
    fn in_eddsa_mode_a_verifier_needs_public_keys_and_never_a_signing_secret() {
        let (private, public) = key_files();
        let eddsa = |extra: &[(&'static str, &str)]| {
            let mut pairs = vec![("JWT_ALGORITHM".to_owned(), "EdDSA".to_owned())];
            pairs.extend(
                extra
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            );
            Env::from_pairs(pairs)
        };
        let err = jwt_settings(&eddsa(&[]), false).unwrap_err();
        assert_eq!(err.variable, "JWT_PUBLIC_KEYS_FILE");
        let s = jwt_settings(&eddsa(&[("JWT_PUBLIC_KEYS_FILE", &public)]), false).unwrap();
        assert!(s.signing.is_none());
        assert_eq!(s.public_keys.len(), 1);
        let err = jwt_settings(
            &eddsa(&[("JWT_PUBLIC_KEYS_FILE", &public), ("JWT_SECRET", SECRET)]),
            false,
        )
        .unwrap_err();
        assert_eq!(err.variable, "JWT_SECRET");
        // A private key where public keys belong is not a JWK Set.
        let err = jwt_settings(&eddsa(&[("JWT_PUBLIC_KEYS_FILE", &private)]), false).unwrap_err();
        assert_eq!(err.variable, "JWT_PUBLIC_KEYS_FILE");
        let err = jwt_settings(&eddsa(&[("JWT_PRIVATE_KEY_FILE", &public)]), true).unwrap_err();
        assert_eq!(err.variable, "JWT_PRIVATE_KEY_FILE");
        let err = jwt_settings(&Env::from_pairs([("JWT_ALGORITHM", "RS256")]), false).unwrap_err();
        assert_eq!(err.variable, "JWT_ALGORITHM");
    }
}
