//! user-service integration tests: the real app on port 0 against the real
//! test database (one fresh database per test).

mod admin;
mod authorization;
mod bootstrap;
mod client_limits;
mod concurrency;
mod cookies;
mod expiry;
mod helpers;
mod invitations;
mod last_superuser;
mod lockout;
mod login;
mod me;
mod metrics;
mod migrations;
mod openapi;
mod org_audit;
mod org_helpers;
mod orgs;
mod password_policy;
mod password_reset;
mod refresh;
mod register;
mod reset_tokens;
mod sessions;
mod verify;
