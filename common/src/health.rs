//! Liveness and readiness, mounted by both services.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use mongodb::Database;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ProblemDetails};

/// Readiness must answer well within 2 s even when the database is gone.
const READINESS_PING_TIMEOUT: Duration = Duration::from_millis(1500);

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct HealthStatus {
    pub status: &'static str,
}

/// Liveness: 200 while the process serves requests.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The process is serving", body = HealthStatus)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus { status: "ok" })
}

/// Readiness: 200 when the database answers a ping, else 503.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "The database answers", body = HealthStatus),
        (status = 503, description = "The database does not answer", body = ProblemDetails),
    ))]
pub async fn readyz(database: web::Data<Database>) -> Result<HttpResponse, ApiError> {
    match tokio::time::timeout(READINESS_PING_TIMEOUT, crate::db::ping(&database)).await {
        Ok(Ok(())) => Ok(HttpResponse::Ok().json(HealthStatus { status: "ok" })),
        Ok(Err(e)) => Err(ApiError::Unavailable(Some(
            crate::db::StoreError::from_driver("the readiness ping", e).into(),
        ))),
        Err(_) => Err(ApiError::Unavailable(Some(
            "the readiness ping timed out".into(),
        ))),
    }
}

/// `/healthz` and `/readyz`.
pub fn routes() -> crate::routes::RouteTable {
    crate::routes![healthz, readyz]
}
