//! An organization's members: the list, role changes, removals and
//! leaving (an account's deletion leaves them all). The last owner cannot
//! go; each change is counted and audited in its transaction.

use common::audit::Author;
use common::db::in_transaction;
use common::http::RequestId;
use common::ids::{OrgId, UserId};
use common::org::OrgRole;
use mongodb::{ClientSession, Database};
use serde_json::json;

use super::orgs::{Member, OrgError, author, get, membership_in, membership_record, record};
use crate::domain::org::{self, MAX_MEMBERS};
use crate::domain::user::User;
use crate::storage::memberships::{self, Membership};
use crate::storage::{self, Owner};
use crate::storage::{organizations, users};

/// The members, oldest first, with their addresses (any member).
pub async fn members(db: &Database, user: &User, org_id: OrgId) -> Result<Vec<Member>, OrgError> {
    get(db, user, org_id).await?;
    let all = memberships::of_org(db, org_id).await?;
    let ids: Vec<UserId> = all.iter().map(|m| m.user_id).collect();
    let mut emails: std::collections::HashMap<UserId, _> = users::find_many(db, &ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a.email))
        .collect();
    Ok(all
        .into_iter()
        .filter_map(|membership| {
            let email = emails.remove(&membership.user_id)?;
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
            storage::delete_owned(db, session, Owner::Org(membership.org_id)).await?;
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
