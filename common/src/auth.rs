//! The authenticated-user extractor: a handler that takes an
//! [`AuthenticatedUser`] runs only for requests with a valid bearer token.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use uuid::Uuid;

use crate::error::ApiError;
use crate::jwt::{AccessTokenClaims, AccessTokenVerifier, TokenError};

/// The caller, as stated by a verified access token.
#[derive(Debug, Clone)]
pub struct AuthenticatedUser {
    pub id: Uuid,
    pub email: String,
    /// The `superuser` claim. user-service also re-checks the database,
    /// since the claim may be up to one token lifetime stale.
    pub superuser: bool,
    pub claims: AccessTokenClaims,
}

impl AuthenticatedUser {
    /// 403 unless the token says superuser.
    pub fn require_superuser(&self) -> Result<(), ApiError> {
        if self.superuser {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn authenticate(req: &HttpRequest) -> Result<AuthenticatedUser, ApiError> {
    let Some(token) = bearer_token(req) else {
        return Err(ApiError::Unauthorized {
            token_sent: false,
            detail: "This endpoint requires a bearer access token.".into(),
        });
    };
    let verifier = req
        .app_data::<web::Data<AccessTokenVerifier>>()
        .ok_or_else(|| ApiError::internal("AccessTokenVerifier is not registered as app data"))?;
    let claims = verifier
        .verify_access_token(token)
        .map_err(|e| ApiError::Unauthorized {
            token_sent: true,
            detail: match e {
                TokenError::Expired => "The access token has expired.".into(),
                TokenError::Invalid => "The access token is invalid.".into(),
            },
        })?;
    Ok(AuthenticatedUser {
        id: claims.sub,
        email: claims.email.clone(),
        superuser: claims.superuser,
        claims,
    })
}

impl FromRequest for AuthenticatedUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

/// A caller whose token claims superuser. As a handler's first argument it
/// answers 401 or 403 before the body is read, so a caller without the role
/// learns nothing about what a valid request looks like.
#[derive(Debug, Clone)]
pub struct Superuser(pub AuthenticatedUser);

impl FromRequest for Superuser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|caller| {
            caller.require_superuser()?;
            Ok(Superuser(caller))
        }))
    }
}
