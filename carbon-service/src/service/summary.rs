//! A user's footprint over a window, from rollups and the edge days'
//! usages, read from one snapshot.

use mongodb::ClientSession;

use crate::domain::gwp::GwpSet;
use crate::domain::rollup::{self, Grain};
use crate::domain::summary::{self, Summary, SummaryCell};
use crate::domain::usage_query::UsageFilter;
use crate::service::slots::Slot;
use crate::storage::{rollups, usages};
use common::db::{StoreError, in_transaction};
use common::ids::UserId;

use super::usages::{UsageError, Usages};

impl Usages<'_> {
    /// The user's footprint in the window: the rollups of its whole months
    /// and days and the usages of its partial edge days (see
    /// `rollup::plan`: the cost does not depend on where the edges fall),
    /// read from one snapshot,
    /// their gases weighed by `gwp`, folded. The same answer as summing
    /// every usage in the window.
    #[tracing::instrument(skip(self, filter))]
    pub async fn summary(
        &self,
        user_id: UserId,
        filter: &UsageFilter,
        gwp: GwpSet,
    ) -> Result<Summary, UsageError> {
        let _turn = self.slots.acquire(Slot::HeavyRead).await?;
        let mut cells = in_transaction(self.db, "reading a summary", async |session| {
            self.summary_cells(session, user_id, filter).await
        })
        .await?;
        summary::weigh(&mut cells, gwp);
        let types = self.types.all(self.db).await?;
        Ok(summary::fold(filter, &cells, |id| {
            types
                .binary_search_by_key(&id, |t| t.id)
                .ok()
                .map(|i| types[i].name.clone())
        }))
    }

    async fn summary_cells(
        &self,
        session: &mut ClientSession,
        user_id: UserId,
        filter: &UsageFilter,
    ) -> Result<Vec<SummaryCell>, StoreError> {
        let plan = rollup::plan(filter.from, filter.to);
        let mut cells = Vec::new();
        let of_type = filter.usage_type_id;
        for (grain, range) in plan
            .months
            .iter()
            .map(|r| (Grain::Month, r))
            .chain(plan.days.iter().map(|r| (Grain::Day, r)))
        {
            cells.extend(rollups::cells(self.db, session, user_id, of_type, grain, range).await?);
        }
        for (from, to) in plan.usages {
            let edge = UsageFilter {
                usage_type_id: of_type,
                from,
                to,
            };
            cells.extend(
                usages::summary_cells(
                    self.db,
                    session,
                    user_id,
                    &edge,
                    Grain::Month,
                    Some(self.slots.query_max_time),
                )
                .await?,
            );
        }
        Ok(cells)
    }
}
