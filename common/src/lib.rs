//! What user-service and carbon-service share, and nothing else: access-token
//! signing and verification, the problem+json error type, configuration,
//! MongoDB start-up and its error type, the user id, telemetry, metrics, the
//! HTTP building blocks, paging, rate limiting and health checks.

pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod health;
pub mod http;
pub mod ids;
pub mod jwk;
pub mod jwt;
pub mod metrics;
pub mod migrate;
pub mod openapi;
pub mod org;
pub mod pagination;
pub mod rate_limit;
pub mod routes;
pub mod server;
pub mod telemetry;
pub mod validation;

#[doc(hidden)]
pub use paste as __paste;

#[cfg(feature = "testing")]
pub mod testing;

pub use error::{ApiError, ProblemDetails};
pub use validation::{FieldError, Invalid};
