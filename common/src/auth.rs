//! The authenticated-user extractor: a handler that takes an
//! [`AuthenticatedUser`] runs only for requests with a valid bearer token.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::error::ApiError;
use crate::ids::{OrgId, UserId};
use crate::jwt::{AccessTokenVerifier, TokenError};
use crate::org::{Capability, OrgRole};

/// The caller, as stated by a verified access token.
#[derive(Debug, Clone)]
pub struct AuthenticatedUser {
    pub id: UserId,
    /// The `superuser` claim. user-service also re-checks the database; a
    /// superuser's token lives at most five minutes
    /// (`jwt::SUPERUSER_MAX_TTL_SECONDS`), which bounds how stale it is on
    /// carbon-service.
    pub superuser: bool,
    /// The user's session generation at login (`sgen`).
    pub session_generation: i64,
    /// When the user last gave the password (`auth_time`, Unix seconds).
    pub auth_time: i64,
    /// The organization the token acts in (`org`; the personal one when
    /// the token names none).
    pub org: OrgId,
    /// The role in it when the token was issued (`org_role`). Only
    /// carbon-service authorizes from it; user-service reads the
    /// membership.
    pub org_role: OrgRole,
}

/// How recent a login an irreversible operation asks for (RFC 9470's
/// `max_age`).
pub const FRESH_LOGIN_SECONDS: i64 = 300;

impl AuthenticatedUser {
    /// 401 with an RFC 9470 step-up challenge unless the caller gave the
    /// password within [`FRESH_LOGIN_SECONDS`]: a stolen or long-refreshed
    /// token cannot erase data.
    pub fn require_fresh_login(&self) -> Result<(), ApiError> {
        let age = chrono::Utc::now()
            .timestamp()
            .saturating_sub(self.auth_time);
        if (0..=FRESH_LOGIN_SECONDS).contains(&age) {
            Ok(())
        } else {
            Err(ApiError::StaleLogin {
                max_age_seconds: FRESH_LOGIN_SECONDS,
            })
        }
    }

    /// 403 unless the token's role in its organization may do `capability`.
    pub fn require(&self, capability: Capability) -> Result<(), ApiError> {
        if self.org_role.can(capability) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "Your role in this organization ({}) cannot {}.",
                self.org_role,
                capability.describe()
            )))
        }
    }

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
        .ok_or_else(|| {
            ApiError::internal("the AccessTokenVerifier is not registered as app data")
        })?;
    let claims = verifier
        .verify_access_token(token)
        .map_err(|e| ApiError::Unauthorized {
            token_sent: true,
            detail: match e {
                TokenError::Expired => "The access token has expired.".into(),
                TokenError::Invalid => "The access token is invalid.".into(),
            },
        })?;
    let (org, org_role) = claims.organization();
    Ok(AuthenticatedUser {
        org,
        org_role,
        id: UserId::from(claims.sub),
        superuser: claims.superuser,
        session_generation: claims.sgen,
        auth_time: claims.auth_time,
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

/// A caller who may or may not have sent a valid bearer token: `None` for
/// none, an expired one or an invalid one. For endpoints that other
/// credentials also authorize (logout with a refresh token).
#[derive(Debug, Clone)]
pub struct MaybeAuthenticatedUser(pub Option<AuthenticatedUser>);

impl FromRequest for MaybeAuthenticatedUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self(authenticate(req).ok())))
    }
}

/// The caller of a public endpoint that shows the signed-in more: `None`
/// without an `Authorization` header. A token that is sent but invalid or
/// expired is 401, so that a client refreshes instead of silently seeing
/// less.
#[derive(Debug, Clone)]
pub struct OptionalUser(pub Option<AuthenticatedUser>);

impl FromRequest for OptionalUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(if req.headers().contains_key(header::AUTHORIZATION) {
            authenticate(req).map(|caller| Self(Some(caller)))
        } else {
            Ok(Self(None))
        })
    }
}
