//! `/users/me` (self-service) and `/users` (superuser administration).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use common::error::{ApiError, ProblemDetails};
use common::extract::{Json, Query};
use common::ids::UserId;
use common::pagination::{PageQuery, with_total_count};
use common::validation::Invalid;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::HttpPolicy;
use super::extract::{ActiveSuperuser, CurrentUser};
use crate::domain::user::{EmailPrefix, User};
use crate::service::ServiceContext;
use crate::service::accounts::{self, AccountChanges};

/// `/users/me` and a superuser's `/users`.
pub fn routes() -> common::routes::RouteTable {
    common::routes![
        get_me,
        update_me,
        delete_me,
        list_users,
        get_user,
        update_user,
        delete_user
    ]
}

/// A user as every endpoint returns it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0b6f1e5c-2f6e-4c1b-9d0a-3c1d2e4f5a6b",
    "email": "ada@example.com",
    "is_active": true,
    "is_superuser": false,
    "is_verified": false,
    "created_at": "2026-11-22T10:00:00Z",
    "updated_at": "2026-11-22T10:00:00Z"
}))]
pub struct UserResponse {
    pub id: UserId,
    pub email: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub is_verified: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&User> for UserResponse {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            email: user.email.clone(),
            is_active: user.is_active,
            is_superuser: user.is_superuser,
            is_verified: user.is_verified,
            created_at: user.created_at.to_chrono(),
            updated_at: user.updated_at.to_chrono(),
        }
    }
}

fn ok_user(user: &User) -> HttpResponse {
    HttpResponse::Ok().json(UserResponse::from(user))
}

fn path_id(raw: &str) -> Result<UserId, Invalid> {
    UserId::parse("id", raw).map_err(Invalid::from)
}

/// The limits of `PATCH` and `DELETE /users/me`: per account
/// (`ACCOUNT_RATE_LIMIT_*`), so no account can take more than its share of
/// password hashing or probe which emails are taken, and per client
/// (`SENSITIVE_RATE_LIMIT_*`). Returns the client.
fn self_service_limits(
    policy: &HttpPolicy,
    req: &HttpRequest,
    caller: UserId,
) -> Result<std::net::IpAddr, ApiError> {
    policy
        .account_limiter
        .check(&caller)
        .map_err(|retry_after_seconds| {
            tracing::warn!(user_id = %caller, "self-service rate limit exceeded");
            ApiError::TooManyRequests {
                retry_after_seconds,
            }
        })?;
    policy.sensitive_limit(req)
}

/// The current user
#[utoipa::path(get, path = "/users/me", tag = "users",
    security(("oauth2_password" = [])),
    responses((status = 200, description = "The caller's account", body = UserResponse)))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn get_me(me: CurrentUser) -> HttpResponse {
    ok_user(&me.user)
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
        (status = 409, description = "The new email is taken", body = ProblemDetails),
        (status = 422, description = "Wrong current password (it counts toward the lockout), nothing to change, a password that is too easy to guess, invalid values or unknown fields", body = ProblemDetails),
        (status = 429, description = "Too many changes for this account or from this client; see Retry-After", body = ProblemDetails),
        (status = 503, description = "Database unavailable, or password hashing saturated; see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn update_me(
    req: HttpRequest,
    me: CurrentUser,
    context: web::Data<ServiceContext>,
    policy: web::Data<HttpPolicy>,
    Json(body): Json<UpdateMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let client = self_service_limits(&policy, &req, me.user.id)?;
    let changes = AccountChanges {
        email: body.email,
        password: body.password,
        ..Default::default()
    };
    let updated = accounts::change_own(
        &context.db,
        &context,
        &me.user,
        client,
        &body.current_password,
        changes,
    )
    .await?;
    Ok(ok_user(&updated))
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
/// there (which needs a login within the last five minutes). A wrong
/// `current_password` counts toward the account lockout. The last active
/// superuser cannot delete itself (409).
#[utoipa::path(delete, path = "/users/me", tag = "users",
    security(("oauth2_password" = [])),
    request_body = DeleteMeRequest,
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "The caller is the last active superuser", body = ProblemDetails),
        (status = 422, description = "Wrong or missing current password", body = ProblemDetails),
        (status = 429, description = "Too many attempts for this account or from this client; see Retry-After", body = ProblemDetails),
        (status = 503, description = "Database unavailable, or password hashing saturated; see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn delete_me(
    req: HttpRequest,
    me: CurrentUser,
    context: web::Data<ServiceContext>,
    policy: web::Data<HttpPolicy>,
    Json(body): Json<DeleteMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let client = self_service_limits(&policy, &req, me.user.id)?;
    accounts::delete_own(
        &context.db,
        &context,
        &me.user,
        client,
        &body.current_password,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Which accounts `GET /users` lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilterQuery {
    /// Only the accounts whose email starts with this, ignoring case (up
    /// to 254 characters, such as `ada@`; empty: all).
    #[param(max_length = 254)]
    pub email: Option<String>,
}

/// List users (superuser)
///
/// Oldest first; `email` finds the accounts whose address starts with it.
/// `X-Total-Count` carries the number of matching users.
#[utoipa::path(get, path = "/users", tag = "users",
    security(("oauth2_password" = [])),
    extensions(("x-superuser" = json!(true))),
    params(UserFilterQuery, PageQuery),
    responses(
        (status = 200, description = "A page of users", body = [UserResponse],
            headers(("X-Total-Count" = u64, description = "Total number of matching users"))),
        (status = 422, description = "limit or offset out of range, or an email prefix over 254 characters", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(by = %admin.id))]
pub async fn list_users(
    ActiveSuperuser(admin): ActiveSuperuser,
    context: web::Data<ServiceContext>,
    Query(query): Query<PageQuery>,
    Query(filter): Query<UserFilterQuery>,
) -> Result<HttpResponse, ApiError> {
    let prefix = EmailPrefix::parse(filter.email.as_deref().unwrap_or_default());
    let (page, prefix) = common::validation::both(query.parse(), prefix.map_err(Invalid::from))?;
    let (found, total) = accounts::list(&context.db, prefix.as_ref(), page).await?;
    let body: Vec<UserResponse> = found.iter().map(UserResponse::from).collect();
    Ok(with_total_count(&mut HttpResponse::Ok(), total).json(body))
}

/// Get a user (superuser)
#[utoipa::path(get, path = "/users/{id}", tag = "users",
    security(("oauth2_password" = [])),
    extensions(("x-superuser" = json!(true))),
    params(("id" = UserId, Path, description = "The user's id")),
    responses((status = 200, description = "The user", body = UserResponse)))]
#[tracing::instrument(skip_all, fields(by = %admin.id))]
pub async fn get_user(
    ActiveSuperuser(admin): ActiveSuperuser,
    context: web::Data<ServiceContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(ok_user(&accounts::find(&context.db, path_id(&id)?).await?))
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
/// Every field is checked before anything is written, and then one write
/// applies them all. Deactivating a user or changing their password ends
/// all their sessions. The last active superuser cannot be demoted or
/// deactivated (409).
#[utoipa::path(patch, path = "/users/{id}", tag = "users",
    security(("oauth2_password" = [])),
    extensions(("x-superuser" = json!(true))),
    params(("id" = UserId, Path, description = "The user's id")),
    request_body = AdminUpdateUserRequest,
    responses(
        (status = 200, description = "Updated", body = UserResponse),
        (status = 409, description = "The new email is taken, or this would leave no active superuser; nothing changed", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(by = %admin.id))]
pub async fn update_user(
    ActiveSuperuser(admin): ActiveSuperuser,
    context: web::Data<ServiceContext>,
    id: web::Path<String>,
    Json(body): Json<AdminUpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let changes = AccountChanges {
        email: body.email,
        password: body.password,
        is_active: body.is_active,
        is_superuser: body.is_superuser,
        is_verified: body.is_verified,
    };
    let updated = accounts::change_by_admin(&context.db, &context, path_id(&id)?, changes).await?;
    Ok(ok_user(&updated))
}

/// Delete a user (superuser)
///
/// The last active superuser cannot be deleted (409). The user's usage
/// records live in carbon-service: erase them first there with
/// `DELETE /users/{id}/usages?confirm=true` (the web app's Users page does
/// both).
#[utoipa::path(delete, path = "/users/{id}", tag = "users",
    security(("oauth2_password" = [])),
    extensions(("x-superuser" = json!(true))),
    params(("id" = UserId, Path, description = "The user's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "This is the last active superuser", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(by = %admin.id))]
pub async fn delete_user(
    ActiveSuperuser(admin): ActiveSuperuser,
    context: web::Data<ServiceContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    accounts::delete_by_admin(&context.db, path_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
