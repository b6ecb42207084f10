//! The JWT settings: the algorithm, the secrets or key files, and the
//! claims every token must carry.

use std::str::FromStr;

use super::{ConfigError, Env};
use crate::jwk::{JwkSet, PrivateKey};
use crate::jwt::{
    DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEFAULT_MAX_ACCESS_TOKEN_TTL_SECONDS, JwtSecret, JwtSettings,
    SigningKey,
};

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

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
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
