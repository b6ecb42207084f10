//! Per-user rate limits as extractors: placed before a handler's body
//! extractor, the limit is checked before the body is read, so a caller
//! over it costs no parsing.

use std::future::{Ready, ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use common::auth::AuthenticatedUser;
use common::error::ApiError;

use crate::context::AppContext;
use crate::limits::Limited;

/// An operation with a per-user rate limit.
pub trait Operation {
    const LIMITED: Limited;
}

/// `POST`, `PUT` and `DELETE /usages` (`USAGE_WRITE_RATE_LIMIT_*`).
pub struct UsageWrite;
impl Operation for UsageWrite {
    const LIMITED: Limited = Limited::Write;
}

/// `POST /usages/import` (`IMPORT_RATE_LIMIT_*`).
pub struct Import;
impl Operation for Import {
    const LIMITED: Limited = Limited::Import;
}

/// An authenticated caller within their limit of `O`: 401 without a
/// valid token, 429 with `Retry-After` over the limit.
pub struct Within<O>(pub AuthenticatedUser, pub PhantomData<O>);

impl<O: Operation> FromRequest for Within<O> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(
            AuthenticatedUser::from_request(req, payload)
                .into_inner()
                .and_then(|caller| {
                    let ctx = req.app_data::<web::Data<AppContext>>().ok_or_else(|| {
                        ApiError::internal("the AppContext is not registered as app data")
                    })?;
                    ctx.limiters().check(O::LIMITED, &caller.id)?;
                    Ok(Self(caller, PhantomData))
                }),
        )
    }
}
