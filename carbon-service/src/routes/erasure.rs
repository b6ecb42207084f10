//! What the erasing routes share (`DELETE /usages`, `DELETE /org` and a
//! superuser's `DELETE /users/{id}/usages`): the confirmation, the owner's
//! fresh login, and the answers they give alike.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use common::audit::Author;
use common::auth::AuthenticatedUser;
use common::error::{ApiError, ProblemDetails};
use common::extract::parse_query;
use common::http::RequestId;
use common::org::Capability;
use common::validation::Invalid;
use serde::Deserialize;
use utoipa::{IntoParams, IntoResponses};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EraseQuery {
    /// Must be `true`: erasing cannot be undone.
    pub confirm: Option<bool>,
}

impl EraseQuery {
    pub(super) fn confirmed(&self) -> Result<(), Invalid> {
        if self.confirm == Some(true) {
            Ok(())
        } else {
            Err(Invalid::one(
                "confirm",
                "must be true: erasing every usage cannot be undone",
            ))
        }
    }
}

/// The organization's owner, with a login within the last five minutes,
/// who sent `confirm=true`; as the audit trail records them. Checked in
/// that order after the token: 403, 422, 401.
pub struct OwnerErasure(pub AuthenticatedUser, pub Author);

impl FromRequest for OwnerErasure {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let erasure = AuthenticatedUser::from_request(req, payload)
            .into_inner()
            .and_then(|caller| {
                let query: EraseQuery = parse_query(req.query_string())?;
                caller.require(Capability::DeleteOrganization)?;
                query.confirmed()?;
                caller.require_fresh_login()?;
                let author = Author::of(&caller, &RequestId::of(req));
                Ok(Self(caller, author))
            });
        ready(erasure)
    }
}

/// What an erasure answers besides its 204 (a route's own rows, listed
/// after it, say more where they differ).
#[derive(IntoResponses)]
pub enum ErasureAnswers {
    #[response(
        status = 401,
        description = "Missing or invalid token, or a login older than five minutes (WWW-Authenticate: Bearer error=\"insufficient_user_authentication\", max_age=300)"
    )]
    Unauthenticated(ProblemDetails),
    #[response(status = 403, description = "The token's role is not owner")]
    NotOwner(ProblemDetails),
    #[response(
        status = 409,
        description = "Usages are dated in a locked reporting period (the answer names it; an owner unlocks it): nothing is erased"
    )]
    Locked(ProblemDetails),
    #[response(status = 422, description = "confirm=true is missing")]
    NotConfirmed(ProblemDetails),
    #[response(
        status = 503,
        description = "Every import slot (IMPORT_CONCURRENCY) stayed taken; what was erased stays erased, repeat to finish; see Retry-After"
    )]
    Busy(ProblemDetails),
}
