//! Why input was refused, field by field: what every domain parse returns.
//! No HTTP here: the routes turn [`Invalid`] into a 422.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
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

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.row {
            Some(row) => write!(f, "row {row}: {} {}", self.field, self.message),
            None => write!(f, "{} {}", self.field, self.message),
        }
    }
}

/// Input that parsed but is invalid: every failure, not just the first.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid input: {}", list(.0))]
pub struct Invalid(pub Vec<FieldError>);

fn list(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Invalid {
    pub fn one(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }

    /// `Ok(())` when nothing was collected.
    pub fn check(errors: Vec<FieldError>) -> Result<(), Self> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Self(errors))
        }
    }
}

/// Both parses, or every field error of either.
pub fn both<A, B>(a: Result<A, Invalid>, b: Result<B, Invalid>) -> Result<(A, B), Invalid> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(Invalid(
            a.err()
                .into_iter()
                .chain(b.err())
                .flat_map(|invalid| invalid.0)
                .collect(),
        )),
    }
}

impl From<FieldError> for Invalid {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}
