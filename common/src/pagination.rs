//! `limit`/`offset` paging shared by every list endpoint.

use actix_web::HttpResponseBuilder;

use crate::error::{ApiError, FieldError};

pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;
/// Deep offsets make the database walk and discard documents; past this a
/// client should narrow the query (for usages: a `from`/`to` window).
pub const MAX_OFFSET: u64 = 100_000;

/// The name of the header carrying the unpaged total.
pub const TOTAL_COUNT_HEADER: &str = "X-Total-Count";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u64,
}

impl Page {
    /// `limit` 1..=100 (default 10), `offset` 0..=100000; outside → 422.
    pub fn parse(limit: Option<u32>, offset: Option<u64>) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        let offset = offset.unwrap_or(0);
        let mut errors = Vec::new();
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.push(FieldError::new(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        if offset > MAX_OFFSET {
            errors.push(FieldError::new(
                "offset",
                format!("must be at most {MAX_OFFSET}"),
            ));
        }
        if errors.is_empty() {
            Ok(Self { limit, offset })
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// Adds `X-Total-Count`.
pub fn with_total_count(builder: &mut HttpResponseBuilder, total: u64) -> &mut HttpResponseBuilder {
    builder.insert_header((TOTAL_COUNT_HEADER, total.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_ten_from_the_start() {
        assert_eq!(
            Page::parse(None, None).unwrap(),
            Page {
                limit: 10,
                offset: 0
            }
        );
    }

    #[test]
    fn a_limit_above_the_cap_or_zero_is_refused() {
        assert!(Page::parse(Some(101), None).is_err());
        assert!(Page::parse(Some(0), None).is_err());
        assert!(Page::parse(Some(100), Some(MAX_OFFSET)).is_ok());
        assert!(Page::parse(None, Some(MAX_OFFSET + 1)).is_err());
    }
}
