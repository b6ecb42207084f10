//! Everything that creates or changes an account: registration, mailed
//! tokens, password resets, verification, self-service and administrative
//! changes, deletion, ending every session, and the bootstrap superuser.

use common::error::ApiError;
use mongodb::Database;

use super::AuthState;
use crate::domain::password_policy::NewPassword;
use crate::domain::user::{User, UserEmail, parse_credentials};
use crate::mailer::{MailKind, OutgoingMail};
use crate::password::PasswordHasher;
use crate::storage::action_tokens::{self, TokenPurpose};
use crate::storage::users::{self, UserUpdate};
use crate::storage::{mail_quota, refresh_tokens};

pub async fn register(
    db: &Database,
    state: &AuthState,
    email: &str,
    password: &str,
) -> Result<User, ApiError> {
    let (email, password) = parse_credentials(email, password)?;
    if users::find_by_email(db, email.as_str()).await?.is_some() {
        return Err(users::email_taken());
    }
    let user = User::new(email, state.hasher.hash(password.expose()).await?);
    // The unique index settles races between concurrent registrations.
    users::insert(db, &user).await?;
    tracing::info!(user_id = %user.id, "registered");
    Ok(user)
}

/// Issues a token of `purpose` and mails it, when an active account (for
/// verification: an unverified one) has this address and the address has
/// not had [`mail_quota::MAILS_PER_HOUR`] mails this hour. Callers run this
/// in the background and answer 202 whatever it does.
pub async fn mail_token(
    db: &Database,
    state: &AuthState,
    email: &str,
    purpose: TokenPurpose,
) -> Result<(), ApiError> {
    let Some(user) = users::find_by_email(db, &UserEmail::normalize(email)).await? else {
        return Ok(());
    };
    if !user.is_active || (purpose == TokenPurpose::VerifyEmail && user.is_verified) {
        return Ok(());
    }
    if !mail_quota::take(db, &user.email).await? {
        tracing::warn!(user_id = %user.id, ?purpose, "mail quota reached for this address; not sending");
        return Ok(());
    }
    let token = action_tokens::issue(db, purpose, &user.id, &user.email).await?;
    let kind = match purpose {
        TokenPurpose::ResetPassword => MailKind::PasswordReset,
        TokenPurpose::VerifyEmail => MailKind::EmailVerification,
    };
    state
        .mailer
        .send(OutgoingMail {
            to: user.email.clone(),
            kind,
            token,
        })
        .await;
    Ok(())
}

fn bad_token() -> ApiError {
    ApiError::validation("token", "is invalid, expired or already used")
}

/// Sets a new password with a reset token. The token works once, only while
/// the account's address is still the one it was mailed to, and the reset
/// ends every session and invalidates every other reset token.
pub async fn reset_password(
    db: &Database,
    state: &AuthState,
    token_value: &str,
    new_password: &str,
) -> Result<User, ApiError> {
    // Check the password before using the token up, so a rejected password
    // does not burn the token.
    let token = action_tokens::peek(db, token_value, TokenPurpose::ResetPassword)
        .await?
        .ok_or_else(bad_token)?;
    let user = users::find_by_id(db, &token.user_id)
        .await?
        .filter(|u| u.is_active && u.email == token.email)
        .ok_or_else(bad_token)?;
    let password = NewPassword::parse("password", new_password, &user.email)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let hashed = state.hasher.hash(password.expose()).await?;
    if !action_tokens::claim(db, &token).await? {
        return Err(bad_token());
    }
    let change = UserUpdate {
        hashed_password: Some(hashed),
        clear_lockout: true,
        ..Default::default()
    };
    let user = users::update(db, &user.id, &change)
        .await?
        .ok_or_else(bad_token)?;
    end_all_sessions(db, &user.id).await?;
    action_tokens::delete_for_user(db, &user.id, TokenPurpose::ResetPassword).await?;
    tracing::info!(user_id = %user.id, "password reset");
    Ok(user)
}

/// Marks the address verified, with a token mailed to that same address.
pub async fn verify_email(db: &Database, token_value: &str) -> Result<User, ApiError> {
    let token = action_tokens::consume(db, token_value, TokenPurpose::VerifyEmail)
        .await?
        .ok_or_else(bad_token)?;
    let user = users::find_by_id(db, &token.user_id)
        .await?
        .ok_or_else(bad_token)?;
    // The address changed since the mail went out: that token proves nothing now.
    if user.email != token.email {
        return Err(bad_token());
    }
    let change = UserUpdate {
        is_verified: Some(true),
        ..Default::default()
    };
    users::update(db, &user.id, &change)
        .await?
        .ok_or_else(bad_token)
}

/// The caller's current password, for self-service changes. A wrong one
/// counts toward the lockout like a failed login, and a locked account is
/// refused the same way whatever is given.
pub async fn check_current_password(
    db: &Database,
    state: &AuthState,
    user: &User,
    given: &str,
) -> Result<(), ApiError> {
    let incorrect = || ApiError::validation("current_password", "is incorrect");
    if user.is_locked() {
        state.hasher.verify_dummy(given).await?;
        return Err(incorrect());
    }
    if state.hasher.verify(given, &user.hashed_password).await? {
        return Ok(());
    }
    users::record_failed_login(db, &user.id).await?;
    Err(incorrect())
}

/// Ends every session of the user now, and every refresh that is in
/// flight: the generation bump refuses any family issued before it, even a
/// successor inserted after the tokens below are flagged.
pub async fn end_all_sessions(db: &Database, user_id: &str) -> Result<(), ApiError> {
    users::bump_session_generation(db, user_id).await?;
    refresh_tokens::revoke_all_for_user(db, user_id).await
}

/// What may change on an account; `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct AccountChanges {
    pub email: Option<String>,
    pub password: Option<String>,
    pub is_active: Option<bool>,
    pub is_superuser: Option<bool>,
    pub is_verified: Option<bool>,
}

fn last_superuser() -> ApiError {
    ApiError::Conflict(
        "This is the last active superuser; make another account a superuser first.".into(),
    )
}

/// Applies a privilege change that may leave no active superuser, and
/// undoes it if it did. Counting afterwards (not before) is what makes two
/// superusers demoting each other at once safe: both see zero, both undo.
async fn change_privileges_guarded(
    db: &Database,
    user: &User,
    change: &UserUpdate,
) -> Result<User, ApiError> {
    let updated = users::update(db, &user.id, change)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if users::count_active_superusers(db).await? == 0 {
        let undo = UserUpdate {
            is_active: Some(user.is_active),
            is_superuser: Some(user.is_superuser),
            ..Default::default()
        };
        users::update(db, &user.id, &undo).await?;
        return Err(last_superuser());
    }
    Ok(updated)
}

/// Validates and applies changes. A new email resets verification; a new
/// password or deactivation ends every session; a new password or email
/// invalidates outstanding reset tokens; the last active superuser cannot
/// be demoted or deactivated (409).
pub async fn apply_changes(
    db: &Database,
    state: &AuthState,
    user: &User,
    changes: AccountChanges,
) -> Result<User, ApiError> {
    let mut update = UserUpdate::default();
    let mut errors = Vec::new();
    let mut email_for_policy = user.email.clone();
    if let Some(raw) = &changes.email {
        match UserEmail::parse(raw) {
            Ok(email) if email.as_str() != user.email => {
                email_for_policy = email.as_str().to_owned();
                update.email = Some(email.as_str().to_owned());
                update.is_verified = Some(false);
            }
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    let new_password = match &changes.password {
        Some(raw) => match NewPassword::parse("password", raw, &email_for_policy) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(e);
                None
            }
        },
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }

    let removes_superuser = user.is_superuser
        && user.is_active
        && (changes.is_superuser == Some(false) || changes.is_active == Some(false));
    let mut current = user.clone();
    if removes_superuser {
        let privileges = UserUpdate {
            is_active: changes.is_active,
            is_superuser: changes.is_superuser,
            ..Default::default()
        };
        current = change_privileges_guarded(db, user, &privileges).await?;
    } else {
        update.is_active = changes.is_active;
        update.is_superuser = changes.is_superuser;
    }
    if let Some(verified) = changes.is_verified {
        update.is_verified = Some(verified);
    }
    if let Some(password) = &new_password {
        update.hashed_password = Some(state.hasher.hash(password.expose()).await?);
    }
    if !update.is_empty() {
        current = users::update(db, &user.id, &update)
            .await?
            .ok_or_else(ApiError::not_found)?;
    }
    if new_password.is_some() || changes.is_active == Some(false) {
        end_all_sessions(db, &user.id).await?;
    }
    if new_password.is_some() || update.email.is_some() {
        action_tokens::delete_for_user(db, &user.id, TokenPurpose::ResetPassword).await?;
    }
    Ok(current)
}

/// Deletes the account and its tokens (not the last active superuser: 409).
/// Its usage records live in carbon-service and are not touched.
pub async fn delete_account(db: &Database, user: &User) -> Result<(), ApiError> {
    if user.is_superuser && user.is_active {
        let demote = UserUpdate {
            is_superuser: Some(false),
            ..Default::default()
        };
        change_privileges_guarded(db, user, &demote).await?;
    }
    let deleted = users::delete(db, &user.id).await?;
    refresh_tokens::delete_all_for_user(db, &user.id).await?;
    action_tokens::delete_all_for_user(db, &user.id).await?;
    if deleted {
        tracing::info!(user_id = %user.id, "account deleted");
    }
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
pub enum SuperuserOutcome {
    Created,
    AlreadySuperuser,
    /// An existing account was made superuser (`--promote-existing` only).
    Promoted,
    /// The address belongs to an ordinary account; nothing changed.
    ExistsNotPromoted,
}

/// Creates the superuser `email` unless it exists. An existing ordinary
/// account is promoted only with `promote_existing` (an explicit operator
/// decision): otherwise whoever registered the planned admin address first
/// would become admin with their own password. Nothing is ever re-activated.
pub async fn ensure_superuser(
    db: &Database,
    hasher: &PasswordHasher,
    email: &str,
    password: &str,
    promote_existing: bool,
) -> Result<SuperuserOutcome, ApiError> {
    let (email, password) = parse_credentials(email, password)?;
    if let Some(existing) = users::find_by_email(db, email.as_str()).await? {
        if existing.is_superuser {
            return Ok(SuperuserOutcome::AlreadySuperuser);
        }
        if !promote_existing {
            return Ok(SuperuserOutcome::ExistsNotPromoted);
        }
        let promote = UserUpdate {
            is_superuser: Some(true),
            ..Default::default()
        };
        users::update(db, &existing.id, &promote).await?;
        return Ok(SuperuserOutcome::Promoted);
    }
    let mut user = User::new(email, hasher.hash(password.expose()).await?);
    user.is_superuser = true;
    user.is_verified = true;
    match users::insert(db, &user).await {
        Ok(()) => Ok(SuperuserOutcome::Created),
        // Two instances bootstrapping at once: the other one created it.
        Err(ApiError::Conflict(_)) => Ok(SuperuserOutcome::AlreadySuperuser),
        Err(e) => Err(e),
    }
}
