//! The ids both services know: user-service issues users and
//! organizations, carbon-service scopes every usage by the organization.
//! UUIDs, stored as their strings.

/// A UUID id type, serialized as its string in JSON and BSON alike (a
/// UUID's own serde would write BSON binary, unlike the data already
/// stored).
#[macro_export]
macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident, $what:literal, $example:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(::uuid::Uuid);

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&self.0)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                ::uuid::Uuid::parse_str(&text)
                    .map(Self)
                    .map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }

        impl $name {
            pub fn new() -> Self {
                Self(::uuid::Uuid::new_v4())
            }

            pub fn as_uuid(&self) -> ::uuid::Uuid {
                self.0
            }

            /// A path or query value: 422 naming `field` unless it is a UUID.
            pub fn parse(field: &str, raw: &str) -> Result<Self, $crate::validation::FieldError> {
                ::uuid::Uuid::parse_str(raw.trim())
                    .map(Self)
                    .map_err(|_| $crate::validation::FieldError::new(field, "must be a UUID"))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<::uuid::Uuid> for $name {
            fn from(id: ::uuid::Uuid) -> Self {
                Self(id)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                ::uuid::Uuid::parse_str(s).map(Self)
            }
        }

        /// Stored as its string, so it reads the same in every tool.
        impl From<$name> for ::bson::Bson {
            fn from(id: $name) -> Self {
                ::bson::Bson::String(id.to_string())
            }
        }

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::Schema> {
                use ::utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .description(Some($what))
                    .examples([::serde_json::json!($example)])
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $name {}
    };
}

crate::uuid_id!(
    /// A user's id.
    UserId,
    "A user's id (UUID).",
    "0b6f1e5c-2f6e-4c1b-9d0a-3c1d2e4f5a6b"
);

crate::uuid_id!(
    /// An organization's id. A person's own (personal) organization has
    /// the person's user id, so that data stored before organizations
    /// existed belongs to it without a lookup.
    OrgId,
    "An organization's id (UUID); a personal organization's is its user's id.",
    "7d3c9a1e-5b2f-4e8d-a6c0-1f2e3d4c5b6a"
);

impl OrgId {
    /// The personal organization of `user`.
    pub fn personal(user: UserId) -> Self {
        Self(user.as_uuid())
    }

    /// Whether this is `user`'s personal organization.
    pub fn is_personal_of(&self, user: UserId) -> bool {
        self.0 == user.as_uuid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[test]
    fn a_user_id_is_a_uuid_named_in_errors() {
        let id = UserId::new();
        assert_eq!(UserId::parse("id", &id.to_string()).unwrap(), id);
        assert_eq!(UserId::parse("id", "nope").unwrap_err().field, "id");
        assert_eq!(bson::Bson::from(id), bson::Bson::String(id.to_string()));
    }

    #[test]
    fn a_user_id_is_stored_as_its_string() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Doc {
            user_id: UserId,
        }
        let doc = Doc {
            user_id: UserId::new(),
        };
        let stored = bson::to_document(&doc).unwrap();
        assert_eq!(stored.get_str("user_id").unwrap(), doc.user_id.to_string());
        assert_eq!(bson::from_document::<Doc>(stored).unwrap(), doc);
    }

    #[test]
    fn a_personal_organization_has_its_users_id() {
        let user = UserId::new();
        let org = OrgId::personal(user);
        assert_eq!(org.to_string(), user.to_string());
        assert!(org.is_personal_of(user));
        assert!(!OrgId::new().is_personal_of(user));
    }
}
