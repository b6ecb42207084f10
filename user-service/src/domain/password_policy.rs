//! NIST SP 800-63B memorised-secret rules: length, not composition.

use common::error::FieldError;

pub const MIN_PASSWORD_CHARS: usize = 8;
/// Long enough for passphrases, short enough that hashing stays cheap to refuse.
pub const MAX_PASSWORD_CHARS: usize = 128;

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
        if raw.trim().eq_ignore_ascii_case(email.trim()) {
            return Err(FieldError::new(field, "must not be the email address"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
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
    fn eight_to_128_characters_of_anything_are_accepted() {
        assert!(NewPassword::parse("password", "12345678", "a@b.co").is_ok());
        assert!(NewPassword::parse("password", "пароль-ü-🌍🌍", "a@b.co").is_ok());
        assert!(NewPassword::parse("password", &"x".repeat(128), "a@b.co").is_ok());
    }

    #[test]
    fn too_short_or_too_long_is_refused() {
        assert!(NewPassword::parse("password", "1234567", "a@b.co").is_err());
        assert!(NewPassword::parse("password", &"x".repeat(129), "a@b.co").is_err());
    }

    #[test]
    fn the_email_as_password_is_refused() {
        let err = NewPassword::parse("password", "Ada@Example.com", "ada@example.com").unwrap_err();
        assert_eq!(err.field, "password");
    }
}
