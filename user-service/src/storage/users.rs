//! The `users` collection.

use bson::{Document, doc};
use futures_util::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{ClientSession, Collection, Database, IndexModel};

use crate::domain::user::{EmailPrefix, User};
use common::db::{Context, StoreError};
use common::ids::UserId;

pub const COLLECTION: &str = "users";
/// The unique index on the lower-cased email: a duplicate on it is an
/// address that is taken.
pub const EMAIL_INDEX: &str = "email_unique";

pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (
        vec![
            IndexModel::builder()
                .keys(doc! { "email": 1 })
                .options(
                    IndexOptions::builder()
                        .unique(true)
                        .name(EMAIL_INDEX.to_owned())
                        .build(),
                )
                .build(),
            IndexModel::builder()
                .keys(doc! { "created_at": 1, "_id": 1 })
                .build(),
        ],
        &[],
    )
}

fn users(db: &Database) -> Collection<User> {
    db.collection(COLLECTION)
}

/// Inserts, in the transaction of `session`; a taken email is
/// `StoreError::Duplicate` on [`EMAIL_INDEX`].
pub async fn insert_in(
    db: &Database,
    session: &mut ClientSession,
    user: &User,
) -> Result<(), StoreError> {
    users(db)
        .insert_one(user)
        .session(session)
        .await
        .context("inserting a user")
        .map(|_| ())
}

#[tracing::instrument(skip_all)]
pub async fn find_by_email(db: &Database, email: &str) -> Result<Option<User>, StoreError> {
    users(db)
        .find_one(doc! { "email": email })
        .await
        .context("finding a user by email")
}

/// [`find_by_id`], in the transaction of `session`.
#[tracing::instrument(skip(db, session))]
pub async fn find_by_id_in(
    db: &Database,
    session: &mut ClientSession,
    id: UserId,
) -> Result<Option<User>, StoreError> {
    users(db)
        .find_one(doc! { "_id": id })
        .session(session)
        .await
        .context("finding a user by id")
}

/// The accounts of `ids` (an organization's members: bounded by its cap).
pub async fn find_many(db: &Database, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
    let ids: Vec<bson::Bson> = ids.iter().map(|id| bson::Bson::from(*id)).collect();
    users(db)
        .find(doc! { "_id": { "$in": ids } })
        .await
        .context("finding users")?
        .try_collect()
        .await
        .context("reading users")
}

#[tracing::instrument(skip(db))]
pub async fn find_by_id(db: &Database, id: UserId) -> Result<Option<User>, StoreError> {
    users(db)
        .find_one(doc! { "_id": id })
        .await
        .context("finding a user by id")
}

/// A change to an account; `None` leaves a field alone.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct UserUpdate {
    /// A new address (already validated and lower-cased).
    pub email: Option<String>,
    pub hashed_password: Option<String>,
    pub is_active: Option<bool>,
    pub is_superuser: Option<bool>,
    pub is_verified: Option<bool>,
    /// Forget the wrong passwords counted so far (a password reset: the
    /// only way out of a lock that needs one).
    pub clear_lockout: bool,
}

impl UserUpdate {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    fn to_set(&self) -> Document {
        let mut set = doc! { "updated_at": bson::DateTime::now() };
        if let Some(email) = &self.email {
            set.insert("email", email);
        }
        if let Some(hash) = &self.hashed_password {
            set.insert("hashed_password", hash);
        }
        for (field, value) in [
            ("is_active", self.is_active),
            ("is_superuser", self.is_superuser),
            ("is_verified", self.is_verified),
        ] {
            if let Some(value) = value {
                set.insert(field, value);
            }
        }
        if self.clear_lockout {
            set.insert("failed_logins", 0);
        }
        set
    }
}

/// Applies the change, returning the updated user (`None`: no such user).
/// A new email that is taken is `StoreError::Duplicate` on [`EMAIL_INDEX`].
#[tracing::instrument(skip(db, change))]
pub async fn update(
    db: &Database,
    session: &mut ClientSession,
    id: UserId,
    change: &UserUpdate,
) -> Result<Option<User>, StoreError> {
    users(db)
        .find_one_and_update(doc! { "_id": id }, doc! { "$set": change.to_set() })
        .return_document(ReturnDocument::After)
        .session(&mut *session)
        .await
        .context("changing a user")
}

/// Applies the change only while the account is active and its address is
/// still `email` (a reset token's); `None` otherwise.
#[tracing::instrument(skip(db, email, change))]
pub async fn update_if_email(
    db: &Database,
    session: &mut ClientSession,
    id: UserId,
    email: &str,
    change: &UserUpdate,
) -> Result<Option<User>, StoreError> {
    users(db)
        .find_one_and_update(
            doc! { "_id": id, "email": email, "is_active": true },
            doc! { "$set": change.to_set() },
        )
        .return_document(ReturnDocument::After)
        .session(&mut *session)
        .await
        .context("changing a user whose address is the token's")
}

/// Ends every session of the user: refresh-token families started before
/// this carry an older generation, and every refresh checks it.
#[tracing::instrument(skip(db))]
pub async fn bump_session_generation(
    db: &Database,
    session: &mut ClientSession,
    id: UserId,
) -> Result<(), StoreError> {
    users(db)
        .update_one(
            doc! { "_id": id },
            doc! { "$inc": { "session_generation": 1_i64 } },
        )
        .session(&mut *session)
        .await
        .context("ending a user's sessions")?;
    Ok(())
}

/// The document every transaction that may take away an active superuser
/// writes before it counts them. Two such transactions (two superusers
/// demoting each other) would each count the other as still active in
/// their snapshots and both commit, leaving none; writing one document
/// makes them conflict, so one runs again and counts the other's change.
pub const SUPERUSER_GUARD: &str = "superuser_guard";

/// Creates the guard once (at start-up), so transactions only update it:
/// two transactions inserting it would collide on a duplicate key.
pub async fn create_superuser_guard(db: &Database) -> Result<(), StoreError> {
    match db
        .collection::<Document>(SUPERUSER_GUARD)
        .update_one(
            doc! { "_id": "active_superusers" },
            doc! { "$setOnInsert": { "changes": 0_i64 } },
        )
        .upsert(true)
        .await
        .context("creating the superuser guard")
    {
        // Another instance starting at once created it.
        Ok(_) => Ok(()),
        Err(e) if e.is_duplicate() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Writes the [`SUPERUSER_GUARD`] in the transaction of `session`.
pub async fn guard_superusers(
    db: &Database,
    session: &mut ClientSession,
) -> Result<(), StoreError> {
    db.collection::<Document>(SUPERUSER_GUARD)
        .update_one(
            doc! { "_id": "active_superusers" },
            doc! { "$inc": { "changes": 1_i64 } },
        )
        .session(session)
        .await
        .context("guarding the active superusers")?;
    Ok(())
}

/// Active superusers.
pub async fn count_active_superusers(
    db: &Database,
    session: &mut ClientSession,
) -> Result<u64, StoreError> {
    users(db)
        .count_documents(doc! { "is_superuser": true, "is_active": true })
        .session(&mut *session)
        .await
        .context("counting active superusers")
}

#[tracing::instrument(skip(db))]
pub async fn delete(
    db: &Database,
    session: &mut ClientSession,
    id: UserId,
) -> Result<bool, StoreError> {
    let deleted = users(db)
        .delete_one(doc! { "_id": id })
        .session(&mut *session)
        .await
        .context("deleting a user")?;
    Ok(deleted.deleted_count == 1)
}

/// A page of the accounts whose email starts with `prefix` (all without
/// one), oldest first, and how many there are.
pub async fn list(
    db: &Database,
    prefix: Option<&EmailPrefix>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<User>, u64), StoreError> {
    // A bounded range on the unique email index: every string that starts
    // with the prefix sorts between it and it followed by the last char.
    let filter = prefix.map_or_else(Document::new, |p| {
        doc! { "email": { "$gte": p.as_str(), "$lt": format!("{}{}", p.as_str(), char::MAX) } }
    });
    let page = users(db)
        .find(filter.clone())
        .sort(doc! { "created_at": 1, "_id": 1 })
        .skip(offset)
        .limit(i64::from(limit))
        .await
        .context("listing users")?
        .try_collect()
        .await
        .context("reading a page of users")?;
    let total = users(db)
        .count_documents(filter)
        .await
        .context("counting users")?;
    Ok((page, total))
}

/// How [`reserve_attempt`] finds the account.
#[derive(Debug, Clone, Copy)]
pub enum AccountRef<'a> {
    Email(&'a str),
    Id(UserId),
}

/// Counts an attempt against the account's budget of wrong passwords in a
/// row before its password is checked: one conditional `$inc`, refused
/// (`None`) once `failures_before_reset` attempts have failed, which only a
/// password reset or a successful login clears. `by` is the account's
/// email (a login) or id (a check of the current password); an unknown
/// email runs the same update and matches nothing.
pub async fn reserve_attempt(
    db: &Database,
    by: AccountRef<'_>,
    failures_before_reset: i32,
) -> Result<Option<User>, StoreError> {
    let mut filter = match by {
        AccountRef::Email(email) => doc! { "email": email },
        AccountRef::Id(id) => doc! { "_id": id },
    };
    filter.insert(
        "failed_logins",
        doc! { "$not": { "$gte": failures_before_reset } },
    );
    users(db)
        .find_one_and_update(filter, doc! { "$inc": { "failed_logins": 1 } })
        .return_document(ReturnDocument::After)
        .await
        .context("reserving a password attempt")
}

/// An attempt reserved with [`reserve_attempt`] was never judged (the
/// hasher was busy): it does not count.
pub async fn release_attempt(db: &Database, id: UserId) -> Result<(), StoreError> {
    users(db)
        .update_one(
            doc! { "_id": id, "failed_logins": { "$gt": 0 } },
            doc! { "$inc": { "failed_logins": -1 } },
        )
        .await
        .context("releasing a password attempt")?;
    Ok(())
}

/// The right password: the account's count of wrong ones starts again.
pub async fn attempt_succeeded(db: &Database, id: UserId) -> Result<(), StoreError> {
    users(db)
        .update_one(doc! { "_id": id }, doc! { "$set": { "failed_logins": 0 } })
        .await
        .context("clearing wrong password attempts")?;
    Ok(())
}

/// Accounts stored before failed logins and session generations were
/// counted get 0 of each. Idempotent.
pub async fn backfill_counters(db: &Database) -> Result<u64, StoreError> {
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "$or": [
            { "failed_logins": { "$exists": false } },
            { "session_generation": { "$exists": false } },
        ] },
        vec![doc! { "$set": {
            "failed_logins": { "$ifNull": ["$failed_logins", 0_i32] },
            "session_generation": { "$ifNull": ["$session_generation", 0_i64] },
        } }],
        "giving accounts their login counters",
    )
    .await
}
