//! user-service: accounts, OAuth2 password login, refresh-token rotation,
//! password reset, email verification, self-service and administration.

pub mod client_address;
pub mod configuration;
pub mod domain;
pub mod mailer;
pub mod migrate;
pub mod openapi;
pub mod password;
pub mod routes;
pub mod service;
pub mod startup;
pub mod storage;
