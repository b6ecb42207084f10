//! MongoDB access, one module per collection.

pub mod action_tokens;
pub mod bootstrap;
pub mod claims;
pub mod invitations;
pub mod login_attempts;
pub mod mail_quota;
pub mod memberships;
pub mod organizations;
pub mod refresh_tokens;
pub mod users;

use common::db::{DatabaseStartupError, ensure_indexes};
use mongodb::Database;

/// Creates the indexes (TTL ones included) and drops replaced ones.
pub async fn create_indexes(database: &Database) -> Result<(), DatabaseStartupError> {
    for (collection, (indexes, obsolete)) in [
        (users::COLLECTION, users::indexes()),
        (refresh_tokens::COLLECTION, refresh_tokens::indexes()),
        (action_tokens::COLLECTION, action_tokens::indexes()),
        (claims::COLLECTION, claims::indexes()),
        (login_attempts::COLLECTION, login_attempts::indexes()),
        (mail_quota::COLLECTION, mail_quota::indexes()),
        (organizations::COLLECTION, organizations::indexes()),
        (memberships::COLLECTION, memberships::indexes()),
        (invitations::COLLECTION, invitations::indexes()),
    ] {
        ensure_indexes(database, collection, indexes, obsolete).await?;
    }
    users::create_superuser_guard(database)
        .await
        .map_err(|e| DatabaseStartupError::Index {
            collection: users::SUPERUSER_GUARD.to_owned(),
            source: Box::new(e),
        })?;
    Ok(())
}

/// Deletes every document of `collection` that `owner` selects (a user's
/// or an organization's, at its deletion), in the transaction of `session`.
async fn delete_owned<T: Send + Sync>(
    collection: &mongodb::Collection<T>,
    session: &mut mongodb::ClientSession,
    owner: bson::Document,
    context: &'static str,
) -> Result<(), common::db::StoreError> {
    use common::db::Context;
    collection
        .delete_many(owner)
        .session(session)
        .await
        .context(context)?;
    Ok(())
}
