//! Who writes, and for which organization: every write records its user
//! (`created_by`, `updated_by`) and lands in the token's organization.

use common::ids::{OrgId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// The organization the token acts in.
    pub org: OrgId,
    /// The user behind the token.
    pub user: UserId,
}

impl Actor {
    /// A user acting in their personal organization (tools and tests).
    pub fn personal(user: UserId) -> Self {
        Self {
            org: OrgId::personal(user),
            user,
        }
    }
}

impl From<&common::audit::Author> for Actor {
    fn from(author: &common::audit::Author) -> Self {
        Self {
            org: author.org,
            user: author.user,
        }
    }
}
