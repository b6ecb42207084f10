//! The `memberships` collection: who belongs to which organization, and
//! as what. One document per (organization, user).

use bson::doc;
use futures_util::TryStreamExt;
use mongodb::options::IndexOptions;
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use common::db::{Context, StoreError};
use common::ids::{OrgId, UserId};
use common::org::OrgRole;

pub const COLLECTION: &str = "memberships";
pub const MEMBER_INDEX: &str = "org_user_unique";

pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (
        vec![
            IndexModel::builder()
                .keys(doc! { "org_id": 1, "user_id": 1 })
                .options(
                    IndexOptions::builder()
                        .unique(true)
                        .name(MEMBER_INDEX.to_owned())
                        .build(),
                )
                .build(),
            IndexModel::builder().keys(doc! { "user_id": 1 }).build(),
        ],
        &[],
    )
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub role: OrgRole,
    pub created_at: bson::DateTime,
}

fn memberships(db: &Database) -> Collection<Membership> {
    db.collection(COLLECTION)
}

/// Inserts; an existing member is `StoreError::Duplicate` on
/// [`MEMBER_INDEX`].
pub async fn insert(
    db: &Database,
    session: &mut ClientSession,
    membership: &Membership,
) -> Result<(), StoreError> {
    memberships(db)
        .insert_one(membership)
        .session(session)
        .await
        .context("inserting a membership")
        .map(|_| ())
}

pub async fn find(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    user_id: UserId,
) -> Result<Option<Membership>, StoreError> {
    memberships(db)
        .find_one(doc! { "org_id": org_id, "user_id": user_id })
        .session(session)
        .await
        .context("finding a membership")
}

/// A user's memberships.
pub async fn of_user(db: &Database, user_id: UserId) -> Result<Vec<Membership>, StoreError> {
    of_user_in(db, None, user_id).await
}

pub async fn of_user_in(
    db: &Database,
    session: Option<&mut ClientSession>,
    user_id: UserId,
) -> Result<Vec<Membership>, StoreError> {
    let collection = memberships(db);
    let find = collection.find(doc! { "user_id": user_id });
    match session {
        Some(session) => {
            let mut cursor = find
                .session(&mut *session)
                .await
                .context("finding memberships")?;
            cursor
                .stream(session)
                .try_collect()
                .await
                .context("reading memberships")
        }
        None => find
            .await
            .context("finding memberships")?
            .try_collect()
            .await
            .context("reading memberships"),
    }
}

/// An organization's members, oldest first (bounded by the member cap).
pub async fn of_org(db: &Database, org_id: OrgId) -> Result<Vec<Membership>, StoreError> {
    memberships(db)
        .find(doc! { "org_id": org_id })
        .sort(doc! { "created_at": 1, "user_id": 1 })
        .await
        .context("finding an organization's members")?
        .try_collect()
        .await
        .context("reading an organization's members")
}

pub async fn set_role(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    user_id: UserId,
    role: OrgRole,
) -> Result<(), StoreError> {
    memberships(db)
        .update_one(
            doc! { "org_id": org_id, "user_id": user_id },
            doc! { "$set": { "role": role.as_str() } },
        )
        .session(session)
        .await
        .context("changing a member's role")
        .map(|_| ())
}

pub async fn delete(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    user_id: UserId,
) -> Result<(), StoreError> {
    memberships(db)
        .delete_one(doc! { "org_id": org_id, "user_id": user_id })
        .session(session)
        .await
        .context("removing a member")
        .map(|_| ())
}
