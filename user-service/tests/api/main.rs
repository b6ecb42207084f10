//! user-service integration tests: the real app on port 0 against the real
//! test database (one fresh database per test).

mod admin;
mod concurrency;
mod cookies;
mod expiry;
mod helpers;
mod lockout;
mod login;
mod me;
mod metrics;
mod openapi;
mod password_policy;
mod password_reset;
mod refresh;
mod register;
mod security;
mod verify;
