//! Test support (feature `testing`), shared by every crate's tests: a
//! freshly named database per test on the server named by `MONGODB_TEST_URI`
//! (dropped when the test ends), access-token minting, problem+json
//! assertions and the route-inventory check.
//!
//! By topic: [`database`], [`tokens`], [`http`], [`env`], [`wait`].

mod database;
mod env;
mod http;
mod tokens;
mod wait;

pub use database::*;
pub use env::*;
pub use http::*;
pub use tokens::*;
pub use wait::*;
