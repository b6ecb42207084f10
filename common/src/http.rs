//! HTTP building blocks both services install: request ids and access log,
//! CORS, security headers, and the guarantee that every error response is
//! problem+json (actix's own included).

use std::time::Instant;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers, Next};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};
use tracing::Span;
use tracing_actix_web::{RootSpanBuilder, TracingLogger};
use uuid::Uuid;

use crate::error::{ApiError, is_structured};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// This request's id: the caller's `X-Request-Id` when it is safe to log,
/// else a new UUID. Kept in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A handler's view of the request id (a request that somehow has none
/// gets a fresh one).
impl actix_web::FromRequest for RequestId {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ok(RequestId::of(req)))
    }
}

impl RequestId {
    pub fn of(req: &HttpRequest) -> Self {
        req.extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(Uuid::new_v4().to_string()))
    }
}

/// When the request arrived, for the access log's latency.
#[derive(Debug, Clone, Copy)]
struct Arrived(Instant);

/// Accepts a caller's request id only if it is short and harmless to log.
fn incoming_request_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(REQUEST_ID_HEADER)?.to_str().ok()?;
    let ok = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    ok.then(|| value.to_owned())
}

/// The root span of every request (through `tracing-actix-web`): every log
/// line of the request carries `request_id`, `method` and `path`, and one
/// access-log line per request adds `status` and `latency_ms`.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = incoming_request_id(request).unwrap_or_else(|| Uuid::new_v4().to_string());
        let span = tracing::info_span!(
            "request",
            request_id = %request_id,
            method = crate::metrics::method_label(request.method()),
            path = %request.path(),
        );
        let mut extensions = request.extensions_mut();
        extensions.insert(RequestId(request_id));
        extensions.insert(Arrived(Instant::now()));
        span
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        let _entered = span.enter();
        match outcome {
            Ok(response) => {
                let latency_ms = response
                    .request()
                    .extensions()
                    .get::<Arrived>()
                    .map(|a| a.0.elapsed().as_secs_f64() * 1000.0);
                tracing::info!(
                    status = response.status().as_u16(),
                    latency_ms,
                    "request completed"
                );
            }
            Err(err) => tracing::info!(
                status = err.as_response_error().status_code().as_u16(),
                "request failed"
            ),
        }
    }
}

/// Middleware: echoes the request id in the `X-Request-Id` response header.
pub async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
    let mut response = next.call(req).await?;
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(response)
}

/// Rewrites any error response that is not already JSON into problem+json,
/// so that actix's own errors (404, 405, CORS refusals, ...) match ours.
pub fn problem_json_errors<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<B>| {
        if is_structured(res.response().headers().get(header::CONTENT_TYPE)) {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let status = res.status();
        let error = match status {
            StatusCode::NOT_FOUND => ApiError::not_found(),
            StatusCode::METHOD_NOT_ALLOWED => ApiError::Status {
                status,
                detail: "This resource does not support the request method.".into(),
            },
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            // A 500 without a problem body is actix's or a panic's; its text stays in the log.
            s if s.is_server_error() => ApiError::Status {
                status,
                detail: "An unexpected error occurred; it has been logged.".into(),
            },
            _ => ApiError::Status {
                status,
                detail: status.canonical_reason().unwrap_or("Error").to_owned() + ".",
            },
        };
        let (req, original) = res.into_parts();
        let mut replacement = error.error_response();
        for (name, value) in original.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                replacement
                    .headers_mut()
                    .insert(name.clone(), value.clone());
            }
        }
        Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(req, replacement).map_into_right_body(),
        ))
    })
}

/// The default service: unknown routes are a 404 problem.
pub async fn not_found(_: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found())
}

/// The default service of a resource: 405 with the `Allow` header RFC 9110
/// requires (`routes::RouteTable` derives the list, e.g. `"GET, POST"`).
pub(crate) fn method_not_allowed(allow: String) -> actix_web::Route {
    actix_web::web::route().to(move || {
        let allow = allow.clone();
        async move {
            let mut response = ApiError::Status {
                status: StatusCode::METHOD_NOT_ALLOWED,
                detail: format!("This resource supports {allow}."),
            }
            .error_response();
            if let Ok(value) = HeaderValue::from_str(&allow) {
                response.headers_mut().insert(header::ALLOW, value);
            }
            response
        }
    })
}

/// Headers on every response. Cache-Control defaults to no-store because
/// most answers are per-user; public handlers may set their own.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CACHE_CONTROL, "no-store"))
}

/// CORS for the configured origins only; others get no CORS headers.
pub fn cors(allowed_origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static(REQUEST_ID_HEADER),
            // Swagger UI sends it with its token request.
            HeaderName::from_static("x-requested-with"),
            // The web app asks for the refresh token as an HttpOnly cookie.
            HeaderName::from_static("x-token-delivery"),
        ])
        .expose_headers([
            HeaderName::from_static("x-total-count"),
            HeaderName::from_static("x-next-cursor"),
            HeaderName::from_static(REQUEST_ID_HEADER),
            header::RETRY_AFTER,
            header::LOCATION,
            header::WWW_AUTHENTICATE,
            header::ETAG,
        ])
        .max_age(3600)
        // Only the listed origins (never a wildcard) may send the refresh
        // cookie; the token endpoints read it only with X-Token-Delivery,
        // which a cross-site form cannot send.
        .supports_credentials();
    for origin in allowed_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// An `App` with everything both services share: the 16 KiB body limit,
/// the 404 default service, CORS, problem+json errors, security headers,
/// HTTP metrics, and request telemetry (outermost, so it sees the final
/// response).
pub fn app<F: FnOnce(&mut actix_web::web::ServiceConfig) + 'static>(
    allowed_origins: &[String],
    configure: F,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + use<F>>,
        Error = actix_web::Error,
        InitError = (),
    > + use<F>,
> {
    actix_web::App::new()
        .app_data(crate::extract::payload_config())
        .configure(configure)
        .default_service(actix_web::web::to(not_found))
        .wrap(cors(allowed_origins))
        .wrap(problem_json_errors())
        .wrap(security_headers())
        .wrap(actix_web::middleware::from_fn(crate::metrics::record_http))
        .wrap(actix_web::middleware::from_fn(request_id_header))
        .wrap(TracingLogger::<RequestSpan>::new())
}

/// 200 with a JSON array: each item shaped by `view` (a response type's
/// `from`).
pub fn json_list<T, V: serde::Serialize>(
    items: impl IntoIterator<Item = T>,
    view: impl FnMut(T) -> V,
) -> HttpResponse {
    HttpResponse::Ok().json(items.into_iter().map(view).collect::<Vec<_>>())
}
