//! Types that parse instead of validate, the CSV rules and the summary
//! fold. No I/O, no HTTP: parse errors are `common::validation::Invalid`.
//!
//! The stored types (`Usage`, `UsageType`) derive serde for their BSON form
//! here, and only that: the JSON that clients send and get is declared in
//! `routes/`, converted to and from these types there.

pub mod actor;
pub mod audit;
pub mod dataset;
pub mod dataset_csv;
pub mod facility;
pub mod fgases;
pub mod figures;
pub mod gwp;
pub mod ids;
pub mod instrument;
pub mod market;
pub mod period;
pub mod restatement;
pub mod rollup;
pub mod summary;
pub mod text;
pub mod units;
pub mod usage;
pub mod usage_csv;
pub mod usage_query;
pub mod usage_type;
pub mod viewer;
