//! The `action_tokens` collection: single-use password-reset and
//! email-verification tokens, stored as SHA-256 hashes.

use bson::doc;
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use crate::domain::tokens::{OpaqueToken, hash_token};
use common::db::{Context, StoreError};
use common::ids::UserId;

pub const COLLECTION: &str = "action_tokens";

pub use crate::domain::tokens::TokenPurpose;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionToken {
    #[serde(rename = "_id")]
    pub token_hash: String,
    pub purpose: TokenPurpose,
    pub user_id: UserId,
    /// The address the token was sent to; verification only counts for it.
    pub email: String,
    pub expires_at: bson::DateTime,
    pub used: bool,
}

pub const EXPIRY_INDEX: &str = "expires_at_ttl";

pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (
        vec![
            IndexModel::builder().keys(doc! { "user_id": 1 }).build(),
            common::db::ttl_index("expires_at", EXPIRY_INDEX),
        ],
        &[],
    )
}

fn tokens(db: &Database) -> Collection<ActionToken> {
    db.collection(COLLECTION)
}

pub async fn issue(
    db: &Database,
    purpose: TokenPurpose,
    user_id: UserId,
    email: &str,
) -> Result<String, StoreError> {
    let token = OpaqueToken::generate();
    let expires_at = bson::DateTime::from_millis(
        bson::DateTime::now().timestamp_millis() + purpose.lifetime_seconds() * 1000,
    );
    let record = ActionToken {
        token_hash: token.hash,
        purpose,
        user_id,
        email: email.to_owned(),
        expires_at,
        used: false,
    };
    tokens(db)
        .insert_one(&record)
        .await
        .context("action_tokens::issue")?;
    Ok(token.value)
}

fn live_filter(value: &str, purpose: TokenPurpose) -> bson::Document {
    doc! {
        "_id": hash_token(value),
        "purpose": purpose.as_str(),
        "used": false,
        "expires_at": { "$gt": bson::DateTime::now() },
    }
}

/// A live token, without using it up.
pub async fn peek(
    db: &Database,
    session: &mut ClientSession,
    value: &str,
    purpose: TokenPurpose,
) -> Result<Option<ActionToken>, StoreError> {
    tokens(db)
        .find_one(live_filter(value, purpose))
        .session(&mut *session)
        .await
        .context("action_tokens::peek")
}

/// Uses the token up; `None` when it is unknown, expired or already used.
pub async fn consume(
    db: &Database,
    session: &mut ClientSession,
    value: &str,
    purpose: TokenPurpose,
) -> Result<Option<ActionToken>, StoreError> {
    match peek(db, session, value, purpose).await? {
        Some(token) if claim(db, session, &token).await? => Ok(Some(token)),
        _ => Ok(None),
    }
}

/// Uses up a token found by [`peek`]: one conditional update on the token
/// document itself, `true` for exactly one of concurrent callers, and
/// `false` once the token is used, expired, or deleted since it was read
/// (a password or email change invalidated it while this request ran).
pub async fn claim(
    db: &Database,
    session: &mut ClientSession,
    token: &ActionToken,
) -> Result<bool, StoreError> {
    let claimed = tokens(db)
        .update_one(
            doc! {
                "_id": &token.token_hash,
                "used": false,
                "expires_at": { "$gt": bson::DateTime::now() },
            },
            doc! { "$set": { "used": true } },
        )
        .session(&mut *session)
        .await
        .context("action_tokens::claim")?;
    Ok(claimed.modified_count == 1)
}

/// Invalidates every outstanding token of `purpose` for the user.
pub async fn delete_for_user(
    db: &Database,
    session: &mut ClientSession,
    user_id: UserId,
    purpose: TokenPurpose,
) -> Result<u64, StoreError> {
    Ok(tokens(db)
        .delete_many(doc! { "user_id": user_id, "purpose": purpose.as_str() })
        .session(&mut *session)
        .await
        .context("action_tokens::delete_for_user")?
        .deleted_count)
}
