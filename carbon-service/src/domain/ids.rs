//! The ids carbon-service hands out or accepts, each with its bounds and its
//! OpenAPI schema defined once. (The user id is shared: `common::ids`.)

use std::fmt;

use bson::oid::ObjectId;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

use common::validation::FieldError;

/// A usage type's id: a positive integer that survives a round trip
/// through JavaScript (at most 2⁵³ − 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct UsageTypeId(i64);

impl UsageTypeId {
    pub const MAX: i64 = (1 << 53) - 1;

    /// `field` names the input in the error.
    pub fn parse(field: &str, id: i64) -> Result<Self, FieldError> {
        if (1..=Self::MAX).contains(&id) {
            Ok(Self(id))
        } else {
            Err(FieldError::new(
                field,
                format!("must be between 1 and {}", Self::MAX),
            ))
        }
    }

    /// A path segment or CSV cell.
    pub fn parse_text(field: &str, raw: &str) -> Result<Self, FieldError> {
        raw.trim()
            .parse::<i64>()
            .map_err(|_| FieldError::new(field, "must be an integer"))
            .and_then(|id| Self::parse(field, id))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for UsageTypeId {
    type Error = String;
    fn try_from(id: i64) -> Result<Self, String> {
        Self::parse("id", id).map_err(|e| e.message)
    }
}

impl From<UsageTypeId> for i64 {
    fn from(id: UsageTypeId) -> i64 {
        id.0
    }
}

impl From<UsageTypeId> for bson::Bson {
    fn from(id: UsageTypeId) -> Self {
        bson::Bson::Int64(id.0)
    }
}

impl fmt::Display for UsageTypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl utoipa::PartialSchema for UsageTypeId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(1))
            .maximum(Some(Self::MAX))
            .description(Some("A usage type's id."))
            .examples([serde_json::json!(100)])
            .into()
    }
}

impl utoipa::ToSchema for UsageTypeId {}

/// Declares an id that is a MongoDB ObjectId, shown as 24 hexadecimal
/// digits: parsed (422 naming the field), displayed, stored as an ObjectId
/// and documented with its pattern.
macro_rules! object_id {
    ($(#[$meta:meta])* $name:ident, $what:literal, $example:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(ObjectId);

        impl $name {
            pub fn new() -> Self {
                Self(ObjectId::new())
            }

            pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
                ObjectId::parse_str(raw.trim())
                    .map(Self)
                    .map_err(|_| FieldError::new(field, "must be a 24-character hexadecimal ObjectId"))
            }

            pub fn object_id(self) -> ObjectId {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<ObjectId> for $name {
            fn from(id: ObjectId) -> Self {
                Self(id)
            }
        }

        impl From<$name> for bson::Bson {
            fn from(id: $name) -> Self {
                bson::Bson::ObjectId(id.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0.to_hex())
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^[0-9a-fA-F]{24}$"))
                    .description(Some(concat!($what, " (a MongoDB ObjectId in hexadecimal).")))
                    .examples([serde_json::json!($example)])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

object_id!(
    /// A usage's id.
    UsageId,
    "A usage's id",
    "6740c8a2f1d3b2a1c0e9f812"
);

object_id!(
    /// A contractual instrument's id.
    InstrumentId,
    "An instrument's id",
    "6740c8a2f1d3b2a1c0e9f900"
);

object_id!(
    /// A facility's id.
    FacilityId,
    "A facility's id",
    "6740c8a2f1d3b2a1c0e9fa01"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_ids_are_positive_and_javascript_safe() {
        assert!(UsageTypeId::parse("id", 1).is_ok());
        assert!(UsageTypeId::parse("id", UsageTypeId::MAX).is_ok());
        for bad in [0, -1, UsageTypeId::MAX + 1] {
            assert_eq!(UsageTypeId::parse("id", bad).unwrap_err().field, "id");
        }
        assert_eq!(
            UsageTypeId::parse_text("id", "abc").unwrap_err().message,
            "must be an integer"
        );
    }

    #[test]
    fn malformed_usage_ids_are_refused() {
        assert!(UsageId::parse("id", "123").is_err());
        assert!(UsageId::parse("id", "zzzzzzzzzzzzzzzzzzzzzzzz").is_err());
        let id = UsageId::new();
        assert_eq!(UsageId::parse("id", &id.to_string()).unwrap(), id);
    }
}
