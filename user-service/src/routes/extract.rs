//! Authentication as a parameter type: a handler that takes a
//! [`CurrentUser`] or an [`ActiveSuperuser`] runs only for a valid token of
//! an active account whose sessions have not been ended since (and, for
//! the second, that is a superuser by the token and by the database now).
//! The checks are `service::accounts::current` and `current_superuser`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use common::auth::{AuthenticatedUser, Superuser};
use common::error::ApiError;
use futures_util::TryFutureExt;
use mongodb::Database;

use crate::domain::user::User;
use crate::service::ServiceContext;
use crate::service::accounts;

/// The bearer as the account checks see it.
fn caller(token: &AuthenticatedUser) -> accounts::Caller {
    accounts::Caller {
        id: token.id,
        superuser: token.superuser,
        session_generation: token.session_generation,
    }
}

fn database(req: &HttpRequest) -> Result<Database, ApiError> {
    req.app_data::<web::Data<ServiceContext>>()
        .map(|context| context.db.clone())
        .ok_or_else(|| ApiError::internal("the service context is not registered as app data"))
}

/// The account of the token `token` as it is now, a superuser now too
/// when `superuser`.
fn account(
    req: &HttpRequest,
    token: Result<AuthenticatedUser, ApiError>,
    superuser: bool,
) -> Pin<Box<dyn Future<Output = Result<CurrentUser, ApiError>>>> {
    let db = database(req);
    Box::pin(async move {
        let (token, db) = (token?, db?);
        let user = if superuser {
            accounts::current_superuser(&db, &caller(&token)).await?
        } else {
            accounts::current(&db, &caller(&token)).await?
        };
        Ok(CurrentUser { user, token })
    })
}

/// The caller's account, as it is now.
pub struct CurrentUser {
    pub user: User,
    pub token: AuthenticatedUser,
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        account(
            req,
            AuthenticatedUser::from_request(req, payload).into_inner(),
            false,
        )
    }
}

/// A caller who is a superuser now. 401 or 403 before the body is read.
pub struct ActiveSuperuser(pub User);

impl FromRequest for ActiveSuperuser {
    type Error = ApiError;
    type Future = futures_util::future::MapOk<
        Pin<Box<dyn Future<Output = Result<CurrentUser, ApiError>>>>,
        fn(CurrentUser) -> Self,
    >;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let token = Superuser::from_request(req, payload).into_inner();
        account(req, token.map(|Superuser(token)| token), true).map_ok(|me| Self(me.user))
    }
}
