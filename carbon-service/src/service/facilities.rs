//! An organization's facilities (see `domain::facility`).

use mongodb::Database;

use crate::domain::audit::{Change, FacilityRecord, action, entity};
use crate::domain::facility::{Facility, FacilityFields, FacilityId, MAX_FACILITIES};
use crate::domain::viewer::Viewer;
use crate::storage::facilities::{self, Deletion, NAME_INDEX};
use crate::type_cache::UsageTypeCache;
use common::audit::{Author, Draft, store as trail};
use common::db::{StoreError, in_transaction};
use common::ids::OrgId;
use common::validation::Invalid;

/// Why a facility flow did not happen.
#[derive(Debug, thiserror::Error)]
pub enum FacilityError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such facility of the organization's")]
    NotFound,
    #[error("the organization has a facility of this name")]
    NameTaken,
    #[error("usages name the facility")]
    InUse,
    #[error("the organization has {0} facilities, the most it may keep")]
    TooMany(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl common::db::TransactionError for FacilityError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

fn name_taken_or(e: StoreError) -> FacilityError {
    if e.is_duplicate_on(NAME_INDEX) {
        FacilityError::NameTaken
    } else {
        e.into()
    }
}

pub struct Facilities<'a> {
    pub db: &'a Database,
    pub types: &'a UsageTypeCache,
}

impl Facilities<'_> {
    /// The organization's facilities, by name.
    pub async fn list(&self, org_id: OrgId) -> Result<Vec<Facility>, FacilityError> {
        Ok(facilities::list(self.db, org_id, MAX_FACILITIES as i64).await?)
    }

    pub async fn get(&self, org_id: OrgId, id: FacilityId) -> Result<Facility, FacilityError> {
        facilities::find(self.db, org_id, id)
            .await?
            .ok_or(FacilityError::NotFound)
    }

    /// `fields` checked, the default type included (one the organization
    /// may see).
    async fn parse(
        &self,
        id: FacilityId,
        org_id: OrgId,
        fields: &FacilityFields,
    ) -> Result<Facility, FacilityError> {
        let facility = Facility::parse(id, org_id, fields)?;
        if let Some(type_id) = facility.default_usage_type_id {
            let visible = self
                .types
                .get(self.db, type_id)
                .await?
                .is_some_and(|t| Viewer::SignedIn(org_id).can_see_type(&t));
            if !visible {
                return Err(Invalid::one(
                    "default_usage_type_id",
                    format!("no usage type has id {type_id}"),
                )
                .into());
            }
        }
        Ok(facility)
    }

    #[tracing::instrument(skip_all)]
    pub async fn create(
        &self,
        author: &Author,
        fields: &FacilityFields,
    ) -> Result<Facility, FacilityError> {
        let org_id = author.org;
        let facility = self.parse(FacilityId::new(), org_id, fields).await?;
        // A bound, not an exact cap: two creates at once may both pass.
        if facilities::count(self.db, org_id).await? >= MAX_FACILITIES {
            return Err(FacilityError::TooMany(MAX_FACILITIES));
        }
        in_transaction(self.db, "recording a facility", async |session| {
            facilities::insert(self.db, session, &facility)
                .await
                .map_err(name_taken_or)?;
            let change = Change::created(FacilityRecord::from(&facility));
            let entry = Draft::new(
                author,
                action::CREATE,
                entity::FACILITY,
                facility.id,
                &change,
            );
            trail::append(self.db, session, org_id, vec![entry]).await?;
            Ok::<_, FacilityError>(())
        })
        .await?;
        tracing::info!(facility_id = %facility.id, "facility recorded");
        Ok(facility)
    }

    /// Replaces every field of the facility `id` (its usages keep naming it).
    #[tracing::instrument(skip(self, author, fields))]
    pub async fn replace(
        &self,
        author: &Author,
        id: FacilityId,
        fields: &FacilityFields,
    ) -> Result<Facility, FacilityError> {
        let org_id = author.org;
        let facility = self.parse(id, org_id, fields).await?;
        in_transaction(self.db, "changing a facility", async |session| {
            let before = facilities::find_in(self.db, session, org_id, id)
                .await?
                .ok_or(FacilityError::NotFound)?;
            let after = facilities::replace(self.db, session, &facility)
                .await
                .map_err(name_taken_or)?
                .ok_or(FacilityError::NotFound)?;
            let change =
                Change::updated(FacilityRecord::from(&before), FacilityRecord::from(&after));
            let entry = Draft::new(author, action::UPDATE, entity::FACILITY, id, &change);
            trail::append(self.db, session, org_id, vec![entry]).await?;
            Ok(after)
        })
        .await
    }

    /// Deletes the facility `id`; not while usages name it (409).
    #[tracing::instrument(skip(self, author))]
    pub async fn delete(&self, author: &Author, id: FacilityId) -> Result<(), FacilityError> {
        let org_id = author.org;
        in_transaction(self.db, "deleting a facility", async |session| {
            let before = facilities::find_in(self.db, session, org_id, id)
                .await?
                .ok_or(FacilityError::NotFound)?;
            match facilities::delete_unused(self.db, session, org_id, id).await? {
                Deletion::Deleted => {}
                Deletion::InUse => return Err(FacilityError::InUse),
                Deletion::NotFound => return Err(FacilityError::NotFound),
            }
            let change = Change::deleted(FacilityRecord::from(&before));
            let entry = Draft::new(author, action::DELETE, entity::FACILITY, id, &change);
            trail::append(self.db, session, org_id, vec![entry]).await?;
            Ok(())
        })
        .await
    }
}
