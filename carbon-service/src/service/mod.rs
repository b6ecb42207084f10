//! The flows behind the handlers: each takes parsed input, runs the domain
//! rules against storage and returns a domain value or its own error type,
//! which the routes turn into HTTP. Tested without HTTP in
//! `tests/api/service.rs`.

pub mod audit;
pub mod datasets;
pub mod facilities;
pub mod instruments;
pub mod periods;
pub mod restatement;
pub mod rollups;
pub mod slots;
pub mod summary;
pub mod types;
pub mod usages;
