//! Ed25519 keys for EdDSA access tokens (`JWT_ALGORITHM=EdDSA`):
//! user-service's private key, a PKCS #8 PEM file as
//! `openssl genpkey -algorithm ed25519` writes it, and the public keys the
//! verifiers hold, as a JWK Set (RFC 7517, RFC 8037) whose `kid`s are the
//! keys' RFC 7638 thumbprints.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{DecodingKey, EncodingKey};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Why a key file was refused; the message names what to fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error(
        "is not an unencrypted PKCS #8 PEM private key (`-----BEGIN PRIVATE KEY-----`); create one with `openssl genpkey -algorithm ed25519 -out jwt-private.pem`"
    )]
    NotPkcs8Pem,
    #[error("holds a private key that is not Ed25519")]
    NotEd25519,
    #[error("is not a JWK Set (`{{\"keys\": [...]}}`): {0}")]
    NotJwks(String),
    #[error("lists no key")]
    Empty,
    #[error("key {index}: {reason}")]
    BadJwk { index: usize, reason: &'static str },
}

/// An Ed25519 public key and its `kid`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    /// The 32 key bytes, base64url (the JWK's `x`).
    x: String,
    /// The RFC 7638 thumbprint.
    kid: String,
}

impl PublicKey {
    fn from_bytes(bytes: &[u8]) -> Self {
        let x = URL_SAFE_NO_PAD.encode(bytes);
        // RFC 7638 §3.2: the required members, in lexicographic order, no
        // whitespace.
        let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        Self { x, kid }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn to_jwk(&self) -> Jwk {
        Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: self.x.clone(),
            kid: Some(self.kid.clone()),
            alg: Some("EdDSA".into()),
            key_use: Some("sig".into()),
        }
    }

    pub(crate) fn decoding_key(&self) -> Option<DecodingKey> {
        DecodingKey::from_ed_components(&self.x).ok()
    }
}

/// user-service's signing key. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct PrivateKey {
    der: Vec<u8>,
    public: PublicKey,
}

impl PrivateKey {
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let body = pem
            .trim()
            .strip_prefix("-----BEGIN PRIVATE KEY-----")
            .and_then(|rest| rest.strip_suffix("-----END PRIVATE KEY-----"))
            .ok_or(KeyError::NotPkcs8Pem)?;
        let compact: String = body.split_whitespace().collect();
        let der = STANDARD
            .decode(compact)
            .map_err(|_| KeyError::NotPkcs8Pem)?;
        let pair =
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(|_| KeyError::NotEd25519)?;
        let public = PublicKey::from_bytes(pair.public_key().as_ref());
        Ok(Self { der, public })
    }

    /// A new key as PEM (tests and tools).
    pub fn generate_pem() -> String {
        let rng = ring::rand::SystemRandom::new();
        let der = Ed25519KeyPair::generate_pkcs8(&rng)
            .map(|doc| doc.as_ref().to_vec())
            .unwrap_or_default();
        let body = STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .filter_map(|c| std::str::from_utf8(c).ok())
            .collect();
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        )
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    pub(crate) fn encoding_key(&self) -> EncodingKey {
        EncodingKey::from_ed_der(&self.der)
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(kid {}, <redacted>)", self.public.kid)
    }
}

/// One public key as a JWK (RFC 8037 §2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", "alg": "EdDSA", "use": "sig"}))]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
}

/// A JWK Set (RFC 7517 §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    pub fn of(keys: &[PublicKey]) -> Self {
        Self {
            keys: keys.iter().map(PublicKey::to_jwk).collect(),
        }
    }

    /// The Ed25519 keys of a JWKS document. A `kid`, when given, must be
    /// the key's thumbprint (the one user-service puts in its tokens).
    pub fn parse(json: &str) -> Result<Vec<PublicKey>, KeyError> {
        let set: JwkSet =
            serde_json::from_str(json).map_err(|e| KeyError::NotJwks(e.to_string()))?;
        if set.keys.is_empty() {
            return Err(KeyError::Empty);
        }
        set.keys
            .iter()
            .enumerate()
            .map(|(index, jwk)| {
                let bad = |reason| KeyError::BadJwk { index, reason };
                if jwk.kty != "OKP" || jwk.crv != "Ed25519" {
                    return Err(bad("must be kty OKP, crv Ed25519"));
                }
                if jwk.alg.as_deref().is_some_and(|alg| alg != "EdDSA") {
                    return Err(bad("alg must be EdDSA"));
                }
                let bytes = URL_SAFE_NO_PAD
                    .decode(&jwk.x)
                    .ok()
                    .filter(|b| b.len() == 32)
                    .ok_or(bad("x must be 32 bytes, base64url"))?;
                let key = PublicKey::from_bytes(&bytes);
                if jwk.kid.as_deref().is_some_and(|kid| kid != key.kid) {
                    return Err(bad(
                        "kid must be the key's RFC 7638 thumbprint (or left out)",
                    ));
                }
                Ok(key)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_reads_back_and_its_kid_is_its_thumbprint() {
        let key = PrivateKey::from_pem(&PrivateKey::generate_pem()).unwrap();
        let jwks = serde_json::to_string(&JwkSet::of(&[key.public_key().clone()])).unwrap();
        assert_eq!(JwkSet::parse(&jwks).unwrap(), [key.public_key().clone()]);
        assert_eq!(key.public_key().kid().len(), 43);
    }

    #[test]
    fn the_rfc_8037_example_key_has_the_rfc_s_thumbprint() {
        // RFC 8037 appendix A.3.
        let jwks = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
        let keys = JwkSet::parse(jwks).unwrap();
        assert_eq!(keys[0].kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    #[test]
    fn an_openssl_v1_pkcs8_key_reads() {
        // `openssl genpkey -algorithm ed25519` writes PKCS #8 v1 (no public
        // key inside); this is RFC 8410 §10.3's example key.
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
        let key = PrivateKey::from_pem(pem).unwrap();
        assert_eq!(
            key.public_key().to_jwk().x,
            "Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE"
        );
    }

    #[test]
    fn other_keys_and_documents_are_refused_naming_why() {
        assert_eq!(
            PrivateKey::from_pem("hello").unwrap_err(),
            KeyError::NotPkcs8Pem
        );
        let encrypted =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----";
        assert_eq!(
            PrivateKey::from_pem(encrypted).unwrap_err(),
            KeyError::NotPkcs8Pem
        );
        assert_eq!(
            JwkSet::parse(r#"{"keys":[]}"#).unwrap_err(),
            KeyError::Empty
        );
        let rsa = r#"{"keys":[{"kty":"RSA","crv":"","x":""}]}"#;
        assert!(matches!(
            JwkSet::parse(rsa),
            Err(KeyError::BadJwk { index: 0, .. })
        ));
        let wrong_kid = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"mine"}]}"#;
        assert!(matches!(
            JwkSet::parse(wrong_kid),
            Err(KeyError::BadJwk { index: 0, .. })
        ));
    }
}
