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
    ("POST", "/orgs", Unauthorized, Through, Through),
    ("GET", "/orgs", Unauthorized, Through, Through),
    ("GET", "/orgs/{org_id}", Unauthorized, Through, Through),
    ("PATCH", "/orgs/{org_id}", Unauthorized, Through, Through),
    ("DELETE", "/orgs/{org_id}", Unauthorized, Through, Through),
    (
        "GET",
        "/orgs/{org_id}/members",
        Unauthorized,
        Through,
        Through,
    ),
    (
        "PATCH",
        "/orgs/{org_id}/members/{user_id}",
        Unauthorized,
        Through,
        Through,
    ),
    (
        "DELETE",
        "/orgs/{org_id}/members/{user_id}",
        Unauthorized,
        Through,
        Through,
    ),
    (
        "POST",
        "/orgs/{org_id}/invitations",
        Unauthorized,
        Through,
        Through,
    ),
    (
        "GET",
        "/orgs/{org_id}/invitations",
        Unauthorized,
        Through,
        Through,
    ),
    (
        "DELETE",
        "/orgs/{org_id}/invitations/{id}",
        Unauthorized,
        Through,
        Through,
    ),
    (
        "POST",
        "/invitations/accept",
        Unauthorized,
        Through,
        Through,
    ),
    (
        "GET",
        "/orgs/{org_id}/audit",
        Unauthorized,
        Through,
        Through,
    ),
    (
        "GET",
        "/orgs/{org_id}/audit/verify",
        Unauthorized,
        Through,
        Through,
    ),
    (
        "GET",
        "/orgs/{org_id}/audit/export",
        Unauthorized,
        Through,
        Through,
    ),
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
        let path = template
            .replace("{id}", &someone)
            .replace("{org_id}", &someone)
            .replace("{user_id}", &someone);
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

/// What a member of each role gets from an organization's route.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    /// 2xx.
    Allowed,
    /// 403: the role cannot.
    Refused,
    /// 404: not a member (another organization's caller).
    Hidden,
}

use Role::{Allowed, Hidden, Refused};

/// (method, path, owner, admin, editor, viewer, auditor, a member of
/// another organization). Every route of an organization has its row.
#[rustfmt::skip]
const ROLE_MATRIX: &[(&str, &str, [Role; 6])] = &[
    ("GET", "/orgs/{org_id}", [Allowed, Allowed, Allowed, Allowed, Allowed, Hidden]),
    ("PATCH", "/orgs/{org_id}", [Allowed, Allowed, Refused, Refused, Refused, Hidden]),
    ("DELETE", "/orgs/{org_id}", [Allowed, Refused, Refused, Refused, Refused, Hidden]),
    ("GET", "/orgs/{org_id}/members", [Allowed, Allowed, Allowed, Allowed, Allowed, Hidden]),
    ("PATCH", "/orgs/{org_id}/members/{user_id}", [Allowed, Allowed, Refused, Refused, Refused, Hidden]),
    ("DELETE", "/orgs/{org_id}/members/{user_id}", [Allowed, Allowed, Refused, Refused, Refused, Hidden]),
    ("POST", "/orgs/{org_id}/invitations", [Allowed, Allowed, Refused, Refused, Refused, Hidden]),
    ("GET", "/orgs/{org_id}/invitations", [Allowed, Allowed, Refused, Refused, Allowed, Hidden]),
    ("DELETE", "/orgs/{org_id}/invitations/{id}", [Allowed, Allowed, Refused, Refused, Refused, Hidden]),
    ("GET", "/orgs/{org_id}/audit", [Allowed, Allowed, Refused, Refused, Allowed, Hidden]),
    ("GET", "/orgs/{org_id}/audit/verify", [Allowed, Allowed, Refused, Refused, Allowed, Hidden]),
    ("GET", "/orgs/{org_id}/audit/export", [Allowed, Allowed, Refused, Refused, Allowed, Hidden]),
];

#[test]
fn every_route_of_an_organization_has_its_role_row() {
    let org_routes: Vec<(String, String)> = user_service::routes::table()
        .operations()
        .into_iter()
        .filter(|(path, _)| path.contains("{org_id}"))
        .map(|(path, method)| (method, path))
        .collect();
    let mut rows: Vec<(String, String)> = ROLE_MATRIX
        .iter()
        .map(|r| (r.0.to_owned(), r.1.to_owned()))
        .collect();
    let mut routes = org_routes;
    rows.sort();
    routes.sort();
    assert_eq!(routes, rows);
}

#[tokio::test]
async fn each_role_gets_what_the_role_matrix_says_on_every_route_of_an_organization() {
    use common::org::OrgRole::*;
    let app = spawn_app().await;
    let (outsider, _, _) = app.signed_up(&unique_email()).await;
    for &(method, template, expected) in ROLE_MATRIX {
        // A fresh organization per route: its writes change it.
        let org = app.org_with_every_role().await;
        let invitations: Vec<String> = {
            let mut ids = Vec::new();
            for _ in 0..2 {
                let invited: serde_json::Value = app
                    .invite(&org.id, &org.owner.access, &unique_email(), "viewer")
                    .await
                    .json()
                    .await
                    .unwrap();
                ids.push(invited["id"].as_str().unwrap().to_owned());
            }
            ids
        };
        // The outsider first and the owner last: the owner's call may
        // delete the organization.
        let callers = [
            (5, None, &outsider),
            (4, Some(Auditor), &org.auditor.access),
            (3, Some(Viewer), &org.viewer.access),
            (2, Some(Editor), &org.editor.access),
            (1, Some(Admin), &org.admin.access),
            (0, Some(Owner), &org.owner.access),
        ];
        for (column, role, token) in callers {
            // Each caller acts on a target of its own, so that one caller's
            // success leaves the next one's target in place.
            let user_target = match role {
                Some(Owner) => &org.admin.id,
                Some(Admin) => &org.editor.id,
                Some(Editor | Viewer | Auditor) => &org.owner.id,
                None => &org.viewer.id,
            };
            let invitation = if role == Some(Owner) {
                &invitations[1]
            } else {
                &invitations[0]
            };
            let path = template
                .replace("{org_id}", &org.id)
                .replace("{user_id}", user_target)
                .replace("{id}", invitation);
            let verb = Method::from_bytes(method.as_bytes()).unwrap();
            let body = match (method, template) {
                ("PATCH", "/orgs/{org_id}") => json!({ "name": "Renamed" }),
                ("PATCH", _) => json!({ "role": "auditor" }),
                ("POST", _) => json!({ "email": unique_email(), "role": "viewer" }),
                _ => json!(null),
            };
            let mut request = app.client.request(verb, app.url(&path)).bearer_auth(token);
            if !body.is_null() {
                request = request.json(&body);
            }
            let status = request.send().await.unwrap().status();
            let want = expected[column];
            let fits = match want {
                Allowed => status.is_success(),
                Refused => status == StatusCode::FORBIDDEN,
                Hidden => status == StatusCode::NOT_FOUND,
            };
            assert!(
                fits,
                "{method} {template} as {role:?}: {status}, expected {want:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_token_of_any_role_is_the_users_own_on_every_route_outside_an_organization() {
    // Roles are of an organization: on the account's routes, a member's
    // token of any role gets what a user gets.
    let app = spawn_app().await;
    let org = app.org_with_every_role().await;
    let someone = uuid::Uuid::new_v4().to_string();
    for &(method, template, _, as_user, _) in
        MATRIX.iter().filter(|row| !row.1.contains("{org_id}"))
    {
        let path = template.replace("{id}", &someone);
        let verb = Method::from_bytes(method.as_bytes()).unwrap();
        for role in common::org::OrgRole::ALL {
            let mut request = app
                .client
                .request(verb.clone(), app.url(&path))
                .bearer_auth(&org.member(role).access);
            if verb != Method::GET {
                request = request.json(&json!({}));
            }
            let status = request.send().await.unwrap().status();
            let fits = match as_user {
                Through => !matches!(status.as_u16(), 401 | 403) && status.as_u16() < 500,
                Unauthorized => status == StatusCode::UNAUTHORIZED,
                Forbidden => status == StatusCode::FORBIDDEN,
            };
            assert!(
                fits,
                "{method} {path} as {role}: {status}, expected {as_user:?}"
            );
        }
    }
}
