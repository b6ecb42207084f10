pub mod org;
pub mod password_policy;
pub mod tokens;
pub mod user;
