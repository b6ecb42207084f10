//! Erasing an organization's usages (and, with `DELETE /org`, all of its
//! data and its audit trail), in bounded transactions, each audited.

use super::{ERASE_BATCH, UsageError, Usages, account};
use crate::domain::audit::{EraseRecord, action, entity};
use crate::domain::ids::UsageId;
use crate::domain::usage::Usage;
use crate::domain::usage_query;
use crate::service::periods;
use crate::service::slots::Slot;
use crate::storage::idempotency::{self as key_records};
use crate::storage::{facilities, rollups, usage_counts, usages};
use common::audit::{Author, Draft, store as trail};
use common::db::in_transaction;

impl Usages<'_> {
    /// Erases every usage of the organization with their rollups, quota
    /// count, idempotency records, instruments and (with the last batch)
    /// facilities and its own datasets; returns how many usages. Each batch of
    /// [`ERASE_BATCH`] is one transaction (and deletes the records written
    /// meanwhile).
    #[tracing::instrument(skip(self))]
    pub async fn erase(&self, author: &Author) -> Result<u64, UsageError> {
        let org_id = author.org;
        let mut erased = 0;
        let _queued = self.writes.lock(org_id).await;
        // Refused before the first batch when a locked period holds usages
        // (each batch checks again, for a lock taken meanwhile).
        let months = rollups::counts(self.db, org_id, None, None, None).await?;
        let current = crate::storage::settings::find(self.db, org_id).await?;
        if let Some(name) = months
            .iter()
            .filter_map(|(month, _)| usage_query::month_start(month))
            .find_map(|start| current.locked_at(start))
        {
            return Err(UsageError::PeriodLocked(name));
        }
        loop {
            // Each batch a transaction as big as an import's: under the
            // same limit.
            let _slot = self.slots.acquire(Slot::Import).await?;
            let batch = in_transaction(self.db, "erasing usages", async |session| {
                let doomed = usages::first_of_org(self.db, session, org_id, ERASE_BATCH).await?;
                let dates = doomed.iter().map(|usage| usage.usage_at.to_chrono());
                if let Some(name) = periods::locked_among(self.db, session, org_id, dates).await? {
                    return Err(UsageError::PeriodLocked(name));
                }
                let ids: Vec<UsageId> = doomed.iter().map(|usage| usage.id).collect();
                let deleted = usages::delete_ids(self.db, session, org_id, &ids).await?;
                let gone: Vec<(&Usage, i64)> = doomed.iter().map(|usage| (usage, -1)).collect();
                account(self.db, session, org_id, &gone).await?;
                usage_counts::release(self.db, session, org_id, deleted).await?;
                key_records::delete_of_org(self.db, session, org_id).await?;
                let mut record = EraseRecord {
                    usages: deleted,
                    deleted: ids.iter().map(ToString::to_string).collect(),
                    instruments: crate::storage::instruments::delete_of_org(
                        self.db, session, org_id,
                    )
                    .await?,
                    facilities: 0,
                    datasets: 0,
                };
                // After the last batch, no usage names a facility any more.
                if deleted < ERASE_BATCH as u64 {
                    record.facilities = facilities::delete_of_org(self.db, session, org_id).await?;
                    record.datasets =
                        crate::storage::datasets::delete_of_org(self.db, session, org_id).await?;
                    crate::storage::usage_types::delete_of_org(self.db, session, org_id).await?;
                }
                let entry = Draft::new(author, action::ERASE, entity::USAGES, org_id, &record);
                trail::append(self.db, session, org_id, vec![entry]).await?;
                Ok::<_, UsageError>(deleted)
            })
            .await?;
            erased += batch;
            if batch < ERASE_BATCH as u64 {
                break;
            }
        }
        // Its own datasets' types are gone from the library.
        self.types.invalidate();
        tracing::info!(erased, "usages erased");
        Ok(erased)
    }

    /// Erases all of the organization's data ([`Usages::erase`]), then its
    /// audit trail: only `DELETE /org` removes a trail.
    #[tracing::instrument(skip_all, fields(org_id = %author.org))]
    pub async fn erase_org(&self, author: &Author) -> Result<u64, UsageError> {
        let erased = self.erase(author).await?;
        in_transaction(self.db, "deleting inventory settings", async |session| {
            crate::storage::settings::delete_of_org(self.db, session, author.org).await
        })
        .await?;
        let entries = trail::delete_of_org(self.db, author.org).await?;
        tracing::info!(entries, "audit trail deleted");
        Ok(erased)
    }
}
