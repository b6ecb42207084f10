//! HTTP handlers, one module per resource: each parses the request, calls
//! one service function and shapes the answer. The JSON bodies clients
//! send and get are declared here; `errors` maps the service errors to
//! HTTP.

pub mod audit;
pub mod datasets;
pub mod erasure;
mod errors;
pub mod facilities;
pub mod gwp_sets;
pub mod instruments;
pub mod limited;
pub mod org;
pub mod periods;
pub mod restatement;
pub mod summary;
pub mod type_input;
pub mod types;
pub mod units;
pub mod usages;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponseBuilder, web};
use common::auth::OptionalUser;
use common::error::ApiError;

use crate::domain::viewer::Viewer;

use common::routes::RouteTable;

/// Every endpoint of carbon-service: each module's table (see
/// `common::routes`), and the health checks.
pub fn table() -> RouteTable {
    RouteTable::new()
        .merge(datasets::routes())
        .merge(gwp_sets::routes())
        .merge(units::routes())
        .merge(types::routes())
        .merge(instruments::routes())
        .merge(facilities::routes())
        .merge(usages::routes())
        .merge(summary::routes())
        .merge(org::routes())
        .merge(periods::routes())
        .merge(restatement::routes())
        .merge(audit::routes())
        .merge(common::health::routes())
}

/// Refuses (415) a `what` whose body is not declared `text/csv`
/// (parameters aside).
fn require_csv(req: &HttpRequest, what: &str) -> Result<(), ApiError> {
    let csv = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("text/csv"));
    if csv {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "The {what} must be text/csv."
        )))
    }
}

/// Who reads the factor library: the anonymous see published datasets
/// only.
fn viewer(caller: &OptionalUser) -> Viewer {
    Viewer::from_caller(caller.0.as_ref().map(|c| c.org))
}

/// Factor reads: the anonymous answer (published data only) may sit in a
/// shared cache; one that may include private data may not be stored.
fn factor_caching(response: &mut HttpResponseBuilder, viewer: Viewer) -> &mut HttpResponseBuilder {
    let cache_control = if viewer.sees_private() {
        "private, no-store"
    } else {
        "public, max-age=30"
    };
    response
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, "Authorization"))
}

/// Reads a body of at most `limit` bytes, for a handler that checks the
/// caller and the content type first (`web::Bytes` would read it before
/// the handler runs).
async fn read_body(payload: web::Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(_)) => Err(ApiError::BadRequest(
            "The request body could not be read.".into(),
        )),
        Err(_) => Err(ApiError::PayloadTooLarge),
    }
}
