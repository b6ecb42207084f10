//! Tokens sent by mail: a password reset, an address verification.

use std::net::IpAddr;

use common::db::in_transaction;
use common::validation::Invalid;
use mongodb::Database;

use super::{Failure, ServiceContext};
use crate::domain::password_policy::NewPassword;
use crate::domain::user::{User, UserEmail};
use crate::mailer::{MailKind, OutgoingMail};
use crate::password::HashPool;
use crate::storage::action_tokens::{self, TokenPurpose};
use crate::storage::mail_quota;
use crate::storage::users::{self, UserUpdate};

use super::AccountError;
use super::changes::end_sessions_in;

/// Issues a token of `purpose` and mails it, when an active account (for
/// verification: an unverified one) has this address and neither the
/// address nor this requester's share of it has used up its mails for the
/// hour (see `mail_quota::take`). Callers run this in the background and
/// answer 202 whatever it does.
pub async fn mail_token(
    db: &Database,
    state: &ServiceContext,
    email: &str,
    purpose: TokenPurpose,
    requester: IpAddr,
) -> Result<(), Failure> {
    let Some(user) = users::find_by_email(db, &UserEmail::normalize(email)).await? else {
        return Ok(());
    };
    if !user.is_active || (purpose == TokenPurpose::VerifyEmail && user.is_verified) {
        return Ok(());
    }
    if !mail_quota::take(db, &user.email, requester).await? {
        tracing::warn!(user_id = %user.id, ?purpose, "mail quota reached for this address; not sending");
        return Ok(());
    }
    let token = action_tokens::issue(db, purpose, user.id, &user.email).await?;
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
            invitation: None,
        })
        .await;
    Ok(())
}

fn bad_token() -> AccountError {
    AccountError::BadToken
}

/// Sets a new password with a reset token. The token works once, only while
/// the account's address is still the one it was mailed to, and the reset
/// ends every session and invalidates every other reset token.
///
/// The claim of the token, the new password, the end of the sessions and
/// the other tokens' removal are one transaction: all happen or none (a
/// failure leaves the token usable), and a password or email change that
/// lands meanwhile conflicts with it.
pub async fn reset_password(
    db: &Database,
    state: &ServiceContext,
    token_value: &str,
    new_password: &str,
) -> Result<User, AccountError> {
    // Check the password before using the token up, so a rejected password
    // does not burn the token; hash it outside the transaction.
    let token = in_transaction(db, "reading a reset token", async |session| {
        action_tokens::peek(db, session, token_value, TokenPurpose::ResetPassword).await
    })
    .await?
    .ok_or_else(bad_token)?;
    let user = users::find_by_id(db, token.user_id)
        .await?
        .filter(|u| u.is_active && u.email == token.email)
        .ok_or_else(bad_token)?;
    let password =
        NewPassword::parse("password", new_password, &user.email).map_err(Invalid::from)?;
    let hashed = state
        .hasher
        .hash(HashPool::SignIn, password.expose())
        .await?;
    let change = UserUpdate {
        hashed_password: Some(hashed),
        clear_lockout: true,
        ..Default::default()
    };
    let user = in_transaction(db, "resetting a password", async |session| {
        if !action_tokens::claim(db, session, &token).await? {
            return Err(bad_token());
        }
        let user = users::update_if_email(db, session, user.id, &token.email, &change)
            .await?
            .ok_or_else(bad_token)?;
        end_sessions_in(db, session, user.id).await?;
        action_tokens::delete_for_user(db, session, user.id, TokenPurpose::ResetPassword).await?;
        Ok(user)
    })
    .await?;
    tracing::info!(user_id = %user.id, "password reset");
    Ok(user)
}

/// Marks the address verified, with a token mailed to that same address:
/// the token is used up and the account marked in one transaction.
pub async fn verify_email(db: &Database, token_value: &str) -> Result<User, AccountError> {
    in_transaction(db, "verifying an email address", async |session| {
        let token = action_tokens::consume(db, session, token_value, TokenPurpose::VerifyEmail)
            .await?
            .ok_or_else(bad_token)?;
        let user = users::find_by_id_in(db, session, token.user_id)
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
        users::update(db, session, user.id, &change)
            .await?
            .ok_or_else(bad_token)
    })
    .await
}
