//! The `users` collection.

use bson::{Document, doc};
use futures_util::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};

use crate::domain::user::User;
use common::error::ApiError;

pub const COLLECTION: &str = "users";
/// Failed logins before an account is locked.
pub const MAX_FAILED_LOGINS: i32 = 10;
/// How long a lock lasts.
pub const LOCK_SECONDS: i64 = 60;

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
    /// Forget failed logins and any lock (after a password reset).
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
            set.insert("locked_until", bson::Bson::Null);
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

/// Counts a failed login (or a wrong current password) and locks the
/// account for a minute at the tenth in a row. The count is one atomic
/// `$inc` returning the new value, so concurrent failures each count and the
/// lock falls on exactly the tenth. Returns whether this one locked it.
pub async fn record_failed_login(db: &Database, user_id: &str) -> Result<bool, ApiError> {
    let Some(counted) = users(db)
        .find_one_and_update(
            doc! { "_id": user_id },
            doc! { "$inc": { "failed_logins": 1 } },
        )
        .return_document(ReturnDocument::After)
        .await?
    else {
        return Ok(false);
    };
    if counted.failed_logins < MAX_FAILED_LOGINS {
        return Ok(false);
    }
    let until =
        bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() + LOCK_SECONDS * 1000);
    // Only the request whose count reached the threshold starts the lock.
    let locked = users(db)
        .update_one(
            doc! { "_id": user_id, "failed_logins": { "$gte": MAX_FAILED_LOGINS } },
            doc! { "$set": { "failed_logins": 0, "locked_until": until } },
        )
        .await?
        .modified_count
        == 1;
    if locked {
        tracing::warn!(user_id, "account locked after repeated failed logins");
    }
    Ok(locked)
}

pub async fn reset_failed_logins(db: &Database, user: &User) -> Result<(), ApiError> {
    if user.failed_logins != 0 || user.locked_until.is_some() {
        users(db)
            .update_one(
                doc! { "_id": &user.id },
                doc! { "$set": { "failed_logins": 0, "locked_until": null } },
            )
            .await?;
    }
    Ok(())
}
