//! Prometheus metrics: one process-wide recorder, HTTP request metrics
//! recorded by middleware, and a separate listener (`METRICS_ADDR`) that
//! serves `GET /metrics` away from the public API.
//!
//! Metric names every service shares are defined here; each service
//! records its own domain counters with the `metrics` macros.

use std::net::{SocketAddr, TcpListener};
use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, HttpServer, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "http_requests_total";
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
pub const DB_ERRORS: &str = "db_operation_errors_total";

/// Latency buckets, in seconds, from 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide recorder, installed on first use. Every app in the
/// process (several, in tests) records into it.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed; metrics then go there.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// A method as a label: the standard ones by name, anything else `other`.
/// actix accepts any token as a method, so labelling the raw method would
/// let a client create series without bound.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The route label: the matched template (`/usages/{id}`, never the raw
/// path), or one fixed value for every unmatched path.
fn route_label(req: &ServiceRequest) -> String {
    req.match_pattern()
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_owned())
}

/// The `route` label of requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Middleware: counts every request and times it, labelled by method (see
/// [`method_label`]), route template and numeric status. Every label has a
/// fixed, small set of values whatever clients send.
pub async fn record_http(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = route_label(&req);
    let result = next.call(req).await;
    let status = match &result {
        Ok(response) => response.status().as_u16(),
        Err(err) => err.as_response_error().status_code().as_u16(),
    };
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(started.elapsed().as_secs_f64());
    result
}

/// Counts a failed database operation by kind (`unavailable`, `other`).
pub fn record_db_error(kind: &'static str) {
    metrics::counter!(DB_ERRORS, "kind" => kind).increment(1);
}

async fn render() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle().render())
}

/// Serves `GET /metrics` on `address`, apart from the API. Returns the
/// bound address (port 0 picks one) and the server to run.
pub fn serve(address: SocketAddr) -> std::io::Result<(SocketAddr, Server)> {
    handle();
    let listener = TcpListener::bind(address)?;
    let bound = listener.local_addr()?;
    let server = HttpServer::new(|| actix_web::App::new().route("/metrics", web::get().to(render)))
        .workers(1)
        .listen(listener)?
        .disable_signals()
        .shutdown_timeout(1)
        .run();
    Ok((bound, server))
}
