//! Checking a password under the lockout rules, for logins and for the
//! current password of `PATCH` and `DELETE /users/me` alike.
//!
//! Each attempt is reserved before its password is verified, per (account,
//! client) and for the account as a whole (see `storage::login_attempts`
//! and `storage::users::reserve_attempt`), so the decision to verify is
//! atomic with the count. An unknown email runs the same database
//! operations as a known one and verifies a dummy hash, so neither timing
//! nor writes tell them apart.

use std::net::IpAddr;

use mongodb::Database;

use super::{Failure, ServiceContext};
use crate::domain::user::User;
use crate::password::HashPool;
use crate::storage::login_attempts::{self, AttemptKey, Reservation};
use crate::storage::users::{self, AccountRef};

/// What a password attempt amounted to.
#[derive(Debug)]
pub enum Judged {
    /// The password is the account's.
    Correct(User),
    /// Wrong (or no such account). `locked_now`: this attempt used up the
    /// client's attempts and locked it out of the account.
    Wrong { locked_now: bool },
    /// The client is locked out of this account, or the account needs a
    /// password reset: nothing was verified.
    Locked,
}

/// Judges `password` for the account `account` (its normalised `email`
/// keys the per-client count) attempted from `client`.
pub async fn judge(
    db: &Database,
    state: &ServiceContext,
    pool: HashPool,
    account: AccountRef<'_>,
    email: &str,
    client: IpAddr,
    password: &str,
) -> Result<Judged, Failure> {
    let policy = &state.lockout;
    let key = AttemptKey::new(email, client);
    let Some(pair) = login_attempts::reserve(db, &key, policy).await? else {
        state.hasher.verify_dummy(pool, password).await?;
        return Ok(Judged::Locked);
    };
    let user = match users::reserve_attempt(db, account, policy.failures_before_reset).await {
        Ok(user) => user,
        Err(e) => {
            login_attempts::release(db, &pair).await?;
            return Err(e.into());
        }
    };
    let verified = match &user {
        Some(user) => {
            state
                .hasher
                .verify(pool, password, &user.hashed_password)
                .await
        }
        // No such account, or it needs a reset: spend the same time.
        None => state.hasher.verify_dummy(pool, password).await,
    };
    let correct = match verified {
        Ok(correct) => correct,
        Err(e) => {
            unjudged(db, &pair, user.as_ref()).await?;
            return Err(e.into());
        }
    };
    match user {
        Some(user) if correct => {
            login_attempts::succeeded(db, &pair).await?;
            users::attempt_succeeded(db, user.id).await?;
            Ok(Judged::Correct(user))
        }
        user => {
            let locked_now = login_attempts::failed(db, &pair, policy).await?;
            if let Some(user) = user
                && user.failed_logins >= policy.failures_before_reset
            {
                tracing::warn!(user_id = %user.id, failures = user.failed_logins,
                    "account locked until a password reset after repeated wrong passwords");
            }
            if locked_now {
                tracing::warn!(
                    "a client was locked out of an account after repeated wrong passwords"
                );
            }
            Ok(Judged::Wrong { locked_now })
        }
    }
}

/// Gives back both reservations of an attempt whose password was never
/// judged.
async fn unjudged(db: &Database, pair: &Reservation, user: Option<&User>) -> Result<(), Failure> {
    login_attempts::release(db, pair).await?;
    if let Some(user) = user {
        users::release_attempt(db, user.id).await?;
    }
    Ok(())
}
