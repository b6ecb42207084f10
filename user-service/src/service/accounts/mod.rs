//! Everything that creates or changes an account, by concern: this module
//! (the error, the current account, registration, listing, deletion),
//! [`mailed`] (mailed tokens: resets and verification), [`changes`]
//! (self-service and administrative changes, ending every session) and
//! [`first_superuser`] (the first superuser).

use common::db::{StoreError, TransactionError, in_transaction};
use common::ids::UserId;
use common::pagination::Page;
use common::validation::Invalid;
use mongodb::Database;

use super::lockout::{self};
use super::{Failure, ServiceContext};
use crate::domain::user::{EmailPrefix, User, parse_credentials};
use crate::password::{HashError, HashPool};
use crate::storage::users::{self};

mod changes;
mod first_superuser;
mod mailed;

pub use changes::{
    AccountChanges, apply_changes, change_by_admin, change_own, check_current_password,
    delete_account, delete_by_admin, delete_own, end_all_sessions,
};
pub use first_superuser::{
    BootstrapOutcome, SuperuserOutcome, bootstrap_superuser, ensure_superuser,
};
pub use mailed::{mail_token, reset_password, verify_email};

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
    /// The account is the last owner of a shared organization.
    #[error("the last owner of a shared organization")]
    LastOwner,
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

/// What a verified access token says about its bearer: all the account
/// checks need, with nothing of HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub id: UserId,
    /// The token's `superuser` claim (checked against the account too).
    pub superuser: bool,
    /// The session generation at login (`sgen`).
    pub session_generation: i64,
}

/// The token's account, active, of the token's session. A token of a
/// deleted or deactivated user is refused, and so is one from before the
/// user's sessions were ended (logout everywhere, a password change or
/// reset): its session generation is older than the account's.
#[tracing::instrument(skip_all, fields(user_id = %caller.id))]
pub async fn current(db: &Database, caller: &Caller) -> Result<User, AccountError> {
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
pub async fn current_superuser(db: &Database, caller: &Caller) -> Result<User, AccountError> {
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

/// A page of the accounts whose email starts with `prefix` (all without
/// one), oldest first, and how many there are.
pub async fn list(
    db: &Database,
    prefix: Option<&EmailPrefix>,
    page: Page,
) -> Result<(Vec<User>, u64), AccountError> {
    Ok(users::list(db, prefix, page.limit, page.offset).await?)
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
    // The account and its personal organization are one write.
    in_transaction(db, "registering", async |session| {
        users::insert_in(db, session, &user)
            .await
            .map_err(email_taken_or)?;
        crate::service::orgs::create_personal(db, session, &user).await?;
        Ok::<_, AccountError>(())
    })
    .await?;
    tracing::info!(user_id = %user.id, "registered");
    Ok(user)
}
