//! The `facilities` collection: an organization's sites, each with the
//! count of the usages that name it.

use bson::doc;
use futures_util::TryStreamExt;
use mongodb::options::IndexOptions;
use mongodb::{ClientSession, Collection, Database, IndexModel};

use crate::domain::facility::{Facility, FacilityId};
use common::db::{Context, StoreError};
use common::ids::OrgId;

pub const COLLECTION: &str = "facilities";
/// One name per organization: a duplicate on it is a taken name.
pub const NAME_INDEX: &str = "org_name_unique";

/// An organization's facilities by name (the list), and its names unique.
pub fn indexes() -> (Vec<IndexModel>, &'static [&'static str]) {
    (
        vec![
            IndexModel::builder()
                .keys(doc! { "org_id": 1, "name": 1 })
                .options(
                    IndexOptions::builder()
                        .unique(true)
                        .name(NAME_INDEX.to_owned())
                        .build(),
                )
                .build(),
        ],
        &[],
    )
}

fn facilities(db: &Database) -> Collection<Facility> {
    db.collection(COLLECTION)
}

/// Stores a new facility; a taken name is `StoreError::Duplicate` on
/// [`NAME_INDEX`].
pub async fn insert(
    db: &Database,
    session: &mut ClientSession,
    facility: &Facility,
) -> Result<(), StoreError> {
    facilities(db)
        .insert_one(facility)
        .session(session)
        .await
        .context("storing a facility")?;
    Ok(())
}

pub async fn find(
    db: &Database,
    org_id: OrgId,
    id: FacilityId,
) -> Result<Option<Facility>, StoreError> {
    facilities(db)
        .find_one(doc! { "_id": id, "org_id": org_id })
        .await
        .context("reading a facility")
}

/// The organization's facilities by name, at most `limit`.
pub async fn list(db: &Database, org_id: OrgId, limit: i64) -> Result<Vec<Facility>, StoreError> {
    facilities(db)
        .find(doc! { "org_id": org_id })
        .sort(doc! { "name": 1 })
        .limit(limit)
        .await
        .context("listing facilities")?
        .try_collect()
        .await
        .context("reading facilities")
}

pub async fn count(db: &Database, org_id: OrgId) -> Result<u64, StoreError> {
    facilities(db)
        .count_documents(doc! { "org_id": org_id })
        .await
        .context("counting facilities")
}

/// The facility `id` as the transaction of `session` sees it.
pub async fn find_in(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    id: FacilityId,
) -> Result<Option<Facility>, StoreError> {
    facilities(db)
        .find_one(doc! { "_id": id, "org_id": org_id })
        .session(session)
        .await
        .context("reading a facility")
}

/// Replaces what a request may change of the facility `id` (not its
/// usage count), in the transaction of `session`; `None` when there is
/// none.
pub async fn replace(
    db: &Database,
    session: &mut ClientSession,
    facility: &Facility,
) -> Result<Option<Facility>, StoreError> {
    facilities(db)
        .find_one_and_update(
            doc! { "_id": facility.id, "org_id": facility.org_id },
            doc! { "$set": {
                "name": &facility.name,
                "country": &facility.country,
                "region": &facility.region,
                "address": &facility.address,
                "default_usage_type_id": facility.default_usage_type_id.map(|t| t.get()),
                "updated_at": facility.updated_at,
            } },
        )
        .return_document(mongodb::options::ReturnDocument::After)
        .session(session)
        .await
        .context("replacing a facility")
}

/// What deleting a facility came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Deletion {
    Deleted,
    /// Usages name it.
    InUse,
    NotFound,
}

/// Deletes the facility `id` unless usages name it, in the transaction of
/// `session` (which a concurrent usage write naming it conflicts with).
pub async fn delete_unused(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    id: FacilityId,
) -> Result<Deletion, StoreError> {
    let deleted = facilities(db)
        .delete_one(doc! { "_id": id, "org_id": org_id, "usage_count": 0_i64 })
        .session(&mut *session)
        .await
        .context("deleting a facility")?;
    if deleted.deleted_count == 1 {
        return Ok(Deletion::Deleted);
    }
    let exists = facilities(db)
        .find_one(doc! { "_id": id, "org_id": org_id })
        .session(&mut *session)
        .await
        .context("deleting a facility")?
        .is_some();
    Ok(if exists {
        Deletion::InUse
    } else {
        Deletion::NotFound
    })
}

/// Adds each delta to its facility's usage count, in the transaction of
/// `session`: `false` (the caller aborts) when one of them is not the
/// organization's.
pub async fn count_usages(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    deltas: &[(FacilityId, i64)],
) -> Result<bool, StoreError> {
    for &(id, delta) in deltas {
        let counted = facilities(db)
            .update_one(
                doc! { "_id": id, "org_id": org_id },
                doc! { "$inc": { "usage_count": delta } },
            )
            .session(&mut *session)
            .await
            .context("counting a facility's usages")?;
        if counted.matched_count == 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Deletes every facility of the organization, in the transaction of
/// `session` (an erasure's, after its usages).
pub async fn delete_of_org(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
) -> Result<u64, StoreError> {
    let deleted = facilities(db)
        .delete_many(doc! { "org_id": org_id })
        .session(session)
        .await
        .context("deleting an organization's facilities")?;
    Ok(deleted.deleted_count)
}
