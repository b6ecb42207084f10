//! Opaque bearer secrets (refresh, reset and verification tokens): 256
//! random bits shown once to the client and stored only as SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub struct OpaqueToken {
    /// What the client receives.
    pub value: String,
    /// What the database keeps.
    pub hash: String,
}

impl OpaqueToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let value = URL_SAFE_NO_PAD.encode(bytes);
        let hash = hash_token(&value);
        Self { value, hash }
    }
}

/// What a mailed single-use token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    ResetPassword,
    VerifyEmail,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResetPassword => "reset_password",
            Self::VerifyEmail => "verify_email",
        }
    }

    pub fn lifetime_seconds(self) -> i64 {
        match self {
            Self::ResetPassword => 3600,
            Self::VerifyEmail => 24 * 3600,
        }
    }
}

/// A fast hash is enough: the input has 256 bits of entropy, so there is
/// nothing to brute-force, unlike a password.
pub fn hash_token(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hash_to_what_is_stored() {
        let a = OpaqueToken::generate();
        let b = OpaqueToken::generate();
        assert_ne!(a.value, b.value);
        assert_eq!(a.value.len(), 43);
        assert_eq!(hash_token(&a.value), a.hash);
        assert_eq!(a.hash.len(), 64);
    }
}
