//! `/orgs` (organizations, their members and invitations) and
//! `/invitations/accept`. Every check reads the caller's membership now;
//! the token's `org_role` is carbon-service's to read.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use common::error::{ApiError, ProblemDetails};
use common::extract::Json;
use common::http::RequestId;
use common::http::json_list;
use common::ids::{OrgId, UserId};
use common::org::OrgRole;
use common::validation::Invalid;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::HttpPolicy;
use super::extract::CurrentUser;
use super::org_scope::{OrgAnswers, OrgPath};
use crate::domain::org::InvitationId;
use crate::service::ServiceContext;
use crate::service::invitations::{self, NewInvitation};
use crate::service::members;
use crate::service::orgs::{self, Member, OrgView};
use crate::storage::invitations::Invitation;

/// Organizations, members, invitations.
pub fn routes() -> common::routes::RouteTable {
    common::routes![
        create_org,
        list_orgs,
        get_org,
        rename_org,
        delete_org,
        list_members,
        change_member,
        remove_member,
        invite,
        list_invitations,
        revoke_invitation,
        accept_invitation
    ]
}

/// An organization, with the caller's role in it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "7d3c9a1e-5b2f-4e8d-a6c0-1f2e3d4c5b6a",
    "name": "Acme Manufacturing",
    "role": "owner",
    "personal": false,
    "members": 4,
    "created_at": "2026-12-07T10:00:00Z"
}))]
pub struct OrgResponse {
    pub id: OrgId,
    pub name: String,
    /// The caller's role.
    pub role: OrgRole,
    /// The caller's own organization (its id is the caller's user id): no
    /// other members, no invitations, deleted with the account.
    pub personal: bool,
    /// How many members it has.
    pub members: i64,
    pub created_at: DateTime<Utc>,
}

impl From<OrgView> for OrgResponse {
    fn from(view: OrgView) -> Self {
        Self {
            id: view.org.id,
            name: view.org.name,
            role: view.role,
            personal: view.org.personal,
            members: view.org.members,
            created_at: view.org.created_at.to_chrono(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Acme Manufacturing"}))]
pub struct OrgNameRequest {
    /// 1 to 100 characters (trimmed).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

/// A member of an organization.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "user_id": "0b6f1e5c-2f6e-4c1b-9d0a-3c1d2e4f5a6b",
    "email": "ada@example.com",
    "role": "editor",
    "joined_at": "2026-12-07T10:00:00Z"
}))]
pub struct MemberResponse {
    pub user_id: UserId,
    pub email: String,
    pub role: OrgRole,
    pub joined_at: DateTime<Utc>,
}

impl From<Member> for MemberResponse {
    fn from(member: Member) -> Self {
        Self {
            user_id: member.membership.user_id,
            email: member.email,
            role: member.membership.role,
            joined_at: member.membership.created_at.to_chrono(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "viewer"}))]
pub struct RoleRequest {
    pub role: OrgRole,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "grace@example.com", "role": "editor"}))]
pub struct InvitationRequest {
    /// The address to invite; whoever accepts must have verified it.
    pub email: String,
    /// At most the inviter's own granting power: admins invite editors,
    /// viewers and auditors; owners any role.
    pub role: OrgRole,
}

/// A pending invitation. Its token is only in the mail.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "3f1d2c4b-6a5e-4f7d-8c9b-0a1e2d3c4b5a",
    "email": "grace@example.com",
    "role": "editor",
    "invited_by": "0b6f1e5c-2f6e-4c1b-9d0a-3c1d2e4f5a6b",
    "created_at": "2026-12-07T10:00:00Z",
    "expires_at": "2026-12-14T10:00:00Z"
}))]
pub struct InvitationResponse {
    pub id: InvitationId,
    pub email: String,
    pub role: OrgRole,
    pub invited_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<Invitation> for InvitationResponse {
    fn from(invitation: Invitation) -> Self {
        Self {
            id: invitation.id,
            email: invitation.email,
            role: invitation.role,
            invited_by: invitation.invited_by,
            created_at: invitation.created_at.to_chrono(),
            expires_at: invitation.expires_at.to_chrono(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "q0Jm7k3Zr1x4s8C5h2Vd9LwP6nB0tYeG1uI3oA7sE4f"}))]
pub struct AcceptInvitationRequest {
    /// The token from the invitation mail.
    pub token: String,
}

fn user_path(raw: &str) -> Result<UserId, Invalid> {
    UserId::parse("user_id", raw).map_err(Invalid::from)
}

/// Create an organization
///
/// The caller becomes its owner. A user belongs to at most 100
/// organizations.
#[utoipa::path(post, path = "/orgs", tag = "organizations",
    security(("oauth2_password" = [])),
    request_body = OrgNameRequest,
    responses(
        (status = 201, description = "Created; the caller is its owner", body = OrgResponse),
        (status = 409, description = "The caller belongs to as many organizations as one may", body = ProblemDetails),
        (status = 422, description = "An empty or too long name, or unknown fields", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn create_org(
    me: CurrentUser,
    request_id: RequestId,
    context: web::Data<ServiceContext>,
    Json(body): Json<OrgNameRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = orgs::create(&context.db, &me.user, &body.name, &request_id).await?;
    Ok(HttpResponse::Created().json(OrgResponse::from(view)))
}

/// The caller's organizations
///
/// The personal one first, then by name, each with the caller's role.
#[utoipa::path(get, path = "/orgs", tag = "organizations",
    security(("oauth2_password" = [])),
    responses((status = 200, description = "The caller's organizations", body = [OrgResponse])))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn list_orgs(
    me: CurrentUser,
    context: web::Data<ServiceContext>,
) -> Result<HttpResponse, ApiError> {
    let views = orgs::list(&context.db, &me.user).await?;
    Ok(json_list(views, OrgResponse::from))
}

/// One organization
#[utoipa::path(get, path = "/orgs/{org_id}", tag = "organizations",
    security(("oauth2_password" = [])),
    params(OrgPath),
    responses(
        OrgAnswers,
        (status = 200, description = "The organization, with the caller's role", body = OrgResponse),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn get_org(
    me: CurrentUser,
    context: web::Data<ServiceContext>,
    OrgPath(org): OrgPath,
) -> Result<HttpResponse, ApiError> {
    let view = orgs::get(&context.db, &me.user, org).await?;
    Ok(HttpResponse::Ok().json(OrgResponse::from(view)))
}

/// Rename an organization
///
/// Owner or admin.
#[utoipa::path(patch, path = "/orgs/{org_id}", tag = "organizations",
    security(("oauth2_password" = [])),
    params(OrgPath),
    request_body = OrgNameRequest,
    responses(
        OrgAnswers,
        (status = 200, description = "Renamed", body = OrgResponse),
        (status = 403, description = "The caller's role cannot rename it", body = ProblemDetails),
        (status = 422, description = "An empty or too long name, or unknown fields", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn rename_org(
    me: CurrentUser,
    request_id: RequestId,
    context: web::Data<ServiceContext>,
    OrgPath(org): OrgPath,
    Json(body): Json<OrgNameRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = orgs::rename(&context.db, &me.user, org, &body.name, &request_id).await?;
    Ok(HttpResponse::Ok().json(OrgResponse::from(view)))
}

/// Delete an organization
///
/// Owner, with a login within the last 5 minutes. Deletes its members and
/// invitations here; delete its data at carbon-service first
/// (`DELETE /org?confirm=true` with a token of this organization), which
/// never hears of this. A personal organization goes only with its account.
#[utoipa::path(delete, path = "/orgs/{org_id}", tag = "organizations",
    security(("oauth2_password" = [])),
    params(OrgPath),
    responses(
        OrgAnswers,
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token, or the login is older than 5 minutes (a step-up challenge: log in again)", body = ProblemDetails),
        (status = 403, description = "The caller is not its owner", body = ProblemDetails),
        (status = 409, description = "It is the caller's personal organization", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn delete_org(
    me: CurrentUser,
    context: web::Data<ServiceContext>,
    OrgPath(org): OrgPath,
) -> Result<HttpResponse, ApiError> {
    me.token.require_fresh_login()?;
    orgs::delete(&context.db, &me.user, org).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The members
///
/// Any member; oldest first.
#[utoipa::path(get, path = "/orgs/{org_id}/members", tag = "organizations",
    security(("oauth2_password" = [])),
    params(OrgPath),
    responses(
        OrgAnswers,
        (status = 200, description = "The members", body = [MemberResponse]),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn list_members(
    me: CurrentUser,
    context: web::Data<ServiceContext>,
    OrgPath(org): OrgPath,
) -> Result<HttpResponse, ApiError> {
    let members = members::members(&context.db, &me.user, org).await?;
    Ok(json_list(members, MemberResponse::from))
}

/// Change a member's role
///
/// An owner changes any role; an admin only among `editor`, `viewer` and
/// `auditor`. The last owner cannot be demoted. The member's tokens carry
/// the new role from their next refresh (within one access-token
/// lifetime).
#[utoipa::path(patch, path = "/orgs/{org_id}/members/{user_id}", tag = "organizations",
    security(("oauth2_password" = [])),
    params(("org_id" = OrgId, Path, description = "The organization"),
           ("user_id" = UserId, Path, description = "The member")),
    request_body = RoleRequest,
    responses(
        OrgAnswers,
        (status = 200, description = "Changed", body = MemberResponse),
        (status = 403, description = "The caller's role cannot give or take this role", body = ProblemDetails),
        (status = 404, description = "No such organization or member, or the caller is not a member", body = ProblemDetails),
        (status = 409, description = "The last owner cannot be demoted", body = ProblemDetails),
        (status = 422, description = "An unknown role, an id that is not a UUID, or unknown fields", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn change_member(
    me: CurrentUser,
    request_id: RequestId,
    context: web::Data<ServiceContext>,
    OrgPath(org): OrgPath,
    path: web::Path<(String, String)>,
    Json(body): Json<RoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = user_path(&path.1)?;
    let member =
        members::change_role(&context.db, &me.user, org, user, body.role, &request_id).await?;
    Ok(HttpResponse::Ok().json(MemberResponse::from(member)))
}

/// Remove a member, or leave
///
/// An owner removes anyone, an admin the roles below admin, and any member
/// themselves (leaving). The last owner cannot leave or be removed. The
/// member cannot refresh into the organization again; a token already
/// issued works until it expires (one access-token lifetime).
#[utoipa::path(delete, path = "/orgs/{org_id}/members/{user_id}", tag = "organizations",
    security(("oauth2_password" = [])),
    params(("org_id" = OrgId, Path, description = "The organization"),
           ("user_id" = UserId, Path, description = "The member (the caller's own id: leave)")),
    responses(
        OrgAnswers,
        (status = 204, description = "Removed"),
        (status = 403, description = "The caller's role cannot remove this member", body = ProblemDetails),
        (status = 404, description = "No such organization or member, or the caller is not a member", body = ProblemDetails),
        (status = 409, description = "The last owner cannot leave or be removed", body = ProblemDetails),
        (status = 422, description = "An id that is not a UUID", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn remove_member(
    me: CurrentUser,
    request_id: RequestId,
    context: web::Data<ServiceContext>,
    OrgPath(org): OrgPath,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let user = user_path(&path.1)?;
    members::remove_member(&context.db, &me.user, org, user, &request_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Invite someone
///
/// Owner or admin, never above their own granting power. The token is
/// mailed (written to the log under `MAIL_TRANSPORT=log`), stored hashed,
/// works once and expires after `INVITATION_TTL_SECONDS` (7 days by
/// default). A new invitation to the same address replaces the old one.
/// At most 100 pending invitations and 1,000 members per organization;
/// the mail limits of the address apply (429).
#[utoipa::path(post, path = "/orgs/{org_id}/invitations", tag = "organizations",
    security(("oauth2_password" = [])),
    params(OrgPath),
    request_body = InvitationRequest,
    responses(
        OrgAnswers,
        (status = 201, description = "Invited; the token is in the mail", body = InvitationResponse),
        (status = 403, description = "The caller's role cannot invite, or not to this role", body = ProblemDetails),
        (status = 409, description = "A personal organization, an address that is a member already, or too many pending invitations", body = ProblemDetails),
        (status = 422, description = "An invalid address or role, or unknown fields", body = ProblemDetails),
        (status = 429, description = "Too many requests from this client, or mails to this address; see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn invite(
    req: HttpRequest,
    me: CurrentUser,
    request_id: RequestId,
    context: web::Data<ServiceContext>,
    policy: web::Data<HttpPolicy>,
    OrgPath(org): OrgPath,
    Json(body): Json<InvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    let requester = policy.sensitive_limit(&req)?;
    let new = NewInvitation {
        email: &body.email,
        role: body.role,
        requester,
    };
    let invitation =
        invitations::invite(&context.db, &context, &me.user, org, new, &request_id).await?;
    Ok(HttpResponse::Created().json(InvitationResponse::from(invitation)))
}

/// The pending invitations
///
/// Owner, admin or auditor.
#[utoipa::path(get, path = "/orgs/{org_id}/invitations", tag = "organizations",
    security(("oauth2_password" = [])),
    params(OrgPath),
    responses(
        OrgAnswers,
        (status = 200, description = "The invitations that have not expired, oldest first", body = [InvitationResponse]),
        (status = 403, description = "The caller's role cannot read invitations", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn list_invitations(
    me: CurrentUser,
    context: web::Data<ServiceContext>,
    OrgPath(org): OrgPath,
) -> Result<HttpResponse, ApiError> {
    let pending = invitations::invitations(&context.db, &me.user, org).await?;
    Ok(json_list(pending, InvitationResponse::from))
}

/// Revoke an invitation
///
/// Owner or admin (an admin only for the roles an admin grants).
#[utoipa::path(delete, path = "/orgs/{org_id}/invitations/{id}", tag = "organizations",
    security(("oauth2_password" = [])),
    params(("org_id" = OrgId, Path, description = "The organization"),
           ("id" = InvitationId, Path, description = "The invitation")),
    responses(
        OrgAnswers,
        (status = 204, description = "Revoked: its token no longer works"),
        (status = 403, description = "The caller's role cannot revoke it", body = ProblemDetails),
        (status = 404, description = "No such organization or invitation, or the caller is not a member", body = ProblemDetails),
        (status = 422, description = "An id that is not a UUID", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn revoke_invitation(
    me: CurrentUser,
    request_id: RequestId,
    context: web::Data<ServiceContext>,
    OrgPath(org): OrgPath,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let id = InvitationId::parse("id", &path.1).map_err(Invalid::from)?;
    invitations::revoke(&context.db, &me.user, org, id, &request_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Accept an invitation
///
/// By a logged-in user whose verified address is the invited one. Refused
/// (409) when the inviter can no longer grant the role. Then log in or
/// refresh with `org_id` to act in the organization.
#[utoipa::path(post, path = "/invitations/accept", tag = "organizations",
    security(("oauth2_password" = [])),
    request_body = AcceptInvitationRequest,
    responses(
        (status = 200, description = "Joined: the organization, with the caller's new role", body = OrgResponse),
        (status = 403, description = "The invitation is for another address, or the caller's address is not verified yet", body = ProblemDetails),
        (status = 409, description = "Already a member, the inviter can no longer grant the role, or the organization is full", body = ProblemDetails),
        (status = 422, description = "The token is invalid, expired or used, or unknown fields", body = ProblemDetails),
        (status = 429, description = "Too many requests from this client; see Retry-After", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn accept_invitation(
    req: HttpRequest,
    me: CurrentUser,
    request_id: RequestId,
    context: web::Data<ServiceContext>,
    policy: web::Data<HttpPolicy>,
    Json(body): Json<AcceptInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    policy.sensitive_limit(&req)?;
    let view = invitations::accept(&context.db, &me.user, &body.token, &request_id).await?;
    Ok(HttpResponse::Ok().json(OrgResponse::from(view)))
}
