//! What every route under `/orgs/{org_id}` shares: the organization its
//! path names, and the answers to a caller outside it.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use common::error::{ApiError, ProblemDetails};
use common::extract::path_segment;
use common::ids::OrgId;
use utoipa::{IntoParams, IntoResponses};

/// The organization the path names; 422 unless its id is a UUID.
#[derive(IntoParams)]
#[into_params(names("org_id"), parameter_in = Path)]
pub struct OrgPath(
    /// The organization
    pub OrgId,
);

impl FromRequest for OrgPath {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(path_segment(req, "org_id", OrgId::parse).map(Self))
    }
}

/// The answers of a route under `/orgs/{org_id}` that a route's own rows
/// (listed after it) may say more precisely.
#[derive(IntoResponses)]
pub enum OrgAnswers {
    #[response(
        status = 404,
        description = "No such organization, or the caller is not a member"
    )]
    NotAMember(ProblemDetails),
    #[response(status = 422, description = "`org_id` is not a UUID")]
    NotAnId(ProblemDetails),
}
