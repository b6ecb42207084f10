//! Organizations, their members and invitations. Every check reads the
//! caller's membership now, never a token's `org_role`. Each change runs
//! in one transaction with the organization's member counts, so that
//! concurrent changes conflict (see `storage::organizations`).

use std::net::IpAddr;
use std::time::Duration;

use common::audit::{Author, Draft, store as trail};
use common::db::{StoreError, TransactionError, in_transaction};
use common::http::RequestId;
use common::ids::{OrgId, UserId};
use common::org::{Capability, OrgRole};
use common::validation::Invalid;
use mongodb::{ClientSession, Database};
use serde_json::json;

use super::{Failure, ServiceContext};
use crate::domain::org::{
    self, InvitationId, MAX_MEMBERS, MAX_MEMBERSHIPS, MAX_PENDING_INVITATIONS, Refusal,
};
use crate::domain::tokens::{OpaqueToken, hash_token};
use crate::domain::user::{User, UserEmail};
use crate::mailer::{MailKind, OutgoingMail};
use crate::storage::invitations::{self, Invitation};
use crate::storage::memberships::{self, MEMBER_INDEX, Membership};
use crate::storage::organizations::{self, StoredOrganization};
use crate::storage::{mail_quota, users};

/// Why an organization flow did not happen. The routes say what each means.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No such organization, member or invitation, or the caller is not a
    /// member (an outsider learns nothing).
    #[error("not found")]
    NotFound,
    #[error("the caller's role cannot do this")]
    Forbidden(Capability),
    #[error("the caller cannot grant or take this role")]
    AboveOwnRole,
    #[error("the last owner cannot leave, be removed or be demoted")]
    LastOwner,
    #[error("a personal organization has no other members and is deleted with its account")]
    Personal,
    #[error("already a member")]
    AlreadyMember,
    #[error("the organization has as many members as it may")]
    TooManyMembers,
    #[error("the organization has as many pending invitations as it may")]
    TooManyInvitations,
    #[error("the user belongs to as many organizations as one may")]
    TooManyMemberships,
    #[error("the invitation token is invalid, expired or used")]
    BadToken,
    #[error("the invitation is for another email address")]
    WrongEmail,
    #[error("the invited address is not verified yet")]
    Unverified,
    #[error("the inviter can no longer grant the invited role")]
    InviterCannotGrant,
    #[error("the invited address has had all the mail it may have this hour")]
    MailQuota,
    #[error(transparent)]
    Failed(#[from] Failure),
}

impl From<StoreError> for OrgError {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.into())
    }
}

impl TransactionError for OrgError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Failed(failure) => failure.store_error(),
            _ => None,
        }
    }
}

impl From<Refusal> for OrgError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::CannotManage => Self::Forbidden(Capability::ManageMembers),
            Refusal::AboveOwnRole => Self::AboveOwnRole,
        }
    }
}

/// An organization as one of its members sees it.
#[derive(Debug, Clone)]
pub struct OrgView {
    pub org: StoredOrganization,
    /// The caller's role in it.
    pub role: OrgRole,
}

/// A member, with the account's address.
#[derive(Debug, Clone)]
pub struct Member {
    pub membership: Membership,
    pub email: String,
}

/// The caller's membership of `org_id` and the organization, in the
/// transaction; `NotFound` for outsiders.
async fn membership_in(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    user_id: UserId,
) -> Result<(StoredOrganization, Membership), OrgError> {
    let membership = memberships::find(db, session, org_id, user_id)
        .await?
        .ok_or(OrgError::NotFound)?;
    let org = organizations::find(db, session, org_id)
        .await?
        .ok_or(OrgError::NotFound)?;
    Ok((org, membership))
}

/// The trail's view of a change by `user`, a member of `org_id` as `role`.
fn author(user: &User, org_id: OrgId, role: OrgRole, request_id: Option<&RequestId>) -> Author {
    Author {
        org: org_id,
        user: user.id,
        role,
        superuser: user.is_superuser,
        request_id: request_id.map(|r| r.0.clone()),
    }
}

/// Appends one entry about the organization's `entity` to its trail, in
/// the transaction of `session`.
async fn record(
    db: &Database,
    session: &mut ClientSession,
    author: &Author,
    (action, entity, entity_id): (&'static str, &'static str, String),
    payload: serde_json::Value,
) -> Result<(), OrgError> {
    let entry = Draft::new(author, action, entity, entity_id, &payload);
    trail::append(db, session, author.org, vec![entry]).await?;
    Ok(())
}

fn membership_record(m: &Membership) -> serde_json::Value {
    json!({"user_id": m.user_id.to_string(), "role": m.role.as_str()})
}

fn require(role: OrgRole, capability: Capability) -> Result<(), OrgError> {
    if role.can(capability) {
        Ok(())
    } else {
        Err(OrgError::Forbidden(capability))
    }
}

/// The role `user_id` has in `org_id` now, for a token (`None`: not a
/// member). The personal organization is read like any other.
pub async fn role_for_token(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    user_id: UserId,
) -> Result<Option<OrgRole>, StoreError> {
    Ok(memberships::find(db, session, org_id, user_id)
        .await?
        .map(|m| m.role))
}

/// A user's personal organization and its membership, in the transaction
/// that creates the account.
pub async fn create_personal(
    db: &Database,
    session: &mut ClientSession,
    user: &User,
) -> Result<(), StoreError> {
    let id = OrgId::personal(user.id);
    organizations::insert(
        db,
        session,
        &StoredOrganization {
            id,
            name: org::PERSONAL_NAME.to_owned(),
            personal: true,
            members: 1,
            owners: 1,
            created_at: user.created_at,
        },
    )
    .await?;
    memberships::insert(
        db,
        session,
        &Membership {
            org_id: id,
            user_id: user.id,
            role: OrgRole::Owner,
            created_at: user.created_at,
        },
    )
    .await
}

/// A new organization, owned by `user`.
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn create(
    db: &Database,
    user: &User,
    name: &str,
    request_id: &RequestId,
) -> Result<OrgView, OrgError> {
    let name = org::parse_name(name).map_err(Invalid::from)?;
    let now = bson::DateTime::now();
    let stored = StoredOrganization {
        id: OrgId::new(),
        name,
        personal: false,
        members: 1,
        owners: 1,
        created_at: now,
    };
    in_transaction(db, "creating an organization", async |session| {
        if memberships::of_user_in(db, Some(&mut *session), user.id)
            .await?
            .len()
            >= MAX_MEMBERSHIPS
        {
            return Err(OrgError::TooManyMemberships);
        }
        organizations::insert(db, session, &stored).await?;
        memberships::insert(
            db,
            session,
            &Membership {
                org_id: stored.id,
                user_id: user.id,
                role: OrgRole::Owner,
                created_at: now,
            },
        )
        .await?;
        let by = author(user, stored.id, OrgRole::Owner, Some(request_id));
        let payload = json!({"after": {"name": stored.name, "owner": user.id.to_string()}});
        let what = ("create", "organization", stored.id.to_string());
        record(db, session, &by, what, payload).await
    })
    .await?;
    tracing::info!(org_id = %stored.id, "organization created");
    Ok(OrgView {
        org: stored,
        role: OrgRole::Owner,
    })
}

/// The caller's organizations: the personal one first, then by name.
pub async fn list(db: &Database, user: &User) -> Result<Vec<OrgView>, OrgError> {
    let mine = memberships::of_user(db, user.id).await?;
    let ids: Vec<OrgId> = mine.iter().map(|m| m.org_id).collect();
    let mut views: Vec<OrgView> = organizations::find_many(db, &ids)
        .await?
        .into_iter()
        .filter_map(|org| {
            let role = mine.iter().find(|m| m.org_id == org.id)?.role;
            Some(OrgView { org, role })
        })
        .collect();
    views.sort_by(|a, b| {
        (!a.org.personal, &a.org.name, a.org.id).cmp(&(!b.org.personal, &b.org.name, b.org.id))
    });
    Ok(views)
}

/// One organization of the caller's.
pub async fn get(db: &Database, user: &User, org_id: OrgId) -> Result<OrgView, OrgError> {
    in_transaction(db, "reading an organization", async |session| {
        let (org, membership) = membership_in(db, session, org_id, user.id).await?;
        Ok(OrgView {
            org,
            role: membership.role,
        })
    })
    .await
}

/// Renames the organization (owner or admin).
#[tracing::instrument(skip_all, fields(user_id = %user.id, %org_id))]
pub async fn rename(
    db: &Database,
    user: &User,
    org_id: OrgId,
    name: &str,
    request_id: &RequestId,
) -> Result<OrgView, OrgError> {
    let name = org::parse_name(name).map_err(Invalid::from)?;
    in_transaction(db, "renaming an organization", async |session| {
        let (mut org, membership) = membership_in(db, session, org_id, user.id).await?;
        require(membership.role, Capability::ManageMembers)?;
        organizations::rename(db, session, org_id, &name).await?;
        let by = author(user, org_id, membership.role, Some(request_id));
        let payload = json!({"before": {"name": org.name}, "after": {"name": name}});
        record(
            db,
            session,
            &by,
            ("update", "organization", org_id.to_string()),
            payload,
        )
        .await?;
        org.name = name.clone();
        Ok(OrgView {
            org,
            role: membership.role,
        })
    })
    .await
}

/// Deletes a shared organization, its memberships and its invitations
/// (owner; the route asks for a fresh login). Its data in carbon-service is
/// the caller's to delete first (`DELETE /org` there).
#[tracing::instrument(skip_all, fields(user_id = %user.id, %org_id))]
pub async fn delete(db: &Database, user: &User, org_id: OrgId) -> Result<(), OrgError> {
    in_transaction(db, "deleting an organization", async |session| {
        let (org, membership) = membership_in(db, session, org_id, user.id).await?;
        require(membership.role, Capability::DeleteOrganization)?;
        if org.personal {
            return Err(OrgError::Personal);
        }
        organizations::delete(db, session, org_id).await?;
        memberships::delete_of_org(db, session, org_id).await?;
        invitations::delete_of_org(db, session, org_id).await?;
        Ok(())
    })
    .await?;
    // Its trail goes with it (carbon-service's with `DELETE /org` there).
    trail::delete_of_org(db, org_id).await?;
    tracing::info!("organization deleted");
    Ok(())
}

/// The members, oldest first, with their addresses (any member).
pub async fn members(db: &Database, user: &User, org_id: OrgId) -> Result<Vec<Member>, OrgError> {
    get(db, user, org_id).await?;
    let all = memberships::of_org(db, org_id).await?;
    let ids: Vec<UserId> = all.iter().map(|m| m.user_id).collect();
    let accounts = users::find_many(db, &ids).await?;
    Ok(all
        .into_iter()
        .filter_map(|membership| {
            let email = accounts
                .iter()
                .find(|a| a.id == membership.user_id)?
                .email
                .clone();
            Some(Member { membership, email })
        })
        .collect())
}

/// Gives `target` the role `role` (see `domain::org::may_change`); the
/// last owner cannot be demoted.
#[tracing::instrument(skip_all, fields(user_id = %user.id, %org_id, %target, %role))]
pub async fn change_role(
    db: &Database,
    user: &User,
    org_id: OrgId,
    target: UserId,
    role: OrgRole,
    request_id: &RequestId,
) -> Result<Member, OrgError> {
    let changed = in_transaction(db, "changing a member's role", async |session| {
        let (_, actor) = membership_in(db, session, org_id, user.id).await?;
        let mut membership = memberships::find(db, session, org_id, target)
            .await?
            .ok_or(OrgError::NotFound)?;
        org::may_change(actor.role, target == user.id, membership.role, Some(role))?;
        if membership.role == role {
            return Ok(membership);
        }
        let owners =
            i64::from(role == OrgRole::Owner) - i64::from(membership.role == OrgRole::Owner);
        if owners != 0
            && !organizations::count_change(db, session, org_id, 0, owners, MAX_MEMBERS).await?
        {
            return Err(OrgError::LastOwner);
        }
        memberships::set_role(db, session, org_id, target, role).await?;
        let before = membership_record(&membership);
        membership.role = role;
        let by = author(user, org_id, actor.role, Some(request_id));
        let payload = json!({"before": before, "after": membership_record(&membership)});
        record(
            db,
            session,
            &by,
            ("update", "membership", target.to_string()),
            payload,
        )
        .await?;
        Ok(membership)
    })
    .await?;
    let email = users::find_by_id(db, target)
        .await?
        .map(|u| u.email)
        .unwrap_or_default();
    tracing::info!("member's role changed");
    Ok(Member {
        membership: changed,
        email,
    })
}

/// Removes `target` (owner or admin within what they grant; any member
/// for themselves, which is leaving). The last owner cannot go.
#[tracing::instrument(skip_all, fields(user_id = %user.id, %org_id, %target))]
pub async fn remove_member(
    db: &Database,
    user: &User,
    org_id: OrgId,
    target: UserId,
    request_id: &RequestId,
) -> Result<(), OrgError> {
    in_transaction(db, "removing a member", async |session| {
        let (org, actor) = membership_in(db, session, org_id, user.id).await?;
        let membership = memberships::find(db, session, org_id, target)
            .await?
            .ok_or(OrgError::NotFound)?;
        org::may_change(actor.role, target == user.id, membership.role, None)?;
        if org.personal {
            return Err(OrgError::LastOwner);
        }
        leave(db, session, &membership).await?;
        let by = author(user, org_id, actor.role, Some(request_id));
        let payload = json!({"before": membership_record(&membership)});
        record(
            db,
            session,
            &by,
            ("delete", "membership", target.to_string()),
            payload,
        )
        .await
    })
    .await?;
    tracing::info!("member removed");
    Ok(())
}

/// Deletes a membership and counts it out; `LastOwner` if it was the
/// organization's last owner.
async fn leave(
    db: &Database,
    session: &mut ClientSession,
    membership: &Membership,
) -> Result<(), OrgError> {
    let owners = -i64::from(membership.role == OrgRole::Owner);
    if !organizations::count_change(db, session, membership.org_id, -1, owners, MAX_MEMBERS).await?
    {
        return Err(OrgError::LastOwner);
    }
    memberships::delete(db, session, membership.org_id, membership.user_id).await?;
    Ok(())
}

/// An account's deletion leaves every shared organization and deletes the
/// personal one, in the deletion's transaction: `LastOwner` while the user
/// is the last owner of a shared organization.
pub async fn leave_all(
    db: &Database,
    session: &mut ClientSession,
    user_id: UserId,
) -> Result<(), OrgError> {
    for membership in memberships::of_user_in(db, Some(&mut *session), user_id).await? {
        if membership.org_id.is_personal_of(user_id) {
            organizations::delete(db, session, membership.org_id).await?;
            memberships::delete_of_org(db, session, membership.org_id).await?;
        } else {
            leave(db, session, &membership).await?;
            // The account's own deletion (no request id reaches here).
            let by = Author {
                org: membership.org_id,
                user: user_id,
                role: membership.role,
                superuser: false,
                request_id: None,
            };
            let payload =
                json!({"before": membership_record(&membership), "reason": "account deleted"});
            record(
                db,
                session,
                &by,
                ("delete", "membership", user_id.to_string()),
                payload,
            )
            .await?;
        }
    }
    Ok(())
}

/// What an invitation was made with.
pub struct NewInvitation<'a> {
    pub email: &'a str,
    pub role: OrgRole,
    /// Where the request came from (the mail quota counts per requester).
    pub requester: IpAddr,
}

/// Invites `email` as `role` (owner or admin, never above their own role),
/// replacing an earlier invitation to the same address, and mails the
/// token. Stored hashed; it works once, until `INVITATION_TTL_SECONDS`.
#[tracing::instrument(skip_all, fields(user_id = %user.id, %org_id))]
pub async fn invite(
    db: &Database,
    state: &ServiceContext,
    user: &User,
    org_id: OrgId,
    new: NewInvitation<'_>,
    request_id: &RequestId,
) -> Result<Invitation, OrgError> {
    let email = UserEmail::parse(new.email).map_err(Invalid::from)?;
    let email = email.as_str().to_owned();
    let invited = users::find_by_email(db, &email).await?;
    let (org, actor, already_member) =
        in_transaction(db, "reading an organization", async |session| {
            let (org, actor) = membership_in(db, session, org_id, user.id).await?;
            let already_member = match &invited {
                Some(account) => memberships::find(db, session, org_id, account.id)
                    .await?
                    .is_some(),
                None => false,
            };
            Ok::<_, OrgError>((org, actor, already_member))
        })
        .await?;
    require(actor.role, Capability::ManageMembers)?;
    if !actor.role.can_grant(new.role) {
        return Err(OrgError::AboveOwnRole);
    }
    if org.personal {
        return Err(OrgError::Personal);
    }
    if already_member {
        return Err(OrgError::AlreadyMember);
    }
    if !mail_quota::take(db, &email, new.requester).await? {
        return Err(OrgError::MailQuota);
    }
    let token = OpaqueToken::generate();
    let now = bson::DateTime::now();
    let invitation = Invitation {
        id: InvitationId::new(),
        org_id,
        email,
        role: new.role,
        token_hash: token.hash,
        invited_by: user.id,
        created_at: now,
        expires_at: after(now, state.invitation_ttl),
    };
    in_transaction(db, "inviting a member", async |session| {
        invitations::delete_to(db, session, org_id, &invitation.email).await?;
        if invitations::count_pending(db, session, org_id).await? >= MAX_PENDING_INVITATIONS {
            return Err(OrgError::TooManyInvitations);
        }
        invitations::insert(db, session, &invitation).await?;
        let by = author(user, org_id, actor.role, Some(request_id));
        let payload = json!({"after": invitation_record(&invitation)});
        record(
            db,
            session,
            &by,
            ("create", "invitation", invitation.id.to_string()),
            payload,
        )
        .await
    })
    .await?;
    state
        .mailer
        .send(OutgoingMail {
            to: invitation.email.clone(),
            kind: MailKind::Invitation,
            token: token.value,
            invitation: Some(format!("{} as {}", org.name, invitation.role)),
        })
        .await;
    tracing::info!(invitation_id = %invitation.id, role = %invitation.role, "member invited");
    Ok(invitation)
}

fn after(now: bson::DateTime, ttl: Duration) -> bson::DateTime {
    bson::DateTime::from_millis(
        now.timestamp_millis()
            .saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)),
    )
}

/// The pending invitations (owner, admin or auditor).
pub async fn invitations(
    db: &Database,
    user: &User,
    org_id: OrgId,
) -> Result<Vec<Invitation>, OrgError> {
    let view = get(db, user, org_id).await?;
    require(view.role, Capability::ReadAudit)?;
    Ok(invitations::pending(db, org_id).await?)
}

/// Revokes an invitation (whoever could have made it).
#[tracing::instrument(skip_all, fields(user_id = %user.id, %org_id, %id))]
pub async fn revoke(
    db: &Database,
    user: &User,
    org_id: OrgId,
    id: InvitationId,
    request_id: &RequestId,
) -> Result<(), OrgError> {
    in_transaction(db, "revoking an invitation", async |session| {
        let (_, actor) = membership_in(db, session, org_id, user.id).await?;
        require(actor.role, Capability::ManageMembers)?;
        let invitation = invitations::find(db, session, org_id, id)
            .await?
            .ok_or(OrgError::NotFound)?;
        if !actor.role.can_grant(invitation.role) {
            return Err(OrgError::AboveOwnRole);
        }
        invitations::delete(db, session, id).await?;
        let by = author(user, org_id, actor.role, Some(request_id));
        let payload = json!({"before": invitation_record(&invitation)});
        record(
            db,
            session,
            &by,
            ("delete", "invitation", id.to_string()),
            payload,
        )
        .await
    })
    .await?;
    tracing::info!("invitation revoked");
    Ok(())
}

/// Joins the organization of the invitation `token`: the caller's
/// verified address must be the invited one, and the inviter must still
/// be able to grant the role. The invitation is used up.
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn accept(
    db: &Database,
    user: &User,
    token: &str,
    request_id: &RequestId,
) -> Result<OrgView, OrgError> {
    let view = in_transaction(db, "accepting an invitation", async |session| {
        let invitation = invitations::find_by_hash(db, session, &hash_token(token))
            .await?
            .filter(|i| !i.is_expired())
            .ok_or(OrgError::BadToken)?;
        if invitation.email != user.email {
            return Err(OrgError::WrongEmail);
        }
        if !user.is_verified {
            return Err(OrgError::Unverified);
        }
        let inviter =
            memberships::find(db, session, invitation.org_id, invitation.invited_by).await?;
        if !inviter.is_some_and(|m| m.role.can_grant(invitation.role)) {
            return Err(OrgError::InviterCannotGrant);
        }
        if memberships::of_user_in(db, Some(&mut *session), user.id)
            .await?
            .len()
            >= MAX_MEMBERSHIPS
        {
            return Err(OrgError::TooManyMemberships);
        }
        let owners = i64::from(invitation.role == OrgRole::Owner);
        if !organizations::count_change(db, session, invitation.org_id, 1, owners, MAX_MEMBERS)
            .await?
        {
            return Err(OrgError::TooManyMembers);
        }
        memberships::insert(
            db,
            session,
            &Membership {
                org_id: invitation.org_id,
                user_id: user.id,
                role: invitation.role,
                created_at: bson::DateTime::now(),
            },
        )
        .await
        .map_err(|e| {
            if e.is_duplicate_on(MEMBER_INDEX) {
                OrgError::AlreadyMember
            } else {
                e.into()
            }
        })?;
        if !invitations::delete(db, session, invitation.id).await? {
            return Err(OrgError::BadToken);
        }
        let by = author(user, invitation.org_id, invitation.role, Some(request_id));
        let payload = json!({
            "after": {"user_id": user.id.to_string(), "role": invitation.role.as_str()},
            "invitation_id": invitation.id.to_string(),
            "invited_by": invitation.invited_by.to_string(),
        });
        record(
            db,
            session,
            &by,
            ("create", "membership", user.id.to_string()),
            payload,
        )
        .await?;
        let org = organizations::find(db, session, invitation.org_id)
            .await?
            .ok_or(OrgError::NotFound)?;
        Ok(OrgView {
            org,
            role: invitation.role,
        })
    })
    .await?;
    tracing::info!(org_id = %view.org.id, role = %view.role, "invitation accepted");
    Ok(view)
}

/// An invitation as the trail records it (never its token).
fn invitation_record(i: &Invitation) -> serde_json::Value {
    json!({
        "id": i.id.to_string(),
        "email": i.email,
        "role": i.role.as_str(),
        "expires_at": common::audit::time_text(i.expires_at.to_chrono()),
    })
}

/// How long one query of a trail page may run.
const AUDIT_QUERY_MAX_TIME: Duration = Duration::from_secs(10);

/// The organization's trail is read by its owners, admins and auditors.
async fn require_audit_reader(db: &Database, user: &User, org_id: OrgId) -> Result<(), OrgError> {
    let view = get(db, user, org_id).await?;
    require(view.role, Capability::ReadAudit)
}

/// A page of the organization's audit trail (its membership and
/// invitation events), newest first.
pub async fn audit_page(
    db: &Database,
    user: &User,
    org_id: OrgId,
    filter: &common::audit::AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<common::audit::Entry>, Option<i64>), OrgError> {
    require_audit_reader(db, user, org_id).await?;
    Ok(trail::page(db, org_id, filter, before, limit, AUDIT_QUERY_MAX_TIME).await?)
}

/// Re-computes the organization's chain.
pub async fn audit_verify(
    db: &Database,
    user: &User,
    org_id: OrgId,
) -> Result<common::audit::Verification, OrgError> {
    require_audit_reader(db, user, org_id).await?;
    Ok(common::audit::verify(db, org_id).await?)
}

/// The organization's whole trail, oldest first.
pub async fn audit_export(
    db: &Database,
    user: &User,
    org_id: OrgId,
) -> Result<
    impl futures_util::Stream<Item = Result<common::audit::Entry, StoreError>> + use<>,
    OrgError,
> {
    require_audit_reader(db, user, org_id).await?;
    Ok(trail::stream(db, org_id).await?)
}
