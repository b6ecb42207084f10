//! Access tokens: JWTs signed by user-service and verified locally by every
//! service, hardened per RFC 8725 and typed as RFC 9068 access tokens
//! (`typ: at+jwt`). HS256 with a shared secret by default; EdDSA (Ed25519)
//! when verifiers must not be able to sign (`JWT_ALGORITHM=EdDSA`). The
//! algorithm comes from the configuration, never from a token's header.

use std::fmt;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{OrgId, UserId};
use crate::org::OrgRole;

/// HS256 keys shorter than the hash output weaken the MAC (RFC 7518 §3.2).
pub const MIN_SECRET_BYTES: usize = 32;
/// Clock skew tolerated between the signing and the verifying host.
pub const LEEWAY_SECONDS: u64 = 30;
pub const DEFAULT_AUDIENCE: &str = "carbon-platform";
pub const DEFAULT_ISSUER: &str = "user-service";
/// The media type of an access token (RFC 9068 §2.1). Checking it keeps any
/// other JWT signed with the same secret from passing as an access token.
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
/// No access token may live longer than this unless configured otherwise.
pub const DEFAULT_MAX_ACCESS_TOKEN_TTL_SECONDS: i64 = 3600;
/// A token that claims superuser lives at most this long, whatever
/// `ACCESS_TOKEN_TTL_SECONDS` says. carbon-service cannot see a demotion or
/// deactivation (it never calls user-service), so this bounds how long a
/// former superuser keeps writing usage types: every refresh re-reads the
/// account.
pub const SUPERUSER_MAX_TTL_SECONDS: i64 = 300;
/// An owner or admin token of a shared organization lives at most this
/// long, for the same reason: a demotion or removal reaches carbon-service
/// only when the token is refreshed. (A personal organization's owner
/// cannot be demoted, so its tokens are not capped.)
pub const PRIVILEGED_ORG_ROLE_MAX_TTL_SECONDS: i64 = 300;

/// The longest lifetime a token of these claims may have, below any
/// configured maximum.
fn role_ttl_cap(superuser: bool, sub: Uuid, org: Option<Uuid>, role: Option<OrgRole>) -> i64 {
    let shared_org = org.is_some_and(|org| org != sub);
    let privileged = shared_org && role.is_some_and(OrgRole::is_privileged);
    match (superuser, privileged) {
        (true, _) => SUPERUSER_MAX_TTL_SECONDS,
        (false, true) => PRIVILEGED_ORG_ROLE_MAX_TTL_SECONDS,
        (false, false) => i64::MAX,
    }
}

/// A secret shorter than [`MIN_SECRET_BYTES`].
#[derive(Debug, thiserror::Error)]
#[error(
    "must be at least {MIN_SECRET_BYTES} bytes (got {0}); generate one with `openssl rand -hex 32`"
)]
pub struct WeakSecret(pub usize);

/// A signing secret. Its `Debug` never shows the value.
#[derive(Clone)]
pub struct JwtSecret(String);

impl JwtSecret {
    pub fn parse(value: &str) -> Result<Self, WeakSecret> {
        if value.len() < MIN_SECRET_BYTES {
            return Err(WeakSecret(value.len()));
        }
        Ok(Self(value.to_owned()))
    }
}

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtSecret(<redacted>)")
    }
}

/// What user-service signs with.
#[derive(Debug, Clone)]
pub enum SigningKey {
    Hs256(JwtSecret),
    EdDsa(crate::jwk::PrivateKey),
}

#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// user-service's signing key; `None` in a service that only verifies.
    pub signing: Option<SigningKey>,
    /// HS256 secrets that verify: `JWT_SECRET` and `JWT_PREVIOUS_SECRETS`
    /// in HS256 mode; in EdDSA mode only `JWT_PREVIOUS_SECRETS`, while a
    /// switch from HS256 lets older tokens expire.
    pub hs256_secrets: Vec<JwtSecret>,
    /// EdDSA public keys that verify, selected by `kid`.
    pub public_keys: Vec<crate::jwk::PublicKey>,
    pub audience: String,
    pub issuer: String,
    /// Longest `exp - iat` accepted, even on a correctly signed token: a
    /// leaked signing path cannot mint long-lived tokens that verify.
    pub max_ttl_seconds: i64,
}

impl JwtSettings {
    /// HS256 settings that sign and verify with `secret`, with the default
    /// audience, issuer and maximum lifetime, for tests and tools.
    pub fn with_secret(secret: &str) -> Result<Self, WeakSecret> {
        let secret = JwtSecret::parse(secret)?;
        Ok(Self {
            signing: Some(SigningKey::Hs256(secret.clone())),
            hs256_secrets: vec![secret],
            public_keys: Vec::new(),
            audience: DEFAULT_AUDIENCE.to_owned(),
            issuer: DEFAULT_ISSUER.to_owned(),
            max_ttl_seconds: DEFAULT_MAX_ACCESS_TOKEN_TTL_SECONDS,
        })
    }

    /// EdDSA settings that sign with `key` and verify with its public key.
    pub fn with_private_key(key: crate::jwk::PrivateKey) -> Self {
        Self {
            public_keys: vec![key.public_key().clone()],
            signing: Some(SigningKey::EdDsa(key)),
            hs256_secrets: Vec::new(),
            audience: DEFAULT_AUDIENCE.to_owned(),
            issuer: DEFAULT_ISSUER.to_owned(),
            max_ttl_seconds: DEFAULT_MAX_ACCESS_TOKEN_TTL_SECONDS,
        }
    }

    /// The same settings, verifying only.
    pub fn verifier_only(&self) -> Self {
        Self {
            signing: None,
            ..self.clone()
        }
    }
}

/// The claims of every access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// The user's id.
    pub sub: Uuid,
    pub email: String,
    pub superuser: bool,
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
    /// The user's session generation when the login began: user-service
    /// refuses a token from before a logout everywhere, a password change
    /// or a deactivation.
    #[serde(default)]
    pub sgen: i64,
    /// When the user last gave the password (RFC 9068 §2.2.1); a refresh
    /// keeps the login's. Irreversible operations ask for a recent one.
    #[serde(default)]
    pub auth_time: i64,
    /// The organization the token acts in; absent on tokens from before
    /// organizations, which act in the user's personal one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<Uuid>,
    /// The user's role in `org` when the token was issued. A token with an
    /// `org` and no valid `org_role` (or the reverse) is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_role: Option<OrgRole>,
}

impl AccessTokenClaims {
    /// The organization the token acts in, and the role in it: a token
    /// without an organization acts in the user's personal one, as its
    /// owner.
    pub fn organization(&self) -> (OrgId, OrgRole) {
        match (self.org, self.org_role) {
            (Some(org), Some(role)) => (OrgId::from(org), role),
            _ => (OrgId::personal(UserId::from(self.sub)), OrgRole::Owner),
        }
    }
}

/// Who a token is issued to.
#[derive(Debug, Clone)]
pub struct TokenSubject {
    pub user_id: Uuid,
    pub email: String,
    pub superuser: bool,
    pub session_generation: i64,
    /// Unix seconds of the login.
    pub auth_time: i64,
    /// The organization the token acts in and the user's role in it.
    pub org: OrgId,
    pub org_role: OrgRole,
}

#[derive(Debug, Clone)]
pub struct IssuedAccessToken {
    pub token: String,
    pub claims: AccessTokenClaims,
}

/// Signs access tokens (user-service only).
#[derive(Clone)]
pub struct AccessTokenIssuer {
    key: EncodingKey,
    algorithm: Algorithm,
    /// EdDSA: the key's thumbprint, so verifiers pick the key by it.
    kid: Option<String>,
    audience: String,
    issuer: String,
}

impl AccessTokenIssuer {
    pub fn new(key: &SigningKey, settings: &JwtSettings) -> Self {
        let (key, algorithm, kid) = match key {
            SigningKey::Hs256(secret) => (
                EncodingKey::from_secret(secret.0.as_bytes()),
                Algorithm::HS256,
                None,
            ),
            SigningKey::EdDsa(private) => (
                private.encoding_key(),
                Algorithm::EdDSA,
                Some(private.public_key().kid().to_owned()),
            ),
        };
        Self {
            key,
            algorithm,
            kid,
            audience: settings.audience.clone(),
            issuer: settings.issuer.clone(),
        }
    }

    /// A token living `ttl`, or [`SUPERUSER_MAX_TTL_SECONDS`] at most for
    /// a superuser and [`PRIVILEGED_ORG_ROLE_MAX_TTL_SECONDS`] for an owner
    /// or admin of a shared organization.
    pub fn issue(
        &self,
        subject: &TokenSubject,
        ttl: chrono::Duration,
    ) -> Result<IssuedAccessToken, jsonwebtoken::errors::Error> {
        let now = Utc::now().timestamp();
        let ttl = ttl.num_seconds().min(role_ttl_cap(
            subject.superuser,
            subject.user_id,
            Some(subject.org.as_uuid()),
            Some(subject.org_role),
        ));
        let claims = AccessTokenClaims {
            sub: subject.user_id,
            email: subject.email.clone(),
            superuser: subject.superuser,
            aud: self.audience.clone(),
            iss: self.issuer.clone(),
            iat: now,
            exp: now.saturating_add(ttl),
            jti: Uuid::new_v4(),
            sgen: subject.session_generation,
            auth_time: subject.auth_time,
            org: Some(subject.org.as_uuid()),
            org_role: Some(subject.org_role),
        };
        let header = Header {
            typ: Some(ACCESS_TOKEN_TYPE.to_owned()),
            kid: self.kid.clone(),
            ..Header::new(self.algorithm)
        };
        let token = jsonwebtoken::encode(&header, &claims, &self.key)?;
        Ok(IssuedAccessToken { token, claims })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is invalid")]
    Invalid,
}

/// Verifies access tokens: HS256 against the configured secrets, EdDSA
/// against the public key its `kid` names. A token whose algorithm the
/// configuration does not enable (`none`, HS512, RS256, or HS256 in EdDSA
/// mode: an HMAC keyed with a public key) is refused before its signature
/// is looked at.
#[derive(Clone)]
pub struct AccessTokenVerifier {
    secrets: Vec<DecodingKey>,
    public_keys: Vec<(String, DecodingKey)>,
    hs256: Validation,
    eddsa: Validation,
    max_ttl_seconds: i64,
}

impl AccessTokenVerifier {
    pub fn new(settings: &JwtSettings) -> Self {
        let secrets = settings
            .hs256_secrets
            .iter()
            .map(|s| DecodingKey::from_secret(s.0.as_bytes()))
            .collect();
        let public_keys = settings
            .public_keys
            .iter()
            .filter_map(|k| Some((k.kid().to_owned(), k.decoding_key()?)))
            .collect();
        let validation = |algorithm| {
            // One algorithm each: `decode` refuses a header naming another.
            let mut validation = Validation::new(algorithm);
            validation.leeway = LEEWAY_SECONDS;
            validation.validate_nbf = true;
            validation.set_audience(&[&settings.audience]);
            validation.set_issuer(&[&settings.issuer]);
            validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
            validation
        };
        Self {
            secrets,
            public_keys,
            hs256: validation(Algorithm::HS256),
            eddsa: validation(Algorithm::EdDSA),
            max_ttl_seconds: settings.max_ttl_seconds,
        }
    }

    pub fn verify_access_token(&self, token: &str) -> Result<AccessTokenClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        let (keys, validation): (Vec<&DecodingKey>, _) = match header.alg {
            Algorithm::HS256 => (self.secrets.iter().collect(), &self.hs256),
            Algorithm::EdDSA => {
                // The key the `kid` names, and no other: an unknown kid is
                // refused.
                let kid = header.kid.as_deref().ok_or(TokenError::Invalid)?;
                let key = self.public_keys.iter().find(|(k, _)| k == kid);
                (key.map(|(_, key)| key).into_iter().collect(), &self.eddsa)
            }
            _ => return Err(TokenError::Invalid),
        };
        for key in keys {
            match jsonwebtoken::decode::<AccessTokenClaims>(token, key, validation) {
                Ok(data) => {
                    let typed = data.header.typ.as_deref().is_some_and(|typ| {
                        typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYPE)
                            || typ.eq_ignore_ascii_case("application/at+jwt")
                    });
                    let claims = data.claims;
                    let organized = claims.org.is_some() == claims.org_role.is_some();
                    if !typed || !organized || !self.plausible_lifetime(&claims) {
                        return Err(TokenError::Invalid);
                    }
                    return Ok(claims);
                }
                // Try the next (previous) secret only when the MAC is what failed.
                Err(e) if matches!(e.kind(), ErrorKind::InvalidSignature) => continue,
                Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => {
                    return Err(TokenError::Expired);
                }
                Err(_) => return Err(TokenError::Invalid),
            }
        }
        Err(TokenError::Invalid)
    }

    /// A token issued in the future was not issued by us, nor one that
    /// lives longer than any we issue (a superuser's, or an owner's or
    /// admin's of a shared organization: at most 300 s). Checked
    /// arithmetic: the claims are the sender's numbers.
    fn plausible_lifetime(&self, claims: &AccessTokenClaims) -> bool {
        let now = Utc::now().timestamp();
        let max = self.max_ttl_seconds.min(role_ttl_cap(
            claims.superuser,
            claims.sub,
            claims.org,
            claims.org_role,
        ));
        let lifetime = claims.exp.checked_sub(claims.iat);
        claims.iat >= 0
            && claims.iat <= now.saturating_add(LEEWAY_SECONDS as i64)
            && lifetime.is_some_and(|l| (0..=max).contains(&l))
            && (0..=claims.iat.saturating_add(LEEWAY_SECONDS as i64)).contains(&claims.auth_time)
    }
}

#[cfg(test)]
mod tests;
