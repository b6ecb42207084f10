//! The `users` collection.

use bson::{Document, doc};
use futures_util::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};

use crate::domain::user::User;
use common::error::ApiError;

pub const COLLECTION: &str = "users";
pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (
        vec![
            IndexModel::builder()
                .keys(doc! { "email": 1 })
                .options(
                    IndexOptions::builder()
                        .unique(true)
                        .name("email_unique".to_owned())
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

/// Inserts; `Conflict` when the email is taken (unique index).
pub async fn insert(db: &Database, user: &User) -> Result<(), ApiError> {
    users(db).insert_one(user).await.map(|_| ()).map_err(|e| {
        if common::db::is_duplicate_key(&e) {
            email_taken()
        } else {
            e.into()
        }
    })
}

pub fn email_taken() -> ApiError {
    ApiError::Conflict("An account with this email address already exists.".into())
}

pub async fn find_by_email(db: &Database, email: &str) -> Result<Option<User>, ApiError> {
    Ok(users(db).find_one(doc! { "email": email }).await?)
}

pub async fn find_by_id(db: &Database, id: &str) -> Result<Option<User>, ApiError> {
    Ok(users(db).find_one(doc! { "_id": id }).await?)
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
/// `Conflict` when a new email is taken.
pub async fn update(
    db: &Database,
    id: &str,
    change: &UserUpdate,
) -> Result<Option<User>, ApiError> {
    users(db)
        .find_one_and_update(doc! { "_id": id }, doc! { "$set": change.to_set() })
        .return_document(ReturnDocument::After)
        .await
        .map_err(|e| {
            if common::db::is_duplicate_key(&e) {
                email_taken()
            } else {
                e.into()
            }
        })
}

/// Applies the change only while the account is active and its address is
/// still `email` (a reset token's); `None` otherwise.
pub async fn update_if_email(
    db: &Database,
    id: &str,
    email: &str,
    change: &UserUpdate,
) -> Result<Option<User>, ApiError> {
    users(db)
        .find_one_and_update(
            doc! { "_id": id, "email": email, "is_active": true },
            doc! { "$set": change.to_set() },
        )
        .return_document(ReturnDocument::After)
        .await
        .map_err(|e| {
            if common::db::is_duplicate_key(&e) {
                email_taken()
            } else {
                e.into()
            }
        })
}

/// Ends every session of the user: refresh-token families started before
/// this carry an older generation, and every refresh checks it.
pub async fn bump_session_generation(db: &Database, id: &str) -> Result<(), ApiError> {
    users(db)
        .update_one(
            doc! { "_id": id },
            doc! { "$inc": { "session_generation": 1_i64 } },
        )
        .await?;
    Ok(())
}

/// Active superusers.
pub async fn count_active_superusers(db: &Database) -> Result<u64, ApiError> {
    Ok(users(db)
        .count_documents(doc! { "is_superuser": true, "is_active": true })
        .await?)
}

pub async fn delete(db: &Database, id: &str) -> Result<bool, ApiError> {
    Ok(users(db)
        .delete_one(doc! { "_id": id })
        .await?
        .deleted_count
        == 1)
}

pub async fn list(db: &Database, limit: u32, offset: u64) -> Result<(Vec<User>, u64), ApiError> {
    let page = users(db)
        .find(doc! {})
        .sort(doc! { "created_at": 1, "_id": 1 })
        .skip(offset)
        .limit(i64::from(limit))
        .await?
        .try_collect()
        .await?;
    let total = users(db).count_documents(doc! {}).await?;
    Ok((page, total))
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
) -> Result<Option<User>, ApiError> {
    let mut filter = match by {
        AccountRef::Email(email) => doc! { "email": email },
        AccountRef::Id(id) => doc! { "_id": id },
    };
    filter.insert(
        "failed_logins",
        doc! { "$not": { "$gte": failures_before_reset } },
    );
    Ok(users(db)
        .find_one_and_update(filter, doc! { "$inc": { "failed_logins": 1 } })
        .return_document(ReturnDocument::After)
        .await?)
}

/// How [`reserve_attempt`] finds the account.
#[derive(Debug, Clone, Copy)]
pub enum AccountRef<'a> {
    Email(&'a str),
    Id(&'a str),
}

/// An attempt reserved with [`reserve_attempt`] was never judged (the
/// hasher was busy): it does not count.
pub async fn release_attempt(db: &Database, id: &str) -> Result<(), ApiError> {
    users(db)
        .update_one(
            doc! { "_id": id, "failed_logins": { "$gt": 0 } },
            doc! { "$inc": { "failed_logins": -1 } },
        )
        .await?;
    Ok(())
}

/// The right password: the account's count of wrong ones starts again.
pub async fn attempt_succeeded(db: &Database, id: &str) -> Result<(), ApiError> {
    users(db)
        .update_one(doc! { "_id": id }, doc! { "$set": { "failed_logins": 0 } })
        .await?;
    Ok(())
}
