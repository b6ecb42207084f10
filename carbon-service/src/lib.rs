//! carbon-service: usage types, per-organization usage records and the CO₂e
//! footprint. Trusts user-service's access tokens through the shared secret
//! alone; it never calls user-service.

pub mod configuration;
pub mod context;
pub mod domain;
pub mod limits;
pub mod migrate;
pub mod openapi;
pub mod routes;
pub mod seed;
pub mod service;
pub mod startup;
pub mod storage;
pub mod type_cache;
