//! The `mail_quota` collection: how many reset and verification mails went
//! to an address in the last hour, so no address can be mail-bombed (and no
//! answer reveals whether a mail was sent: the endpoints answer 202 always).

use std::net::IpAddr;

use bson::doc;
use mongodb::{Collection, Database, IndexModel};

use crate::domain::tokens::hash_token;
use common::db::{Context, StoreError};

pub const COLLECTION: &str = "mail_quota";
/// Mails per address per requesting client per rolling hour.
pub const MAILS_PER_HOUR_PER_REQUESTER: usize = 3;
/// Mails per address per rolling hour, whoever asks: bounds what many
/// clients together can send to one inbox.
pub const MAILS_PER_HOUR: usize = 10;
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

/// Takes one of the address's mails for the rolling hour, charged to the
/// requester as well as the address: `false` when this requester had
/// [`MAILS_PER_HOUR_PER_REQUESTER`] mails sent to the address within the
/// last hour, or the address [`MAILS_PER_HOUR`]. One requester therefore
/// cannot use up another's mails (a victim asking from their own network
/// still gets theirs).
pub async fn take(db: &Database, email: &str, requester: IpAddr) -> Result<bool, StoreError> {
    let pair = format!("{email}\u{0}{requester}");
    Ok(take_one(db, &pair, MAILS_PER_HOUR_PER_REQUESTER).await?
        && take_one(db, email, MAILS_PER_HOUR).await?)
}

/// Takes one of `limit` mails per rolling hour for `key`.
///
/// One atomic upsert: the document keeps the times of the last `limit`
/// mails, and matches only while fewer exist or the oldest is over an hour
/// old. When it does not match, the upsert's insert collides with the
/// existing `_id`: that duplicate-key error is the refusal.
async fn take_one(db: &Database, key: &str, limit: usize) -> Result<bool, StoreError> {
    let now = bson::DateTime::now();
    let hour_ago = bson::DateTime::from_millis(now.timestamp_millis() - HOUR_MS);
    let oldest_kept = format!("sent.{}", limit - 1);
    let result = quotas(db)
        .update_one(
            doc! {
                // Addresses are stored hashed: the collection is no mailing list.
                "_id": hash_token(key),
                "$or": [
                    { oldest_kept: { "$exists": false } },
                    { "sent.0": { "$lte": hour_ago } },
                ],
            },
            doc! {
                "$push": { "sent": { "$each": [now], "$slice": -(limit as i32) } },
                "$set": { "expires_at": bson::DateTime::from_millis(now.timestamp_millis() + HOUR_MS) },
            },
        )
        .upsert(true)
        .await
        .context("mail_quota::take_one");
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.is_duplicate() => Ok(false),
        Err(e) => Err(e),
    }
}
