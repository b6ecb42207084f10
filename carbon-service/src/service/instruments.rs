//! An organization's contractual instruments (see `domain::instrument`): what the
//! market-based scope 2 figures of the summary count.

use mongodb::Database;

use crate::domain::audit::{Change, InstrumentRecord, action, entity};
use crate::domain::instrument::{Instrument, InstrumentFields, InstrumentId};
use crate::storage::instruments;
use common::audit::{Author, Draft, store as trail};
use common::db::{StoreError, TransactionError, in_transaction};
use common::ids::OrgId;

/// The most instruments one organization keeps: a company's certificates and
/// contracts of many years, and a bound on what a summary reads.
pub const MAX_INSTRUMENTS: u64 = 1_000;

/// Why an instrument flow did not happen.
#[derive(Debug, thiserror::Error)]
pub enum InstrumentError {
    #[error(transparent)]
    Invalid(#[from] common::validation::Invalid),
    #[error("no such instrument of the caller's")]
    NotFound,
    /// Its span (or the one it replaces) overlaps a locked period.
    #[error("the period {0} is locked")]
    PeriodLocked(crate::domain::period::PeriodName),
    #[error("the user has {0} instruments, the most one may keep")]
    TooMany(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TransactionError for InstrumentError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

pub struct Instruments<'a> {
    pub db: &'a Database,
}

impl Instruments<'_> {
    /// The organization's instruments, by start.
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

    #[tracing::instrument(skip_all)]
    pub async fn create(
        &self,
        author: &Author,
        fields: &InstrumentFields,
    ) -> Result<Instrument, InstrumentError> {
        let org_id = author.org;
        let instrument = Instrument::parse(InstrumentId::new(), org_id, fields)?;
        // A bound, not an exact cap: two creates at once may both pass.
        if instruments::count(self.db, org_id).await? >= MAX_INSTRUMENTS {
            return Err(InstrumentError::TooMany(MAX_INSTRUMENTS));
        }
        in_transaction(self.db, "recording an instrument", async |session| {
            refuse_locked(self.db, session, org_id, &[&instrument]).await?;
            instruments::insert(self.db, session, &instrument).await?;
            let change = Change::created(InstrumentRecord::from(&instrument));
            let entry = Draft::new(
                author,
                action::CREATE,
                entity::INSTRUMENT,
                instrument.id,
                &change,
            );
            trail::append(self.db, session, org_id, vec![entry]).await?;
            Ok::<_, InstrumentError>(())
        })
        .await?;
        tracing::info!(instrument_id = %instrument.id, "instrument recorded");
        Ok(instrument)
    }

    /// Replaces every field of the organization's instrument `id`.
    #[tracing::instrument(skip(self, author, fields))]
    pub async fn replace(
        &self,
        author: &Author,
        id: InstrumentId,
        fields: &InstrumentFields,
    ) -> Result<Instrument, InstrumentError> {
        let org_id = author.org;
        let mut instrument = Instrument::parse(id, org_id, fields)?;
        in_transaction(self.db, "changing an instrument", async |session| {
            let before = instruments::find_in(self.db, session, org_id, id)
                .await?
                .ok_or(InstrumentError::NotFound)?;
            instrument.created_at = before.created_at;
            refuse_locked(self.db, session, org_id, &[&before, &instrument]).await?;
            instruments::replace(self.db, session, &instrument)
                .await?
                .ok_or(InstrumentError::NotFound)?;
            let change = Change::updated(
                InstrumentRecord::from(&before),
                InstrumentRecord::from(&instrument),
            );
            let entry = Draft::new(author, action::UPDATE, entity::INSTRUMENT, id, &change);
            trail::append(self.db, session, org_id, vec![entry]).await?;
            Ok(instrument.clone())
        })
        .await
    }

    #[tracing::instrument(skip(self, author))]
    pub async fn delete(&self, author: &Author, id: InstrumentId) -> Result<(), InstrumentError> {
        let org_id = author.org;
        in_transaction(self.db, "deleting an instrument", async |session| {
            let before = instruments::delete(self.db, session, org_id, id)
                .await?
                .ok_or(InstrumentError::NotFound)?;
            refuse_locked(self.db, session, org_id, &[&before]).await?;
            let change = Change::deleted(InstrumentRecord::from(&before));
            let entry = Draft::new(author, action::DELETE, entity::INSTRUMENT, id, &change);
            trail::append(self.db, session, org_id, vec![entry]).await?;
            Ok(())
        })
        .await
    }
}

/// [`InstrumentError::PeriodLocked`] when one of `spans` overlaps a
/// locked period, in the transaction of `session`.
async fn refuse_locked(
    db: &Database,
    session: &mut mongodb::ClientSession,
    org_id: OrgId,
    spans: &[&Instrument],
) -> Result<(), InstrumentError> {
    let spans: Vec<_> = spans
        .iter()
        .map(|i| (i.from.to_chrono(), i.to.to_chrono()))
        .collect();
    match crate::service::periods::locked_within(db, session, org_id, &spans).await? {
        Some(name) => Err(InstrumentError::PeriodLocked(name)),
        None => Ok(()),
    }
}
