//! A user's contractual instruments (see `domain::instrument`): what the
//! market-based scope 2 figures of the summary count.

use mongodb::Database;

use crate::domain::instrument::{Instrument, InstrumentFields, InstrumentId};
use crate::storage::instruments;
use common::db::StoreError;
use common::ids::OrgId;

/// The most instruments one user keeps: a company's certificates and
/// contracts of many years, and a bound on what a summary reads.
pub const MAX_INSTRUMENTS: u64 = 1_000;

/// Why an instrument flow did not happen.
#[derive(Debug, thiserror::Error)]
pub enum InstrumentError {
    #[error(transparent)]
    Invalid(#[from] common::validation::Invalid),
    #[error("no such instrument of the caller's")]
    NotFound,
    #[error("the user has {0} instruments, the most one may keep")]
    TooMany(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Instruments<'a> {
    pub db: &'a Database,
}

impl Instruments<'_> {
    /// The user's instruments, by start.
    pub async fn list(&self, org_id: OrgId) -> Result<Vec<Instrument>, InstrumentError> {
        Ok(instruments::list(self.db, org_id, MAX_INSTRUMENTS as i64).await?)
    }

    pub async fn get(
        &self,
        org_id: OrgId,
        id: InstrumentId,
    ) -> Result<Instrument, InstrumentError> {
        instruments::find(self.db, org_id, id)
            .await?
            .ok_or(InstrumentError::NotFound)
    }

    #[tracing::instrument(skip(self, fields))]
    pub async fn create(
        &self,
        org_id: OrgId,
        fields: &InstrumentFields,
    ) -> Result<Instrument, InstrumentError> {
        let instrument = Instrument::parse(InstrumentId::new(), org_id, fields)?;
        // A bound, not an exact cap: two creates at once may both pass.
        if instruments::count(self.db, org_id).await? >= MAX_INSTRUMENTS {
            return Err(InstrumentError::TooMany(MAX_INSTRUMENTS));
        }
        instruments::insert(self.db, &instrument).await?;
        tracing::info!(instrument_id = %instrument.id, "instrument recorded");
        Ok(instrument)
    }

    /// Replaces every field of the user's instrument `id`.
    #[tracing::instrument(skip(self, fields))]
    pub async fn replace(
        &self,
        org_id: OrgId,
        id: InstrumentId,
        fields: &InstrumentFields,
    ) -> Result<Instrument, InstrumentError> {
        let existing = self.get(org_id, id).await?;
        let mut instrument = Instrument::parse(id, org_id, fields)?;
        instrument.created_at = existing.created_at;
        if !instruments::replace(self.db, &instrument).await? {
            return Err(InstrumentError::NotFound);
        }
        Ok(instrument)
    }

    #[tracing::instrument(skip(self))]
    pub async fn delete(&self, org_id: OrgId, id: InstrumentId) -> Result<(), InstrumentError> {
        if instruments::delete(self.db, org_id, id).await? {
            Ok(())
        } else {
            Err(InstrumentError::NotFound)
        }
    }
}
