//! Restating a period: its usages' totals under another dataset's
//! factors (matched by type, see `domain::restatement`) or another GWP
//! set, beside the original ones. Stored usages are never changed.

use futures_util::StreamExt;
use mongodb::Database;

use crate::domain::dataset::DatasetId;
use crate::domain::gwp::GwpSet;
use crate::domain::period::PeriodName;
use crate::domain::restatement::{ChangeKind, Restating, TypeMatch, percent_change};
use crate::domain::usage_query::UsageFilter;
use crate::domain::viewer::Viewer;
use crate::service::periods::{Period, PeriodError};
use crate::service::slots::{NoSlot, Slot, Slots};
use crate::storage::{datasets, settings, usages};
use crate::type_cache::UsageTypeCache;
use common::db::StoreError;
use common::ids::OrgId;

#[derive(Debug, thiserror::Error)]
pub enum RestatementError {
    /// No dataset of this id that the organization may see.
    #[error("no dataset {0}")]
    UnknownDataset(DatasetId),
    #[error(transparent)]
    Period(#[from] PeriodError),
    #[error(transparent)]
    NoSlot(#[from] NoSlot),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to restate, and against what.
#[derive(Debug, Clone)]
pub struct RestatementQuery {
    pub period: PeriodName,
    /// The other factors' dataset; none keeps each usage's own type.
    pub dataset: Option<DatasetId>,
    /// The GWP set of the restated figures.
    pub gwp: GwpSet,
    /// The GWP set of the original figures.
    pub original_gwp: GwpSet,
}

/// A restatement and what it means for the base year.
#[derive(Debug)]
pub struct Restatement {
    pub query: RestatementQuery,
    pub period: Period,
    pub figures: Restating,
    pub kind: ChangeKind,
    /// The restated total's change, in percent of the original.
    pub percent: Option<f64>,
    pub threshold_percent: f64,
    /// `|percent|` above the threshold.
    pub exceeds_threshold: bool,
    /// The base year, a change above the threshold and of a kind that
    /// calls for recalculation.
    pub recalculation_due: bool,
}

pub struct Restatements<'a> {
    pub db: &'a Database,
    pub types: &'a UsageTypeCache,
    pub slots: &'a Slots,
}

impl Restatements<'_> {
    #[tracing::instrument(skip(self))]
    pub async fn restate(
        &self,
        org_id: OrgId,
        query: RestatementQuery,
    ) -> Result<Restatement, RestatementError> {
        let viewer = Viewer::SignedIn(org_id);
        if let Some(id) = &query.dataset {
            let visible = datasets::find(self.db, id)
                .await?
                .is_some_and(|d| viewer.can_see_dataset(&d));
            if !visible {
                return Err(RestatementError::UnknownDataset(id.clone()));
            }
        }
        let current = settings::find(self.db, org_id).await?;
        let period = Period::of(&current, query.period);
        let threshold_percent = current.significance_threshold_percent;
        let all = self.types.all(self.db).await?;
        let matching = query
            .dataset
            .as_ref()
            .map(|id| TypeMatch::new(id.as_str(), all.iter().filter(|t| viewer.can_see_type(t))));
        // Every usage of the period: one heavy-read turn.
        let _turn = self.slots.acquire(Slot::HeavyRead).await?;
        let filter = UsageFilter {
            from: Some(period.from),
            to: Some(period.to),
            ..UsageFilter::default()
        };
        let mut figures = Restating::default();
        let mut cursor = usages::stream(self.db, org_id, &filter).await?;
        while let Some(usage) = cursor.next().await {
            let usage =
                usage.map_err(|e| StoreError::from_driver("reading a period's usages", e))?;
            let target = match &matching {
                Some(m) => m.target(usage.usage_type_id),
                None => Some(&usage.usage_type),
            };
            figures.add(&usage, target, (query.original_gwp, query.gwp));
        }
        let kind = figures.kind(query.gwp != query.original_gwp);
        let percent = percent_change(figures.original.co2e, figures.restated.co2e);
        let exceeds_threshold = percent.is_some_and(|p| p.abs() > threshold_percent);
        let recalculation_due =
            period.is_base_year && exceeds_threshold && kind == ChangeKind::Methodology;
        Ok(Restatement {
            query,
            period,
            figures,
            kind,
            percent,
            threshold_percent,
            exceeds_threshold,
            recalculation_due,
        })
    }
}
