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
    /// a superuser.
    pub fn issue(
        &self,
        subject: &TokenSubject,
        ttl: chrono::Duration,
    ) -> Result<IssuedAccessToken, jsonwebtoken::errors::Error> {
        let now = Utc::now().timestamp();
        let ttl = if subject.superuser {
            ttl.num_seconds().min(SUPERUSER_MAX_TTL_SECONDS)
        } else {
            ttl.num_seconds()
        };
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
                    if !typed || !self.plausible_lifetime(&claims) {
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
    /// lives longer than any we issue (a superuser's: at most
    /// [`SUPERUSER_MAX_TTL_SECONDS`]). Checked arithmetic: the claims are
    /// the sender's numbers.
    fn plausible_lifetime(&self, claims: &AccessTokenClaims) -> bool {
        let now = Utc::now().timestamp();
        let max = if claims.superuser {
            self.max_ttl_seconds.min(SUPERUSER_MAX_TTL_SECONDS)
        } else {
            self.max_ttl_seconds
        };
        let lifetime = claims.exp.checked_sub(claims.iat);
        claims.iat >= 0
            && claims.iat <= now.saturating_add(LEEWAY_SECONDS as i64)
            && lifetime.is_some_and(|l| (0..=max).contains(&l))
            && (0..=claims.iat.saturating_add(LEEWAY_SECONDS as i64)).contains(&claims.auth_time)
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    const SECRET: &str = "current-secret-current-secret-0001";
    const OLD_SECRET: &str = "previous-secret-previous-secret-01";

    fn settings() -> JwtSettings {
        JwtSettings::with_secret(SECRET).unwrap()
    }

    fn subject() -> TokenSubject {
        TokenSubject {
            user_id: Uuid::new_v4(),
            email: "a@example.com".into(),
            superuser: false,
            session_generation: 0,
            auth_time: Utc::now().timestamp(),
        }
    }

    fn claims_with(edit: impl FnOnce(&mut AccessTokenClaims)) -> AccessTokenClaims {
        let now = Utc::now().timestamp();
        let mut claims = AccessTokenClaims {
            sub: Uuid::new_v4(),
            email: "a@example.com".into(),
            superuser: false,
            aud: DEFAULT_AUDIENCE.into(),
            iss: DEFAULT_ISSUER.into(),
            iat: now,
            exp: now + 600,
            jti: Uuid::new_v4(),
            sgen: 0,
            auth_time: now,
        };
        edit(&mut claims);
        claims
    }

    fn sign(alg: Algorithm, secret: &str, claims: &AccessTokenClaims) -> String {
        sign_typed(alg, Some(ACCESS_TOKEN_TYPE), secret, claims)
    }

    fn sign_typed(
        alg: Algorithm,
        typ: Option<&str>,
        secret: &str,
        claims: &AccessTokenClaims,
    ) -> String {
        crate::testing::sign_jwt(alg, typ, secret, claims)
    }

    fn issuer(settings: &JwtSettings) -> AccessTokenIssuer {
        AccessTokenIssuer::new(settings.signing.as_ref().unwrap(), settings)
    }

    fn verifier() -> AccessTokenVerifier {
        AccessTokenVerifier::new(&settings())
    }

    #[test]
    fn a_token_it_issued_verifies_with_its_claims() {
        let issuer = issuer(&settings());
        let issued = issuer
            .issue(&subject(), chrono::Duration::minutes(15))
            .unwrap();
        let claims = verifier().verify_access_token(&issued.token).unwrap();
        assert_eq!(claims, issued.claims);
        assert_eq!(claims.aud, "carbon-platform");
        assert_eq!(claims.iss, "user-service");
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn an_expired_token_is_rejected_as_expired() {
        let claims = claims_with(|c| {
            c.iat -= 3600;
            c.exp = Utc::now().timestamp() - 120;
        });
        let token = sign(Algorithm::HS256, SECRET, &claims);
        assert_eq!(
            verifier().verify_access_token(&token),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_token_expired_within_the_leeway_is_still_accepted() {
        let claims = claims_with(|c| {
            c.iat -= 600;
            c.auth_time = c.iat;
            c.exp = Utc::now().timestamp() - 5;
        });
        let token = sign(Algorithm::HS256, SECRET, &claims);
        assert!(verifier().verify_access_token(&token).is_ok());
    }

    #[test]
    fn a_wrong_audience_is_rejected() {
        let token = sign(
            Algorithm::HS256,
            SECRET,
            &claims_with(|c| c.aud = "someone-else".into()),
        );
        assert_eq!(
            verifier().verify_access_token(&token),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn a_wrong_issuer_is_rejected() {
        let token = sign(
            Algorithm::HS256,
            SECRET,
            &claims_with(|c| c.iss = "evil".into()),
        );
        assert_eq!(
            verifier().verify_access_token(&token),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn a_token_issued_in_the_future_is_rejected() {
        let token = sign(Algorithm::HS256, SECRET, &claims_with(|c| c.iat += 3600));
        assert_eq!(
            verifier().verify_access_token(&token),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn an_unsigned_alg_none_token_is_rejected() {
        let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = b64(&serde_json::to_vec(&claims_with(|_| {})).unwrap());
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}"),
        ] {
            assert_eq!(
                verifier().verify_access_token(&token),
                Err(TokenError::Invalid)
            );
        }
    }

    #[test]
    fn an_hs512_token_with_the_right_secret_is_rejected() {
        let token = sign(Algorithm::HS512, SECRET, &claims_with(|_| {}));
        assert_eq!(
            verifier().verify_access_token(&token),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn an_rs256_header_is_rejected() {
        // Key confusion: an RS256 header with an HMAC made from the shared secret.
        let valid = sign(Algorithm::HS256, SECRET, &claims_with(|_| {}));
        let (_, rest) = valid.split_once('.').unwrap();
        let header = b64(br#"{"alg":"RS256","typ":"JWT"}"#);
        let token = format!("{header}.{rest}");
        assert_eq!(
            verifier().verify_access_token(&token),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn a_tampered_payload_is_rejected() {
        let valid = sign(Algorithm::HS256, SECRET, &claims_with(|_| {}));
        let parts: Vec<&str> = valid.split('.').collect();
        let forged = b64(&serde_json::to_vec(&claims_with(|c| c.superuser = true)).unwrap());
        let token = format!("{}.{}.{}", parts[0], forged, parts[2]);
        assert_eq!(
            verifier().verify_access_token(&token),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn a_token_signed_with_another_secret_is_rejected() {
        let token = sign(
            Algorithm::HS256,
            "some-other-secret-some-other-secret",
            &claims_with(|_| {}),
        );
        assert_eq!(
            verifier().verify_access_token(&token),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn garbage_and_truncated_tokens_are_rejected() {
        let valid = sign(Algorithm::HS256, SECRET, &claims_with(|_| {}));
        for token in ["", "garbage", "a.b.c", &valid[..valid.len() - 10]] {
            assert_eq!(
                verifier().verify_access_token(token),
                Err(TokenError::Invalid),
                "{token}"
            );
        }
    }

    #[test]
    fn after_rotation_an_old_token_verifies_and_new_tokens_use_the_new_secret() {
        let old_token = sign(Algorithm::HS256, OLD_SECRET, &claims_with(|_| {}));
        let mut rotated = settings();
        rotated
            .hs256_secrets
            .push(JwtSecret::parse(OLD_SECRET).unwrap());
        let verifier = AccessTokenVerifier::new(&rotated);
        assert!(verifier.verify_access_token(&old_token).is_ok());

        let new_token = issuer(&rotated)
            .issue(&subject(), chrono::Duration::minutes(5))
            .unwrap()
            .token;
        let only_current = AccessTokenVerifier::new(&settings());
        assert!(only_current.verify_access_token(&new_token).is_ok());
        let only_old = AccessTokenVerifier::new(&JwtSettings::with_secret(OLD_SECRET).unwrap());
        assert_eq!(
            only_old.verify_access_token(&new_token),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn issued_tokens_are_typed_as_access_tokens() {
        let issued = issuer(&settings())
            .issue(&subject(), chrono::Duration::minutes(15))
            .unwrap();
        let header = jsonwebtoken::decode_header(&issued.token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    }

    #[test]
    fn a_signed_token_without_the_access_token_type_is_rejected() {
        for typ in [None, Some("JWT"), Some("refresh+jwt")] {
            let token = sign_typed(Algorithm::HS256, typ, SECRET, &claims_with(|_| {}));
            assert_eq!(
                verifier().verify_access_token(&token),
                Err(TokenError::Invalid),
                "{typ:?}"
            );
        }
        let token = sign_typed(
            Algorithm::HS256,
            Some("application/at+JWT"),
            SECRET,
            &claims_with(|_| {}),
        );
        assert!(verifier().verify_access_token(&token).is_ok());
    }

    #[test]
    fn a_signed_token_living_longer_than_the_maximum_is_rejected() {
        let too_long = claims_with(|c| c.exp = c.iat + DEFAULT_MAX_ACCESS_TOKEN_TTL_SECONDS + 1);
        let token = sign(Algorithm::HS256, SECRET, &too_long);
        assert_eq!(
            verifier().verify_access_token(&token),
            Err(TokenError::Invalid)
        );
        let longest = claims_with(|c| c.exp = c.iat + DEFAULT_MAX_ACCESS_TOKEN_TTL_SECONDS);
        let token = sign(Algorithm::HS256, SECRET, &longest);
        assert!(verifier().verify_access_token(&token).is_ok());
    }

    #[test]
    fn lifetimes_that_overflow_or_run_backwards_are_rejected() {
        for edit in [
            (|c: &mut AccessTokenClaims| c.iat = i64::MIN) as fn(&mut AccessTokenClaims),
            |c| c.iat = -10,
            |c| c.exp = c.iat - 1,
            |c| c.auth_time = c.iat + 3600,
            |c| c.auth_time = -1,
        ] {
            let mut claims = claims_with(|_| {});
            edit(&mut claims);
            let token = sign(Algorithm::HS256, SECRET, &claims);
            assert_eq!(
                verifier().verify_access_token(&token),
                Err(TokenError::Invalid),
                "{claims:?}"
            );
        }
    }

    #[test]
    fn superuser_tokens_are_issued_for_five_minutes_and_no_longer_accepted() {
        let superuser = TokenSubject {
            superuser: true,
            ..subject()
        };
        let issued = issuer(&settings())
            .issue(&superuser, chrono::Duration::minutes(15))
            .unwrap();
        assert_eq!(
            issued.claims.exp - issued.claims.iat,
            SUPERUSER_MAX_TTL_SECONDS
        );
        assert!(verifier().verify_access_token(&issued.token).is_ok());
        let long_lived = claims_with(|c| {
            c.superuser = true;
            c.exp = c.iat + SUPERUSER_MAX_TTL_SECONDS + 1;
        });
        let token = sign(Algorithm::HS256, SECRET, &long_lived);
        assert_eq!(
            verifier().verify_access_token(&token),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        assert!(!format!("{:?}", settings()).contains(SECRET));
    }

    mod eddsa {
        use super::*;
        use crate::jwk::{JwkSet, PrivateKey};

        fn signer() -> JwtSettings {
            JwtSettings::with_private_key(
                PrivateKey::from_pem(&PrivateKey::generate_pem()).unwrap(),
            )
        }

        /// What a verifier holds: the public keys of a JWKS file, no secret.
        fn public_only(signer: &JwtSettings) -> JwtSettings {
            let jwks = serde_json::to_string(&JwkSet::of(&signer.public_keys)).unwrap();
            JwtSettings {
                signing: None,
                public_keys: JwkSet::parse(&jwks).unwrap(),
                ..signer.clone()
            }
        }

        #[test]
        fn a_token_verifies_with_only_the_public_key_and_names_its_kid() {
            let signer = signer();
            let issued = issuer(&signer)
                .issue(&subject(), chrono::Duration::minutes(5))
                .unwrap();
            let header = jsonwebtoken::decode_header(&issued.token).unwrap();
            assert_eq!(header.alg, Algorithm::EdDSA);
            assert_eq!(header.kid.as_deref(), Some(signer.public_keys[0].kid()));
            let verifier = AccessTokenVerifier::new(&public_only(&signer));
            assert_eq!(
                verifier.verify_access_token(&issued.token),
                Ok(issued.claims)
            );
        }

        #[test]
        fn an_hs256_token_keyed_with_the_public_key_is_refused() {
            let signer = signer();
            let jwk = signer.public_keys[0].to_jwk();
            let verifier = AccessTokenVerifier::new(&public_only(&signer));
            let jwk_json = serde_json::to_string(&jwk).unwrap();
            for public in [jwk.x.as_str(), jwk_json.as_str()] {
                let mut header = Header::new(Algorithm::HS256);
                header.typ = Some(ACCESS_TOKEN_TYPE.into());
                header.kid = jwk.kid.clone();
                let forged = jsonwebtoken::encode(
                    &header,
                    &claims_with(|_| {}),
                    &EncodingKey::from_secret(public.as_bytes()),
                )
                .unwrap();
                assert_eq!(
                    verifier.verify_access_token(&forged),
                    Err(TokenError::Invalid)
                );
            }
        }

        #[test]
        fn a_token_of_an_unknown_or_missing_kid_is_refused() {
            let verifier = AccessTokenVerifier::new(&public_only(&signer()));
            let other = signer();
            let token = issuer(&other)
                .issue(&subject(), chrono::Duration::minutes(5))
                .unwrap()
                .token;
            assert_eq!(
                verifier.verify_access_token(&token),
                Err(TokenError::Invalid)
            );
        }

        #[test]
        fn after_a_switch_from_hs256_old_tokens_verify_only_while_the_old_secret_is_listed() {
            let old = sign(Algorithm::HS256, SECRET, &claims_with(|_| {}));
            let signer = signer();
            let strict = AccessTokenVerifier::new(&public_only(&signer));
            assert_eq!(strict.verify_access_token(&old), Err(TokenError::Invalid));
            let mut switching = public_only(&signer);
            switching.hs256_secrets = vec![JwtSecret::parse(SECRET).unwrap()];
            assert!(
                AccessTokenVerifier::new(&switching)
                    .verify_access_token(&old)
                    .is_ok()
            );
        }

        #[test]
        fn an_hs256_verifier_refuses_an_eddsa_token() {
            let token = issuer(&signer())
                .issue(&subject(), chrono::Duration::minutes(5))
                .unwrap()
                .token;
            assert_eq!(
                verifier().verify_access_token(&token),
                Err(TokenError::Invalid)
            );
        }
    }
}
