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

/// Deletes every document of `user_id` in `collection`, in the transaction
/// of `session` (an account's deletion).
async fn delete_of_user<T: Send + Sync>(
    collection: &mongodb::Collection<T>,
    session: &mut mongodb::ClientSession,
    user_id: common::ids::UserId,
    context: &'static str,
) -> Result<(), common::db::StoreError> {
    use common::db::Context;
    collection
        .delete_many(bson::doc! { "user_id": user_id })
        .session(session)
        .await
        .context(context)?;
    Ok(())
}

/// Deletes every document of `org_id` in `collection`, in the transaction
/// of `session` (an organization's deletion).
async fn delete_of_org<T: Send + Sync>(
    collection: &mongodb::Collection<T>,
    session: &mut mongodb::ClientSession,
    org_id: common::ids::OrgId,
    context: &'static str,
) -> Result<(), common::db::StoreError> {
    use common::db::Context;
    collection
        .delete_many(bson::doc! { "org_id": org_id })
        .session(session)
        .await
        .context(context)?;
    Ok(())
}
