//! The `refresh_tokens` collection: one document per issued refresh token,
//! keyed by its SHA-256. Tokens of one login form a family; rotation marks
//! the presented token used and issues the next one in the same family.

use bson::doc;
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use crate::domain::tokens::OpaqueToken;
use common::db::{Context, StoreError};
use common::ids::{OrgId, UserId};

pub const COLLECTION: &str = "refresh_tokens";
pub const EXPIRY_INDEX: &str = "expires_at_ttl";

pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (
        vec![
            IndexModel::builder().keys(doc! { "family_id": 1 }).build(),
            IndexModel::builder().keys(doc! { "user_id": 1 }).build(),
            // Used tokens stay until they expire: presenting one is reuse.
            common::db::ttl_index("expires_at", EXPIRY_INDEX),
        ],
        &[],
    )
}

/// The login a token belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    pub id: String,
    /// No token of the family is valid after this, however often it rotates.
    pub expires_at: bson::DateTime,
    /// The user's session generation at login (see `User::session_generation`).
    pub session_generation: i64,
    /// When the login's password was given (Unix seconds): every access
    /// token of the family carries it as `auth_time`.
    pub auth_time: i64,
    /// The organization the login acts in: a refresh may switch it, and
    /// the successor token remembers the switch.
    pub org_id: OrgId,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshToken {
    /// SHA-256 of the token, hex.
    #[serde(rename = "_id")]
    pub token_hash: String,
    pub user_id: UserId,
    pub family_id: String,
    pub created_at: bson::DateTime,
    pub expires_at: bson::DateTime,
    /// The family's absolute end.
    pub family_expires_at: bson::DateTime,
    pub session_generation: i64,
    /// The login's time (Unix seconds).
    pub auth_time: i64,
    /// The organization its access tokens act in.
    pub org_id: OrgId,
    /// Set when rotated; presenting it again is reuse.
    pub used: bool,
    pub revoked: bool,
}

impl RefreshToken {
    pub fn is_expired(&self) -> bool {
        let now = bson::DateTime::now();
        self.expires_at <= now || self.family_expires_at <= now
    }

    pub fn family(&self) -> Family {
        Family {
            id: self.family_id.clone(),
            expires_at: self.family_expires_at,
            session_generation: self.session_generation,
            auth_time: self.auth_time,
            org_id: self.org_id,
        }
    }
}

fn tokens(db: &Database) -> Collection<RefreshToken> {
    db.collection(COLLECTION)
}

/// Stores a new token of `family` (living `ttl`, never past the family's
/// end) and returns the value for the client.
pub async fn issue(
    db: &Database,
    session: &mut ClientSession,
    user_id: UserId,
    family: &Family,
    ttl: std::time::Duration,
) -> Result<String, StoreError> {
    let token = OpaqueToken::generate();
    let now = bson::DateTime::now();
    let expires_at = bson::DateTime::from_millis(now.timestamp_millis() + ttl.as_millis() as i64)
        .min(family.expires_at);
    let record = RefreshToken {
        token_hash: token.hash,
        user_id,
        family_id: family.id.clone(),
        created_at: now,
        expires_at,
        family_expires_at: family.expires_at,
        session_generation: family.session_generation,
        auth_time: family.auth_time,
        org_id: family.org_id,
        used: false,
        revoked: false,
    };
    tokens(db)
        .insert_one(&record)
        .session(&mut *session)
        .await
        .context("refresh_tokens::issue")?;
    Ok(token.value)
}

/// What presenting a refresh token amounted to.
pub enum Rotation {
    /// It was live and is now used: issue its successor.
    Rotated(RefreshToken),
    /// It had been used already: a stolen copy may be in play.
    Reused(RefreshToken),
    /// Unknown, revoked or expired (its family's lifetime included).
    Invalid,
}

/// Uses up `token` (as [`find`] read it). Of concurrent presentations
/// exactly one rotates it (see `claims`); the others count as reuse.
pub async fn rotate(
    db: &Database,
    session: &mut ClientSession,
    token: RefreshToken,
) -> Result<Rotation, StoreError> {
    let token_hash = token.token_hash.clone();
    if token.revoked || token.is_expired() {
        return Ok(Rotation::Invalid);
    }
    if super::claims::is_claimed(db, session, &family_revoked_key(&token.family_id)).await? {
        return Ok(Rotation::Invalid);
    }
    let key = format!("refresh:{token_hash}");
    if token.used || !super::claims::claim_once(db, session, &key, token.expires_at).await? {
        return Ok(Rotation::Reused(token));
    }
    // Recorded for readers; the claim above is what decided.
    tokens(db)
        .update_one(
            doc! { "_id": &token_hash },
            doc! { "$set": { "used": true } },
        )
        .session(&mut *session)
        .await
        .context("refresh_tokens::rotate")?;
    Ok(Rotation::Rotated(token))
}

pub async fn find(db: &Database, token_hash: &str) -> Result<Option<RefreshToken>, StoreError> {
    tokens(db)
        .find_one(doc! { "_id": token_hash })
        .await
        .context("refresh_tokens::find")
}

fn family_revoked_key(family_id: &str) -> String {
    format!("family-revoked:{family_id}")
}

/// Revokes every token of the family, including one its rotation is about
/// to issue: the durable marker is checked on every use, so a successor
/// inserted after this `update_many` is refused all the same. The marker
/// lasts as long as the family could.
pub async fn revoke_family(
    db: &Database,
    session: &mut ClientSession,
    family: &Family,
) -> Result<(), StoreError> {
    super::claims::claim_once(
        db,
        session,
        &family_revoked_key(&family.id),
        family.expires_at,
    )
    .await?;
    tokens(db)
        .update_many(
            doc! { "family_id": &family.id },
            doc! { "$set": { "revoked": true } },
        )
        .session(&mut *session)
        .await
        .context("refresh_tokens::revoke_family")?;
    Ok(())
}

/// Flags every current token of the user revoked. What makes "every
/// session" final is the user's session generation (see
/// `service::accounts::end_all_sessions`): this only tidies up.
pub async fn revoke_all_for_user(
    db: &Database,
    session: &mut ClientSession,
    user_id: UserId,
) -> Result<(), StoreError> {
    tokens(db)
        .update_many(
            doc! { "user_id": user_id },
            doc! { "$set": { "revoked": true } },
        )
        .session(&mut *session)
        .await
        .context("refresh_tokens::revoke_all_for_user")?;
    Ok(())
}

/// Tokens issued before families had an end, a session generation and a
/// login time get them: the end is the token's own expiry, the generation
/// 0 (the first) and the login time 0 (an old login). Idempotent.
pub async fn backfill_families(db: &Database) -> Result<u64, StoreError> {
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "$or": [
            { "family_expires_at": { "$exists": false } },
            { "session_generation": { "$exists": false } },
            { "auth_time": { "$exists": false } },
        ] },
        vec![doc! { "$set": {
            "family_expires_at": { "$ifNull": ["$family_expires_at", "$expires_at"] },
            "session_generation": { "$ifNull": ["$session_generation", 0_i64] },
            "auth_time": { "$ifNull": ["$auth_time", 0_i64] },
        } }],
        "giving refresh tokens their family's end",
    )
    .await
}

/// Tokens issued before organizations act in their user's personal
/// organization, whose id is the user's. Idempotent.
pub async fn backfill_organizations(db: &Database) -> Result<u64, StoreError> {
    common::db::update_in_batches(
        &db.collection(COLLECTION),
        doc! { "org_id": { "$exists": false } },
        vec![doc! { "$set": { "org_id": "$user_id" } }],
        "giving refresh tokens their organization",
    )
    .await
}
