//! Reading an organization's audit trail of membership events (written
//! by `orgs` and `invitations` in each change's transaction).

use std::time::Duration;

use common::audit::store as trail;
use common::db::StoreError;
use common::ids::OrgId;
use common::org::Capability;
use mongodb::Database;

use super::orgs::{OrgError, get, require};
use crate::domain::user::User;

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
