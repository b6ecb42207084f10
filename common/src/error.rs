//! One error type for both services' HTTP answers, turned into an RFC 9457
//! `application/problem+json` response in one place. Only the routes speak
//! it: each layer below has its own error type, mapped to this one at the
//! routes boundary, and an internal cause is kept (with its chain) and
//! logged once, here, where it becomes a response.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::validation::{FieldError, Invalid};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "about:blank",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "The request is well-formed but some values are invalid.",
    "errors": [{"field": "amount", "message": "must be a finite number greater than or equal to 0"}]
}))]
pub struct ProblemDetails {
    /// A URI identifying the problem type; `about:blank` means the status says it all.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// The status code's reason phrase.
    pub title: String,
    pub status: u16,
    /// A human-readable explanation of this occurrence.
    pub detail: String,
    /// Field-level validation failures (422 only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Any error, boxed, as a cause kept for the log.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the input could not be parsed at all.
    #[error("{0}")]
    BadRequest(String),
    /// 422: well-formed input with invalid values.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 401: no usable access token. `token_sent` adds `error="invalid_token"`
    /// to the challenge (RFC 6750 §3.1).
    #[error("{detail}")]
    Unauthorized { token_sent: bool, detail: String },
    /// 401 with an RFC 9470 step-up challenge: the operation needs a login
    /// within `max_age_seconds`.
    #[error("a recent login is required")]
    StaleLogin { max_age_seconds: i64 },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// 409 with `Retry-After`: the same request is still being processed.
    #[error("{detail}")]
    InProgress {
        detail: String,
        retry_after_seconds: u64,
    },
    /// 412: an `If-Match` names a version that is no longer current.
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_seconds: u64 },
    /// 503: a dependency (the database) is unreachable; retrying later helps.
    #[error("service unavailable")]
    Unavailable(#[source] Option<BoxError>),
    /// 503: the server is saturated (e.g. every password-hashing slot is
    /// taken); retrying after `Retry-After` helps.
    #[error("service busy")]
    Busy { retry_after_seconds: u64 },
    /// 500: the cause is logged when the answer is built, never sent.
    #[error("internal error")]
    Internal(#[source] BoxError),
    /// Any other status, for normalising actix's own error responses.
    #[error("{detail}")]
    Status { status: StatusCode, detail: String },
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// An opaque 500 that keeps its cause for the log.
    pub fn internal(cause: impl Into<BoxError>) -> Self {
        Self::Internal(cause.into())
    }

    pub fn not_found() -> Self {
        Self::NotFound("The requested resource does not exist.".into())
    }

    pub fn forbidden() -> Self {
        Self::Forbidden("This operation requires superuser privileges.".into())
    }

    fn detail(&self) -> String {
        match self {
            Self::Validation(_) => "The request is well-formed but some values are invalid.".into(),
            Self::PayloadTooLarge => "The request body exceeds the size limit.".into(),
            Self::TooManyRequests {
                retry_after_seconds,
            } => {
                format!("Too many requests; retry after {retry_after_seconds} seconds.")
            }
            Self::Unavailable(_) => {
                "A backing service is temporarily unavailable; retry shortly.".into()
            }
            Self::Busy {
                retry_after_seconds,
            } => format!("The server is busy; retry after {retry_after_seconds} seconds."),
            Self::Internal(_) => "An unexpected error occurred; it has been logged.".into(),
            Self::StaleLogin { max_age_seconds } => format!(
                "This operation needs a login within the last {max_age_seconds} seconds; log in again with your password."
            ),
            other => other.to_string(),
        }
    }

    pub fn problem(&self) -> ProblemDetails {
        let status = self.status_code();
        ProblemDetails {
            problem_type: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: self.detail(),
            errors: match self {
                Self::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized { .. } | Self::StaleLogin { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) | Self::InProgress { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Status { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        match self {
            Self::Unauthorized { token_sent, .. } => {
                let challenge = if *token_sent {
                    r#"Bearer error="invalid_token""#
                } else {
                    "Bearer"
                };
                response.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            Self::StaleLogin { max_age_seconds } => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!(
                        r#"Bearer error="insufficient_user_authentication", error_description="A recent login is required", max_age={max_age_seconds}"#
                    ),
                ));
            }
            Self::TooManyRequests {
                retry_after_seconds,
            }
            | Self::Busy {
                retry_after_seconds,
            }
            | Self::InProgress {
                retry_after_seconds,
                ..
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_seconds.to_string()));
            }
            Self::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = response.body(body);
        if let Some(kind) = self.database_failure() {
            response
                .extensions_mut()
                .insert(crate::metrics::DatabaseFailure(kind));
        }
        response
    }
}

/// An error with every `source` after it, for a log line: "inserting a
/// usage: the database failed: connection reset". (An error's `Display`
/// alone says only its own layer's part.)
pub fn cause_chain(cause: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = cause.to_string();
    let mut next = cause.source();
    while let Some(source) = next {
        chain.push_str(": ");
        chain.push_str(&source.to_string());
        next = source.source();
    }
    chain
}

impl ApiError {
    /// What went wrong, for a log line: the cause chain of a failure that
    /// is not the client's, else what the client is told.
    pub fn describe(&self) -> String {
        match self {
            Self::Internal(cause) | Self::Unavailable(Some(cause)) => cause_chain(cause.as_ref()),
            other => other.to_string(),
        }
    }

    /// The one log line of a failure that is not the client's: in the
    /// request's span, so it carries the request id.
    fn log(&self) {
        match self {
            Self::Internal(cause) => {
                tracing::error!(error = %cause_chain(cause.as_ref()), "internal error");
            }
            Self::Unavailable(Some(cause)) => {
                tracing::warn!(error = %cause_chain(cause.as_ref()), "a backing service is unavailable");
            }
            _ => {}
        }
    }

    /// `unavailable` or `other` when a database operation failed (the
    /// `db_operation_errors_total` metric), found in the cause chain.
    fn database_failure(&self) -> Option<&'static str> {
        let cause: &(dyn std::error::Error + 'static) = match self {
            Self::Internal(cause) => cause.as_ref(),
            Self::Unavailable(Some(cause)) => cause.as_ref(),
            _ => return None,
        };
        let mut next = Some(cause);
        while let Some(error) = next {
            if let Some(store) = error.downcast_ref::<crate::db::StoreError>() {
                return Some(if store.is_unavailable() {
                    "unavailable"
                } else {
                    "other"
                });
            }
            next = error.source();
        }
        None
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        Self::Validation(invalid.0)
    }
}

impl From<crate::db::StoreError> for ApiError {
    fn from(error: crate::db::StoreError) -> Self {
        // A query past its time limit: a loaded database; come back later.
        if error.is_timed_out() {
            tracing::warn!(error = %error, "a query ran past its time limit");
            return Self::Busy {
                retry_after_seconds: 5,
            };
        }
        // A transaction that kept conflicting is a busy database, not a bug.
        if error.is_unavailable() || error.is_transient_transaction() {
            Self::Unavailable(Some(error.into()))
        } else {
            Self::Internal(error.into())
        }
    }
}

/// Whether a response already carries a body meant for clients.
pub fn is_structured(content_type: Option<&HeaderValue>) -> bool {
    content_type
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON) || v.starts_with("application/json"))
}
