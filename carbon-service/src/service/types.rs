//! Reading and writing usage types: every read through the cache, every
//! write invalidating it, and no type deleted while usages refer to it.

use std::sync::Arc;

use mongodb::{ClientSession, Database};

use crate::domain::dataset::{Dataset, DatasetId};
use crate::domain::ids::UsageTypeId;
use crate::domain::usage_type::{Scope, UsageType, UsageTypeFields};
use crate::domain::viewer::Viewer;
use crate::storage::{datasets, usage_types, usages};
use crate::type_cache::UsageTypeCache;
use common::db::{StoreError, TransactionError, in_transaction};
use common::ids::UserId;
use common::pagination::Page;

/// Why a usage-type flow did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TypeError {
    #[error("no usage type has id {0}")]
    NotFound(UsageTypeId),
    #[error("a usage type with id {0} exists")]
    IdTaken(UsageTypeId),
    #[error("usages still refer to usage type {0}")]
    InUse(UsageTypeId),
    /// Its usages' amounts are in the current unit; summing them under
    /// another would mix units.
    #[error("usage type {id} has usages in {unit}: its unit cannot change")]
    UnitInUse { id: UsageTypeId, unit: String },
    #[error(transparent)]
    Invalid(#[from] common::validation::Invalid),
    #[error("no dataset has id {0}")]
    UnknownDataset(DatasetId),
    /// A published dataset's types change only by seeding a new edition.
    #[error("dataset {0} is published: its types are read-only")]
    ReadOnly(DatasetId),
    #[error("dataset {0} is retired")]
    Retired(DatasetId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TransactionError for TypeError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

/// A page of the types and how many there are.
#[derive(Debug)]
pub struct TypePage {
    pub types: Vec<UsageType>,
    pub total: u64,
}

/// Which types a list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypeFilter {
    pub dataset: Option<DatasetId>,
    pub category: Option<String>,
    pub scope: Option<Scope>,
    pub region: Option<String>,
    /// Lower-cased text the name must contain.
    pub q: Option<String>,
    pub include_retired: bool,
}

impl TypeFilter {
    pub fn matches(&self, t: &UsageType) -> bool {
        (self.include_retired || !t.retired)
            && self.dataset.as_ref().is_none_or(|d| *d == t.dataset)
            && self.category.as_ref().is_none_or(|c| *c == t.category)
            && self.scope.is_none_or(|s| s == t.scope)
            && self.region.as_ref().is_none_or(|r| {
                t.region
                    .as_ref()
                    .is_some_and(|tr| tr.eq_ignore_ascii_case(r))
            })
            && self
                .q
                .as_ref()
                .is_none_or(|q| t.name.to_lowercase().contains(q.as_str()))
    }
}

pub struct Types<'a> {
    pub db: &'a Database,
    pub cache: &'a UsageTypeCache,
}

impl Types<'_> {
    /// A page of the types `filter` matches that `viewer` may see, by id
    /// (filtered in memory: the cache holds every type).
    pub async fn list(
        &self,
        viewer: Viewer,
        filter: &TypeFilter,
        page: Page,
    ) -> Result<TypePage, TypeError> {
        let all: Arc<Vec<UsageType>> = self.cache.all(self.db).await?;
        let matching: Vec<&UsageType> = all
            .iter()
            .filter(|t| viewer.can_see_type(t) && filter.matches(t))
            .collect();
        let types = matching
            .iter()
            .skip(page.offset as usize)
            .take(page.limit as usize)
            .map(|t| (*t).clone())
            .collect();
        Ok(TypePage {
            types,
            total: matching.len() as u64,
        })
    }

    /// The dataset a superuser may write types to: one that exists, is
    /// the deployment's own (`custom` or uploaded) and is not retired.
    /// The dataset, if types may be written in it, claimed in the
    /// transaction of `session` so that a concurrent retirement conflicts.
    async fn writable(
        &self,
        session: &mut ClientSession,
        id: &DatasetId,
    ) -> Result<Dataset, TypeError> {
        let dataset = datasets::claim_for_type_write(self.db, session, id)
            .await?
            .ok_or_else(|| TypeError::UnknownDataset(id.clone()))?;
        if !dataset.private {
            return Err(TypeError::ReadOnly(dataset.id));
        }
        if dataset.retired {
            return Err(TypeError::Retired(dataset.id));
        }
        Ok(dataset)
    }

    /// The type, if `viewer` may see it (else it does not exist).
    pub async fn get(&self, viewer: Viewer, id: UsageTypeId) -> Result<UsageType, TypeError> {
        self.cache
            .get(self.db, id)
            .await?
            .filter(|t| viewer.can_see_type(t))
            .ok_or(TypeError::NotFound(id))
    }

    /// Creates a type in a writable dataset.
    #[tracing::instrument(skip(self, fields))]
    pub async fn create(
        &self,
        id: i64,
        dataset: &DatasetId,
        fields: &UsageTypeFields,
        by: UserId,
    ) -> Result<UsageType, TypeError> {
        let usage_type = in_transaction(self.db, "creating a usage type", async |session| {
            let dataset = self.writable(session, dataset).await?;
            let usage_type = UsageType::parse(id, fields, &dataset)?;
            match usage_types::insert(self.db, session, &usage_type).await {
                Ok(()) => Ok(usage_type),
                Err(e) if e.is_duplicate_on(usage_types::ID_INDEX) => {
                    Err(TypeError::IdTaken(usage_type.id))
                }
                Err(e) => Err(e.into()),
            }
        })
        .await?;
        self.cache.invalidate();
        tracing::info!(%by, "usage type created");
        Ok(usage_type)
    }

    /// Replaces every field but the id and the dataset, in a writable
    /// dataset. Usages keep their snapshots.
    #[tracing::instrument(skip(self, fields))]
    pub async fn replace(
        &self,
        id: UsageTypeId,
        fields: &UsageTypeFields,
        by: UserId,
    ) -> Result<UsageType, TypeError> {
        let current = usage_types::find(self.db, id)
            .await?
            .ok_or(TypeError::NotFound(id))?;
        let updated = in_transaction(self.db, "replacing a usage type", async |session| {
            let dataset = self.writable(session, &current.dataset).await?;
            let usage_type = UsageType::parse(id.get(), fields, &dataset)?;
            if usage_type.unit != current.unit && usages::references_type(self.db, id).await? {
                return Err(TypeError::UnitInUse {
                    id,
                    unit: current.unit.clone(),
                });
            }
            usage_types::update(self.db, session, &usage_type)
                .await?
                .ok_or(TypeError::NotFound(id))
        })
        .await?;
        self.cache.invalidate();
        tracing::info!(factor = updated.factor, %by, "usage type updated");
        Ok(updated)
    }

    /// Deletes a type no usage refers to.
    #[tracing::instrument(skip(self))]
    pub async fn delete(&self, id: UsageTypeId, by: UserId) -> Result<(), TypeError> {
        let current = usage_types::find(self.db, id)
            .await?
            .ok_or(TypeError::NotFound(id))?;
        let dataset = datasets::find(self.db, &current.dataset).await?;
        if dataset.is_some_and(|d| !d.private) {
            return Err(TypeError::ReadOnly(current.dataset));
        }
        if usages::references_type(self.db, id).await? {
            return Err(TypeError::InUse(id));
        }
        if !usage_types::delete(self.db, id).await? {
            return Err(TypeError::NotFound(id));
        }
        self.cache.invalidate();
        tracing::info!(%by, "usage type deleted");
        Ok(())
    }
}
