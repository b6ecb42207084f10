//! The flows behind the handlers: each takes parsed input, runs the domain
//! rules against storage and returns what the handler shapes into a
//! response. Tested without HTTP in `tests/api/service.rs`.

pub mod usages;
