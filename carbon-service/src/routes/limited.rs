//! A write's role check and per-user rate limit as one extractor: placed
//! before a handler's body extractor, both are checked before the body is
//! read, so a caller whose role cannot write, or who is over the limit,
//! costs no parsing and learns nothing about what a valid body looks like.

use std::future::{Ready, ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use common::audit::Author;
use common::auth::AuthenticatedUser;
use common::error::ApiError;
use common::org::Capability;

use crate::context::AppContext;
use crate::limits::Limited;

/// A write: what the token's role needs for it, and its per-user limit.
pub trait Operation {
    const NEEDS: Capability;
    const LIMITED: Limited;
}

/// `POST`, `PUT` and `DELETE /usages` (`USAGE_WRITE_RATE_LIMIT_*`): editors
/// and above.
pub struct UsageWrite;
impl Operation for UsageWrite {
    const NEEDS: Capability = Capability::WriteUsages;
    const LIMITED: Limited = Limited::Write;
}

/// `POST /usages/import` (`IMPORT_RATE_LIMIT_*`): editors and above.
pub struct Import;
impl Operation for Import {
    const NEEDS: Capability = Capability::WriteUsages;
    const LIMITED: Limited = Limited::Import;
}

/// `POST`, `PUT` and `DELETE /instruments` (the write limit): admins and
/// owners.
pub struct InventoryWrite;
impl Operation for InventoryWrite {
    const NEEDS: Capability = Capability::ManageInventory;
    const LIMITED: Limited = Limited::Write;
}

/// `POST /periods/{name}/unlock` (the write limit): owners only.
pub struct Unlock;
impl Operation for Unlock {
    const NEEDS: Capability = Capability::UnlockPeriods;
    const LIMITED: Limited = Limited::Write;
}

/// An authenticated caller whose role may do `O`, within their limit of
/// it: 401 without a valid token, 403 for a role that may not, 429 with
/// `Retry-After` over the limit.
/// Carries the caller as the audit trail records them.
pub struct Within<O>(pub AuthenticatedUser, pub Author, pub PhantomData<O>);

impl<O: Operation> FromRequest for Within<O> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        authored(req, payload, |caller, author| {
            caller.require(O::NEEDS)?;
            let ctx = req.app_data::<web::Data<AppContext>>().ok_or_else(|| {
                ApiError::internal("the AppContext is not registered as app data")
            })?;
            ctx.limiters().check(O::LIMITED, &caller.id)?;
            Ok(Self(caller, author, PhantomData))
        })
    }
}

/// The authenticated caller and how the audit trail records them, for
/// `then` to check (401 without a valid token).
pub fn authored<T>(
    req: &HttpRequest,
    payload: &mut Payload,
    then: impl FnOnce(AuthenticatedUser, Author) -> Result<T, ApiError>,
) -> Ready<Result<T, ApiError>> {
    ready(
        AuthenticatedUser::from_request(req, payload)
            .into_inner()
            .and_then(|caller| {
                let author = Author::of(&caller, &common::http::RequestId::of(req));
                then(caller, author)
            }),
    )
}

/// What a route whose extractor is `Within<UsageWrite | InventoryWrite |
/// Unlock>` answers over its caller's write limit, declared once.
#[derive(utoipa::IntoResponses)]
pub enum WriteLimited {
    #[response(
        status = 429,
        description = "Too many writes by this user (USAGE_WRITE_RATE_LIMIT_PER_MINUTE); see Retry-After"
    )]
    TooMany(common::error::ProblemDetails),
}
