//! carbon-service integration tests: the real app on port 0 against the real
//! test database. Tokens are minted with the `common` issuer, as
//! user-service would sign them; user-service itself is not needed.

mod audit;
mod authorization;
mod concurrency;
mod data_quality;
mod datasets;
mod facilities;
mod helpers;
mod idempotency;
mod indexes;
mod instruments;
mod limits;
mod metrics;
mod migrations;
mod openapi;
mod orgs;
mod periods;
mod restatement;
mod rollups;
mod seed;
mod service;
mod summary;
mod transfer;
mod types;
mod usages;
mod versions;
