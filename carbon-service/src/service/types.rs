//! Reading and writing usage types: every read through the cache, every
//! write invalidating it, and no type deleted while usages refer to it.

use std::sync::Arc;

use mongodb::Database;

use crate::domain::ids::UsageTypeId;
use crate::domain::usage_type::UsageType;
use crate::storage::{usage_types, usages};
use crate::type_cache::UsageTypeCache;
use common::db::StoreError;
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
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A page of the types and how many there are.
#[derive(Debug)]
pub struct TypePage {
    pub types: Vec<UsageType>,
    pub total: u64,
}

pub struct Types<'a> {
    pub db: &'a Database,
    pub cache: &'a UsageTypeCache,
}

impl Types<'_> {
    /// A page of every type, by id.
    pub async fn list(&self, page: Page) -> Result<TypePage, TypeError> {
        let all: Arc<Vec<UsageType>> = self.cache.all(self.db).await?;
        let types = all
            .iter()
            .skip(page.offset as usize)
            .take(page.limit as usize)
            .cloned()
            .collect();
        Ok(TypePage {
            types,
            total: all.len() as u64,
        })
    }

    pub async fn get(&self, id: UsageTypeId) -> Result<UsageType, TypeError> {
        self.cache
            .get(self.db, id)
            .await?
            .ok_or(TypeError::NotFound(id))
    }

    #[tracing::instrument(skip(self, usage_type), fields(type_id = %usage_type.id))]
    pub async fn create(&self, usage_type: UsageType, by: UserId) -> Result<UsageType, TypeError> {
        match usage_types::insert(self.db, &usage_type).await {
            Ok(()) => {}
            Err(e) if e.is_duplicate_on(usage_types::ID_INDEX) || e.is_duplicate() => {
                return Err(TypeError::IdTaken(usage_type.id));
            }
            Err(e) => return Err(e.into()),
        }
        self.cache.invalidate();
        tracing::info!(%by, "usage type created");
        Ok(usage_type)
    }

    /// Replaces every field but the id. Usages keep their snapshots.
    #[tracing::instrument(skip(self, usage_type), fields(type_id = %usage_type.id))]
    pub async fn replace(&self, usage_type: UsageType, by: UserId) -> Result<UsageType, TypeError> {
        let updated = usage_types::update(self.db, &usage_type)
            .await?
            .ok_or(TypeError::NotFound(usage_type.id))?;
        self.cache.invalidate();
        tracing::info!(factor = updated.factor, %by, "usage type updated");
        Ok(updated)
    }

    /// Deletes a type no usage refers to.
    #[tracing::instrument(skip(self))]
    pub async fn delete(&self, id: UsageTypeId, by: UserId) -> Result<(), TypeError> {
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
