//! HTTP handlers, one module per resource: each parses the request, calls
//! one service function and shapes the answer. The JSON bodies clients
//! send and get are declared here; `errors` maps the service errors to
//! HTTP.

pub mod datasets;
mod errors;
pub mod gwp_sets;
pub mod limited;
pub mod summary;
pub mod types;
pub mod units;
pub mod usages;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponseBuilder, web};
use common::auth::OptionalUser;
use common::error::ApiError;

use crate::domain::viewer::Viewer;

use crate::domain::usage_csv;
use common::http::method_not_allowed as allow;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/datasets")
            .app_data(web::PayloadConfig::new(usage_csv::MAX_IMPORT_BYTES))
            .route(web::get().to(datasets::list_datasets))
            .route(web::post().to(datasets::upload_dataset))
            .default_service(allow("GET, POST")),
    )
    .service(
        web::resource("/datasets/{id}")
            .route(web::get().to(datasets::get_dataset))
            .default_service(allow("GET")),
    )
    .service(
        web::resource("/datasets/{id}/retire")
            .route(web::post().to(datasets::retire_dataset))
            .default_service(allow("POST")),
    )
    .service(
        web::resource("/gwp-sets")
            .route(web::get().to(gwp_sets::list_gwp_sets))
            .default_service(allow("GET")),
    )
    .service(
        web::resource("/units")
            .route(web::get().to(units::list_units))
            .default_service(allow("GET")),
    )
    .service(
        web::resource("/types")
            .route(web::get().to(types::list_types))
            .route(web::post().to(types::create_type))
            .default_service(allow("GET, POST")),
    )
    .service(
        web::resource("/types/{id}")
            .route(web::get().to(types::get_type))
            .route(web::put().to(types::update_type))
            .route(web::delete().to(types::delete_type))
            .default_service(allow("GET, PUT, DELETE")),
    )
    .service(
        web::resource("/usages")
            .route(web::get().to(usages::list_usages))
            .route(web::post().to(usages::create_usage))
            .route(web::delete().to(usages::erase_usages))
            .default_service(allow("GET, POST, DELETE")),
    )
    // Before /usages/{id}, which would otherwise take these names as ids.
    .service(
        web::resource("/usages/summary")
            .route(web::get().to(summary::get_summary))
            .default_service(allow("GET")),
    )
    .service(
        web::resource("/usages/export")
            .route(web::get().to(usages::export_usages))
            .default_service(allow("GET")),
    )
    .service(
        web::resource("/usages/import")
            .app_data(web::PayloadConfig::new(usage_csv::MAX_IMPORT_BYTES))
            .route(web::post().to(usages::import_usages))
            .default_service(allow("POST")),
    )
    .service(
        web::resource("/users/{id}/usages")
            .route(web::delete().to(usages::erase_user_usages))
            .default_service(allow("DELETE")),
    )
    .service(
        web::resource("/usages/{id}")
            .route(web::get().to(usages::get_usage))
            .route(web::put().to(usages::update_usage))
            .route(web::delete().to(usages::delete_usage))
            .default_service(allow("GET, PUT, DELETE")),
    );
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
    Viewer::from_caller(caller.0.as_ref().map(|c| c.id))
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
