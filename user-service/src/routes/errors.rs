//! The one place where the service layer's errors become HTTP answers.
//! (The token endpoints answer in RFC 6749's format: `oauth`.)

use common::error::ApiError;

use crate::password::HashError;
use crate::service::Failure;
use crate::service::accounts::AccountError;
use crate::service::orgs::OrgError;

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
            AccountError::LastOwner => ApiError::Conflict(
                "You are the last owner of a shared organization: make another member an owner, or delete the organization, first.".into(),
            ),
            AccountError::BadToken => {
                ApiError::validation("token", "is invalid, expired or already used")
            }
            AccountError::WrongPassword => ApiError::validation("current_password", "is incorrect"),
            AccountError::Failed(failure) => failure.into(),
        }
    }
}

impl From<OrgError> for ApiError {
    fn from(error: OrgError) -> Self {
        match error {
            OrgError::Invalid(invalid) => invalid.into(),
            OrgError::NotFound => ApiError::not_found(),
            OrgError::Forbidden(capability) => ApiError::Forbidden(format!(
                "Your role in this organization cannot {}.",
                capability.describe()
            )),
            OrgError::AboveOwnRole => ApiError::Forbidden(
                "Your role cannot give or take this role: admins manage editors, viewers and auditors; only owners manage admins and owners.".into(),
            ),
            OrgError::LastOwner => ApiError::Conflict(
                "This is the organization's last owner: make another member an owner first.".into(),
            ),
            OrgError::Personal => ApiError::Conflict(
                "A personal organization has no other members and is deleted only with its account.".into(),
            ),
            OrgError::AlreadyMember => {
                ApiError::Conflict("This address is a member of the organization already.".into())
            }
            OrgError::TooManyMembers => ApiError::Conflict(format!(
                "The organization has {} members, as many as it may.",
                crate::domain::org::MAX_MEMBERS
            )),
            OrgError::TooManyInvitations => ApiError::Conflict(format!(
                "The organization has {} pending invitations, as many as it may: revoke some first.",
                crate::domain::org::MAX_PENDING_INVITATIONS
            )),
            OrgError::TooManyMemberships => ApiError::Conflict(format!(
                "You belong to {} organizations, as many as one may.",
                crate::domain::org::MAX_MEMBERSHIPS
            )),
            OrgError::BadToken => ApiError::validation("token", "is invalid, expired or already used"),
            OrgError::WrongEmail => ApiError::Forbidden(
                "This invitation is for another email address: log in with the invited one.".into(),
            ),
            OrgError::Unverified => ApiError::Forbidden(
                "Verify your email address first (POST /auth/request-verify-token), then accept again.".into(),
            ),
            OrgError::InviterCannotGrant => ApiError::Conflict(
                "Whoever invited you can no longer grant this role: ask for a new invitation.".into(),
            ),
            OrgError::MailQuota => ApiError::TooManyRequests {
                retry_after_seconds: 3600,
            },
            OrgError::Failed(failure) => failure.into(),
        }
    }
}
