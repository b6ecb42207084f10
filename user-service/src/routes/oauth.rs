//! The OAuth2 token endpoints (RFC 6749): form-encoded requests, and errors
//! in the RFC's own `{error, error_description}` format rather than problem+json.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use common::error::{ApiError, ProblemDetails};
use common::jwt::TokenSubject;
use mongodb::Database;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AuthState;
use crate::domain::tokens::hash_token;
use crate::domain::user::{User, UserEmail};
use crate::storage::{refresh_tokens, users};

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

/// The form of both token endpoints. Every field is optional here so that a
/// missing one becomes `invalid_request`, as RFC 6749 wants; unknown fields
/// (`client_id`, `scope`, ...) are ignored.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenForm {
    /// `password` for login (optional there), `refresh_token` for refresh.
    #[schema(example = "password")]
    pub grant_type: Option<String>,
    /// The email address (login).
    #[schema(example = "ada@example.com")]
    pub username: Option<String>,
    /// Login.
    #[schema(example = "correct horse battery staple")]
    pub password: Option<String>,
    /// Refresh.
    pub refresh_token: Option<String>,
    /// Accepted and ignored.
    pub scope: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...",
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
    /// Single use: each refresh returns a new one.
    pub refresh_token: String,
}

fn client_ip(req: &HttpRequest) -> IpAddr {
    req.peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

async fn read_form(req: &HttpRequest, body: web::Bytes) -> Result<TokenForm, TokenEndpointError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(TokenEndpointError::invalid_request(
            "The request must be application/x-www-form-urlencoded.",
        ));
    }
    serde_urlencoded::from_bytes(&body)
        .map_err(|_| TokenEndpointError::invalid_request("The form could not be parsed."))
}

fn rate_limit(state: &AuthState, req: &HttpRequest) -> Result<(), TokenEndpointError> {
    state
        .rate_limiter
        .check(client_ip(req))
        .map_err(|retry_after_seconds| {
            tracing::warn!(client = %client_ip(req), "token endpoint rate limit exceeded");
            TokenEndpointError::Api(ApiError::TooManyRequests {
                retry_after_seconds,
            })
        })
}

/// Issues an access token and a refresh token of `family_id`.
async fn token_response(
    db: &Database,
    state: &AuthState,
    user: &User,
    family_id: &str,
) -> Result<HttpResponse, ApiError> {
    let subject = TokenSubject {
        user_id: user.uuid()?,
        email: user.email.clone(),
        superuser: user.is_superuser,
    };
    let ttl = chrono::Duration::seconds(state.access_token_ttl.as_secs() as i64);
    let access = state
        .issuer
        .issue(&subject, ttl)
        .map_err(ApiError::internal)?;
    let refresh_token =
        refresh_tokens::issue(db, &user.id, family_id, state.refresh_token_ttl).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse {
            access_token: access.token,
            token_type: "bearer".into(),
            expires_in: state.access_token_ttl.as_secs(),
            refresh_token,
        }))
}

const BAD_CREDENTIALS: &str = "The email or password is incorrect.";

/// Log in (OAuth2 password grant)
///
/// The same `invalid_grant` answers a wrong password, an unknown email, an
/// inactive or a temporarily locked account, in about the same time.
/// Rate-limited per client IP.
#[utoipa::path(post, path = "/auth/jwt/login", tag = "auth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Tokens issued", body = TokenResponse),
        (status = 400, description = "invalid_request, invalid_grant or unsupported_grant_type (RFC 6749 §5.2)", body = OAuthErrorBody),
        (status = 429, description = "Too many attempts from this client; see Retry-After", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn login(
    req: HttpRequest,
    body: web::Bytes,
    db: web::Data<Database>,
    state: web::Data<AuthState>,
) -> Result<HttpResponse, TokenEndpointError> {
    rate_limit(&state, &req)?;
    let form = read_form(&req, body).await?;
    match form.grant_type.as_deref() {
        None | Some("password") => {}
        Some(_) => {
            return Err(TokenEndpointError::OAuth(
                OAuthErrorCode::UnsupportedGrantType,
                "This endpoint supports grant_type=password.".into(),
            ));
        }
    }
    let (Some(username), Some(password)) = (form.username, form.password) else {
        return Err(TokenEndpointError::invalid_request(
            "Both username and password are required.",
        ));
    };
    let Some(user) = users::find_by_email(&db, &UserEmail::normalize(&username)).await? else {
        state.hasher.verify_dummy(&password).await?;
        return Err(TokenEndpointError::invalid_grant(BAD_CREDENTIALS));
    };
    if user.is_locked() {
        state.hasher.verify_dummy(&password).await?;
        return Err(TokenEndpointError::invalid_grant(BAD_CREDENTIALS));
    }
    if !state
        .hasher
        .verify(&password, &user.hashed_password)
        .await?
    {
        users::record_failed_login(&db, &user).await?;
        return Err(TokenEndpointError::invalid_grant(BAD_CREDENTIALS));
    }
    if !user.is_active {
        return Err(TokenEndpointError::invalid_grant(BAD_CREDENTIALS));
    }
    users::reset_failed_logins(&db, &user).await?;
    tracing::info!(user_id = %user.id, "logged in");
    Ok(token_response(&db, &state, &user, &Uuid::new_v4().to_string()).await?)
}

/// Refresh tokens (OAuth2 refresh_token grant)
///
/// Returns a new access token and a new refresh token; the presented one is
/// used up. Presenting a refresh token that was already used revokes every
/// token of its login (reuse detection). Rate-limited per client IP.
#[utoipa::path(post, path = "/auth/jwt/refresh", tag = "auth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Tokens issued", body = TokenResponse),
        (status = 400, description = "invalid_request, invalid_grant or unsupported_grant_type (RFC 6749 §5.2)", body = OAuthErrorBody),
        (status = 429, description = "Too many attempts from this client; see Retry-After", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn refresh(
    req: HttpRequest,
    body: web::Bytes,
    db: web::Data<Database>,
    state: web::Data<AuthState>,
) -> Result<HttpResponse, TokenEndpointError> {
    rate_limit(&state, &req)?;
    let form = read_form(&req, body).await?;
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
    let Some(presented) = form.refresh_token else {
        return Err(TokenEndpointError::invalid_request(
            "refresh_token is required.",
        ));
    };
    const INVALID: &str = "The refresh token is invalid, expired or revoked.";
    let token = match refresh_tokens::rotate(&db, &hash_token(&presented)).await? {
        refresh_tokens::Rotation::Rotated(token) => token,
        refresh_tokens::Rotation::Reused(token) => {
            tracing::warn!(user_id = %token.user_id, family_id = %token.family_id, "refresh token reuse detected; revoking the family");
            refresh_tokens::revoke_family(&db, &token.family_id, state.refresh_token_ttl).await?;
            return Err(TokenEndpointError::invalid_grant(INVALID));
        }
        refresh_tokens::Rotation::Invalid => {
            return Err(TokenEndpointError::invalid_grant(INVALID));
        }
    };
    let user = match users::find_by_id(&db, &token.user_id).await? {
        Some(user) if user.is_active => user,
        _ => {
            refresh_tokens::revoke_family(&db, &token.family_id, state.refresh_token_ttl).await?;
            return Err(TokenEndpointError::invalid_grant(INVALID));
        }
    };
    Ok(token_response(&db, &state, &user, &token.family_id).await?)
}
