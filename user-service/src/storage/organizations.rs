//! The `organizations` collection: one document per organization, with
//! its count of members and of owners. Every membership change updates
//! those counts in its transaction, so two changes of one organization
//! always conflict: two owners demoting each other cannot both succeed.

use bson::doc;
use futures_util::TryStreamExt;
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use common::db::{Context, StoreError};
use common::ids::OrgId;

pub const COLLECTION: &str = "organizations";

pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (Vec::new(), &[])
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredOrganization {
    #[serde(rename = "_id")]
    pub id: OrgId,
    pub name: String,
    /// A user's own organization (its id is the user's): no other
    /// members, no invitations, deleted only with the account.
    pub personal: bool,
    pub members: i64,
    pub owners: i64,
    pub created_at: bson::DateTime,
}

fn organizations(db: &Database) -> Collection<StoredOrganization> {
    db.collection(COLLECTION)
}

pub async fn insert(
    db: &Database,
    session: &mut ClientSession,
    org: &StoredOrganization,
) -> Result<(), StoreError> {
    organizations(db)
        .insert_one(org)
        .session(session)
        .await
        .context("inserting an organization")
        .map(|_| ())
}

pub async fn find(
    db: &Database,
    session: &mut ClientSession,
    id: OrgId,
) -> Result<Option<StoredOrganization>, StoreError> {
    organizations(db)
        .find_one(doc! { "_id": id })
        .session(session)
        .await
        .context("finding an organization")
}

/// The organizations of `ids` (a user's memberships: bounded by the
/// per-user cap).
pub async fn find_many(
    db: &Database,
    ids: &[OrgId],
) -> Result<Vec<StoredOrganization>, StoreError> {
    organizations(db)
        .find(doc! { "_id": { "$in": ids.iter().map(|id| bson::Bson::from(*id)).collect::<Vec<_>>() } })
        .await
        .context("finding organizations")?
        .try_collect()
        .await
        .context("reading organizations")
}

pub async fn rename(
    db: &Database,
    session: &mut ClientSession,
    id: OrgId,
    name: &str,
) -> Result<(), StoreError> {
    organizations(db)
        .update_one(doc! { "_id": id }, doc! { "$set": { "name": name } })
        .session(session)
        .await
        .context("renaming an organization")
        .map(|_| ())
}

/// Adds `members` and `owners` to the counts, unless that would leave the
/// organization without an owner or over `max_members`: `false` then, and
/// nothing changes.
pub async fn count_change(
    db: &Database,
    session: &mut ClientSession,
    id: OrgId,
    members: i64,
    owners: i64,
    max_members: i64,
) -> Result<bool, StoreError> {
    let mut filter = doc! { "_id": id };
    if owners < 0 {
        filter.insert("owners", doc! { "$gt": -owners });
    }
    if members > 0 {
        filter.insert("members", doc! { "$lte": max_members - members });
    }
    let changed = organizations(db)
        .update_one(
            filter,
            doc! { "$inc": { "members": members, "owners": owners } },
        )
        .session(session)
        .await
        .context("counting an organization's members")?;
    Ok(changed.matched_count == 1)
}

pub async fn delete(
    db: &Database,
    session: &mut ClientSession,
    id: OrgId,
) -> Result<bool, StoreError> {
    let deleted = organizations(db)
        .delete_one(doc! { "_id": id })
        .session(session)
        .await
        .context("deleting an organization")?;
    Ok(deleted.deleted_count == 1)
}

/// Every account without a personal organization gets one, owned by it
/// (its id and its membership's). Idempotent upserts, in batches of 1,000
/// accounts by id.
pub async fn backfill_personal(db: &Database) -> Result<u64, StoreError> {
    use super::memberships;
    let users = db.collection::<bson::Document>(super::users::COLLECTION);
    let mut created = 0;
    let mut after: Option<bson::Bson> = None;
    loop {
        let filter = match &after {
            Some(last) => doc! { "_id": { "$gt": last.clone() } },
            None => doc! {},
        };
        let batch: Vec<bson::Document> = users
            .find(filter)
            .projection(doc! { "_id": 1, "created_at": 1 })
            .sort(doc! { "_id": 1 })
            .limit(1_000)
            .await
            .context("reading accounts for their personal organizations")?
            .try_collect()
            .await
            .context("reading accounts for their personal organizations")?;
        let Some(last) = batch.last() else {
            return Ok(created);
        };
        after = last.get("_id").cloned();
        for user in &batch {
            let (Some(id), Ok(created_at)) = (user.get("_id"), user.get_datetime("created_at"))
            else {
                continue;
            };
            let org = organizations(db)
                .update_one(
                    doc! { "_id": id.clone() },
                    doc! { "$setOnInsert": {
                        "name": crate::domain::org::PERSONAL_NAME,
                        "personal": true,
                        "members": 1_i64,
                        "owners": 1_i64,
                        "created_at": *created_at,
                    } },
                )
                .upsert(true)
                .await
                .context("creating a personal organization")?;
            db.collection::<memberships::Membership>(memberships::COLLECTION)
                .update_one(
                    doc! { "org_id": id.clone(), "user_id": id.clone() },
                    doc! { "$setOnInsert": { "role": "owner", "created_at": *created_at } },
                )
                .upsert(true)
                .await
                .context("creating a personal organization's membership")?;
            if org.upserted_id.is_some() {
                created += 1;
            }
        }
    }
}
