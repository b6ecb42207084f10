//! Organizations (their members: `members`; invitations: `invitations`;
//! their audit trail: `org_audit`). Every check reads the
//! caller's membership now, never a token's `org_role`. Each change runs
//! in one transaction with the organization's member counts, so that
//! concurrent changes conflict (see `storage::organizations`).

use common::audit::{Author, Draft, store as trail};
use common::db::{StoreError, TransactionError, in_transaction};
use common::http::RequestId;
use common::ids::{OrgId, UserId};
use common::org::{Capability, OrgRole};
use common::validation::Invalid;
use mongodb::{ClientSession, Database};
use serde_json::json;

use super::Failure;
use crate::domain::org::{self, MAX_MEMBERSHIPS, Refusal};
use crate::domain::user::User;
use crate::storage::memberships::{self, Membership};
use crate::storage::organizations::{self, StoredOrganization};
use crate::storage::{self, Owner};

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
pub(super) async fn membership_in(
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
pub(super) fn author(
    user: &User,
    org_id: OrgId,
    role: OrgRole,
    request_id: Option<&RequestId>,
) -> Author {
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
pub(super) async fn record(
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

pub(super) fn membership_record(m: &Membership) -> serde_json::Value {
    json!({"user_id": m.user_id.to_string(), "role": m.role.as_str()})
}

pub(super) fn require(role: OrgRole, capability: Capability) -> Result<(), OrgError> {
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
        storage::delete_owned(db, session, Owner::Org(org_id)).await?;
        Ok(())
    })
    .await?;
    // Its trail goes with it (carbon-service's with `DELETE /org` there).
    trail::delete_of_org(db, org_id).await?;
    tracing::info!("organization deleted");
    Ok(())
}
