//! user-service settings: the shared ones plus token lifetimes, rate limits,
//! mail, proxies and the bootstrap superuser.

use std::time::Duration;

use common::config::{CommonSettings, ConfigError, Env, ServiceDefaults};
use common::jwt::SigningKey;
use common::rate_limit::RateLimitSettings;
use ipnet::IpNet;

use crate::storage::login_attempts::LockoutPolicy;

/// How a connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://`: STARTTLS, required (the connection fails without it).
    StartTls,
    /// `smtps://`: TLS from the first byte.
    ImplicitTls,
    /// `smtp://` with `SMTP_ALLOW_PLAINTEXT=true`: no TLS (a local catcher).
    Plaintext,
}

/// An SMTP server, parsed from `SMTP_URL`. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpEndpoint {
    pub host: String,
    pub port: Option<u16>,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for SmtpEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpEndpoint")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl SmtpEndpoint {
    /// `smtp://[user[:password]@]host[:port]` (STARTTLS required) or
    /// `smtps://…` (implicit TLS). Plaintext only with `allow_plaintext`.
    pub fn parse(raw: &str, allow_plaintext: bool) -> Result<Self, ConfigError> {
        let bad = |message: &str| ConfigError::new("SMTP_URL", message);
        let url = url::Url::parse(raw)
            .map_err(|_| bad("must be a URL such as smtps://user:password@smtp.example.com"))?;
        let security = match (url.scheme(), allow_plaintext) {
            ("smtps", _) => SmtpSecurity::ImplicitTls,
            ("smtp", false) => SmtpSecurity::StartTls,
            ("smtp", true) => SmtpSecurity::Plaintext,
            _ => return Err(bad("must start with smtp:// (STARTTLS) or smtps:// (TLS)")),
        };
        if url.query().is_some() || !matches!(url.path(), "" | "/") {
            return Err(bad(
                "takes no path or query (TLS is set by the scheme and SMTP_ALLOW_PLAINTEXT)",
            ));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("has no host"))?
            .to_owned();
        let decode = |s: &str| {
            percent_decode(s).map_err(|_| bad("has a user or password that is not valid UTF-8"))
        };
        let username = match url.username() {
            "" => None,
            user => Some(decode(user)?),
        };
        let password = url.password().map(decode).transpose()?;
        Ok(Self {
            host,
            port: url.port(),
            security,
            username,
            password,
        })
    }
}

fn percent_decode(s: &str) -> Result<String, std::str::Utf8Error> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
}

/// Where reset and verification mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    Smtp(SmtpEndpoint),
    /// Local development only: each mail (token included) is a log line.
    Log,
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub from: String,
}

impl MailSettings {
    /// `MAIL_TRANSPORT` is `smtp` (needs `SMTP_URL`) or `log`; unset, it is
    /// `smtp` when `SMTP_URL` is set. Logging mail must be chosen, never a
    /// default: the log would carry every reset token.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let allow_plaintext: bool = env.parse_or("SMTP_ALLOW_PLAINTEXT", false)?;
        let transport = match (env.get("MAIL_TRANSPORT"), env.get("SMTP_URL")) {
            (Some("log"), _) => MailTransport::Log,
            (Some("smtp") | None, Some(url)) => {
                MailTransport::Smtp(SmtpEndpoint::parse(url, allow_plaintext)?)
            }
            (Some("smtp") | None, None) => {
                return Err(ConfigError::new(
                    "SMTP_URL",
                    "is not set: set SMTP_URL (e.g. smtps://user:password@smtp.example.com) to send \
                     reset and verification mail, or MAIL_TRANSPORT=log to write it to the log \
                     (local development only)",
                ));
            }
            (Some(other), _) => {
                return Err(ConfigError::new(
                    "MAIL_TRANSPORT",
                    format!("must be smtp or log, got {other:?}"),
                ));
            }
        };
        Ok(Self {
            transport,
            from: env.string_or("MAIL_FROM", "Carbon Platform <no-reply@localhost>"),
        })
    }
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
    /// What access tokens are signed with (`JWT_SECRET`, or
    /// `JWT_PRIVATE_KEY_FILE` with `JWT_ALGORITHM=EdDSA`).
    pub token_signing: SigningKey,
    pub access_token_ttl: Duration,
    /// Each refresh token's lifetime; every rotation issues a new one.
    pub refresh_token_ttl: Duration,
    /// A login's refresh tokens stop working this long after the login,
    /// however often they rotate.
    pub refresh_token_max_lifetime: Duration,
    /// How long an invitation to an organization works.
    pub invitation_ttl: Duration,
    /// Logins, per client address.
    pub login_rate_limit: RateLimitSettings,
    /// Refreshes, per token family.
    pub refresh_rate_limit: RateLimitSettings,
    /// Registration and the mail-sending endpoints, per client address.
    pub sensitive_rate_limit: RateLimitSettings,
    /// `PATCH` and `DELETE /users/me`, per account.
    pub account_rate_limit: RateLimitSettings,
    /// Wrong-password limits per (account, client) and per account.
    pub lockout: LockoutPolicy,
    pub superuser: Option<SuperuserBootstrap>,
    /// Password hashes computed at once for logins, registrations and
    /// resets (each 19 MiB and a core).
    pub password_hash_concurrency: usize,
    /// The same for signed-in accounts (current-password checks, new
    /// passwords): a pool of its own, so neither kind starves the other.
    pub account_password_hash_concurrency: usize,
    /// A request waits at most this long for a hashing slot, then gets 503.
    pub password_hash_max_wait: Duration,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// `Secure` on the refresh-token cookie (turn off only for plain-HTTP
    /// local development).
    pub refresh_cookie_secure: bool,
}

/// One less than the cores (at least 1): hashing never takes every core
/// from the async workers.
fn default_hash_concurrency() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1)
}

fn seconds(
    env: &Env,
    name: &str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Duration, ConfigError> {
    let value: u64 = env.parse_or(name, default)?;
    if !range.contains(&value) {
        return Err(ConfigError::new(
            name,
            format!("must be between {} and {}", range.start(), range.end()),
        ));
    }
    Ok(Duration::from_secs(value))
}

/// `LOGIN_FAILURES_PER_CLIENT`, `LOGIN_LOCK_SECONDS`,
/// `LOGIN_LOCK_MAX_SECONDS` and `LOGIN_FAILURES_BEFORE_RESET`.
fn lockout_policy(env: &Env) -> Result<LockoutPolicy, ConfigError> {
    let defaults = LockoutPolicy::default();
    let policy = LockoutPolicy {
        failures_per_client: env
            .parse_or("LOGIN_FAILURES_PER_CLIENT", defaults.failures_per_client)?,
        first_lock_seconds: env.parse_or("LOGIN_LOCK_SECONDS", defaults.first_lock_seconds)?,
        max_lock_seconds: env.parse_or("LOGIN_LOCK_MAX_SECONDS", defaults.max_lock_seconds)?,
        failures_before_reset: env.parse_or(
            "LOGIN_FAILURES_BEFORE_RESET",
            defaults.failures_before_reset,
        )?,
    };
    if !(1..=100).contains(&policy.failures_per_client) {
        return Err(ConfigError::new(
            "LOGIN_FAILURES_PER_CLIENT",
            "must be between 1 and 100",
        ));
    }
    if !(1..=86_400).contains(&policy.first_lock_seconds) {
        return Err(ConfigError::new(
            "LOGIN_LOCK_SECONDS",
            "must be between 1 and 86400",
        ));
    }
    if !(policy.first_lock_seconds..=7 * 86_400).contains(&policy.max_lock_seconds) {
        return Err(ConfigError::new(
            "LOGIN_LOCK_MAX_SECONDS",
            "must be between LOGIN_LOCK_SECONDS and 604800",
        ));
    }
    // NIST SP 800-63B §5.2.2: no more than 100 consecutive failed attempts.
    if !(policy.failures_per_client..=100).contains(&policy.failures_before_reset) {
        return Err(ConfigError::new(
            "LOGIN_FAILURES_BEFORE_RESET",
            "must be between LOGIN_FAILURES_PER_CLIENT and 100 (NIST SP 800-63B allows at most 100)",
        ));
    }
    Ok(policy)
}

impl Settings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = CommonSettings::from_env(
            env,
            ServiceDefaults {
                port: 8081,
                mongodb_uri: "mongodb://localhost:27017/users",
                signs_tokens: true,
            },
        )?;
        // Required by `signs_tokens`: read above, or the settings failed.
        let token_signing = common
            .jwt
            .signing
            .clone()
            .ok_or_else(|| ConfigError::new("JWT_SECRET", "is required"))?;
        let access_token_ttl = seconds(env, "ACCESS_TOKEN_TTL_SECONDS", 900, 60..=86_400)?;
        if access_token_ttl.as_secs() as i64 > common.jwt.max_ttl_seconds {
            return Err(ConfigError::new(
                "ACCESS_TOKEN_TTL_SECONDS",
                format!(
                    "must be at most ACCESS_TOKEN_MAX_TTL_SECONDS ({}): every service refuses longer-lived tokens",
                    common.jwt.max_ttl_seconds
                ),
            ));
        }
        let refresh_token_ttl = seconds(
            env,
            "REFRESH_TOKEN_TTL_SECONDS",
            14 * 86_400,
            60..=365 * 86_400,
        )?;
        if refresh_token_ttl < access_token_ttl {
            return Err(ConfigError::new(
                "REFRESH_TOKEN_TTL_SECONDS",
                "must be at least ACCESS_TOKEN_TTL_SECONDS",
            ));
        }
        let refresh_token_max_lifetime = seconds(
            env,
            "REFRESH_TOKEN_MAX_LIFETIME_SECONDS",
            30 * 86_400,
            60..=365 * 86_400,
        )?;
        let invitation_ttl = seconds(env, "INVITATION_TTL_SECONDS", 7 * 86_400, 60..=90 * 86_400)?;
        let login_rate_limit = RateLimitSettings::from_env(env, "LOGIN_RATE_LIMIT", 10, 5)?;
        let refresh_rate_limit = RateLimitSettings::from_env(env, "REFRESH_RATE_LIMIT", 10, 5)?;
        let sensitive_rate_limit = RateLimitSettings::from_env(env, "SENSITIVE_RATE_LIMIT", 5, 5)?;
        let account_rate_limit = RateLimitSettings::from_env(env, "ACCOUNT_RATE_LIMIT", 5, 3)?;
        let lockout = lockout_policy(env)?;
        let superuser = match (env.get("SUPERUSER_EMAIL"), env.get("SUPERUSER_PASSWORD")) {
            (Some(email), Some(password)) => Some(SuperuserBootstrap {
                email: email.to_owned(),
                password: password.to_owned(),
            }),
            _ => None,
        };
        let password_hash_concurrency: usize =
            env.parse_or("PASSWORD_HASH_CONCURRENCY", default_hash_concurrency())?;
        if password_hash_concurrency == 0 {
            return Err(ConfigError::new(
                "PASSWORD_HASH_CONCURRENCY",
                "must be at least 1",
            ));
        }
        let account_password_hash_concurrency: usize =
            env.parse_or("ACCOUNT_PASSWORD_HASH_CONCURRENCY", 1)?;
        if account_password_hash_concurrency == 0 {
            return Err(ConfigError::new(
                "ACCOUNT_PASSWORD_HASH_CONCURRENCY",
                "must be at least 1",
            ));
        }
        let max_wait_ms: u64 = env.parse_or("PASSWORD_HASH_MAX_WAIT_MS", 2000)?;
        let trusted_proxies = env
            .list("TRUSTED_PROXIES")
            .iter()
            .map(|raw| {
                raw.parse::<IpNet>()
                    .or_else(|_| raw.parse::<std::net::IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        ConfigError::new(
                            "TRUSTED_PROXIES",
                            format!("must list CIDRs such as 10.0.0.0/8, got {raw:?}"),
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            token_signing,
            common,
            access_token_ttl,
            refresh_token_ttl,
            refresh_token_max_lifetime,
            invitation_ttl,
            login_rate_limit,
            refresh_rate_limit,
            sensitive_rate_limit,
            account_rate_limit,
            lockout,
            superuser,
            password_hash_concurrency,
            account_password_hash_concurrency,
            password_hash_max_wait: Duration::from_millis(max_wait_ms),
            trusted_proxies,
            refresh_cookie_secure: env.parse_or("REFRESH_COOKIE_SECURE", true)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut all = vec![("JWT_SECRET", SECRET)];
        all.extend_from_slice(pairs);
        Settings::from_env(&Env::from_pairs(all))
    }

    #[test]
    fn smtp_means_starttls_required_and_smtps_implicit_tls() {
        let starttls =
            SmtpEndpoint::parse("smtp://ada:s%40cret@mail.example.com:587", false).unwrap();
        assert_eq!(starttls.security, SmtpSecurity::StartTls);
        assert_eq!(
            (
                starttls.host.as_str(),
                starttls.port,
                starttls.username.as_deref(),
                starttls.password.as_deref()
            ),
            ("mail.example.com", Some(587), Some("ada"), Some("s@cret"))
        );
        let tls = SmtpEndpoint::parse("smtps://mail.example.com", false).unwrap();
        assert_eq!((tls.security, tls.port), (SmtpSecurity::ImplicitTls, None));
    }

    #[test]
    fn plaintext_smtp_needs_the_explicit_opt_in() {
        let plain = SmtpEndpoint::parse("smtp://localhost:1025", true).unwrap();
        assert_eq!(plain.security, SmtpSecurity::Plaintext);
        // smtps stays TLS whatever the opt-in says.
        let tls = SmtpEndpoint::parse("smtps://localhost", true).unwrap();
        assert_eq!(tls.security, SmtpSecurity::ImplicitTls);
    }

    #[test]
    fn other_schemes_paths_and_queries_are_refused() {
        for raw in [
            "http://mail.example.com",
            "smtp://mail.example.com/x",
            "smtp://mail.example.com?tls=none",
            "smtp://",
            "not a url",
        ] {
            assert_eq!(
                SmtpEndpoint::parse(raw, false).unwrap_err().variable,
                "SMTP_URL",
                "{raw}"
            );
        }
    }

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let endpoint = SmtpEndpoint::parse("smtps://ada:hunter2@mail.example.com", false).unwrap();
        assert!(!format!("{endpoint:?}").contains("hunter2"));
    }

    fn mail(pairs: &[(&str, &str)]) -> Result<MailSettings, ConfigError> {
        MailSettings::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn without_smtp_url_or_mail_transport_log_the_service_refuses_naming_both() {
        let err = mail(&[]).unwrap_err();
        assert_eq!(err.variable, "SMTP_URL");
        assert!(err.to_string().contains("MAIL_TRANSPORT=log"), "{err}");
        assert_eq!(
            mail(&[("MAIL_TRANSPORT", "log")]).unwrap().transport,
            MailTransport::Log
        );
        assert_eq!(
            mail(&[("MAIL_TRANSPORT", "smtp")]).unwrap_err().variable,
            "SMTP_URL"
        );
        assert_eq!(
            mail(&[("MAIL_TRANSPORT", "carrier-pigeon")])
                .unwrap_err()
                .variable,
            "MAIL_TRANSPORT"
        );
        let smtp = mail(&[("SMTP_URL", "smtps://mail.example.com")]).unwrap();
        assert!(matches!(smtp.transport, MailTransport::Smtp(_)));
    }

    #[test]
    fn an_access_token_ttl_above_the_maximum_is_refused() {
        let err = settings(&[
            ("MAIL_TRANSPORT", "log"),
            ("ACCESS_TOKEN_TTL_SECONDS", "7200"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "ACCESS_TOKEN_TTL_SECONDS");
        assert!(
            settings(&[
                ("MAIL_TRANSPORT", "log"),
                ("ACCESS_TOKEN_TTL_SECONDS", "7200"),
                ("ACCESS_TOKEN_MAX_TTL_SECONDS", "7200"),
            ])
            .is_ok()
        );
    }

    #[test]
    fn trusted_proxies_take_cidrs_and_bare_addresses() {
        let s = settings(&[
            ("MAIL_TRANSPORT", "log"),
            ("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7, fd00::/8"),
        ])
        .unwrap();
        assert_eq!(s.trusted_proxies.len(), 3);
        assert_eq!(
            settings(&[
                ("MAIL_TRANSPORT", "log"),
                ("TRUSTED_PROXIES", "10.0.0.0/33")
            ])
            .unwrap_err()
            .variable,
            "TRUSTED_PROXIES"
        );
    }

    #[test]
    fn defaults_are_a_thirty_day_family_and_five_sensitive_requests_a_minute() {
        let s = settings(&[("MAIL_TRANSPORT", "log")]).unwrap();
        assert_eq!(
            s.refresh_token_max_lifetime,
            Duration::from_secs(30 * 86_400)
        );
        assert_eq!(s.sensitive_rate_limit.per_minute, 5);
        assert_eq!(s.invitation_ttl, Duration::from_secs(7 * 86_400));
        assert_eq!(s.password_hash_max_wait, Duration::from_secs(2));
        assert!(s.refresh_cookie_secure);
    }

    #[test]
    fn the_lockout_defaults_to_ten_per_client_and_a_reset_after_a_hundred() {
        let s = settings(&[("MAIL_TRANSPORT", "log")]).unwrap();
        assert_eq!(s.lockout, LockoutPolicy::default());
        assert_eq!(s.lockout.failures_before_reset, 100);
        for (variable, value) in [
            ("LOGIN_FAILURES_BEFORE_RESET", "101"),
            ("LOGIN_FAILURES_BEFORE_RESET", "5"),
            ("LOGIN_FAILURES_PER_CLIENT", "0"),
            ("LOGIN_LOCK_MAX_SECONDS", "30"),
        ] {
            let err = settings(&[("MAIL_TRANSPORT", "log"), (variable, value)]).unwrap_err();
            assert_eq!(err.variable, variable, "{value}");
        }
    }
}
