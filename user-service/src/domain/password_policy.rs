//! NIST SP 800-63B §5.1.1.2 memorised-secret rules: length, and no
//! password that is commonly used, expected or derived from the account
//! (not composition rules).
//!
//! "Commonly used" is judged by zxcvbn (the `zxcvbn` crate, a port of
//! Dropbox's estimator), offline: its bundled lists hold 30,000 common and
//! breached passwords and the most frequent names and English words, and
//! it recognises keyboard walks (`qwertyuiop`), sequences, repeats, dates
//! and l33t spellings of all of these. The service cannot reach the
//! internet, so a hosted breach corpus is not an option.

use common::error::FieldError;

pub const MIN_PASSWORD_CHARS: usize = 8;
/// Long enough for passphrases, short enough that hashing stays cheap to refuse.
pub const MAX_PASSWORD_CHARS: usize = 128;
/// The least zxcvbn score accepted: `Three` means more than 10^8 guesses,
/// beyond any online attack the lockout allows and costly offline against
/// argon2id. `password`, `12345678`, `qwertyuiop` and `password123` score 0.
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// A password that meets the policy. Its `Debug` hides it.
pub struct NewPassword(String);

impl NewPassword {
    /// `field` names the input in errors (`password`).
    pub fn parse(field: &str, raw: &str, email: &str) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
            return Err(FieldError::new(
                field,
                format!("must be between {MIN_PASSWORD_CHARS} and {MAX_PASSWORD_CHARS} characters"),
            ));
        }
        let email = email.trim().to_lowercase();
        let local_part = email.split('@').next().unwrap_or_default();
        if derived_from(raw, &email) || derived_from(raw, local_part) {
            return Err(FieldError::new(
                field,
                "must not be made mostly of your email address or the part before its @",
            ));
        }
        let estimate = zxcvbn::zxcvbn(raw, &[email.as_str(), local_part]);
        if estimate.score() < MIN_SCORE {
            let why = estimate
                .feedback()
                .and_then(|f| f.warning())
                .map(|w| format!(" ({w})"))
                .unwrap_or_default();
            return Err(FieldError::new(
                field,
                format!(
                    "is too easy to guess{why}; choose something less common, such as three or \
                     four unrelated words"
                ),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Whether `password` is mostly `account` (letters and digits compared,
/// case ignored): it contains it, and it makes up at least half of it.
/// `ada.lovelace` refuses `AdaLovelace1`; `root` does not refuse
/// `root passphrase 123`, whose strength zxcvbn judges.
fn derived_from(password: &str, account: &str) -> bool {
    let letters = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let (password, account) = (letters(password), letters(account));
    let (p, a) = (password.chars().count(), account.chars().count());
    a >= 3 && password.contains(&account) && 2 * a >= p
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_to_128_characters_of_any_kind_are_accepted_when_uncommon() {
        assert!(NewPassword::parse("password", "correct horse battery staple", "a@b.co").is_ok());
        assert!(NewPassword::parse("password", "пароль-ü-🌍🌍-tundra", "a@b.co").is_ok());
        assert!(NewPassword::parse("password", "Tr0ub4dor&3", "a@b.co").is_ok());
        let long: String = "gravel lantern ".repeat(9).chars().take(128).collect();
        assert!(NewPassword::parse("password", &long, "a@b.co").is_ok());
    }

    #[test]
    fn too_short_or_too_long_is_refused() {
        assert!(NewPassword::parse("password", "k9#Zq!2", "a@b.co").is_err());
        assert!(NewPassword::parse("password", &"x".repeat(129), "a@b.co").is_err());
    }

    #[test]
    fn common_and_breached_passwords_are_refused_with_a_reason() {
        for common in [
            "password",
            "12345678",
            "qwertyuiop",
            "password123",
            "iloveyou2",
            "aaaaaaaaaa",
        ] {
            let err = NewPassword::parse("password", common, "a@b.co").unwrap_err();
            assert_eq!(err.field, "password");
            assert!(
                err.message.starts_with("is too easy to guess"),
                "{common}: {}",
                err.message
            );
        }
    }

    #[test]
    fn the_email_or_its_local_part_inside_the_password_is_refused() {
        for derived in [
            "ada.lovelace",
            "AdaLovelace1",
            "ADA.LOVELACE-rocks-2026",
            "ada.lovelace@example.com",
        ] {
            let err =
                NewPassword::parse("password", derived, "ada.lovelace@example.com").unwrap_err();
            assert!(err.message.contains("email"), "{derived}: {}", err.message);
        }
        assert!(NewPassword::parse("password", "root passphrase 123", "root@example.com").is_ok());
    }

    #[test]
    fn the_email_as_password_is_refused() {
        let err = NewPassword::parse("password", "Ada@Example.com", "ada@example.com").unwrap_err();
        assert_eq!(err.field, "password");
    }
}
