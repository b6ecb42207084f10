//! The one place where the service layer's errors become HTTP answers.
//! (The token endpoints answer in RFC 6749's format: `oauth`.)

use common::error::ApiError;

use crate::password::HashError;
use crate::service::Failure;
use crate::service::accounts::AccountError;

impl From<HashError> for ApiError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy {
                retry_after_seconds,
            } => ApiError::Busy {
                retry_after_seconds,
            },
            other => ApiError::internal(other),
        }
    }
}

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Hash(e) => e.into(),
            Failure::Store(e) => e.into(),
            Failure::Signing(e) => ApiError::internal(e),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Invalid(invalid) => invalid.into(),
            AccountError::EmailTaken => {
                ApiError::Conflict("An account with this email address already exists.".into())
            }
            AccountError::NotFound => ApiError::not_found(),
            AccountError::Gone => ApiError::Unauthorized {
                token_sent: true,
                detail: "The account no longer exists or is deactivated.".into(),
            },
            AccountError::SessionEnded => ApiError::Unauthorized {
                token_sent: true,
                detail: "The session of this access token has ended; log in again.".into(),
            },
            AccountError::NotSuperuser => ApiError::forbidden(),
            AccountError::LastSuperuser => ApiError::Conflict(
                "This is the last active superuser; make another account a superuser first.".into(),
            ),
            AccountError::BadToken => {
                ApiError::validation("token", "is invalid, expired or already used")
            }
            AccountError::WrongPassword => ApiError::validation("current_password", "is incorrect"),
            AccountError::Failed(failure) => failure.into(),
        }
    }
}
