//! An organization's footprint over a window, from rollups and the edge days'
//! usages, read from one snapshot; and its market-based scope 2 figures,
//! from the month rollups and instruments of the years it touches.

use std::collections::BTreeSet;

use mongodb::ClientSession;

use crate::domain::facility::MAX_FACILITIES;
use crate::domain::gwp::GwpSet;
use crate::domain::instrument::Instrument;
use crate::domain::market;
use crate::domain::rollup::{self, Grain};
use crate::domain::summary::{self, Summary, SummaryCell};
use crate::domain::usage_query::UsageFilter;
use crate::domain::usage_type::{FactorBasis, UsageType};
use crate::service::slots::Slot;
use crate::storage::{facilities, instruments, rollups, usages};
use common::db::{StoreError, in_transaction};
use common::ids::OrgId;

use super::usages::{UsageError, Usages};

impl Usages<'_> {
    /// The organization's footprint in the window: the rollups of its whole months
    /// and days and the usages of its partial edge days (see
    /// `rollup::plan`: the cost does not depend on where the edges fall),
    /// read from one snapshot,
    /// their gases weighed by `gwp`, folded. The same answer as summing
    /// every usage in the window.
    #[tracing::instrument(skip(self, filter))]
    pub async fn summary(
        &self,
        org_id: OrgId,
        filter: &UsageFilter,
        gwp: GwpSet,
    ) -> Result<Summary, UsageError> {
        let _turn = self.slots.acquire(Slot::HeavyRead).await?;
        let types = self.types.all(self.db).await?;
        let residual_mixes = types
            .iter()
            .any(|t| t.factor_basis == Some(FactorBasis::ResidualMix));
        let (mut cells, years) = in_transaction(self.db, "reading a summary", async |session| {
            let cells = self.summary_cells(session, org_id, filter).await?;
            let years = self
                .scope2_years(session, org_id, &cells, residual_mixes)
                .await?;
            Ok::<_, StoreError>((cells, years))
        })
        .await?;
        summary::weigh(&mut cells, gwp);
        let market_based = market::market_based(&cells, &years, &types);
        let name_of = |id| {
            types
                .binary_search_by_key(&id, |t: &UsageType| t.id)
                .ok()
                .map(|i| types[i].name.clone())
        };
        let mut summary =
            summary::fold(filter, &cells, name_of).with_market_based(market_based, gwp);
        if summary.by_facility.iter().any(|f| f.facility_id.is_some()) {
            let sites = facilities::list(self.db, org_id, MAX_FACILITIES as i64).await?;
            for line in &mut summary.by_facility {
                line.name = line
                    .facility_id
                    .and_then(|id| sites.iter().find(|s| s.id == id))
                    .map(|s| s.name.clone());
            }
        }
        Ok(summary)
    }

    /// For each calendar year of the window's scope 2 cells: every month
    /// rollup of the year's scope 2 usages (whatever the window) and the
    /// year's instruments, which the market-based allocation needs whole.
    /// A year without instruments, where no residual mix exists either, is
    /// all location-based fallback: its rollups are not read.
    async fn scope2_years(
        &self,
        session: &mut ClientSession,
        org_id: OrgId,
        cells: &[SummaryCell],
        residual_mixes: bool,
    ) -> Result<Vec<(Vec<SummaryCell>, Vec<Instrument>)>, StoreError> {
        let years: BTreeSet<i32> = cells
            .iter()
            .filter(|c| c.scope == 2)
            .filter_map(|c| c.month.get(..4)?.parse().ok())
            .collect();
        let mut out = Vec::new();
        for year in years {
            let year_instruments = instruments::of_year(self.db, session, org_id, year).await?;
            if year_instruments.is_empty() && !residual_mixes {
                continue;
            }
            let range = (
                Some(format!("{year:04}-01")),
                Some(format!("{:04}-01", year + 1)),
            );
            let year_cells: Vec<SummaryCell> =
                rollups::cells(self.db, session, org_id, None, Grain::Month, &range)
                    .await?
                    .into_iter()
                    .filter(|c| c.scope == 2)
                    .collect();
            out.push((year_cells, year_instruments));
        }
        Ok(out)
    }

    async fn summary_cells(
        &self,
        session: &mut ClientSession,
        org_id: OrgId,
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
            cells.extend(rollups::cells(self.db, session, org_id, of_type, grain, range).await?);
        }
        for (from, to) in plan.usages {
            let edge = UsageFilter {
                usage_type_id: of_type,
                facility_id: None,
                from,
                to,
            };
            cells.extend(
                usages::summary_cells(
                    self.db,
                    session,
                    org_id,
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
