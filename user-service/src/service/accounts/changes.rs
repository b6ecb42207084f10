//! Changes to an account: by its owner (with the current password) or by
//! an administrator; ending every session; deletion.

use std::net::IpAddr;

use common::db::{StoreError, in_transaction};
use common::ids::UserId;
use common::validation::Invalid;
use mongodb::{ClientSession, Database};

use super::ServiceContext;
use super::lockout::{self, Judged};
use crate::domain::password_policy::NewPassword;
use crate::domain::user::{User, UserEmail};
use crate::password::HashPool;
use crate::storage::action_tokens::{self, TokenPurpose};
use crate::storage::refresh_tokens;
use crate::storage::users::{self, AccountRef, UserUpdate};
use crate::storage::{self, Owner};

use super::{AccountError, email_taken_or, find};

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
pub(super) async fn end_sessions_in(
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
pub(super) async fn write_guarded(
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

/// Deletes the account, its tokens, its personal organization and its
/// memberships (not the last active superuser, nor the last owner of a
/// shared organization: 409), in one transaction. Its usage records live in carbon-service and
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
        crate::service::members::leave_all(db, session, user.id)
            .await
            .map_err(|e| match e {
                crate::service::orgs::OrgError::Failed(failure) => AccountError::Failed(failure),
                _ => AccountError::LastOwner,
            })?;
        let deleted = users::delete(db, session, user.id).await?;
        storage::delete_owned(db, session, Owner::User(user.id)).await?;
        Ok::<_, AccountError>(deleted)
    })
    .await?;
    // The personal organization's trail goes with it.
    common::audit::store::delete_of_org(db, common::ids::OrgId::personal(user.id))
        .await
        .map_err(|e| AccountError::Failed(e.into()))?;
    if deleted {
        tracing::info!(user_id = %user.id, "account deleted");
    }
    Ok(())
}
