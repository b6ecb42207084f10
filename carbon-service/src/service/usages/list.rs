//! Listing usages a page at a time, the page's range bounded by the
//! rollups' month and day counts.

use super::{UsageError, UsageList, Usages};
use crate::domain::rollup;
use crate::domain::usage_query::{self, PageStart, UsageCursor, UsageFilter, UsagePage};
use crate::service::slots::Slot;
use crate::storage::{rollups, usages};
use common::ids::OrgId;

impl Usages<'_> {
    /// A page of the organization's usages under `filter`, newest first, with the
    /// cursor of the next page and, when asked, the total.
    #[tracing::instrument(skip(self, filter))]
    pub async fn list(
        &self,
        org_id: OrgId,
        filter: &UsageFilter,
        page: UsagePage,
        with_total: bool,
    ) -> Result<UsageList, UsageError> {
        let max_time = self.slots.query_max_time;
        // A count or a deep offset walks the index: one heavy-read turn.
        let _turn = if page.is_heavy(with_total) {
            Some(self.slots.acquire(Slot::HeavyRead).await?)
        } else {
            None
        };
        // The months that hold the page, from the rollups: the list reads
        // only their part of the index (see `usage_query::page_floor_month`).
        let (needed, before) = match page.start {
            PageStart::Offset(offset) => (
                offset.saturating_add(u64::from(page.limit) + 1),
                filter.to.map(rollup::month_of),
            ),
            PageStart::After(cursor) => (
                u64::from(page.limit) + 1,
                Some(rollup::month_of(cursor.usage_at.to_chrono())),
            ),
        };
        let (of_type, of_facility) = (filter.usage_type_id, filter.facility_id);
        let months = rollups::counts(self.db, org_id, None, of_type, of_facility).await?;
        let floor = match usage_query::page_floor_month(&months, before.as_deref(), needed) {
            // Then its days: a month of a large inventory is itself large.
            Some((month, held)) => {
                let days =
                    rollups::counts(self.db, org_id, Some(&month), of_type, of_facility).await?;
                usage_query::page_floor_day(&days, held, needed)
                    .or_else(|| usage_query::month_start(&month))
            }
            None => None,
        };
        let (mut found, mut more) = usages::page(
            self.db,
            org_id,
            filter,
            page.start,
            (page.limit, floor),
            max_time,
        )
        .await?;
        if floor.is_some() && !more {
            // Fewer than the counts promised (a write landed in between):
            // the page may reach further back.
            (found, more) = usages::page(
                self.db,
                org_id,
                filter,
                page.start,
                (page.limit, None),
                max_time,
            )
            .await?;
        }
        let next = found.last().filter(|_| more).map(|last| UsageCursor {
            usage_at: last.usage_at,
            id: last.id,
        });
        let total = if with_total {
            Some(usages::count(self.db, org_id, filter, max_time).await?)
        } else {
            None
        };
        Ok(UsageList {
            usages: found,
            next,
            total,
        })
    }
}
