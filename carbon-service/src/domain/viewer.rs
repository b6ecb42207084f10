//! Who is looking at the factor library. Published datasets are public;
//! a private one (`custom`, a superuser's upload) is this deployment's
//! own, and to anyone who may not see it, it and its types do not exist.

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

    pub fn can_see_dataset(self, dataset: &Dataset) -> bool {
        !dataset.private || self.sees_private()
    }

    pub fn can_see_type(self, usage_type: &UsageType) -> bool {
        !usage_type.private || self.sees_private()
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
}
