//! Organizations' rules that need no database: names, and who may give
//! or take which role (the capability table itself is `common::org`).

use common::org::{Capability, OrgRole};
use common::validation::FieldError;

common::uuid_id!(
    /// An invitation's id.
    InvitationId,
    "An invitation's id (UUID).",
    "3f1d2c4b-6a5e-4f7d-8c9b-0a1e2d3c4b5a"
);

/// The most members one organization may have.
pub const MAX_MEMBERS: i64 = 1_000;
/// The most unexpired invitations one organization may have.
pub const MAX_PENDING_INVITATIONS: u64 = 100;
/// The most organizations one user may belong to (the personal one
/// included).
pub const MAX_MEMBERSHIPS: usize = 100;
/// The personal organization's name until its owner renames it.
pub const PERSONAL_NAME: &str = "Personal";

const MAX_NAME_CHARS: usize = 100;

/// An organization's name: 1 to 100 characters after trimming, no
/// control characters.
pub fn parse_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::new("name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(FieldError::new(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(
            "name",
            "must not contain control characters",
        ));
    }
    Ok(name.to_owned())
}

/// Why a member may not change another member's role or remove them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The actor's role cannot manage members at all.
    CannotManage,
    /// The actor cannot grant the role in question (the target's current
    /// role or the new one).
    AboveOwnRole,
}

/// Whether `actor` may move a member from `from` to `to` (`to: None`:
/// remove them). Leaving (acting on oneself with `to: None`) is always
/// allowed; the last-owner rule is the service's (it needs the counts).
pub fn may_change(
    actor: OrgRole,
    acting_on_self: bool,
    from: OrgRole,
    to: Option<OrgRole>,
) -> Result<(), Refusal> {
    if acting_on_self && to.is_none() {
        return Ok(());
    }
    if !actor.can(Capability::ManageMembers) {
        return Err(Refusal::CannotManage);
    }
    if !actor.can_grant(from) || to.is_some_and(|to| !actor.can_grant(to)) {
        return Err(Refusal::AboveOwnRole);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrgRole::*;

    #[test]
    fn a_name_is_trimmed_and_bounded() {
        assert_eq!(parse_name("  Acme Corp ").unwrap(), "Acme Corp");
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(101)).is_err());
        assert!(parse_name("a\u{7}b").is_err());
    }

    #[test]
    fn anyone_may_leave() {
        for role in OrgRole::ALL {
            assert_eq!(may_change(role, true, role, None), Ok(()));
        }
    }

    #[test]
    fn an_admin_manages_only_the_roles_below_admin() {
        assert_eq!(may_change(Admin, false, Viewer, Some(Editor)), Ok(()));
        assert_eq!(may_change(Admin, false, Editor, None), Ok(()));
        assert_eq!(
            may_change(Admin, false, Viewer, Some(Admin)),
            Err(Refusal::AboveOwnRole)
        );
        assert_eq!(
            may_change(Admin, false, Admin, Some(Viewer)),
            Err(Refusal::AboveOwnRole)
        );
        assert_eq!(
            may_change(Admin, false, Owner, None),
            Err(Refusal::AboveOwnRole)
        );
        // Promoting oneself is granting, too.
        assert_eq!(
            may_change(Admin, true, Admin, Some(Owner)),
            Err(Refusal::AboveOwnRole)
        );
    }

    #[test]
    fn an_owner_manages_every_role_and_the_others_none() {
        assert_eq!(may_change(Owner, false, Admin, Some(Owner)), Ok(()));
        assert_eq!(may_change(Owner, false, Owner, None), Ok(()));
        for role in [Editor, Viewer, Auditor] {
            assert_eq!(
                may_change(role, false, Viewer, None),
                Err(Refusal::CannotManage)
            );
        }
    }
}
