//! Creating the first superuser (CLI and start-up), idempotently.

use common::error::ApiError;
use mongodb::Database;

use crate::domain::user::User;
use crate::password::PasswordHasher;
use crate::routes::auth::parse_credentials;
use crate::storage::users;

#[derive(Debug, PartialEq, Eq)]
pub enum SuperuserOutcome {
    Created,
    /// The account existed; it is now an active, verified superuser. Its
    /// password is left as it is (it may have been changed since).
    Promoted,
    AlreadySuperuser,
}

pub async fn ensure_superuser(
    db: &Database,
    hasher: &PasswordHasher,
    email: &str,
    password: &str,
) -> Result<SuperuserOutcome, ApiError> {
    let (email, password) = parse_credentials(email, password)?;
    if let Some(existing) = users::find_by_email(db, email.as_str()).await? {
        if existing.is_superuser && existing.is_active && existing.is_verified {
            return Ok(SuperuserOutcome::AlreadySuperuser);
        }
        users::update(
            db,
            &existing.id,
            bson::doc! { "is_superuser": true, "is_active": true, "is_verified": true },
        )
        .await?;
        return Ok(SuperuserOutcome::Promoted);
    }
    let mut user = User::new(email, hasher.hash(password.expose()).await?);
    user.is_superuser = true;
    user.is_verified = true;
    match users::insert(db, &user).await {
        Ok(()) => Ok(SuperuserOutcome::Created),
        // Two instances bootstrapping at once: the other one created it.
        Err(ApiError::Conflict(_)) => Ok(SuperuserOutcome::AlreadySuperuser),
        Err(e) => Err(e),
    }
}
