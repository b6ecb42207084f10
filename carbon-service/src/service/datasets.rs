//! Factor datasets: reading them, an upload of a private one (its types
//! from CSV, all or nothing) by a superuser for the deployment or by an
//! organization's admin for the organization, and retiring one.

use mongodb::Database;

use crate::domain::audit::{Change, DatasetRecord, action, entity};
use crate::domain::dataset::{Dataset, DatasetFields, DatasetId};
use crate::domain::dataset_csv::{self, UploadError};
use crate::domain::viewer::Viewer;
use crate::storage::{datasets, usage_types};
use crate::type_cache::UsageTypeCache;
use common::audit::{Author, Draft, store as trail};
use common::db::{StoreError, TransactionError, in_transaction};
use common::ids::{OrgId, UserId};
use common::validation::{FieldError, Invalid};

/// Why a dataset flow did not happen.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("no dataset has id {0}")]
    NotFound(DatasetId),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("a dataset with id {0} exists")]
    IdTaken(DatasetId),
    /// Another upload stored one of these type ids meanwhile.
    #[error("a usage type id of the upload was taken meanwhile")]
    TypeIdTaken,
    #[error(
        "an upload has more than {} rows",
        crate::domain::usage_csv::MAX_IMPORT_ROWS
    )]
    TooManyRows,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who uploads or retires a dataset, and so whose it is.
#[derive(Debug, Clone, Copy)]
pub enum Publisher {
    /// A superuser: the deployment's (every signed-in user sees it).
    Deployment(UserId),
    /// An organization's admin or owner: the organization's own.
    Organization { org: OrgId, by: UserId },
}

impl Publisher {
    fn viewer(self) -> Viewer {
        match self {
            Self::Deployment(by) => Viewer::SignedIn(OrgId::personal(by)),
            Self::Organization { org, .. } => Viewer::SignedIn(org),
        }
    }

    fn org(self) -> Option<OrgId> {
        match self {
            Self::Deployment(_) => None,
            Self::Organization { org, .. } => Some(org),
        }
    }

    fn by(self) -> UserId {
        match self {
            Self::Deployment(by) | Self::Organization { by, .. } => by,
        }
    }
}

/// An organization's dataset id: the id given, then the organization's
/// first 12 hexadecimal digits, so that two organizations may each name a
/// dataset `suppliers-2026` (and neither sees the other's).
fn org_dataset_id(given: &DatasetId, org: OrgId) -> Result<DatasetId, Invalid> {
    let suffix: String = org
        .as_uuid()
        .simple()
        .to_string()
        .chars()
        .take(12)
        .collect();
    DatasetId::parse("id", &format!("{given}-{suffix}")).map_err(|_| {
        Invalid::one(
            "id",
            "must be at most 51 characters for an organization's dataset",
        )
    })
}

impl TransactionError for DatasetError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

pub struct Datasets<'a> {
    pub db: &'a Database,
    pub cache: &'a UsageTypeCache,
}

impl Datasets<'_> {
    /// Every dataset `viewer` may see, by id.
    pub async fn list(&self, viewer: Viewer) -> Result<Vec<Dataset>, DatasetError> {
        let mut all = datasets::all(self.db).await?;
        all.retain(|d| viewer.can_see_dataset(d));
        Ok(all)
    }

    /// The dataset, if `viewer` may see it (else it does not exist).
    pub async fn get(&self, viewer: Viewer, id: &DatasetId) -> Result<Dataset, DatasetError> {
        datasets::find(self.db, id)
            .await?
            .filter(|d| viewer.can_see_dataset(d))
            .ok_or_else(|| DatasetError::NotFound(id.clone()))
    }

    /// Stores a private dataset and its types from CSV, all or nothing:
    /// every row checked first (type ids taken by existing types named by
    /// row), then the dataset and its types in one transaction.
    #[tracing::instrument(skip(self, fields, body), fields(bytes = body.len()))]
    pub async fn upload(
        &self,
        fields: &DatasetFields,
        body: &[u8],
        publisher: Publisher,
        author: &Author,
    ) -> Result<(Dataset, usize), DatasetError> {
        let mut dataset = Dataset::parse(fields, true)?;
        if let Some(org) = publisher.org() {
            dataset.id = org_dataset_id(&dataset.id, org)?;
            dataset.org_id = Some(org);
        }
        let mut types = dataset_csv::parse_upload(body, &dataset).map_err(|e| match e {
            UploadError::TooManyRows => DatasetError::TooManyRows,
            UploadError::Invalid(errors) => DatasetError::Invalid(Invalid(errors)),
        })?;
        if datasets::find(self.db, &dataset.id).await?.is_some() {
            return Err(DatasetError::IdTaken(dataset.id));
        }
        if dataset.org_id.is_some() {
            // Its type ids are the server's: none can be taken.
            return self
                .store(dataset, &mut types, publisher, (author, body))
                .await;
        }
        let reserved: Vec<FieldError> = types
            .iter()
            .enumerate()
            .filter(|(_, t)| t.id.get() >= usage_types::ORG_TYPE_IDS_FROM)
            .map(|(index, _)| {
                FieldError::new(
                    "id",
                    format!(
                        "must be below {}: ids from there are organizations' types'",
                        usage_types::ORG_TYPE_IDS_FROM
                    ),
                )
                .in_row(index as u64 + 1)
            })
            .take(crate::domain::usage_csv::MAX_REPORTED_ERRORS)
            .collect();
        Invalid::check(reserved)?;
        // One `$in` query on the id index: the rows' ids that exist.
        let ids: Vec<_> = types.iter().map(|t| t.id).collect();
        let existing: std::collections::HashSet<_> = usage_types::find_many(self.db, &ids)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        let taken: Vec<FieldError> = types
            .iter()
            .enumerate()
            .filter(|(_, t)| existing.contains(&t.id))
            .map(|(index, t)| {
                FieldError::new("id", format!("usage type {} exists", t.id))
                    .in_row(index as u64 + 1)
            })
            .take(crate::domain::usage_csv::MAX_REPORTED_ERRORS)
            .collect();
        Invalid::check(taken)?;
        self.store(dataset, &mut types, publisher, (author, body))
            .await
    }

    /// Stores a dataset and its types in one transaction; an
    /// organization's types take their ids from the organizations' range
    /// in it.
    async fn store(
        &self,
        dataset: Dataset,
        types: &mut [crate::domain::usage_type::UsageType],
        publisher: Publisher,
        (author, body): (&Author, &[u8]),
    ) -> Result<(Dataset, usize), DatasetError> {
        in_transaction(self.db, "uploading a dataset", async |session| {
            if dataset.org_id.is_some() {
                let first =
                    usage_types::allocate_org_ids(self.db, session, types.len() as u64).await?;
                for (offset, usage_type) in types.iter_mut().enumerate() {
                    usage_type.id =
                        crate::domain::ids::UsageTypeId::parse("id", first + offset as i64)
                            .map_err(Invalid::from)?;
                }
            }
            datasets::insert(self.db, session, &dataset)
                .await
                .map_err(|e| {
                    if e.is_duplicate_on(common::db::PRIMARY_KEY) {
                        DatasetError::IdTaken(dataset.id.clone())
                    } else {
                        e.into()
                    }
                })?;
            usage_types::insert_many(self.db, session, types)
                .await
                .map_err(|e| {
                    if e.is_duplicate_on(usage_types::ID_INDEX) {
                        DatasetError::TypeIdTaken
                    } else {
                        e.into()
                    }
                })?;
            // The deployment's datasets are no organization's data.
            if let Some(org) = dataset.org_id {
                let record = DatasetRecord::of(&dataset, types, body);
                let entry = Draft::new(
                    author,
                    action::CREATE,
                    entity::DATASET,
                    &dataset.id,
                    &Change::created(record),
                );
                trail::append(self.db, session, org, vec![entry]).await?;
            }
            Ok::<_, DatasetError>(())
        })
        .await?;
        self.cache.invalidate();
        tracing::info!(dataset = %dataset.id, types = types.len(), by = %publisher.by(), "dataset uploaded");
        Ok((dataset, types.len()))
    }

    /// Retires a dataset and its types in one transaction: no new usages
    /// of them; existing usages keep their snapshots.
    #[tracing::instrument(skip(self))]
    pub async fn retire(
        &self,
        id: &DatasetId,
        publisher: Publisher,
        author: &Author,
    ) -> Result<Dataset, DatasetError> {
        // An organization retires only its own datasets; another's does
        // not exist for it.
        let found = self.get(publisher.viewer(), id).await?;
        if found.org_id != publisher.org() {
            return Err(DatasetError::NotFound(id.clone()));
        }
        let retired = in_transaction(self.db, "retiring a dataset", async |session| {
            if !datasets::retire(self.db, session, id).await? {
                return Err(DatasetError::NotFound(id.clone()));
            }
            let retired = usage_types::retire_dataset(self.db, session, id).await?;
            if let Some(org) = found.org_id {
                let payload = serde_json::json!({ "types_retired": retired });
                let entry = Draft::new(author, action::RETIRE, entity::DATASET, id, &payload);
                trail::append(self.db, session, org, vec![entry]).await?;
            }
            Ok(retired)
        })
        .await?;
        self.cache.invalidate();
        tracing::info!(dataset = %id, types = retired, by = %publisher.by(), "dataset retired");
        self.get(publisher.viewer(), id).await
    }
}
