//! Registration, logout, password reset and email verification.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use common::auth::MaybeAuthenticatedUser;
use common::error::{ApiError, ProblemDetails};
use common::extract::Json;
use serde::Deserialize;
use utoipa::{IntoResponses, ToSchema};

use tracing::Instrument;

use super::HttpPolicy;
use super::oauth::{REFRESH_COOKIE, cleared_refresh_cookie, wants_cookie};
use super::users::UserResponse;
use crate::domain::tokens::TokenPurpose;
use crate::service::ServiceContext;
use crate::service::accounts;
use crate::service::sessions::{self, Logout};

/// Registration, logout and the mailed-token flows.
pub fn routes() -> common::routes::RouteTable {
    common::routes![
        register,
        logout,
        forgot_password,
        reset_password,
        request_verify_token,
        verify
    ]
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse battery staple"}))]
pub struct RegisterRequest {
    /// Trimmed and lower-cased; at most 254 characters.
    #[schema(max_length = 254, format = Email)]
    pub email: String,
    /// 8 to 128 characters of any kind; not the email address.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
}

/// Register
///
/// Rate-limited per client (`SENSITIVE_RATE_LIMIT_PER_MINUTE`).
#[utoipa::path(post, path = "/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = UserResponse),
        (status = 409, description = "The email is already registered (in any letter case)", body = ProblemDetails),
        (status = 422, description = "Invalid email, a password that is too short, too long or too easy to guess, or an unknown field", body = ProblemDetails),
        (status = 429, description = "Too many requests from this client; see Retry-After", body = ProblemDetails),
        (status = 503, description = "Database unavailable, or password hashing saturated; see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all)]
pub async fn register(
    req: HttpRequest,
    context: web::Data<ServiceContext>,
    policy: web::Data<HttpPolicy>,
    Json(body): Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    policy.sensitive_limit(&req)?;
    let user = accounts::register(&context.db, &context, &body.email, &body.password).await?;
    Ok(HttpResponse::Created().json(UserResponse::from(&user)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "q0Jm7k3Zr1x4s8C5h2Vd9LwP6nB0tYeG1uI3oA7sE4f"}))]
pub struct LogoutRequest {
    /// The session to end (its whole token family is revoked).
    #[schema(min_length = 1)]
    pub refresh_token: Option<String>,
    /// `true` ends every session of the user.
    #[serde(default)]
    pub all: bool,
}

/// Log out
///
/// Ends the login of a refresh token: give `refresh_token`, or (with
/// `X-Token-Delivery: cookie`) send the refresh cookie. The token itself
/// authorizes this, so no access token is needed (one that has expired is
/// ignored). `"all": true` ends every session of the caller instead, and
/// needs a valid access token. Refreshes in flight are ended too. The
/// refresh cookie is cleared on every answer, errors included. Access
/// tokens already issued stay valid until they expire (at most
/// `ACCESS_TOKEN_TTL_SECONDS`; user-service itself refuses them at once).
#[utoipa::path(post, path = "/auth/jwt/logout", tag = "auth",
    request_body = LogoutRequest,
    params(("X-Token-Delivery" = Option<String>, Header, description = "`cookie`: read the refresh token from the refresh cookie")),
    security((), ("oauth2_password" = [])),
    responses(
        (status = 204, description = "Logged out (an unknown token ends nothing and says nothing)"),
        (status = 401, description = "`all: true` without a valid access token", body = ProblemDetails),
        (status = 422, description = "Neither refresh_token, a refresh cookie, nor all=true", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all)]
pub async fn logout(
    req: HttpRequest,
    MaybeAuthenticatedUser(caller): MaybeAuthenticatedUser,
    context: web::Data<ServiceContext>,
    policy: web::Data<HttpPolicy>,
    Json(body): Json<LogoutRequest>,
) -> HttpResponse {
    let cookie = wants_cookie(&req)
        .then(|| req.cookie(REFRESH_COOKIE).map(|c| c.value().to_owned()))
        .flatten()
        .filter(|v| !v.is_empty());
    let outcome = match logout_request(body, cookie, caller.map(|c| c.id)) {
        Ok(logout) => sessions::logout(&context.db, logout)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    let mut response = match outcome {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => e.error_response(),
    };
    // Whatever happened, the browser holds no refresh token afterwards.
    if let Err(e) = response.add_cookie(&cleared_refresh_cookie(&policy)) {
        tracing::error!(error = %e, "clearing the refresh cookie failed");
    }
    response
}

/// What a logout body and cookie ask for.
fn logout_request(
    body: LogoutRequest,
    cookie: Option<String>,
    caller: Option<common::ids::UserId>,
) -> Result<Logout, ApiError> {
    if body.refresh_token.as_deref() == Some("") {
        return Err(ApiError::validation("refresh_token", "must not be empty"));
    }
    if body.all {
        return match caller {
            Some(user_id) => Ok(Logout::Everywhere(user_id)),
            None => Err(ApiError::Unauthorized {
                token_sent: false,
                detail: "Ending every session needs a valid access token.".into(),
            }),
        };
    }
    match body.refresh_token.or(cookie) {
        Some(refresh_token) => Ok(Logout::Session {
            refresh_token,
            caller,
        }),
        None => Err(ApiError::validation(
            "refresh_token",
            "is required unless all is true",
        )),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com"}))]
pub struct EmailRequest {
    pub email: String,
}

/// A request for a mailed token: the address, from a client within the
/// sensitive limit (checked after the body, 429 past it).
pub struct MailRequest {
    requester: std::net::IpAddr,
    context: web::Data<ServiceContext>,
    email: String,
}

impl FromRequest for MailRequest {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = Json::<EmailRequest>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let Json(body) = body.await?;
            let (Some(policy), Some(context)) = (
                req.app_data::<web::Data<HttpPolicy>>(),
                req.app_data::<web::Data<ServiceContext>>(),
            ) else {
                return Err(ApiError::internal(
                    "the policy or the service context is not registered as app data",
                ));
            };
            Ok(Self {
                requester: policy.sensitive_limit(&req)?,
                context: context.clone(),
                email: body.email,
            })
        })
    }
}

impl MailRequest {
    /// Issues a token and mails it in the background, so the answer's
    /// content and timing are the same whether or not the account exists or
    /// its mail quota is used up. The task keeps the request's span, so its
    /// log lines carry the request id.
    fn accept(self, purpose: TokenPurpose) -> HttpResponse {
        let Self {
            requester,
            context,
            email,
        } = self;
        let task = async move {
            if let Err(e) =
                accounts::mail_token(&context.db, &context, &email, purpose, requester).await
            {
                tracing::error!(error = %common::error::cause_chain(&e), "issuing an emailed token failed");
            }
        };
        actix_web::rt::spawn(task.instrument(tracing::Span::current()));
        HttpResponse::Accepted().finish()
    }
}

/// The answers of a request for a mailed token.
#[derive(IntoResponses)]
pub enum MailAnswers {
    #[response(
        status = 202,
        description = "Accepted (whether or not the account exists or a mail was sent)"
    )]
    Accepted,
    #[response(
        status = 429,
        description = "Too many requests from this client; see Retry-After"
    )]
    TooManyRequests(ProblemDetails),
}

/// Forgot password
///
/// Always 202. When an active account has this email, a single-use reset
/// token valid for one hour is mailed to it: at most three mails an hour to
/// one address for each requesting client, and ten an hour to one address
/// in all. Rate-limited per client.
#[utoipa::path(post, path = "/auth/forgot-password", tag = "auth",
    request_body = EmailRequest,
    responses(MailAnswers))]
#[tracing::instrument(skip_all)]
pub async fn forgot_password(mail: MailRequest) -> HttpResponse {
    mail.accept(TokenPurpose::ResetPassword)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "k3Zr1x4s8C5h2Vd9LwP6nB0tYeG1uI3oA7sE4fq0Jm7", "password": "a new long passphrase"}))]
pub struct ResetPasswordRequest {
    /// The token from the reset mail.
    pub token: String,
    /// The new password (same policy as registration).
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
}

/// Reset password
///
/// Sets a new password with a reset token. The token works once and only
/// while the account's email is the one it was mailed to; the reset ends
/// every session and invalidates every other reset token.
#[utoipa::path(post, path = "/auth/reset-password", tag = "auth",
    request_body = ResetPasswordRequest,
    responses(
        (status = 200, description = "Password changed", body = UserResponse),
        (status = 422, description = "Invalid, expired or used token, or a password outside the policy", body = ProblemDetails),
        (status = 503, description = "Database unavailable, or password hashing saturated; see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all)]
pub async fn reset_password(
    context: web::Data<ServiceContext>,
    Json(body): Json<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = accounts::reset_password(&context.db, &context, &body.token, &body.password).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(&user)))
}

/// Request a verification token
///
/// Always 202. When an active, unverified account has this email, a
/// verification token (valid 24 hours) is mailed to it, within the same
/// mail quotas as a reset. Rate-limited per client.
#[utoipa::path(post, path = "/auth/request-verify-token", tag = "auth",
    request_body = EmailRequest,
    responses(MailAnswers))]
#[tracing::instrument(skip_all)]
pub async fn request_verify_token(mail: MailRequest) -> HttpResponse {
    mail.accept(TokenPurpose::VerifyEmail)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "k3Zr1x4s8C5h2Vd9LwP6nB0tYeG1uI3oA7sE4fq0Jm7"}))]
pub struct VerifyRequest {
    pub token: String,
}

/// Verify an email address
#[utoipa::path(post, path = "/auth/verify", tag = "auth",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "Verified", body = UserResponse),
        (status = 422, description = "Invalid, expired or used token", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all)]
pub async fn verify(
    context: web::Data<ServiceContext>,
    Json(body): Json<VerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = accounts::verify_email(&context.db, &body.token).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(&user)))
}
