//! Importing a CSV of usages: one import per organization at a time, all rows in
//! one transaction.

use std::collections::HashSet;

use bson::oid::ObjectId;

use crate::domain::actor::Actor;
use crate::domain::audit::{ImportRecord, UsageRecord, action, entity};
use crate::domain::facility::{FacilityId, MAX_FACILITIES};
use crate::domain::ids::UsageTypeId;
use crate::domain::usage::{IdempotencyKey, Usage};
use crate::domain::usage_csv::{self, ImportError};
use crate::domain::viewer::Viewer;
use crate::service::periods;
use crate::service::slots::Slot;
use crate::service::usages::writes::ImportTurn;
use crate::storage::idempotency::Outcome;
use crate::storage::{facilities, usages};
use common::audit::{Author, Draft, store as trail};
use common::db::in_transaction;
use common::ids::OrgId;
use common::validation::Invalid;

use super::idempotency::{Keyed, replayed_import};
use super::{Created, UsageError, Usages, account, reserve_quota};

impl Usages<'_> {
    /// The organization's turn to import: one import per organization in flight in this
    /// instance, taken before the body is read.
    pub fn begin_import(&self, org_id: OrgId) -> Result<ImportTurn<'_>, UsageError> {
        self.writes
            .begin_import(org_id)
            .ok_or(UsageError::ImportInProgress {
                retry_after_seconds: 5,
            })
    }

    /// Imports a CSV body, all or nothing: every row is checked (types
    /// included, resolved in one query) before anything is stored; then the
    /// rows (in batches), their rollups, the quota and the key's record are
    /// one transaction, invisible to readers until it commits. Counts
    /// against the organization's quota as a whole.
    #[tracing::instrument(skip_all, fields(org_id = %turn.org_id(), bytes = body.len()))]
    pub async fn import(
        &self,
        turn: ImportTurn<'_>,
        author: &Author,
        body: &[u8],
        key: Option<&IdempotencyKey>,
    ) -> Result<Created<u64>, UsageError> {
        let org_id = turn.org_id();
        let actor = Actor {
            org: org_id,
            user: author.user,
        };
        let rows = usage_csv::parse_import(body).map_err(|e| match e {
            ImportError::TooManyRows => UsageError::TooManyRows,
            ImportError::Invalid(errors) => UsageError::Invalid(Invalid(errors)),
        })?;
        let mut ids: Vec<UsageTypeId> = rows.iter().filter_map(|row| row.usage_type_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut types = self.types.get_many(self.db, &ids).await?;
        types.retain(|_, t| Viewer::SignedIn(org_id).can_see_type(t));
        let facilities: HashSet<FacilityId> =
            facilities::list(self.db, org_id, MAX_FACILITIES as i64)
                .await?
                .into_iter()
                .map(|f| f.id)
                .collect();
        let import_id = ObjectId::new();
        let batch = usage_csv::resolve_rows(rows, &types, &facilities, actor, import_id)
            .map_err(|errors| UsageError::Invalid(Invalid(errors)))?;

        let imported = batch.len() as u64;
        let added: Vec<(&Usage, i64)> = batch.iter().map(|usage| (usage, 1)).collect();
        let keyed = key.map(|key| Keyed::new(actor, key, &[b"import", body]));
        // The organization's lock first: a slot is never held waiting for it.
        let _queued = self.writes.lock(org_id).await;
        let _slot = self.slots.acquire(Slot::Import).await?;
        let result = in_transaction(self.db, "importing usages", async |session| {
            if let Some(keyed) = &keyed {
                let outcome = Outcome::Imported { imported };
                if let Some(earlier) = keyed.claim(self.db, session, import_id, outcome).await? {
                    return Ok(replayed_import(&earlier));
                }
            }
            let dates = batch.iter().map(|usage| usage.usage_at.to_chrono());
            if let Some(name) = periods::locked_among(self.db, session, org_id, dates).await? {
                return Err(UsageError::PeriodLocked(name));
            }
            usages::insert_batch(self.db, session, &batch).await?;
            account(self.db, session, org_id, &added).await?;
            reserve_quota(self.db, session, self.quota, org_id, imported).await?;
            let record = ImportRecord {
                rows: imported,
                rows_sha256: common::audit::chain::sha256_hex(body),
                created: batch.iter().map(UsageRecord::from).collect(),
            };
            let entry = Draft::new(
                author,
                action::IMPORT,
                entity::USAGE_IMPORT,
                import_id,
                &record,
            );
            trail::append(self.db, session, org_id, vec![entry]).await?;
            Ok(Created {
                value: imported,
                replayed: false,
            })
        })
        .await;
        let created = match (result, &keyed) {
            (Err(UsageError::KeyInProgress { .. }), Some(keyed)) => {
                match keyed.settled(self.db).await? {
                    Some(earlier) => return Ok(replayed_import(&earlier)),
                    None => {
                        return Err(UsageError::KeyInProgress {
                            retry_after_seconds: 1,
                        });
                    }
                }
            }
            (result, _) => result?,
        };
        if !created.replayed {
            tracing::info!(imported, %import_id, "usages imported");
        }
        Ok(created)
    }
}
