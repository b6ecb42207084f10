//! The first superuser: the CLI's `create-superuser` and the start-up
//! bootstrap from `SUPERUSER_EMAIL`.

use common::db::{StoreError, in_transaction};
use mongodb::Database;

use crate::domain::user::{User, parse_credentials};
use crate::password::{HashPool, PasswordHasher};
use crate::storage::action_tokens::{self, TokenPurpose};
use crate::storage::bootstrap;
use crate::storage::users::{self, UserUpdate};

use super::AccountError;
use super::changes::end_sessions_in;

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
    let created = in_transaction(db, "creating a superuser", async |session| {
        users::insert_in(db, session, &user).await?;
        crate::service::orgs::create_personal(db, session, &user).await
    })
    .await;
    match created {
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
