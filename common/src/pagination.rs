//! `limit`/`offset` paging shared by every list endpoint: the query
//! parameters, their bounds, and the total-count header.

use actix_web::HttpResponseBuilder;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::validation::{FieldError, Invalid};

pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;
/// Deep offsets make the database walk and discard documents; past this a
/// client should narrow the query (for usages: a `from`/`to` window).
pub const MAX_OFFSET: u64 = 100_000;

/// The name of the header carrying the unpaged total.
pub const TOTAL_COUNT_HEADER: &str = "X-Total-Count";

/// The paging parameters of every list, as the query string gives them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Items to skip, 0 to 100000 (default 0).
    #[param(minimum = 0, maximum = 100000)]
    pub offset: Option<u64>,
}

impl PageQuery {
    pub fn parse(&self) -> Result<Page, Invalid> {
        Page::parse(self.limit, self.offset)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u64,
}

impl Page {
    /// `limit` 1..=100 (default 10), `offset` 0..=100000; both checked.
    pub fn parse(limit: Option<u32>, offset: Option<u64>) -> Result<Self, Invalid> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        let offset = offset.unwrap_or(0);
        let errors = [check_limit(limit).err(), check_offset(offset).err()];
        Invalid::check(errors.into_iter().flatten().collect())?;
        Ok(Self { limit, offset })
    }
}

pub fn check_limit(limit: u32) -> Result<u32, FieldError> {
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(FieldError::new(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ))
    }
}

pub fn check_offset(offset: u64) -> Result<u64, FieldError> {
    if offset <= MAX_OFFSET {
        Ok(offset)
    } else {
        Err(FieldError::new(
            "offset",
            format!("must be at most {MAX_OFFSET}"),
        ))
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
