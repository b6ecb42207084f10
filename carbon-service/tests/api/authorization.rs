//! Authorization as a matrix: every route of carbon-service, called as the
//! anonymous, a user, another user (on the first one's resources) and a
//! superuser. A route added to the route table without its row here fails
//! the first test.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// What a caller gets from a route.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Gets {
    /// Past authentication and authorization (any other answer: 2xx, 404
    /// of a missing id, 422 of an empty body...).
    Through,
    /// 401: no or no valid token.
    Unauthorized,
    /// 403: a superuser's route.
    Forbidden,
    /// 404: another user's resource does not exist for them.
    NotFound,
}

use Gets::*;

/// (method, path, anonymous, user, another user, superuser). `{usage}` and
/// `{instrument}` are the user's own resources; `{other}` another user's id.
const MATRIX: &[(&str, &str, Gets, Gets, Gets, Gets)] = &[
    ("GET", "/datasets", Through, Through, Through, Through),
    ("POST", "/datasets", Unauthorized, Through, Through, Through),
    ("GET", "/datasets/{id}", Through, Through, Through, Through),
    (
        "POST",
        "/datasets/{id}/retire",
        Unauthorized,
        Through,
        Through,
        Through,
    ),
    ("GET", "/gwp-sets", Through, Through, Through, Through),
    ("GET", "/units", Through, Through, Through, Through),
    ("GET", "/types", Through, Through, Through, Through),
    (
        "POST",
        "/types",
        Unauthorized,
        Forbidden,
        Forbidden,
        Through,
    ),
    ("GET", "/types/{id}", Through, Through, Through, Through),
    (
        "PUT",
        "/types/{id}",
        Unauthorized,
        Forbidden,
        Forbidden,
        Through,
    ),
    (
        "DELETE",
        "/types/{id}",
        Unauthorized,
        Forbidden,
        Forbidden,
        Through,
    ),
    (
        "GET",
        "/instruments",
        Unauthorized,
        Through,
        Through,
        Through,
    ),
    (
        "POST",
        "/instruments",
        Unauthorized,
        Through,
        Through,
        Through,
    ),
    (
        "GET",
        "/instruments/{id}",
        Unauthorized,
        Through,
        NotFound,
        NotFound,
    ),
    (
        "PUT",
        "/instruments/{id}",
        Unauthorized,
        Through,
        NotFound,
        NotFound,
    ),
    (
        "DELETE",
        "/instruments/{id}",
        Unauthorized,
        Through,
        NotFound,
        NotFound,
    ),
    (
        "GET",
        "/facilities",
        Unauthorized,
        Through,
        Through,
        Through,
    ),
    (
        "POST",
        "/facilities",
        Unauthorized,
        Through,
        Through,
        Through,
    ),
    (
        "GET",
        "/facilities/{id}",
        Unauthorized,
        Through,
        NotFound,
        NotFound,
    ),
    (
        "PUT",
        "/facilities/{id}",
        Unauthorized,
        Through,
        NotFound,
        NotFound,
    ),
    (
        "DELETE",
        "/facilities/{id}",
        Unauthorized,
        Through,
        NotFound,
        NotFound,
    ),
    ("GET", "/usages", Unauthorized, Through, Through, Through),
    ("POST", "/usages", Unauthorized, Through, Through, Through),
    ("DELETE", "/usages", Unauthorized, Through, Through, Through),
    (
        "GET",
        "/usages/summary",
        Unauthorized,
        Through,
        Through,
        Through,
    ),
    (
        "GET",
        "/usages/export",
        Unauthorized,
        Through,
        Through,
        Through,
    ),
    (
        "POST",
        "/usages/import",
        Unauthorized,
        Through,
        Through,
        Through,
    ),
    (
        "GET",
        "/usages/{id}",
        Unauthorized,
        Through,
        NotFound,
        NotFound,
    ),
    (
        "PUT",
        "/usages/{id}",
        Unauthorized,
        Through,
        NotFound,
        NotFound,
    ),
    (
        "DELETE",
        "/usages/{id}",
        Unauthorized,
        Through,
        NotFound,
        NotFound,
    ),
    (
        "DELETE",
        "/users/{id}/usages",
        Unauthorized,
        Forbidden,
        Forbidden,
        Through,
    ),
    ("DELETE", "/org", Unauthorized, Through, Through, Through),
    ("GET", "/audit", Unauthorized, Through, Through, Through),
    (
        "GET",
        "/inventory/settings",
        Unauthorized,
        Through,
        Through,
        Through,
    ),
    (
        "PUT",
        "/inventory/settings",
        Unauthorized,
        Through,
        Through,
        Through,
    ),
    ("GET", "/periods", Unauthorized, Through, Through, Through),
    (
        "GET",
        "/inventory/restatement",
        Unauthorized,
        Through,
        Through,
        Through,
    ),
    (
        "POST",
        "/periods/{name}/lock",
        Unauthorized,
        Through,
        Through,
        Through,
    ),
    (
        "POST",
        "/periods/{name}/unlock",
        Unauthorized,
        Through,
        Through,
        Through,
    ),
    (
        "GET",
        "/audit/verify",
        Unauthorized,
        Through,
        Through,
        Through,
    ),
    (
        "GET",
        "/audit/export",
        Unauthorized,
        Through,
        Through,
        Through,
    ),
    ("GET", "/audit/verifier", Through, Through, Through, Through),
    ("GET", "/healthz", Through, Through, Through, Through),
    ("GET", "/readyz", Through, Through, Through, Through),
];

#[test]
fn every_route_has_its_row_and_every_row_is_a_route() {
    common::testing::assert_matrix_covers(
        &carbon_service::routes::table().operations(),
        MATRIX.iter().map(|r| (r.0, r.1)),
    );
}

fn instrument_body() -> Value {
    json!({"kind": "certificate", "scheme": "REC", "region": "US",
        "from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z", "amount": 600, "unit": "kWh"})
}

/// A request of `method` to `path` as `token` (none: anonymous). A change
/// of a resource carries a valid body, so that ownership decides (a body is
/// checked before the resource is looked up); the others an empty one.
async fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>) -> StatusCode {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app.client.request(method.clone(), app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request = match (method, path) {
        (Method::POST, p) if p.ends_with("/import") || p == "/datasets" => {
            request.header("content-type", "text/csv").body("")
        }
        (Method::PUT, p) if p.starts_with("/instruments/") => request.json(&instrument_body()),
        (Method::PUT, p) if p.starts_with("/facilities/") => {
            request.json(&json!({"name": "Renamed plant", "country": "US"}))
        }
        (Method::PUT, p) if p.starts_with("/usages/") => request.json(&json!({"amount": 2})),
        (Method::POST | Method::PUT, _) => request.json(&json!({})),
        _ => request,
    };
    request.send().await.unwrap().status()
}

#[tokio::test]
async fn each_caller_gets_what_the_matrix_says_on_every_route() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let other = TestUser::new();
    let superuser = TestUser::superuser();
    // The user's own resources, which the others must not reach.
    let usage = app
        .created_usage(&user, 1.0, 100, "2026-03-01T00:00:00Z")
        .await;
    let instrument: Value = app
        .post("/instruments", &user)
        .json(&instrument_body())
        .json_body()
        .await;
    let facility: Value = app
        .post("/facilities", &user)
        .json(&json!({"name": "Plant", "country": "US"}))
        .json_body()
        .await;
    for &(method, template, anonymous, as_user, as_other, as_superuser) in MATRIX {
        let id = match template {
            t if t.starts_with("/facilities/{id}") => facility["id"].as_str().unwrap().to_owned(),
            t if t.starts_with("/usages/{id}") => usage["id"].as_str().unwrap().to_owned(),
            t if t.starts_with("/instruments/{id}") => {
                instrument["id"].as_str().unwrap().to_owned()
            }
            t if t.starts_with("/types/{id}") => "999".to_owned(),
            t if t.starts_with("/datasets/{id}") => "no-such-dataset".to_owned(),
            t if t.starts_with("/users/{id}") => other.id.to_string(),
            _ => String::new(),
        };
        // Writes by the user run last on their own resources, after the
        // others tried them.
        let path = template.replace("{id}", &id).replace("{name}", "FY2030");
        let callers = [
            (anonymous, None, "anonymous"),
            (as_other, Some(other.token.as_str()), "another user"),
            (as_superuser, Some(superuser.token.as_str()), "a superuser"),
            (as_user, Some(user.token.as_str()), "the user"),
        ];
        for (expected, token, who) in callers {
            let status = call(&app, method, &path, token).await;
            let fits = match expected {
                Through => !matches!(status.as_u16(), 401 | 403) && status.as_u16() < 500,
                Unauthorized => status == StatusCode::UNAUTHORIZED,
                Forbidden => status == StatusCode::FORBIDDEN,
                NotFound => status == StatusCode::NOT_FOUND,
            };
            assert!(
                fits,
                "{method} {path} as {who}: {status}, expected {expected:?}"
            );
        }
    }
}

/// (method, path, owner, admin, editor, viewer, auditor, the owner of
/// another organization). `{id}` is a resource of the first organization.
/// `Through` here allows a 404 only where a member of the same
/// organization deleted the resource first.
#[rustfmt::skip]
const ROLE_MATRIX: &[(&str, &str, [Gets; 6])] = &[
    ("GET", "/datasets", [Through, Through, Through, Through, Through, Through]),
    ("POST", "/datasets", [Through, Through, Forbidden, Forbidden, Forbidden, Through]),
    ("GET", "/datasets/{id}", [Through, Through, Through, Through, Through, Through]),
    ("POST", "/datasets/{id}/retire", [Through, Through, Forbidden, Forbidden, Forbidden, Through]),
    ("GET", "/gwp-sets", [Through, Through, Through, Through, Through, Through]),
    ("GET", "/units", [Through, Through, Through, Through, Through, Through]),
    ("GET", "/types", [Through, Through, Through, Through, Through, Through]),
    ("POST", "/types", [Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden]),
    ("GET", "/types/{id}", [Through, Through, Through, Through, Through, Through]),
    ("PUT", "/types/{id}", [Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden]),
    ("DELETE", "/types/{id}", [Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden]),
    ("GET", "/instruments", [Through, Through, Through, Through, Through, Through]),
    ("POST", "/instruments", [Through, Through, Forbidden, Forbidden, Forbidden, Through]),
    ("GET", "/instruments/{id}", [Through, Through, Through, Through, Through, NotFound]),
    ("PUT", "/instruments/{id}", [Through, Through, Forbidden, Forbidden, Forbidden, NotFound]),
    ("DELETE", "/instruments/{id}", [Through, Through, Forbidden, Forbidden, Forbidden, NotFound]),
    ("GET", "/facilities", [Through, Through, Through, Through, Through, Through]),
    ("POST", "/facilities", [Through, Through, Forbidden, Forbidden, Forbidden, Through]),
    ("GET", "/facilities/{id}", [Through, Through, Through, Through, Through, NotFound]),
    ("PUT", "/facilities/{id}", [Through, Through, Forbidden, Forbidden, Forbidden, NotFound]),
    ("DELETE", "/facilities/{id}", [Through, Through, Forbidden, Forbidden, Forbidden, NotFound]),
    ("GET", "/usages", [Through, Through, Through, Through, Through, Through]),
    ("POST", "/usages", [Through, Through, Through, Forbidden, Forbidden, Through]),
    ("DELETE", "/usages", [Through, Forbidden, Forbidden, Forbidden, Forbidden, Through]),
    ("GET", "/usages/summary", [Through, Through, Through, Through, Through, Through]),
    ("GET", "/usages/export", [Through, Through, Through, Through, Through, Through]),
    ("POST", "/usages/import", [Through, Through, Through, Forbidden, Forbidden, Through]),
    ("GET", "/usages/{id}", [Through, Through, Through, Through, Through, NotFound]),
    ("PUT", "/usages/{id}", [Through, Through, Through, Forbidden, Forbidden, NotFound]),
    ("DELETE", "/usages/{id}", [Through, Through, Through, Forbidden, Forbidden, NotFound]),
    ("DELETE", "/users/{id}/usages", [Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden]),
    ("DELETE", "/org", [Through, Forbidden, Forbidden, Forbidden, Forbidden, Through]),
    ("GET", "/audit", [Through, Through, Forbidden, Forbidden, Through, Through]),
    ("GET", "/inventory/settings", [Through, Through, Through, Through, Through, Through]),
    ("PUT", "/inventory/settings", [Through, Through, Forbidden, Forbidden, Forbidden, Through]),
    ("GET", "/periods", [Through, Through, Through, Through, Through, Through]),
    ("GET", "/inventory/restatement", [Through, Through, Through, Through, Through, Through]),
    ("POST", "/periods/{name}/lock", [Through, Through, Forbidden, Forbidden, Forbidden, Through]),
    ("POST", "/periods/{name}/unlock", [Through, Forbidden, Forbidden, Forbidden, Forbidden, Through]),
    ("GET", "/audit/verify", [Through, Through, Forbidden, Forbidden, Through, Through]),
    ("GET", "/audit/export", [Through, Through, Forbidden, Forbidden, Through, Through]),
    ("GET", "/audit/verifier", [Through, Through, Through, Through, Through, Through]),
    ("GET", "/healthz", [Through, Through, Through, Through, Through, Through]),
    ("GET", "/readyz", [Through, Through, Through, Through, Through, Through]),
];

#[test]
fn every_route_has_its_role_row_and_every_row_is_a_route() {
    common::testing::assert_matrix_covers(
        &carbon_service::routes::table().operations(),
        ROLE_MATRIX.iter().map(|r| (r.0, r.1)),
    );
}

#[tokio::test]
async fn each_role_gets_what_the_role_matrix_says_on_every_route() {
    use common::ids::OrgId;
    use common::org::OrgRole::*;
    let app = spawn_app_with(&[("USAGE_WRITE_RATE_LIMIT_PER_MINUTE", "0")]).await;
    let org = OrgId::new();
    let owner = TestUser::member(org, Owner);
    let members = [
        (
            5,
            "the owner of another organization",
            TestUser::member(OrgId::new(), Owner),
        ),
        (4, "an auditor", TestUser::member(org, Auditor)),
        (3, "a viewer", TestUser::member(org, Viewer)),
        (2, "an editor", TestUser::member(org, Editor)),
        (1, "an admin", TestUser::member(org, Admin)),
    ];
    for (row, &(method, template, expected)) in ROLE_MATRIX.iter().enumerate() {
        // The organization's own resources, fresh for each route: a
        // member's delete must not hide it from the next one.
        let facility: Value = app
            .post("/facilities", &owner)
            .json(&json!({"name": format!("Plant {row}"), "country": "US"}))
            .json_body()
            .await;
        let usage = app
            .created_usage(&owner, 1.0, 100, "2026-03-01T00:00:00Z")
            .await;
        let instrument: Value = app
            .post("/instruments", &owner)
            .json(&instrument_body())
            .json_body()
            .await;
        let id = match template {
            t if t.starts_with("/facilities/{id}") => facility["id"].as_str().unwrap().to_owned(),
            t if t.starts_with("/usages/{id}") => usage["id"].as_str().unwrap().to_owned(),
            t if t.starts_with("/instruments/{id}") => {
                instrument["id"].as_str().unwrap().to_owned()
            }
            t if t.starts_with("/types/{id}") => "999".to_owned(),
            t if t.starts_with("/datasets/{id}") => "no-such-dataset".to_owned(),
            t if t.starts_with("/users/{id}") => owner.id.to_string(),
            _ => String::new(),
        };
        let path = template.replace("{id}", &id).replace("{name}", "FY2030");
        // The other organization first, the owner last.
        for (column, who, caller) in
            members
                .iter()
                .map(|(c, w, u)| (*c, *w, u))
                .chain([(0, "the owner", &owner)])
        {
            let status = call(&app, method, &path, Some(&caller.token)).await;
            let want = expected[column];
            let fits = match want {
                Through => !matches!(status.as_u16(), 401 | 403) && status.as_u16() < 500,
                Unauthorized => status == StatusCode::UNAUTHORIZED,
                Forbidden => status == StatusCode::FORBIDDEN,
                NotFound => status == StatusCode::NOT_FOUND,
            };
            assert!(
                fits,
                "{method} {path} as {who}: {status}, expected {want:?}"
            );
        }
    }
}
