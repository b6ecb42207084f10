//! One error type for both services, turned into an RFC 9457
//! `application/problem+json` response in one place.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

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

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct FieldError {
    /// For CSV imports: the data row, counting from 1 for the first row
    /// after the header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub row: Option<u64>,
    /// The field's name (a dotted path for nested fields; a column for CSV).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            row: None,
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error, located in a CSV data row.
    pub fn in_row(self, row: u64) -> Self {
        Self {
            row: Some(row),
            ..self
        }
    }
}

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
    Unavailable,
    /// 503: the server is saturated (e.g. every password-hashing slot is
    /// taken); retrying after `Retry-After` helps.
    #[error("service busy")]
    Busy { retry_after_seconds: u64 },
    /// 500: the cause is logged where it happened, never sent.
    #[error("internal error")]
    Internal,
    /// Any other status, for normalising actix's own error responses.
    #[error("{detail}")]
    Status { status: StatusCode, detail: String },
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// Logs the cause (with the request id of the current span) and returns
    /// an opaque 500.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::Internal
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
            Self::Unavailable => {
                "A backing service is temporarily unavailable; retry shortly.".into()
            }
            Self::Busy {
                retry_after_seconds,
            } => format!("The server is busy; retry after {retry_after_seconds} seconds."),
            Self::Internal => "An unexpected error occurred; it has been logged.".into(),
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
            Self::Unavailable | Self::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Status { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
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
            Self::Unavailable => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        response.body(body)
    }
}

impl From<mongodb::error::Error> for ApiError {
    fn from(err: mongodb::error::Error) -> Self {
        if crate::db::is_unavailable(&err) {
            crate::metrics::record_db_error("unavailable");
            tracing::warn!(error = %err, "database unavailable");
            Self::Unavailable
        } else {
            crate::metrics::record_db_error("other");
            Self::internal(err)
        }
    }
}

/// Whether a response already carries a body meant for clients.
pub fn is_structured(content_type: Option<&HeaderValue>) -> bool {
    content_type
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON) || v.starts_with("application/json"))
}
