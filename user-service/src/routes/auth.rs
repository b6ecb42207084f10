//! Registration, logout, password reset and email verification.

use actix_web::{HttpResponse, web};
use common::auth::AuthenticatedUser;
use common::error::{ApiError, FieldError, ProblemDetails};
use common::extract::Json;
use mongodb::Database;
use serde::Deserialize;
use utoipa::ToSchema;

use super::AuthState;
use crate::domain::password_policy::NewPassword;
use crate::domain::tokens::hash_token;
use crate::domain::user::{User, UserEmail, UserResponse};
use crate::mailer::{MailKind, OutgoingMail};
use crate::storage::action_tokens::{self, TokenPurpose};
use crate::storage::{refresh_tokens, users};

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

/// Parses an email and a new password, reporting both fields' errors at once.
pub(crate) fn parse_credentials(
    email: &str,
    password: &str,
) -> Result<(UserEmail, NewPassword), ApiError> {
    let email = UserEmail::parse(email);
    let password = NewPassword::parse(
        "password",
        password,
        email.as_ref().map(|e| e.as_str()).unwrap_or(""),
    );
    match (email, password) {
        (Ok(email), Ok(password)) => Ok((email, password)),
        (email, password) => Err(ApiError::Validation(
            [email.err(), password.err()]
                .into_iter()
                .flatten()
                .collect::<Vec<FieldError>>(),
        )),
    }
}

/// Register
#[utoipa::path(post, path = "/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = UserResponse),
        (status = 400, description = "Malformed JSON", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The email is already registered (in any letter case)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "Body over 16 KiB", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid email or password, or an unknown field", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn register(
    db: web::Data<Database>,
    state: web::Data<AuthState>,
    Json(body): Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let (email, password) = parse_credentials(&body.email, &body.password)?;
    if users::find_by_email(&db, email.as_str()).await?.is_some() {
        return Err(users::email_taken());
    }
    let user = User::new(email, state.hasher.hash(password.expose()).await?);
    // The unique index settles races between concurrent registrations.
    users::insert(&db, &user).await?;
    tracing::info!(user_id = %user.id, "registered");
    Ok(HttpResponse::Created().json(UserResponse::try_from(&user)?))
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
/// Give `refresh_token`, or `"all": true`; otherwise 422. Revokes the presented refresh token's family, or with `{"all": true}`
/// every refresh token of the caller. Access tokens already issued stay
/// valid until they expire (at most `ACCESS_TOKEN_TTL_SECONDS`).
#[utoipa::path(post, path = "/auth/jwt/logout", tag = "auth",
    request_body = LogoutRequest,
    security(("oauth2_password" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Missing or invalid access token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Neither refresh_token nor all=true", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn logout(
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    state: web::Data<AuthState>,
    Json(body): Json<LogoutRequest>,
) -> Result<HttpResponse, ApiError> {
    let user_id = caller.id.to_string();
    if body.refresh_token.as_deref() == Some("") {
        return Err(ApiError::validation("refresh_token", "must not be empty"));
    }
    if body.all {
        refresh_tokens::revoke_all_for_user(&db, &user_id).await?;
    } else {
        let Some(presented) = body.refresh_token else {
            return Err(ApiError::validation(
                "refresh_token",
                "is required unless all is true",
            ));
        };
        // Someone else's or an unknown token: nothing to do, and nothing said.
        if let Some(token) = refresh_tokens::find(&db, &hash_token(&presented)).await?
            && token.user_id == user_id
        {
            refresh_tokens::revoke_family(&db, &token.family_id, state.refresh_token_ttl).await?;
        }
    }
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com"}))]
pub struct EmailRequest {
    pub email: String,
}

/// Issues a token and mails it in the background, so the answer's content
/// and timing are the same whether or not the account exists.
fn mail_token_in_background(
    db: web::Data<Database>,
    state: web::Data<AuthState>,
    email: String,
    purpose: TokenPurpose,
) {
    actix_web::rt::spawn(async move {
        let result: Result<(), ApiError> = async {
            let Some(user) = users::find_by_email(&db, &UserEmail::normalize(&email)).await? else {
                return Ok(());
            };
            if !user.is_active || (purpose == TokenPurpose::VerifyEmail && user.is_verified) {
                return Ok(());
            }
            let token = action_tokens::issue(&db, purpose, &user.id, &user.email).await?;
            let kind = match purpose {
                TokenPurpose::ResetPassword => MailKind::PasswordReset,
                TokenPurpose::VerifyEmail => MailKind::EmailVerification,
            };
            state
                .mailer
                .send(OutgoingMail {
                    to: user.email.clone(),
                    kind,
                    token,
                })
                .await;
            Ok(())
        }
        .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "issuing an emailed token failed");
        }
    });
}

/// Forgot password
///
/// Always 202. When an active account has this email, a single-use reset
/// token valid for one hour is mailed to it.
#[utoipa::path(post, path = "/auth/forgot-password", tag = "auth",
    request_body = EmailRequest,
    responses(
        (status = 202, description = "Accepted (whether or not the account exists)"),
        (status = 422, description = "Invalid body", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn forgot_password(
    db: web::Data<Database>,
    state: web::Data<AuthState>,
    Json(body): Json<EmailRequest>,
) -> Result<HttpResponse, ApiError> {
    mail_token_in_background(db, state, body.email, TokenPurpose::ResetPassword);
    Ok(HttpResponse::Accepted().finish())
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

fn bad_token() -> ApiError {
    ApiError::validation("token", "is invalid, expired or already used")
}

/// Reset password
///
/// Sets a new password with a reset token. The token works once, and every
/// refresh token of the user is revoked.
#[utoipa::path(post, path = "/auth/reset-password", tag = "auth",
    request_body = ResetPasswordRequest,
    responses(
        (status = 200, description = "Password changed", body = UserResponse),
        (status = 422, description = "Invalid, expired or used token, or a password outside the policy", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn reset_password(
    db: web::Data<Database>,
    state: web::Data<AuthState>,
    Json(body): Json<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    // Check the password before using the token up, so a rejected password
    // does not burn the token.
    let token = action_tokens::peek(&db, &body.token, TokenPurpose::ResetPassword)
        .await?
        .ok_or_else(bad_token)?;
    let user = users::find_by_id(&db, &token.user_id)
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(bad_token)?;
    let password = NewPassword::parse("password", &body.password, &user.email)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let hashed = state.hasher.hash(password.expose()).await?;
    if !action_tokens::claim(&db, &token).await? {
        return Err(bad_token());
    }
    let user = users::update(
        &db,
        &user.id,
        bson::doc! { "hashed_password": hashed, "failed_logins": 0, "locked_until": null },
    )
    .await?
    .ok_or_else(bad_token)?;
    refresh_tokens::revoke_all_for_user(&db, &user.id).await?;
    tracing::info!(user_id = %user.id, "password reset");
    Ok(HttpResponse::Ok().json(UserResponse::try_from(&user)?))
}

/// Request a verification token
///
/// Always 202. When an active, unverified account has this email, a
/// verification token (valid 24 hours) is mailed to it.
#[utoipa::path(post, path = "/auth/request-verify-token", tag = "auth",
    request_body = EmailRequest,
    responses(
        (status = 202, description = "Accepted (whether or not the account exists)"),
        (status = 422, description = "Invalid body", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn request_verify_token(
    db: web::Data<Database>,
    state: web::Data<AuthState>,
    Json(body): Json<EmailRequest>,
) -> Result<HttpResponse, ApiError> {
    mail_token_in_background(db, state, body.email, TokenPurpose::VerifyEmail);
    Ok(HttpResponse::Accepted().finish())
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
        (status = 422, description = "Invalid, expired or used token", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn verify(
    db: web::Data<Database>,
    Json(body): Json<VerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = action_tokens::consume(&db, &body.token, TokenPurpose::VerifyEmail)
        .await?
        .ok_or_else(bad_token)?;
    let user = users::find_by_id(&db, &token.user_id)
        .await?
        .ok_or_else(bad_token)?;
    // The address changed since the mail went out: that token proves nothing now.
    if user.email != token.email {
        return Err(bad_token());
    }
    let user = users::update(&db, &user.id, bson::doc! { "is_verified": true })
        .await?
        .ok_or_else(bad_token)?;
    Ok(HttpResponse::Ok().json(UserResponse::try_from(&user)?))
}
