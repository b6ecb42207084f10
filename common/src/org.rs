//! Organizations' roles and what each may do: the one capability table
//! both services read (user-service for its membership routes, from the
//! membership it reads; carbon-service from the token's `org_role`).

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A member's role in an organization. The auditor reads everything an
/// admin reads and writes nothing, so the roles are not a line: ask
/// [`OrgRole::can`], never compare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    Owner,
    Admin,
    Editor,
    Viewer,
    Auditor,
}

/// Something a role may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Read the inventory: usages, facilities, instruments, datasets,
    /// summaries, exports, the members list.
    ReadInventory,
    /// Create, change, delete and import usages.
    WriteUsages,
    /// Manage facilities, instruments, settings and the organization's
    /// datasets.
    ManageInventory,
    /// Read the audit trail and the pending invitations.
    ReadAudit,
    /// Invite, remove and change members (within [`OrgRole::can_grant`]),
    /// and rename the organization.
    ManageMembers,
    /// Delete the organization, and erase all of its data.
    DeleteOrganization,
    /// Unlock a locked reporting period (locking is [`ManageInventory`]).
    ///
    /// [`ManageInventory`]: Capability::ManageInventory
    UnlockPeriods,
}

impl Capability {
    /// What a refusal says the caller lacks.
    pub fn describe(self) -> &'static str {
        match self {
            Capability::ReadInventory => "read this organization's inventory",
            Capability::WriteUsages => "record or change usages",
            Capability::ManageInventory => {
                "manage facilities, instruments, settings or the organization's datasets"
            }
            Capability::ReadAudit => "read the audit trail or the invitations",
            Capability::ManageMembers => "manage members, invitations or the organization's name",
            Capability::DeleteOrganization => "delete the organization or erase its data",
            Capability::UnlockPeriods => "unlock a reporting period",
        }
    }
}

impl OrgRole {
    pub const ALL: [OrgRole; 5] = [
        OrgRole::Owner,
        OrgRole::Admin,
        OrgRole::Editor,
        OrgRole::Viewer,
        OrgRole::Auditor,
    ];

    /// The capability table (the README's "Organizations and roles" shows
    /// the same):
    ///
    /// | capability         | owner | admin | editor | viewer | auditor |
    /// |--------------------|-------|-------|--------|--------|---------|
    /// | ReadInventory      | ✓     | ✓     | ✓      | ✓      | ✓       |
    /// | WriteUsages        | ✓     | ✓     | ✓      |        |         |
    /// | ManageInventory    | ✓     | ✓     |        |        |         |
    /// | ReadAudit          | ✓     | ✓     |        |        | ✓       |
    /// | ManageMembers      | ✓     | ✓     |        |        |         |
    /// | DeleteOrganization | ✓     |       |        |        |         |
    /// | UnlockPeriods      | ✓     |       |        |        |         |
    pub fn can(self, capability: Capability) -> bool {
        use Capability::*;
        use OrgRole::*;
        match capability {
            ReadInventory => true,
            WriteUsages => matches!(self, Owner | Admin | Editor),
            ManageInventory | ManageMembers => matches!(self, Owner | Admin),
            ReadAudit => matches!(self, Owner | Admin | Auditor),
            DeleteOrganization | UnlockPeriods => self == Owner,
        }
    }

    /// Whether a member of this role may give `role` to someone, by
    /// invitation or by a change: owners grant any role, admins only
    /// `editor`, `viewer` and `auditor`, the others none.
    pub fn can_grant(self, role: OrgRole) -> bool {
        match self {
            OrgRole::Owner => true,
            OrgRole::Admin => matches!(role, OrgRole::Editor | OrgRole::Viewer | OrgRole::Auditor),
            _ => false,
        }
    }

    /// Owner and admin tokens of a shared organization live at most this
    /// long (see `jwt::privileged_ttl_cap`).
    pub fn is_privileged(self) -> bool {
        matches!(self, OrgRole::Owner | OrgRole::Admin)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Owner => "owner",
            OrgRole::Admin => "admin",
            OrgRole::Editor => "editor",
            OrgRole::Viewer => "viewer",
            OrgRole::Auditor => "auditor",
        }
    }
}

impl fmt::Display for OrgRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OrgRole {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        OrgRole::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::Capability::*;
    use super::OrgRole::*;
    use super::*;

    #[test]
    fn the_auditor_reads_what_an_admin_reads_and_writes_nothing() {
        for capability in [ReadInventory, ReadAudit] {
            assert!(Auditor.can(capability) && Admin.can(capability));
        }
        for capability in [
            WriteUsages,
            ManageInventory,
            ManageMembers,
            DeleteOrganization,
            UnlockPeriods,
        ] {
            assert!(!Auditor.can(capability), "{capability:?}");
        }
    }

    #[test]
    fn only_owners_delete_and_every_role_reads() {
        for role in OrgRole::ALL {
            assert!(role.can(ReadInventory));
            assert_eq!(role.can(DeleteOrganization), role == Owner);
        }
        assert!(Editor.can(WriteUsages) && !Viewer.can(WriteUsages));
        assert!(Admin.can(ManageInventory) && !Editor.can(ManageInventory));
    }

    #[test]
    fn admins_grant_only_the_roles_below_admin_and_owners_grant_all() {
        for role in OrgRole::ALL {
            assert!(Owner.can_grant(role));
            assert_eq!(Admin.can_grant(role), !role.is_privileged());
            for lesser in [Editor, Viewer, Auditor] {
                assert!(!lesser.can_grant(role));
            }
        }
    }

    #[test]
    fn a_role_reads_back_from_its_name() {
        for role in OrgRole::ALL {
            assert_eq!(role.as_str().parse::<OrgRole>(), Ok(role));
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        assert!("superuser".parse::<OrgRole>().is_err());
    }
}
