//! Reading an organization's audit trail: pages, verification, export.
//! The trail is written by every write flow, in its transaction
//! (`common::audit::store::append`); nothing here changes it.

use futures_util::{Stream, StreamExt};
use mongodb::Database;

use crate::service::slots::{NoSlot, Slot, Slots};
use common::audit::{AuditFilter, Entry, Verification, store};
use common::db::StoreError;
use common::ids::OrgId;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    NoSlot(#[from] NoSlot),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Trail<'a> {
    pub db: &'a Database,
    pub slots: &'a Slots,
}

/// A page of entries, newest first, and the `before` of the next page.
pub struct AuditPage {
    pub entries: Vec<Entry>,
    pub next: Option<i64>,
}

impl Trail<'_> {
    #[tracing::instrument(skip(self, filter))]
    pub async fn page(
        &self,
        org_id: OrgId,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<AuditPage, AuditError> {
        let (entries, next) = store::page(
            self.db,
            org_id,
            filter,
            before,
            limit,
            self.slots.query_max_time,
        )
        .await?;
        Ok(AuditPage { entries, next })
    }

    /// Re-computes the whole chain: one export slot (it reads every entry).
    #[tracing::instrument(skip(self))]
    pub async fn verify(&self, org_id: OrgId) -> Result<Verification, AuditError> {
        let _turn = self.slots.acquire(Slot::Export).await?;
        Ok(common::audit::verify(self.db, org_id).await?)
    }

    /// Every entry, oldest first, read as the client reads; the export
    /// slot is held by the stream until it ends.
    #[tracing::instrument(skip(self))]
    pub async fn export(
        &self,
        org_id: OrgId,
    ) -> Result<impl Stream<Item = Result<Entry, StoreError>> + use<>, AuditError> {
        let turn = self.slots.acquire(Slot::Export).await?;
        let entries = store::stream(self.db, org_id).await?;
        Ok(entries.map(move |entry| {
            let _held = &turn;
            entry
        }))
    }
}

/// Begins the trail of every organization that holds data and has none
/// (migration 16): its genesis entry says what it held, with a digest of
/// its usages (each one's audit record, canonical JSON, one per line,
/// in export order), so that the trail replays from there. Idempotent.
pub async fn begin_trails(db: &Database) -> Result<u64, StoreError> {
    use crate::domain::audit::UsageRecord;
    use crate::storage::{distinct_orgs_where, facilities, instruments, usages};
    use common::audit::canonical::{audit_value, canonical};
    use sha2::{Digest, Sha256};

    let mut orgs = std::collections::BTreeSet::new();
    for (collection, field) in [
        (usages::COLLECTION, "org_id"),
        (facilities::COLLECTION, "org_id"),
        (instruments::COLLECTION, "org_id"),
        (crate::storage::datasets::COLLECTION, "org_id"),
    ] {
        let named = bson::doc! { field: { "$type": "string" } };
        orgs.extend(distinct_orgs_where(db, collection, field, named).await?);
    }
    let mut begun = 0;
    for org_id in orgs {
        if store::head(db, org_id).await?.is_some() {
            continue;
        }
        let mut digest = Sha256::new();
        let mut count = 0u64;
        let mut cursor = usages::stream(db, org_id, &Default::default()).await?;
        while let Some(usage) = cursor.next().await {
            let usage = usage.map_err(|e| StoreError::from_driver("reading usages", e))?;
            digest.update(canonical(&audit_value(&UsageRecord::from(&usage))).as_bytes());
            digest.update(b"\n");
            count += 1;
        }
        let genesis = serde_json::json!({
            "recorded_before": "what the organization held when its trail began",
            "usages": count,
            "usages_sha256": hex::encode(digest.finalize()),
            "facilities": facilities::count(db, org_id).await?,
            "instruments": instruments::count(db, org_id).await?,
        });
        let started = common::db::in_transaction(db, "beginning an audit trail", async |session| {
            store::begin(db, session, org_id, genesis.clone()).await
        })
        .await?;
        begun += u64::from(started);
    }
    Ok(begun)
}
