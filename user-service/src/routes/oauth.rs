//! The OAuth2 token endpoints (RFC 6749): form-encoded requests, and errors
//! in the RFC's own `{error, error_description}` format rather than problem+json.
//!
//! Browsers may ask (header `X-Token-Delivery: cookie`) for the refresh token
//! in an `HttpOnly` cookie instead of the body, so page scripts never see it;
//! the refresh endpoint then reads it from that cookie. Other clients are
//! unaffected.

use std::net::IpAddr;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::error::UrlencodedError;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use common::error::{ApiError, ProblemDetails};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use common::ids::OrgId;
use common::metrics::Metrics;

use super::HttpPolicy;
use crate::service::ServiceContext;
use crate::service::sessions::{self, Issued, LOGINS, LoginRefused, REFRESHES, RefreshRefused};

/// The OAuth2 token endpoints (their forms read with [`form_config`]).
pub fn routes() -> common::routes::RouteTable {
    common::routes![login, refresh]
}

pub const TOKEN_DELIVERY_HEADER: &str = "x-token-delivery";
pub const REFRESH_COOKIE: &str = "refresh_token";
/// The cookie goes only to the token endpoints.
pub const REFRESH_COOKIE_PATH: &str = "/auth/jwt";

/// RFC 6749 §5.2 error codes this server uses.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidGrant,
    UnsupportedGrantType,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": "invalid_grant", "error_description": "The email or password is incorrect."}))]
pub struct OAuthErrorBody {
    pub error: OAuthErrorCode,
    pub error_description: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenEndpointError {
    #[error("{1}")]
    OAuth(OAuthErrorCode, String),
    /// Rate limits, outages and internal errors stay problem+json.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl TokenEndpointError {
    fn invalid_request(description: &str) -> Self {
        Self::OAuth(OAuthErrorCode::InvalidRequest, description.to_owned())
    }
    fn invalid_grant(description: &str) -> Self {
        Self::OAuth(OAuthErrorCode::InvalidGrant, description.to_owned())
    }
}

impl ResponseError for TokenEndpointError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::OAuth(..) => StatusCode::BAD_REQUEST,
            Self::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::OAuth(code, description) => HttpResponse::BadRequest()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header((header::PRAGMA, "no-cache"))
                .json(OAuthErrorBody {
                    error: *code,
                    error_description: description.clone(),
                }),
            Self::Api(e) => e.error_response(),
        }
    }
}

/// The form configuration of both token endpoints: a body that is not a
/// form answers `invalid_request` (RFC 6749), an oversized one 413.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(common::extract::MAX_BODY_BYTES)
        .error_handler(|err, _req| {
            let error = match err {
                UrlencodedError::Overflow { .. } => {
                    TokenEndpointError::Api(ApiError::PayloadTooLarge)
                }
                UrlencodedError::ContentType => TokenEndpointError::invalid_request(
                    "The request must be application/x-www-form-urlencoded.",
                ),
                _ => TokenEndpointError::invalid_request("The form could not be parsed."),
            };
            error.into()
        })
}

/// `grant_type` of the password grant.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum PasswordGrantType {
    Password,
}

/// `grant_type` of the refresh grant.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum RefreshGrantType {
    RefreshToken,
}

/// The login form. Fields are optional here so that a missing one becomes
/// `invalid_request`, as RFC 6749 wants; unknown fields (`client_id`, ...)
/// are ignored.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct LoginForm {
    /// `password`, or left out.
    #[schema(value_type = Option<PasswordGrantType>)]
    pub grant_type: Option<String>,
    /// The email address.
    #[schema(required = true, value_type = String, example = "ada@example.com")]
    pub username: Option<String>,
    #[schema(required = true, value_type = String, example = "correct horse battery staple")]
    pub password: Option<String>,
    /// Accepted and ignored.
    pub scope: Option<String>,
    /// The organization the tokens act in (one of `GET /orgs`); the
    /// personal organization when left out. Not a member: 403.
    #[schema(value_type = Option<String>, format = Uuid, example = "7d3c9a1e-5b2f-4e8d-a6c0-1f2e3d4c5b6a")]
    pub org_id: Option<String>,
}

/// The refresh form.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RefreshForm {
    #[schema(required = true, value_type = RefreshGrantType)]
    pub grant_type: Option<String>,
    /// The refresh token; may be left out when sent in the `refresh_token`
    /// cookie with `X-Token-Delivery: cookie`.
    #[schema(example = "q0Jm7k3Zr1x4s8C5h2Vd9LwP6nB0tYeG1uI3oA7sE4f")]
    pub refresh_token: Option<String>,
    /// Accepted and ignored.
    pub scope: Option<String>,
    /// Switch to this organization; left out, the new token acts where the
    /// login last did. The membership is read again on every refresh: not
    /// (or no longer) a member, 403 and the refresh token stays usable.
    #[schema(value_type = Option<String>, format = Uuid, example = "7d3c9a1e-5b2f-4e8d-a6c0-1f2e3d4c5b6a")]
    pub org_id: Option<String>,
}

/// The form's `org_id`: `invalid_request` unless a UUID.
fn org_field(raw: Option<&str>) -> Result<Option<OrgId>, TokenEndpointError> {
    raw.filter(|v| !v.trim().is_empty())
        .map(|v| {
            OrgId::parse("org_id", v)
                .map_err(|_| TokenEndpointError::invalid_request("org_id must be a UUID."))
        })
        .transpose()
}

fn not_a_member() -> TokenEndpointError {
    ApiError::Forbidden("You are not a member of this organization.".into()).into()
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9...",
    "token_type": "bearer",
    "expires_in": 900,
    "refresh_token": "q0Jm7k3Zr1x4s8C5h2Vd9LwP6nB0tYeG1uI3oA7sE4f"
}))]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Access-token lifetime in seconds.
    pub expires_in: u64,
    /// Single use: each refresh returns a new one. Absent when the request
    /// asked for cookie delivery (`X-Token-Delivery: cookie`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

pub fn wants_cookie(req: &HttpRequest) -> bool {
    req.headers()
        .get(TOKEN_DELIVERY_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("cookie"))
}

fn refresh_cookie(policy: &HttpPolicy, value: String, max_age_seconds: i64) -> Cookie<'static> {
    Cookie::build(REFRESH_COOKIE, value)
        .path(REFRESH_COOKIE_PATH)
        .http_only(true)
        .secure(policy.refresh_cookie_secure)
        .same_site(SameSite::Strict)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age_seconds))
        .finish()
}

/// The cookie that removes the refresh cookie (logout).
pub fn cleared_refresh_cookie(policy: &HttpPolicy) -> Cookie<'static> {
    refresh_cookie(policy, String::new(), 0)
}

fn token_response(req: &HttpRequest, policy: &HttpPolicy, issued: Issued) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    let refresh_token = if wants_cookie(req) {
        response.cookie(refresh_cookie(
            policy,
            issued.refresh_token,
            policy.refresh_cookie_max_age_seconds,
        ));
        None
    } else {
        Some(issued.refresh_token)
    };
    response.json(TokenResponse {
        access_token: issued.access_token,
        token_type: "bearer".into(),
        expires_in: issued.expires_in,
        refresh_token,
    })
}

/// The per-client login limit (`LOGIN_RATE_LIMIT_*`).
fn login_rate_limit(
    policy: &HttpPolicy,
    metrics: &Metrics,
    client: IpAddr,
) -> Result<(), TokenEndpointError> {
    policy
        .login_limiter
        .check(&client)
        .map_err(|retry_after_seconds| {
            metrics.record(|| metrics::counter!(LOGINS, "outcome" => "rate_limited").increment(1));
            tracing::warn!(%client, "login rate limit exceeded");
            TokenEndpointError::Api(ApiError::TooManyRequests {
                retry_after_seconds,
            })
        })
}

const BAD_CREDENTIALS: &str = "The email or password is incorrect.";

/// Log in (OAuth2 password grant)
///
/// The same `invalid_grant` answers a wrong password, an unknown email, an
/// inactive or a locked account, in about the same time. Rate-limited per
/// client. Ten wrong passwords in a row from one client lock that client
/// out of the account for a minute, doubling with each lock; a hundred in
/// a row from all clients together lock the account until a password
/// reset. With `X-Token-Delivery: cookie` the refresh token comes as an
/// `HttpOnly` cookie instead of in the body.
#[utoipa::path(post, path = "/auth/jwt/login", tag = "auth",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    params(("X-Token-Delivery" = Option<String>, Header, description = "`cookie`: the refresh token is set as an HttpOnly cookie (path /auth/jwt) and left out of the body")),
    responses(
        (status = 200, description = "Tokens issued", body = TokenResponse),
        (status = 400, description = "invalid_request, invalid_grant or unsupported_grant_type (RFC 6749 §5.2)", body = OAuthErrorBody),
        (status = 403, description = "The credentials are right, but the user is not a member of `org_id`", body = ProblemDetails),
        (status = 413, description = "The form is over 16 KiB", body = ProblemDetails),
        (status = 429, description = "Too many attempts from this client; see Retry-After", body = ProblemDetails),
        (status = 503, description = "Database unavailable, or password hashing saturated; see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all)]
pub async fn login(
    req: HttpRequest,
    form: web::Form<LoginForm>,
    context: web::Data<ServiceContext>,
    policy: web::Data<HttpPolicy>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, TokenEndpointError> {
    let client = policy.client(&req);
    login_rate_limit(&policy, &metrics, client)?;
    let form = form.into_inner();
    if !matches!(form.grant_type.as_deref(), None | Some("password")) {
        return Err(TokenEndpointError::OAuth(
            OAuthErrorCode::UnsupportedGrantType,
            "This endpoint supports grant_type=password.".into(),
        ));
    }
    let (Some(username), Some(password)) = (form.username, form.password) else {
        return Err(TokenEndpointError::invalid_request(
            "Both username and password are required.",
        ));
    };
    let org = org_field(form.org_id.as_deref())?;
    let outcome = sessions::login(&context.db, &context, &username, &password, client, org).await;
    let label = match &outcome {
        Ok(_) => "success",
        Err(LoginRefused::Invalid) => "invalid",
        Err(LoginRefused::Locked) => "locked",
        Err(LoginRefused::NotMember) => "not_member",
        Err(LoginRefused::Failed(_)) => "error",
    };
    metrics.record(|| metrics::counter!(LOGINS, "outcome" => label).increment(1));
    match outcome {
        Ok(issued) => Ok(token_response(&req, &policy, issued)),
        Err(LoginRefused::Invalid | LoginRefused::Locked) => {
            Err(TokenEndpointError::invalid_grant(BAD_CREDENTIALS))
        }
        Err(LoginRefused::NotMember) => Err(not_a_member()),
        Err(LoginRefused::Failed(e)) => Err(ApiError::from(e).into()),
    }
}

/// Refresh tokens (OAuth2 refresh_token grant)
///
/// Returns a new access token and a new refresh token; the presented one is
/// used up. Presenting a refresh token that was already used revokes every
/// token of its login (reuse detection). A login's tokens stop working
/// `REFRESH_TOKEN_MAX_LIFETIME_SECONDS` after it, and when the user logs out
/// everywhere or changes the password. Each login may refresh
/// `REFRESH_RATE_LIMIT_PER_MINUTE` times a minute (429 with `Retry-After`;
/// the token stays usable), whatever address it comes from. With
/// `X-Token-Delivery: cookie`, the token is read from and written to the
/// `refresh_token` cookie.
#[utoipa::path(post, path = "/auth/jwt/refresh", tag = "auth",
    request_body(content = RefreshForm, content_type = "application/x-www-form-urlencoded"),
    params(("X-Token-Delivery" = Option<String>, Header, description = "`cookie`: read the refresh token from the cookie and set its successor there")),
    responses(
        (status = 200, description = "Tokens issued", body = TokenResponse),
        (status = 400, description = "invalid_request, invalid_grant or unsupported_grant_type (RFC 6749 §5.2)", body = OAuthErrorBody),
        (status = 403, description = "Not (or no longer) a member of the organization; the refresh token stays usable", body = ProblemDetails),
        (status = 413, description = "The form is over 16 KiB", body = ProblemDetails),
        (status = 429, description = "This login refreshed too often; see Retry-After (the token is not used up)", body = ProblemDetails),
        (status = 503, description = "Database unavailable", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all)]
pub async fn refresh(
    req: HttpRequest,
    form: web::Form<RefreshForm>,
    context: web::Data<ServiceContext>,
    policy: web::Data<HttpPolicy>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, TokenEndpointError> {
    let form = form.into_inner();
    match form.grant_type.as_deref() {
        Some("refresh_token") => {}
        None => {
            return Err(TokenEndpointError::invalid_request(
                "grant_type=refresh_token is required.",
            ));
        }
        Some(_) => {
            return Err(TokenEndpointError::OAuth(
                OAuthErrorCode::UnsupportedGrantType,
                "This endpoint supports grant_type=refresh_token.".into(),
            ));
        }
    }
    let from_cookie = || {
        wants_cookie(&req)
            .then(|| req.cookie(REFRESH_COOKIE).map(|c| c.value().to_owned()))
            .flatten()
            .filter(|v| !v.is_empty())
    };
    let Some(presented) = form.refresh_token.or_else(from_cookie) else {
        return Err(TokenEndpointError::invalid_request(
            "refresh_token is required.",
        ));
    };
    const INVALID: &str = "The refresh token is invalid, expired or revoked.";
    let org = org_field(form.org_id.as_deref())?;
    let outcome = sessions::refresh(&context.db, &context, &presented, org).await;
    let label = match &outcome {
        Ok(_) => "success",
        Err(RefreshRefused::Invalid) => "invalid",
        Err(RefreshRefused::ReuseDetected) => "reuse_detected",
        Err(RefreshRefused::RateLimited { .. }) => "rate_limited",
        Err(RefreshRefused::NotMember) => "not_member",
        Err(RefreshRefused::Failed(_)) => "error",
    };
    metrics.record(|| metrics::counter!(REFRESHES, "outcome" => label).increment(1));
    match outcome {
        Ok(issued) => Ok(token_response(&req, &policy, issued)),
        Err(RefreshRefused::Invalid | RefreshRefused::ReuseDetected) => {
            Err(TokenEndpointError::invalid_grant(INVALID))
        }
        Err(RefreshRefused::RateLimited {
            retry_after_seconds,
        }) => Err(ApiError::TooManyRequests {
            retry_after_seconds,
        }
        .into()),
        Err(RefreshRefused::NotMember) => Err(not_a_member()),
        Err(RefreshRefused::Failed(e)) => Err(ApiError::from(e).into()),
    }
}
