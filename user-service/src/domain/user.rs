//! The user as stored and as shown.

use serde::{Deserialize, Serialize};

use super::password_policy::NewPassword;
use common::ids::UserId;
use common::validation::{FieldError, Invalid};

/// RFC 5321 limits a forward path to 256 octets, so an address to 254.
pub const MAX_EMAIL_LENGTH: usize = 254;

/// An email address: trimmed, lower-cased and syntactically valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserEmail(String);

impl UserEmail {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_lowercase();
        if email.chars().count() > MAX_EMAIL_LENGTH {
            return Err(FieldError::new(
                "email",
                format!("must be at most {MAX_EMAIL_LENGTH} characters"),
            ));
        }
        // `email_address` follows RFC 5322; also require a dot in the domain
        // so typos like `a@localhost` don't become accounts.
        let valid = email_address::EmailAddress::is_valid(&email)
            && email
                .rsplit_once('@')
                .is_some_and(|(_, domain)| domain.contains('.') && !domain.ends_with('.'));
        if !valid {
            return Err(FieldError::new("email", "is not a valid email address"));
        }
        Ok(Self(email))
    }

    /// For look-ups: the same normalisation without validation, so that a
    /// malformed address simply finds nobody.
    pub fn normalize(raw: &str) -> String {
        raw.trim().to_lowercase()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email and a new password, both checked, every error reported at once
/// (registration, the bootstrap superuser).
pub fn parse_credentials(email: &str, password: &str) -> Result<(UserEmail, NewPassword), Invalid> {
    let email = UserEmail::parse(email);
    let password = NewPassword::parse(
        "password",
        password,
        email.as_ref().map(|e| e.as_str()).unwrap_or(""),
    );
    match (email, password) {
        (Ok(email), Ok(password)) => Ok((email, password)),
        (email, password) => Err(Invalid(
            [email.err(), password.err()]
                .into_iter()
                .flatten()
                .collect(),
        )),
    }
}

/// The start of the addresses a superuser looks for: normalised as an
/// address is, so `Ada@` finds `ada@example.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailPrefix(String);

impl EmailPrefix {
    /// `None` for an empty prefix (every account).
    pub fn parse(raw: &str) -> Result<Option<Self>, FieldError> {
        let prefix = UserEmail::normalize(raw);
        if prefix.chars().count() > MAX_EMAIL_LENGTH {
            return Err(FieldError::new(
                "email",
                format!("must be at most {MAX_EMAIL_LENGTH} characters"),
            ));
        }
        if prefix.chars().any(char::is_control) {
            return Err(FieldError::new(
                "email",
                "must not contain control characters",
            ));
        }
        Ok((!prefix.is_empty()).then_some(Self(prefix)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user document in the `users` collection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// Stored as the UUID's string, so it reads the same in every tool.
    #[serde(rename = "_id")]
    pub id: UserId,
    pub email: String,
    /// Argon2id PHC string. Never leaves this service.
    pub hashed_password: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub is_verified: bool,
    pub created_at: bson::DateTime,
    pub updated_at: bson::DateTime,
    /// Wrong passwords in a row from every client together (attempts
    /// under way included); reset by a successful login or a password
    /// reset. At `LOGIN_FAILURES_BEFORE_RESET` only a reset unlocks.
    pub failed_logins: i32,
    /// Bumped to end every session at once (logout everywhere, a password
    /// change or reset, deactivation); a refresh-token family issued under
    /// an older generation is refused.
    pub session_generation: i64,
}

impl User {
    pub fn new(email: UserEmail, hashed_password: String) -> Self {
        let now = bson::DateTime::now();
        Self {
            id: UserId::new(),
            email: email.0,
            hashed_password,
            is_active: true,
            is_superuser: false,
            is_verified: false,
            created_at: now,
            updated_at: now,
            failed_logins: 0,
            session_generation: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_trimmed_and_lower_cased() {
        assert_eq!(
            UserEmail::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for raw in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@localhost",
            "a b@example.com",
            "ada@example.",
        ] {
            assert!(UserEmail::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn an_email_prefix_is_normalised_and_empty_means_everyone() {
        let found = EmailPrefix::parse(" Ada@Ex ").unwrap().unwrap();
        assert_eq!(found.as_str(), "ada@ex");
        assert_eq!(EmailPrefix::parse("  ").unwrap(), None);
        assert_eq!(
            EmailPrefix::parse(&"a".repeat(255)).unwrap_err().field,
            "email"
        );
        assert_eq!(EmailPrefix::parse("a\u{0}").unwrap_err().field, "email");
    }

    #[test]
    fn an_email_over_254_characters_is_refused() {
        let local = "a".repeat(64);
        let domain = format!("{}.com", vec!["b".repeat(60); 4].join("."));
        let long = format!("{local}@{domain}");
        assert!(long.len() > 254);
        assert!(UserEmail::parse(&long).is_err());
    }
}
