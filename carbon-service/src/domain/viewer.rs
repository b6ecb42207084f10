//! Who is looking at the factor library. Published datasets are public;
//! a private one (`custom`, a superuser's upload) is this deployment's
//! own, visible to every signed-in user; an organization's own is its
//! members' only. To anyone who may not see it, it and its types do not
//! exist.

use common::ids::OrgId;

use super::dataset::Dataset;
use super::usage_type::UsageType;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Anonymous,
    /// A token's caller, acting in this organization.
    SignedIn(OrgId),
}

impl Viewer {
    pub fn from_caller(caller: Option<OrgId>) -> Self {
        caller.map_or(Self::Anonymous, Self::SignedIn)
    }

    /// Whether private datasets are visible (today: to every signed-in
    /// user, since every one of them records usages against `custom`).
    pub fn sees_private(self) -> bool {
        matches!(self, Self::SignedIn(_))
    }

    /// Whether an organization's own dataset (or type) is the viewer's
    /// organization's; one of the deployment's always is.
    fn owns(self, org_id: Option<OrgId>) -> bool {
        match (org_id, self) {
            (None, _) => true,
            (Some(org), Self::SignedIn(mine)) => org == mine,
            (Some(_), Self::Anonymous) => false,
        }
    }

    pub fn can_see_dataset(self, dataset: &Dataset) -> bool {
        (!dataset.private || self.sees_private()) && self.owns(dataset.org_id)
    }

    pub fn can_see_type(self, usage_type: &UsageType) -> bool {
        (!usage_type.private || self.sees_private()) && self.owns(usage_type.org_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_anonymous_see_only_published_datasets() {
        let custom = Dataset::custom();
        assert!(!Viewer::Anonymous.can_see_dataset(&custom));
        assert!(Viewer::SignedIn(OrgId::new()).can_see_dataset(&custom));
    }

    #[test]
    fn an_organizations_dataset_is_its_members_only() {
        let org = OrgId::new();
        let own = Dataset {
            org_id: Some(org),
            ..Dataset::custom()
        };
        assert!(Viewer::SignedIn(org).can_see_dataset(&own));
        assert!(!Viewer::SignedIn(OrgId::new()).can_see_dataset(&own));
        assert!(!Viewer::Anonymous.can_see_dataset(&own));
    }
}
