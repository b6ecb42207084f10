//! Authorization as a matrix: every route of user-service, called as the
//! anonymous, a user and a superuser. A route added to the route table
//! without its row here fails the first test.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

/// What a caller gets from a route.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Gets {
    /// Past authentication and authorization (any other answer: 2xx, 404
    /// of a missing id, 400 or 422 of an empty body...).
    Through,
    /// 401: no or no valid token.
    Unauthorized,
    /// 403: a superuser's route.
    Forbidden,
}

use Gets::*;

/// (method, path, anonymous, user, superuser); `{id}` is another account.
const MATRIX: &[(&str, &str, Gets, Gets, Gets)] = &[
    ("POST", "/auth/register", Through, Through, Through),
    ("POST", "/auth/jwt/login", Through, Through, Through),
    ("POST", "/auth/jwt/refresh", Through, Through, Through),
    ("POST", "/auth/jwt/logout", Through, Through, Through),
    ("POST", "/auth/forgot-password", Through, Through, Through),
    ("POST", "/auth/reset-password", Through, Through, Through),
    (
        "POST",
        "/auth/request-verify-token",
        Through,
        Through,
        Through,
    ),
    ("POST", "/auth/verify", Through, Through, Through),
    ("GET", "/users/me", Unauthorized, Through, Through),
    ("PATCH", "/users/me", Unauthorized, Through, Through),
    ("DELETE", "/users/me", Unauthorized, Through, Through),
    ("GET", "/users", Unauthorized, Forbidden, Through),
    ("GET", "/users/{id}", Unauthorized, Forbidden, Through),
    ("PATCH", "/users/{id}", Unauthorized, Forbidden, Through),
    ("DELETE", "/users/{id}", Unauthorized, Forbidden, Through),
    ("GET", "/.well-known/jwks.json", Through, Through, Through),
    ("GET", "/healthz", Through, Through, Through),
    ("GET", "/readyz", Through, Through, Through),
];

#[test]
fn every_route_has_its_row_and_every_row_is_a_route() {
    common::testing::assert_matrix_covers(
        &user_service::routes::table().operations(),
        MATRIX.iter().map(|r| (r.0, r.1)),
    );
}

#[tokio::test]
async fn each_caller_gets_what_the_matrix_says_on_every_route() {
    let app = spawn_app().await;
    let (user, _, _) = app.signed_up(&unique_email()).await;
    let superuser = app.superuser_token().await;
    let someone = uuid::Uuid::new_v4().to_string();
    for &(method, template, anonymous, as_user, as_superuser) in MATRIX {
        let path = template.replace("{id}", &someone);
        let verb = Method::from_bytes(method.as_bytes()).unwrap();
        for (expected, token, who) in [
            (anonymous, None, "anonymous"),
            (as_user, Some(user.as_str()), "a user"),
            (as_superuser, Some(superuser.as_str()), "a superuser"),
        ] {
            let mut request = app.client.request(verb.clone(), app.url(&path));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            // An empty body: only the caller may decide 401 or 403.
            if verb != Method::GET {
                request = request.json(&json!({}));
            }
            let status = request.send().await.unwrap().status();
            let fits = match expected {
                Through => !matches!(status.as_u16(), 401 | 403) && status.as_u16() < 500,
                Unauthorized => status == StatusCode::UNAUTHORIZED,
                Forbidden => status == StatusCode::FORBIDDEN,
            };
            assert!(
                fits,
                "{method} {path} as {who}: {status}, expected {expected:?}"
            );
        }
    }
}
