//! The fields of a usage type as a client gives them, declared once: the
//! bodies of `POST /types` and `PUT /types/{id}` and a dataset file's rows
//! (see `seed`) are each these ten fields after their own. A macro, not
//! `#[serde(flatten)]`: flatten does not combine with
//! `deny_unknown_fields`, and an unknown field must stay a 400.

use std::collections::BTreeMap;

use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::gwp::Gases;

/// The gases a new factor gives, in kg per unit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"co2": 0.34995694608, "ch4": 0.0000258547651, "n2o": 0.00000362873896}))]
pub struct GasesInput {
    /// kg CO₂ per unit, 0 to 1,000,000.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub co2: Option<f64>,
    /// kg CH₄ per unit, 0 to 1,000,000.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub ch4: Option<f64>,
    /// kg of fossil CH₄ per unit (fugitive releases from gas systems and
    /// coal mines, not combustion), 0 to 1,000,000: weighed by the fossil
    /// GWP (AR6 29.8, AR5 30).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub ch4_fossil: Option<f64>,
    /// kg N₂O per unit, 0 to 1,000,000.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub n2o: Option<f64>,
    /// kg biogenic CO₂ per unit (biomass, biofuels), 0 to 1,000,000:
    /// reported as a memo outside the scopes, never in the factor's CO₂e.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub biogenic_co2: Option<f64>,
    /// kg of each fluorinated gas per unit, by its code (`HFC-134a`,
    /// `SF6`...: the codes of the EPA dataset's 60000 types), 0 to
    /// 1,000,000.
    #[serde(default)]
    #[schema(example = json!({"HFC-134a": 1.0}))]
    pub fgases: BTreeMap<String, f64>,
}

impl From<GasesInput> for Gases {
    fn from(g: GasesInput) -> Self {
        Gases {
            co2: g.co2,
            ch4: g.ch4,
            ch4_fossil: g.ch4_fossil,
            n2o: g.n2o,
            biogenic_co2: g.biogenic_co2,
            other_co2e: None,
            fgases: g.fgases,
        }
    }
}

/// Declares `$name` with its own fields first, then the ten fields of a
/// usage type, and its conversion into `UsageTypeFields`.
macro_rules! usage_type_input {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* pub $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )*
            /// 1 to 128 characters, not only spaces.
            #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
            pub name: String,
            /// 1 to 128 characters; a unit of `GET /units` makes usages in other
            /// units of its dimension possible.
            #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
            pub unit: String,
            /// kg of each gas per unit.
            #[serde(default)]
            pub gases: Option<$crate::routes::type_input::GasesInput>,
            /// kg CO₂e per unit, finite, 0 to 1,000,000: only without `gases`.
            #[serde(default)]
            #[schema(minimum = 0, maximum = 1000000)]
            pub factor: Option<f64>,
            /// GHG Protocol scope: 1, 2 or 3.
            #[serde(deserialize_with = "common::extract::integer")]
            #[schema(value_type = u8, minimum = 1, maximum = 3)]
            pub scope: i64,
            /// Lower-case letters, digits and underscores (default `uncategorized`).
            #[serde(default)]
            #[schema(max_length = 64, pattern = "^[a-z0-9_]+$")]
            pub category: Option<String>,
            /// The GHG Protocol scope 3 category, 1 to 15 (scope 3 only).
            #[serde(default, deserialize_with = "common::extract::optional_integer")]
            #[schema(value_type = Option<u8>, minimum = 1, maximum = 15)]
            pub scope3_category: Option<i64>,
            /// Every scope 3 category its usages may be reported under, the
            /// default first (freight: `[4, 9]`); a usage picks one. Empty or
            /// left out: none, as a type without categories is answered.
            #[serde(default)]
            #[schema(value_type = Option<Vec<u8>>, example = json!([4, 9]))]
            pub scope3_categories: Option<Vec<i64>>,
            /// Where the factor comes from, up to 256 characters.
            #[serde(default)]
            #[schema(max_length = 256)]
            pub source: Option<String>,
            /// The year the factor applies to, 1900 to 2100.
            #[serde(default, deserialize_with = "common::extract::optional_integer")]
            #[schema(value_type = Option<i32>, minimum = 1900, maximum = 2100)]
            pub source_year: Option<i64>,
            /// An ISO 3166-1 alpha-2 code or free text, up to 128 characters.
            #[serde(default)]
            #[schema(max_length = 128)]
            pub region: Option<String>,
            /// Scope 2 only: `location_based` (a grid average) or
            /// `residual_mix` (what the market-based method applies to
            /// energy no instrument covers, in its region).
            #[serde(default)]
            #[schema(value_type = Option<crate::domain::usage_type::FactorBasis>)]
            pub factor_basis: Option<String>,
            /// The type (of an earlier edition or another dataset) this one
            /// replaces: a restatement (`GET /inventory/restatement`)
            /// recomputes that type's usages with this one's factors.
            #[serde(default, deserialize_with = "common::extract::optional_integer")]
            #[schema(value_type = Option<crate::domain::ids::UsageTypeId>)]
            pub replaces_type_id: Option<i64>,
        }

        impl From<$name> for $crate::domain::usage_type::UsageTypeFields {
            fn from(input: $name) -> Self {
                Self {
                    name: input.name,
                    unit: input.unit,
                    factor: input.factor,
                    gases: input.gases.map(Into::into),
                    scope: input.scope,
                    category: input.category,
                    scope3_category: input.scope3_category,
                    scope3_categories: input.scope3_categories,
                    source: input.source,
                    source_year: input.source_year,
                    region: input.region,
                    factor_basis: input.factor_basis,
                    replaces_type_id: input.replaces_type_id,
                }
            }
        }
    };
}

pub(crate) use usage_type_input;
