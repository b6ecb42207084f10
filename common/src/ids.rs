//! The user id both services know: user-service issues it, carbon-service
//! scopes every usage by it. A UUID, stored as its string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};
use uuid::Uuid;

use crate::validation::FieldError;

/// A user's id. Serialized as its string in JSON and BSON alike (a UUID's
/// own serde would write BSON binary, unlike the data already stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(Uuid);

impl Serialize for UserId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for UserId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Uuid::parse_str(&text)
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

impl UserId {
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    /// A path or query value: 422 naming `field` unless it is a UUID.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        Uuid::parse_str(raw.trim())
            .map(Self)
            .map_err(|_| FieldError::new(field, "must be a UUID"))
    }
}

impl Default for UserId {
    fn default() -> Self {
        Self::new()
    }
}

impl From<Uuid> for UserId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for UserId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// Stored as its string, so it reads the same in every tool.
impl From<UserId> for bson::Bson {
    fn from(id: UserId) -> Self {
        bson::Bson::String(id.to_string())
    }
}

impl utoipa::PartialSchema for UserId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .description(Some("A user's id (UUID)."))
            .examples([serde_json::json!("0b6f1e5c-2f6e-4c1b-9d0a-3c1d2e4f5a6b")])
            .into()
    }
}

impl utoipa::ToSchema for UserId {}

#[cfg(test)]
mod tests {
    use super::*;

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
}
