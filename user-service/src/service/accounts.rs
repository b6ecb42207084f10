//! Everything that creates or changes an account: registration, mailed
//! tokens, password resets, verification, self-service and administrative
//! changes, deletion, ending every session, and the bootstrap superuser.

use std::net::IpAddr;

use common::auth::AuthenticatedUser;
use common::db::{StoreError, TransactionError, in_transaction};
use common::ids::UserId;
use common::pagination::Page;
use common::validation::Invalid;
use mongodb::{ClientSession, Database};

use super::lockout::{self, Judged};
use super::{Failure, ServiceContext};
use crate::domain::password_policy::NewPassword;
use crate::domain::user::{User, UserEmail, parse_credentials};
use crate::mailer::{MailKind, OutgoingMail};
use crate::password::{HashError, HashPool, PasswordHasher};
use crate::storage::action_tokens::{self, TokenPurpose};
use crate::storage::users::{self, AccountRef, UserUpdate};
use crate::storage::{bootstrap, mail_quota, refresh_tokens};

/// Why an account flow did not happen. The routes say what each means.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("an account with this email address exists")]
    EmailTaken,
    #[error("no such account")]
    NotFound,
    /// The token's account is gone or deactivated.
    #[error("the account no longer exists or is deactivated")]
    Gone,
    /// The token is from before the user's sessions were ended.
    #[error("the session of this access token has ended")]
    SessionEnded,
    #[error("the account is not a superuser")]
    NotSuperuser,
    #[error("this is the last active superuser")]
    LastSuperuser,
    /// A reset or verification token that is unknown, expired or used.
    #[error("the token is invalid, expired or already used")]
    BadToken,
    #[error("the current password is incorrect")]
    WrongPassword,
    #[error(transparent)]
    Failed(#[from] Failure),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.into())
    }
}

impl TransactionError for AccountError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Failed(failure) => failure.store_error(),
            _ => None,
        }
    }
}

impl From<HashError> for AccountError {
    fn from(e: HashError) -> Self {
        Self::Failed(e.into())
    }
}

/// A write refused by the email index is a taken address.
fn email_taken_or(e: StoreError) -> AccountError {
    if e.is_duplicate_on(users::EMAIL_INDEX) {
        AccountError::EmailTaken
    } else {
        e.into()
    }
}

/// The token's account, active, of the token's session. A token of a
/// deleted or deactivated user is refused, and so is one from before the
/// user's sessions were ended (logout everywhere, a password change or
/// reset): its session generation is older than the account's.
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn current(db: &Database, caller: &AuthenticatedUser) -> Result<User, AccountError> {
    match users::find_by_id(db, caller.id).await? {
        Some(user) if user.is_active && user.session_generation == caller.session_generation => {
            Ok(user)
        }
        Some(user) if user.is_active => Err(AccountError::SessionEnded),
        _ => Err(AccountError::Gone),
    }
}

/// [`current`], and a superuser by the token's claim *and* by the database
/// now (the claim may be up to five minutes stale).
pub async fn current_superuser(
    db: &Database,
    caller: &AuthenticatedUser,
) -> Result<User, AccountError> {
    if !caller.superuser {
        return Err(AccountError::NotSuperuser);
    }
    let user = current(db, caller).await?;
    if !user.is_superuser {
        return Err(AccountError::NotSuperuser);
    }
    Ok(user)
}

/// One account, for an administrator.
pub async fn find(db: &Database, id: UserId) -> Result<User, AccountError> {
    users::find_by_id(db, id)
        .await?
        .ok_or(AccountError::NotFound)
}

/// A page of the accounts, oldest first, and how many there are.
pub async fn list(db: &Database, page: Page) -> Result<(Vec<User>, u64), AccountError> {
    Ok(users::list(db, page.limit, page.offset).await?)
}

#[tracing::instrument(skip_all)]
pub async fn register(
    db: &Database,
    state: &ServiceContext,
    email: &str,
    password: &str,
) -> Result<User, AccountError> {
    let (email, password) = parse_credentials(email, password)?;
    if users::find_by_email(db, email.as_str()).await?.is_some() {
        return Err(AccountError::EmailTaken);
    }
    let user = User::new(
        email,
        state
            .hasher
            .hash(HashPool::SignIn, password.expose())
            .await?,
    );
    // The unique index settles races between concurrent registrations.
    users::insert(db, &user).await.map_err(email_taken_or)?;
    tracing::info!(user_id = %user.id, "registered");
    Ok(user)
}

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

/// The caller's current password, for self-service changes from `client`.
/// A wrong one counts toward the lockout like a failed login, and a locked
/// account is refused the same way whatever is given.
pub async fn check_current_password(
    db: &Database,
    state: &ServiceContext,
    user: &User,
    client: IpAddr,
    given: &str,
) -> Result<(), AccountError> {
    let judged = lockout::judge(
        db,
        state,
        HashPool::Account,
        AccountRef::Id(user.id),
        &user.email,
        client,
        given,
    )
    .await?;
    match judged {
        Judged::Correct(_) => Ok(()),
        Judged::Wrong { .. } | Judged::Locked => Err(AccountError::WrongPassword),
    }
}

/// Ends every session of the user now, and every refresh that is in
/// flight: the generation bump refuses any family issued before it, even a
/// successor inserted after the tokens below are flagged. One transaction.
pub async fn end_all_sessions(db: &Database, user_id: UserId) -> Result<(), StoreError> {
    in_transaction(db, "ending a user's sessions", async |session| {
        end_sessions_in(db, session, user_id).await
    })
    .await
}

/// [`end_all_sessions`], inside a flow's transaction.
async fn end_sessions_in(
    db: &Database,
    session: &mut ClientSession,
    user_id: UserId,
) -> Result<(), StoreError> {
    users::bump_session_generation(db, session, user_id).await?;
    refresh_tokens::revoke_all_for_user(db, session, user_id).await
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

fn last_superuser() -> AccountError {
    AccountError::LastSuperuser
}

/// Writes `update` in the transaction of `session`. When it takes away an
/// active superuser it writes the superuser guard and counts the active
/// superusers afterwards; finding none, the transaction is abandoned (409)
/// and nothing was written.
async fn write_guarded(
    db: &Database,
    session: &mut ClientSession,
    user: &User,
    update: &UserUpdate,
) -> Result<User, AccountError> {
    let removes_superuser = user.is_superuser
        && user.is_active
        && (update.is_superuser == Some(false) || update.is_active == Some(false));
    if removes_superuser {
        users::guard_superusers(db, session).await?;
    }
    let updated = users::update(db, session, user.id, update)
        .await
        .map_err(email_taken_or)?
        .ok_or(AccountError::NotFound)?;
    if removes_superuser && users::count_active_superusers(db, session).await? == 0 {
        return Err(last_superuser());
    }
    Ok(updated)
}

/// Validates every change first (and hashes a new password), then applies
/// them in one transaction. A new email resets verification; a new
/// password or deactivation ends every session; a new password or email
/// invalidates outstanding reset tokens; the last active superuser cannot
/// be demoted or deactivated (409). A taken email (409) changes nothing.
pub async fn apply_changes(
    db: &Database,
    state: &ServiceContext,
    user: &User,
    changes: AccountChanges,
) -> Result<User, AccountError> {
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
    Invalid::check(errors)?;
    update.is_active = changes.is_active;
    update.is_superuser = changes.is_superuser;
    if let Some(verified) = changes.is_verified {
        update.is_verified = Some(verified);
    }
    if let Some(password) = &new_password {
        update.hashed_password = Some(
            state
                .hasher
                .hash(HashPool::Account, password.expose())
                .await?,
        );
    }
    if update.is_empty() {
        return Ok(user.clone());
    }
    let ends_sessions = new_password.is_some() || changes.is_active == Some(false);
    let voids_resets = new_password.is_some() || update.email.is_some();
    in_transaction(db, "changing an account", async |session| {
        let current = write_guarded(db, session, user, &update).await?;
        if ends_sessions {
            end_sessions_in(db, session, user.id).await?;
        }
        if voids_resets {
            action_tokens::delete_for_user(db, session, user.id, TokenPurpose::ResetPassword)
                .await?;
        }
        Ok(current)
    })
    .await
}

/// Deletes the account and its tokens (not the last active superuser:
/// 409), in one transaction. Its usage records live in carbon-service and
/// are not touched.
pub async fn delete_account(db: &Database, user: &User) -> Result<(), AccountError> {
    let deleted = in_transaction(db, "deleting an account", async |session| {
        if user.is_superuser && user.is_active {
            let demote = UserUpdate {
                is_superuser: Some(false),
                ..Default::default()
            };
            write_guarded(db, session, user, &demote).await?;
        }
        let deleted = users::delete(db, session, user.id).await?;
        refresh_tokens::delete_all_for_user(db, session, user.id).await?;
        action_tokens::delete_all_for_user(db, session, user.id).await?;
        Ok::<_, AccountError>(deleted)
    })
    .await?;
    if deleted {
        tracing::info!(user_id = %user.id, "account deleted");
    }
    Ok(())
}

/// A signed-in user's own change: an email or a password (at least one),
/// with the current password from `client` first.
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn change_own(
    db: &Database,
    state: &ServiceContext,
    user: &User,
    client: IpAddr,
    current_password: &str,
    changes: AccountChanges,
) -> Result<User, AccountError> {
    if changes.email.is_none() && changes.password.is_none() {
        return Err(Invalid::one("body", "give an email or a password to change").into());
    }
    check_current_password(db, state, user, client, current_password).await?;
    apply_changes(db, state, user, changes).await
}

/// A signed-in user deleting the account, with the current password.
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn delete_own(
    db: &Database,
    state: &ServiceContext,
    user: &User,
    client: IpAddr,
    current_password: &str,
) -> Result<(), AccountError> {
    check_current_password(db, state, user, client, current_password).await?;
    delete_account(db, user).await
}

/// An administrator deleting the account `id`.
#[tracing::instrument(skip(db))]
pub async fn delete_by_admin(db: &Database, id: UserId) -> Result<(), AccountError> {
    let user = find(db, id).await?;
    delete_account(db, &user).await
}

/// An administrator's change of the account `id`: at least one field.
#[tracing::instrument(skip(db, state, changes))]
pub async fn change_by_admin(
    db: &Database,
    state: &ServiceContext,
    id: UserId,
    changes: AccountChanges,
) -> Result<User, AccountError> {
    let AccountChanges {
        email,
        password,
        is_active,
        is_superuser,
        is_verified,
    } = &changes;
    if email.is_none()
        && password.is_none()
        && is_active.is_none()
        && is_superuser.is_none()
        && is_verified.is_none()
    {
        return Err(Invalid::one("body", "give at least one field to change").into());
    }
    let user = find(db, id).await?;
    apply_changes(db, state, &user, changes).await
}

#[derive(Debug, PartialEq, Eq)]
pub enum SuperuserOutcome {
    Created,
    AlreadySuperuser,
    /// An existing verified account was made superuser, its password set to
    /// the one given and its sessions ended (`--promote-existing` only).
    Promoted,
    /// The address belongs to an ordinary account; nothing changed.
    ExistsNotPromoted,
    /// `--promote-existing`, but the account's address is not verified:
    /// whoever registered it may not own it. Nothing changed.
    ExistsUnverified,
}

/// Creates the superuser `email` unless it exists. An existing ordinary
/// account is promoted only with `promote_existing` (an explicit operator
/// decision), only when its address is verified, and then with the password
/// given here: otherwise whoever registered the planned admin address first
/// would become admin with their own password. Nothing is ever re-activated.
pub async fn ensure_superuser(
    db: &Database,
    hasher: &PasswordHasher,
    email: &str,
    password: &str,
    promote_existing: bool,
) -> Result<SuperuserOutcome, AccountError> {
    let (email, password) = parse_credentials(email, password)?;
    if let Some(existing) = users::find_by_email(db, email.as_str()).await? {
        if existing.is_superuser {
            return Ok(SuperuserOutcome::AlreadySuperuser);
        }
        if !promote_existing {
            return Ok(SuperuserOutcome::ExistsNotPromoted);
        }
        if !existing.is_verified {
            return Ok(SuperuserOutcome::ExistsUnverified);
        }
        let promote = UserUpdate {
            is_superuser: Some(true),
            hashed_password: Some(hasher.hash(HashPool::SignIn, password.expose()).await?),
            clear_lockout: true,
            ..Default::default()
        };
        in_transaction(db, "promoting an account", async |session| {
            users::update(db, session, existing.id, &promote).await?;
            end_sessions_in(db, session, existing.id).await?;
            action_tokens::delete_for_user(db, session, existing.id, TokenPurpose::ResetPassword)
                .await?;
            Ok::<_, StoreError>(())
        })
        .await?;
        return Ok(SuperuserOutcome::Promoted);
    }
    let mut user = User::new(
        email,
        hasher.hash(HashPool::SignIn, password.expose()).await?,
    );
    user.is_superuser = true;
    user.is_verified = true;
    match users::insert(db, &user).await {
        Ok(()) => Ok(SuperuserOutcome::Created),
        // Two instances bootstrapping at once: the other one created it.
        Err(e) if e.is_duplicate_on(users::EMAIL_INDEX) => Ok(SuperuserOutcome::AlreadySuperuser),
        Err(e) => Err(e.into()),
    }
}

/// What the start-up bootstrap did.
#[derive(Debug, PartialEq, Eq)]
pub enum BootstrapOutcome {
    /// It ran before (recorded in the database): nothing was looked at.
    AlreadyRan,
    Ran(SuperuserOutcome),
}

/// The start-up bootstrap (`SUPERUSER_EMAIL`, `SUPERUSER_PASSWORD`): runs
/// [`ensure_superuser`] without promotion once per database, and records
/// that it ran, so deleting that superuser later does not quietly create it
/// again from the environment at the next start.
pub async fn bootstrap_superuser(
    db: &Database,
    hasher: &PasswordHasher,
    email: &str,
    password: &str,
) -> Result<BootstrapOutcome, AccountError> {
    if bootstrap::has_run(db).await? {
        return Ok(BootstrapOutcome::AlreadyRan);
    }
    let outcome = ensure_superuser(db, hasher, email, password, false).await?;
    bootstrap::record_run(db, email).await?;
    Ok(BootstrapOutcome::Ran(outcome))
}
