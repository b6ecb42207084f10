//! Factor datasets: reading them.

use mongodb::Database;

use crate::domain::dataset::{Dataset, DatasetId};
use crate::storage::datasets;
use common::db::StoreError;

/// Why a dataset flow did not happen.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("no dataset has id {0}")]
    NotFound(DatasetId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Datasets<'a> {
    pub db: &'a Database,
}

impl Datasets<'_> {
    /// Every dataset, by id.
    pub async fn list(&self) -> Result<Vec<Dataset>, DatasetError> {
        Ok(datasets::all(self.db).await?)
    }

    pub async fn get(&self, id: &DatasetId) -> Result<Dataset, DatasetError> {
        datasets::find(self.db, id)
            .await?
            .ok_or_else(|| DatasetError::NotFound(id.clone()))
    }
}
