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

/// Applies `$set` fields (and `updated_at`), returning the updated user.
/// `Conflict` when a new email is taken.
pub async fn update(db: &Database, id: &str, mut set: Document) -> Result<Option<User>, ApiError> {
    set.insert("updated_at", bson::DateTime::now());
    users(db)
        .find_one_and_update(doc! { "_id": id }, doc! { "$set": set })
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

/// Counts a failed login; the tenth in a row locks the account for a minute.
pub async fn record_failed_login(db: &Database, user: &User) -> Result<(), ApiError> {
    let update = if user.failed_logins + 1 >= MAX_FAILED_LOGINS {
        let until = bson::DateTime::from_millis(
            bson::DateTime::now().timestamp_millis() + LOCK_SECONDS * 1000,
        );
        tracing::warn!(user_id = %user.id, "account locked after repeated failed logins");
        doc! { "$set": { "failed_logins": 0, "locked_until": until } }
    } else {
        doc! { "$inc": { "failed_logins": 1 } }
    };
    users(db)
        .update_one(doc! { "_id": &user.id }, update)
        .await?;
    Ok(())
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
