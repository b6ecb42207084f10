//! The one place where the service layer's errors become HTTP answers.

use common::error::ApiError;

use crate::service::audit::AuditError;
use crate::service::datasets::DatasetError;
use crate::service::facilities::FacilityError;
use crate::service::instruments::InstrumentError;
use crate::service::periods::PeriodError;
use crate::service::restatement::RestatementError;
use crate::service::types::TypeError;
use crate::service::usages::UsageError;

impl From<UsageError> for ApiError {
    fn from(error: UsageError) -> Self {
        match error {
            UsageError::Invalid(invalid) => invalid.into(),
            UsageError::UnknownType(id) => {
                ApiError::validation("usage_type_id", format!("no usage type has id {id}"))
            }
            UsageError::RetiredType(id, dataset) => ApiError::validation(
                "usage_type_id",
                format!("usage type {id} belongs to the retired dataset {dataset}: pick a type of a current dataset"),
            ),
            UsageError::UnknownFacility => ApiError::validation(
                "facility_id",
                "is not one of the organization's facilities (GET /facilities)",
            ),
            UsageError::PeriodLocked(name) => period_locked(name),
            UsageError::NotFound => ApiError::not_found(),
            UsageError::Stale => ApiError::PreconditionFailed(
                "The usage has changed since the ETag in If-Match; fetch it again.".into(),
            ),
            UsageError::Contended => {
                ApiError::Conflict("The usage is being changed by other requests; retry.".into())
            }
            UsageError::KeyReused => ApiError::validation(
                "Idempotency-Key",
                "was already used with a different request body",
            ),
            UsageError::ImportInProgress {
                retry_after_seconds,
            } => ApiError::InProgress {
                detail: "Another import of this account is running; retry after Retry-After seconds.".into(),
                retry_after_seconds,
            },
            UsageError::NoSlot(full) => {
                tracing::warn!(slot = full.slot, "every slot stayed taken");
                ApiError::Busy {
                    retry_after_seconds: full.retry_after_seconds,
                }
            }
            UsageError::KeyedUsageDeleted => ApiError::Status {
                status: actix_web::http::StatusCode::GONE,
                detail: "The usage this Idempotency-Key created has been deleted since; nothing was recorded. Use a new key to record it again.".into(),
            },
            UsageError::KeyInProgress {
                retry_after_seconds,
            } => ApiError::InProgress {
                detail: "A request with this Idempotency-Key is still being processed; retry after Retry-After seconds.".into(),
                retry_after_seconds,
            },
            UsageError::QuotaReached { quota } => ApiError::Conflict(format!(
                "The usage quota of {quota} usages per organization is reached; delete or erase usages to record more."
            )),
            UsageError::TooManyRows => ApiError::PayloadTooLarge,
            // Retrying with the same Idempotency-Key is safe.
            UsageError::Interrupted => ApiError::Unavailable(None),
            UsageError::Store(e) => e.into(),
        }
    }
}

impl From<AuditError> for ApiError {
    fn from(error: AuditError) -> Self {
        match error {
            AuditError::NoSlot(full) => {
                tracing::warn!(slot = full.slot, "every slot stayed taken");
                ApiError::Busy {
                    retry_after_seconds: full.retry_after_seconds,
                }
            }
            AuditError::Store(e) => e.into(),
        }
    }
}

impl From<TypeError> for ApiError {
    fn from(error: TypeError) -> Self {
        match error {
            TypeError::NotFound(_) => ApiError::not_found(),
            TypeError::IdTaken(id) => {
                ApiError::Conflict(format!("A usage type with id {id} already exists."))
            }
            TypeError::InUse(id) => {
                ApiError::Conflict(format!("Usages still reference usage type {id}."))
            }
            TypeError::UnitInUse { id, unit } => ApiError::Conflict(format!(
                "Usages of usage type {id} are recorded in {unit}, so its unit cannot change. Create a new type for the new unit."
            )),
            TypeError::Invalid(invalid) => invalid.into(),
            TypeError::UnknownDataset(id) => {
                ApiError::validation("dataset", format!("no dataset has id {id}"))
            }
            TypeError::ReadOnly(id) => ApiError::Conflict(format!(
                "Dataset {id} is published: its types change only with a new edition (carbon-service seed). Create the type in the custom dataset or an uploaded one."
            )),
            TypeError::Retired(id) => ApiError::Conflict(format!(
                "Dataset {id} is retired: it takes no new types or usages."
            )),
            TypeError::Store(e) => e.into(),
        }
    }
}

impl From<DatasetError> for ApiError {
    fn from(error: DatasetError) -> Self {
        match error {
            DatasetError::NotFound(_) => ApiError::not_found(),
            DatasetError::Invalid(invalid) => invalid.into(),
            DatasetError::IdTaken(id) => {
                ApiError::Conflict(format!("A dataset with id {id} already exists."))
            }
            DatasetError::TypeIdTaken => ApiError::Conflict(
                "Another upload took one of these usage type ids meanwhile; nothing was stored."
                    .into(),
            ),
            DatasetError::TooManyRows => ApiError::PayloadTooLarge,
            DatasetError::Store(e) => e.into(),
        }
    }
}

impl From<InstrumentError> for ApiError {
    fn from(error: InstrumentError) -> Self {
        match error {
            InstrumentError::Invalid(invalid) => invalid.into(),
            InstrumentError::NotFound => ApiError::not_found(),
            InstrumentError::PeriodLocked(name) => period_locked(name),
            InstrumentError::TooMany(most) => ApiError::Conflict(format!(
                "An account keeps at most {most} instruments; delete expired ones to record more."
            )),
            InstrumentError::Store(e) => e.into(),
        }
    }
}

impl From<FacilityError> for ApiError {
    fn from(error: FacilityError) -> Self {
        match error {
            FacilityError::Invalid(invalid) => invalid.into(),
            FacilityError::NotFound => ApiError::not_found(),
            FacilityError::NameTaken => {
                ApiError::Conflict("The organization has a facility of this name already.".into())
            }
            FacilityError::InUse => {
                ApiError::Conflict("Usages name this facility: move or delete them first.".into())
            }
            FacilityError::TooMany(most) => {
                ApiError::Conflict(format!("An organization keeps at most {most} facilities."))
            }
            FacilityError::Store(e) => e.into(),
        }
    }
}

/// 409 naming the locked period.
fn period_locked(name: crate::domain::period::PeriodName) -> ApiError {
    ApiError::Conflict(format!(
        "The reporting period {name} is locked: its usages cannot be recorded, changed, moved or deleted. An owner can unlock it (POST /periods/{name}/unlock, with a reason)."
    ))
}

impl From<PeriodError> for ApiError {
    fn from(error: PeriodError) -> Self {
        match error {
            PeriodError::Invalid(invalid) => invalid.into(),
            PeriodError::Locked(name) => ApiError::Conflict(format!(
                "The reporting period {name} is locked: the fiscal-year start cannot change while a period is locked."
            )),
            PeriodError::AlreadyLocked(name) => {
                ApiError::Conflict(format!("The reporting period {name} is already locked."))
            }
            PeriodError::NotEnded(name, end) => ApiError::Conflict(format!(
                "The reporting period {name} runs through {}: a period is locked once it has ended, so that its last bills can still be recorded.",
                (end - chrono::Duration::days(1)).format("%Y-%m-%d")
            )),
            PeriodError::NotLocked(name) => {
                ApiError::Conflict(format!("The reporting period {name} is not locked."))
            }
            PeriodError::Store(e) => e.into(),
        }
    }
}

impl From<RestatementError> for ApiError {
    fn from(error: RestatementError) -> Self {
        match error {
            RestatementError::UnknownDataset(_) => ApiError::not_found(),
            RestatementError::Period(e) => e.into(),
            RestatementError::NoSlot(full) => {
                tracing::warn!(slot = full.slot, "every slot stayed taken");
                ApiError::Busy {
                    retry_after_seconds: full.retry_after_seconds,
                }
            }
            RestatementError::Store(e) => e.into(),
        }
    }
}
