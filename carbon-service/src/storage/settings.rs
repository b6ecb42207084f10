//! The `inventory_settings` collection: one document per organization
//! with its fiscal-year start, base year, threshold and period locks
//! (absent until it sets something: the defaults apply).

use bson::doc;
use mongodb::{ClientSession, Collection, Database};

use crate::domain::period::InventorySettings;
use common::db::{Context, StoreError};
use common::ids::OrgId;

pub const COLLECTION: &str = "inventory_settings";

fn settings(db: &Database) -> Collection<InventorySettings> {
    db.collection(COLLECTION)
}

/// The organization's settings (the defaults when it has none).
pub async fn find(db: &Database, org_id: OrgId) -> Result<InventorySettings, StoreError> {
    Ok(settings(db)
        .find_one(doc! { "_id": org_id })
        .await
        .context("reading inventory settings")?
        .unwrap_or_else(|| InventorySettings::defaults(org_id)))
}

/// The settings as the transaction of `session` sees them.
pub async fn find_in(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
) -> Result<InventorySettings, StoreError> {
    Ok(settings(db)
        .find_one(doc! { "_id": org_id })
        .session(session)
        .await
        .context("reading inventory settings")?
        .unwrap_or_else(|| InventorySettings::defaults(org_id)))
}

/// Stores the settings, in the transaction of `session`.
pub async fn save(
    db: &Database,
    session: &mut ClientSession,
    value: &InventorySettings,
) -> Result<(), StoreError> {
    settings(db)
        .replace_one(doc! { "_id": value.org_id }, value)
        .upsert(true)
        .session(session)
        .await
        .context("storing inventory settings")?;
    Ok(())
}

/// Deletes the organization's settings (an erasure of all its data).
pub async fn delete_of_org(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
) -> Result<u64, StoreError> {
    Ok(settings(db)
        .delete_one(doc! { "_id": org_id })
        .session(session)
        .await
        .context("deleting inventory settings")?
        .deleted_count)
}
