//! The `invitations` collection: pending invitations to an organization,
//! by the SHA-256 of their mailed token. Accepting or revoking one deletes
//! it; the TTL index removes the expired.

use bson::doc;
use futures_util::TryStreamExt;
use mongodb::options::IndexOptions;
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use common::db::{Context, StoreError};
use common::ids::{OrgId, UserId};
use common::org::OrgRole;

use crate::domain::org::InvitationId;

pub const COLLECTION: &str = "invitations";
pub const EXPIRY_INDEX: &str = "expires_at_ttl";

pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (
        vec![
            IndexModel::builder()
                .keys(doc! { "token_hash": 1 })
                .options(IndexOptions::builder().unique(true).build())
                .build(),
            IndexModel::builder()
                .keys(doc! { "org_id": 1, "created_at": 1 })
                .build(),
            common::db::ttl_index("expires_at", EXPIRY_INDEX),
        ],
        &[],
    )
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    #[serde(rename = "_id")]
    pub id: InvitationId,
    pub org_id: OrgId,
    /// The invited address, normalized as accounts' are.
    pub email: String,
    pub role: OrgRole,
    /// SHA-256 of the mailed token, hex.
    pub token_hash: String,
    pub invited_by: UserId,
    pub created_at: bson::DateTime,
    pub expires_at: bson::DateTime,
}

impl Invitation {
    pub fn is_expired(&self) -> bool {
        self.expires_at <= bson::DateTime::now()
    }
}

fn invitations(db: &Database) -> Collection<Invitation> {
    db.collection(COLLECTION)
}

pub async fn insert(
    db: &Database,
    session: &mut ClientSession,
    invitation: &Invitation,
) -> Result<(), StoreError> {
    invitations(db)
        .insert_one(invitation)
        .session(session)
        .await
        .context("inserting an invitation")
        .map(|_| ())
}

/// An organization's invitations that have not expired, oldest first.
pub async fn pending(db: &Database, org_id: OrgId) -> Result<Vec<Invitation>, StoreError> {
    invitations(db)
        .find(doc! { "org_id": org_id, "expires_at": { "$gt": bson::DateTime::now() } })
        .sort(doc! { "created_at": 1 })
        .await
        .context("finding invitations")?
        .try_collect()
        .await
        .context("reading invitations")
}

/// How many unexpired invitations `org_id` has.
pub async fn count_pending(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
) -> Result<u64, StoreError> {
    invitations(db)
        .count_documents(doc! { "org_id": org_id, "expires_at": { "$gt": bson::DateTime::now() } })
        .session(session)
        .await
        .context("counting invitations")
}

pub async fn find_by_hash(
    db: &Database,
    session: &mut ClientSession,
    token_hash: &str,
) -> Result<Option<Invitation>, StoreError> {
    invitations(db)
        .find_one(doc! { "token_hash": token_hash })
        .session(session)
        .await
        .context("finding an invitation")
}

pub async fn find(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    id: InvitationId,
) -> Result<Option<Invitation>, StoreError> {
    invitations(db)
        .find_one(doc! { "_id": id, "org_id": org_id })
        .session(session)
        .await
        .context("finding an invitation")
}

/// Deletes one invitation: `false` when it was gone already (used).
pub async fn delete(
    db: &Database,
    session: &mut ClientSession,
    id: InvitationId,
) -> Result<bool, StoreError> {
    let deleted = invitations(db)
        .delete_one(doc! { "_id": id })
        .session(session)
        .await
        .context("deleting an invitation")?;
    Ok(deleted.deleted_count == 1)
}

/// Deletes `org_id`'s invitations to `email` (a new one replaces them).
pub async fn delete_to(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    email: &str,
) -> Result<(), StoreError> {
    invitations(db)
        .delete_many(doc! { "org_id": org_id, "email": email })
        .session(session)
        .await
        .context("replacing invitations")
        .map(|_| ())
}
