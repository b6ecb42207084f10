//! The `mail_quota` collection: how many reset and verification mails went
//! to an address in the last hour, so no address can be mail-bombed (and no
//! answer reveals whether a mail was sent: the endpoints answer 202 always).

use bson::doc;
use mongodb::{Collection, Database, IndexModel};

use crate::domain::tokens::hash_token;
use common::error::ApiError;

pub const COLLECTION: &str = "mail_quota";
/// Mails per address per rolling hour.
pub const MAILS_PER_HOUR: usize = 3;
const HOUR_MS: i64 = 3_600_000;

pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (
        vec![common::db::ttl_index("expires_at", "expires_at_ttl")],
        &[],
    )
}

fn quotas(db: &Database) -> Collection<bson::Document> {
    db.collection(COLLECTION)
}

/// Takes one of the address's mails for the rolling hour; `false` when
/// [`MAILS_PER_HOUR`] were sent within the last hour.
///
/// One atomic upsert: the document keeps the times of the last three mails,
/// and matches only while fewer than three exist or the oldest is over an
/// hour old. When it does not match, the upsert's insert collides with the
/// existing `_id`: that duplicate-key error is the refusal.
pub async fn take(db: &Database, email: &str) -> Result<bool, ApiError> {
    let now = bson::DateTime::now();
    let hour_ago = bson::DateTime::from_millis(now.timestamp_millis() - HOUR_MS);
    let oldest_kept = format!("sent.{}", MAILS_PER_HOUR - 1);
    let result = quotas(db)
        .update_one(
            doc! {
                // Addresses are stored hashed: the collection is no mailing list.
                "_id": hash_token(email),
                "$or": [
                    { oldest_kept: { "$exists": false } },
                    { "sent.0": { "$lte": hour_ago } },
                ],
            },
            doc! {
                "$push": { "sent": { "$each": [now], "$slice": -(MAILS_PER_HOUR as i32) } },
                "$set": { "expires_at": bson::DateTime::from_millis(now.timestamp_millis() + HOUR_MS) },
            },
        )
        .upsert(true)
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(e) if common::db::is_duplicate_key(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
