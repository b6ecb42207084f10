//! `/users/me` (self-service) and `/users` (superuser administration).

use std::net::IpAddr;

use actix_web::{HttpRequest, HttpResponse, web};
use common::auth::AuthenticatedUser;
use common::error::{ApiError, ProblemDetails};
use common::extract::{Json, Query};
use common::pagination::{Page, with_total_count};
use mongodb::Database;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::client_address::client_key;
use crate::domain::user::{User, UserResponse, parse_user_id};
use crate::service::AuthState;
use crate::service::accounts::{self, AccountChanges};
use crate::storage::users;

/// The caller's account. A token of a deleted or deactivated user is
/// refused, and so is one from before the user's sessions were ended
/// (logout everywhere, a password change or reset): its session generation
/// is older than the account's.
async fn current_user(db: &Database, caller: &AuthenticatedUser) -> Result<User, ApiError> {
    match users::find_by_id(db, &caller.id.to_string()).await? {
        Some(user) if user.is_active && user.session_generation == caller.session_generation => {
            Ok(user)
        }
        Some(user) if user.is_active => Err(ApiError::Unauthorized {
            token_sent: true,
            detail: "The session of this access token has ended; log in again.".into(),
        }),
        _ => Err(ApiError::Unauthorized {
            token_sent: true,
            detail: "The account no longer exists or is deactivated.".into(),
        }),
    }
}

/// The limits of `PATCH` and `DELETE /users/me`: per account
/// (`ACCOUNT_RATE_LIMIT_*`), so no account can take more than its share of
/// password hashing or probe which emails are taken, and per client
/// (`SENSITIVE_RATE_LIMIT_*`).
fn self_service_limits(
    state: &AuthState,
    req: &HttpRequest,
    caller: &AuthenticatedUser,
) -> Result<IpAddr, ApiError> {
    let client = client_key(req, &state.trusted_proxies);
    let limited = |retry_after_seconds| {
        tracing::warn!(user_id = %caller.id, %client, "self-service rate limit exceeded");
        ApiError::TooManyRequests {
            retry_after_seconds,
        }
    };
    state.account_limiter.check(&caller.id).map_err(limited)?;
    state.sensitive_limiter.check(&client).map_err(limited)?;
    Ok(client)
}

/// Superuser by the token's claim AND by the database now (the claim may be
/// up to one token lifetime stale).
async fn require_superuser(db: &Database, caller: &AuthenticatedUser) -> Result<User, ApiError> {
    caller.require_superuser()?;
    let user = current_user(db, caller).await?;
    if !user.is_superuser {
        return Err(ApiError::forbidden());
    }
    Ok(user)
}

fn ok_user(user: &User) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(UserResponse::try_from(user)?))
}

/// The current user
#[utoipa::path(get, path = "/users/me", tag = "users",
    security(("oauth2_password" = [])),
    responses(
        (status = 200, description = "The caller's account", body = UserResponse),
        (status = 401, description = "Missing or invalid token, or the account is gone or deactivated", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get_me(
    caller: AuthenticatedUser,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    ok_user(&current_user(&db, &caller).await?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada.lovelace@example.com", "current_password": "correct horse battery staple"}))]
pub struct UpdateMeRequest {
    /// A new email; it resets `is_verified`.
    pub email: Option<String>,
    /// A new password; it revokes every refresh token of the account.
    #[schema(min_length = 8, max_length = 128)]
    pub password: Option<String>,
    /// Required for any change.
    pub current_password: String,
}

/// Update the current user
///
/// Needs `current_password`; a wrong one counts toward the lockout like a
/// failed login. Limited per account and per client (429 with
/// `Retry-After`).
#[utoipa::path(patch, path = "/users/me", tag = "users",
    security(("oauth2_password" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "Updated", body = UserResponse),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The new email is taken", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Wrong current password (it counts toward the lockout), nothing to change, a password that is too easy to guess, invalid values or unknown fields", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many changes for this account or from this client; see Retry-After", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable, or password hashing saturated; see Retry-After", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn update_me(
    req: HttpRequest,
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    state: web::Data<AuthState>,
    Json(body): Json<UpdateMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let client = self_service_limits(&state, &req, &caller)?;
    let user = current_user(&db, &caller).await?;
    if body.email.is_none() && body.password.is_none() {
        return Err(ApiError::validation(
            "body",
            "give an email or a password to change",
        ));
    }
    accounts::check_current_password(&db, &state, &user, client, &body.current_password).await?;
    let changes = AccountChanges {
        email: body.email,
        password: body.password,
        ..Default::default()
    };
    let updated = accounts::apply_changes(&db, &state, &user, changes).await?;
    ok_user(&updated)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "correct horse battery staple"}))]
pub struct DeleteMeRequest {
    pub current_password: String,
}

/// Delete the current user
///
/// Deletes the account and all its tokens. Usage records in carbon-service
/// are not touched: erase them first with `DELETE /usages?confirm=true`
/// there (which needs a login within the last five minutes). A wrong `current_password` counts toward the account lockout. The
/// last active superuser cannot delete itself (409).
#[utoipa::path(delete, path = "/users/me", tag = "users",
    security(("oauth2_password" = [])),
    request_body = DeleteMeRequest,
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The caller is the last active superuser", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Wrong or missing current password", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts for this account or from this client; see Retry-After", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable, or password hashing saturated; see Retry-After", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete_me(
    req: HttpRequest,
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    state: web::Data<AuthState>,
    Json(body): Json<DeleteMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let client = self_service_limits(&state, &req, &caller)?;
    let user = current_user(&db, &caller).await?;
    accounts::check_current_password(&db, &state, &user, client, &body.current_password).await?;
    accounts::delete_account(&db, &user).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Page size, 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100, example = 10)]
    pub limit: Option<u32>,
    /// Users to skip, 0 to 100000 (default 0).
    #[param(minimum = 0, maximum = 100000, example = 0)]
    pub offset: Option<u64>,
}

/// List users (superuser)
///
/// Oldest first. `X-Total-Count` carries the number of users.
#[utoipa::path(get, path = "/users", tag = "users",
    security(("oauth2_password" = [])),
    params(ListUsersQuery),
    responses(
        (status = 200, description = "A page of users", body = [UserResponse],
            headers(("X-Total-Count" = u64, description = "Total number of users"))),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not a superuser", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "limit or offset out of range", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list_users(
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    Query(query): Query<ListUsersQuery>,
) -> Result<HttpResponse, ApiError> {
    require_superuser(&db, &caller).await?;
    let page = Page::parse(query.limit, query.offset)?;
    let (found, total) = users::list(&db, page.limit, page.offset).await?;
    let body = found
        .iter()
        .map(UserResponse::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(with_total_count(&mut HttpResponse::Ok(), total).json(body))
}

async fn find_user(db: &Database, raw_id: &str) -> Result<User, ApiError> {
    let id = parse_user_id(raw_id)?;
    users::find_by_id(db, &id.to_string())
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Get a user (superuser)
#[utoipa::path(get, path = "/users/{id}", tag = "users",
    security(("oauth2_password" = [])),
    params(("id" = String, Path, description = "The user's UUID", example = "0b6f1e5c-2f6e-4c1b-9d0a-3c1d2e4f5a6b", format = Uuid)),
    responses(
        (status = 200, description = "The user", body = UserResponse),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not a superuser", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get_user(
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_superuser(&db, &caller).await?;
    ok_user(&find_user(&db, &id).await?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"is_active": false}))]
pub struct AdminUpdateUserRequest {
    pub email: Option<String>,
    pub password: Option<String>,
    pub is_active: Option<bool>,
    pub is_superuser: Option<bool>,
    pub is_verified: Option<bool>,
}

/// Update a user (superuser)
///
/// Deactivating a user or changing their password ends all their sessions.
/// The last active superuser cannot be demoted or deactivated (409).
#[utoipa::path(patch, path = "/users/{id}", tag = "users",
    security(("oauth2_password" = [])),
    params(("id" = String, Path, description = "The user's UUID", format = Uuid)),
    request_body = AdminUpdateUserRequest,
    responses(
        (status = 200, description = "Updated", body = UserResponse),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not a superuser", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The new email is taken, or this would leave no active superuser", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Malformed id, invalid values or unknown fields", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn update_user(
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    state: web::Data<AuthState>,
    id: web::Path<String>,
    Json(body): Json<AdminUpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    require_superuser(&db, &caller).await?;
    let user = find_user(&db, &id).await?;
    let changes = AccountChanges {
        email: body.email,
        password: body.password,
        is_active: body.is_active,
        is_superuser: body.is_superuser,
        is_verified: body.is_verified,
    };
    ok_user(&accounts::apply_changes(&db, &state, &user, changes).await?)
}

/// Delete a user (superuser)
///
/// The last active superuser cannot be deleted (409). The user's usage
/// records live in carbon-service: erase them first there with
/// `DELETE /users/{id}/usages?confirm=true` (the web app's Users page does
/// both).
#[utoipa::path(delete, path = "/users/{id}", tag = "users",
    security(("oauth2_password" = [])),
    params(("id" = String, Path, description = "The user's UUID", format = Uuid)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "Not a superuser", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "This is the last active superuser", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete_user(
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require_superuser(&db, &caller).await?;
    let user = find_user(&db, &id).await?;
    accounts::delete_account(&db, &user).await?;
    Ok(HttpResponse::NoContent().finish())
}
