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

use bson::{Document, doc};
use common::db::{Context, DatabaseStartupError, StoreError, ensure_indexes};
use common::ids::{OrgId, UserId};
use mongodb::{ClientSession, Database};

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

/// Whose documents [`delete_owned`] deletes.
pub enum Owner {
    /// An account's refresh and mailed tokens.
    User(UserId),
    /// An organization's memberships and invitations.
    Org(OrgId),
}

/// Deletes what `owner` owns here, with it, in the transaction of
/// `session`.
pub async fn delete_owned(
    db: &Database,
    session: &mut ClientSession,
    owner: Owner,
) -> Result<(), StoreError> {
    let (filter, collections) = match owner {
        Owner::User(id) => (
            doc! { "user_id": id },
            [
                (
                    refresh_tokens::COLLECTION,
                    "deleting a user's refresh tokens",
                ),
                (action_tokens::COLLECTION, "deleting a user's mailed tokens"),
            ],
        ),
        Owner::Org(id) => (
            doc! { "org_id": id },
            [
                (
                    memberships::COLLECTION,
                    "removing an organization's members",
                ),
                (
                    invitations::COLLECTION,
                    "removing an organization's invitations",
                ),
            ],
        ),
    };
    for (collection, context) in collections {
        db.collection::<Document>(collection)
            .delete_many(filter.clone())
            .session(&mut *session)
            .await
            .context(context)?;
    }
    Ok(())
}
