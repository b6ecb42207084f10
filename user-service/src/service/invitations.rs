//! Invitations to an organization: made by its owners and admins (never
//! above their own role), mailed, stored hashed, used once by the verified
//! invited address. Each is audited in its transaction.

use std::time::Duration;

use common::db::in_transaction;
use common::http::RequestId;
use common::ids::OrgId;
use common::org::{Capability, OrgRole};
use common::validation::Invalid;
use mongodb::Database;
use serde_json::json;
use std::net::IpAddr;

use super::ServiceContext;
use super::orgs::{OrgError, OrgView, author, get, membership_in, record, require};
use crate::domain::org::{InvitationId, MAX_MEMBERS, MAX_MEMBERSHIPS, MAX_PENDING_INVITATIONS};
use crate::domain::tokens::{OpaqueToken, hash_token};
use crate::domain::user::{User, UserEmail};
use crate::mailer::{MailKind, OutgoingMail};
use crate::storage::invitations::{self, Invitation};
use crate::storage::memberships::{self, MEMBER_INDEX, Membership};
use crate::storage::organizations;
use crate::storage::{mail_quota, users};

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
