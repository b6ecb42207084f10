//! OpenAPI pieces both services publish: the OAuth2 password-flow security
//! scheme and the Swagger UI at `/docs`.

use actix_web::{HttpResponse, web};
use utoipa::Modify;
use utoipa::openapi::security::{Flow, OAuth2, Password, Scopes, SecurityScheme};
use utoipa_swagger_ui::SwaggerUi;

/// The name operations refer to in `security(...)`.
pub const SECURITY_SCHEME: &str = "oauth2_password";
pub const OPENAPI_PATH: &str = "/api-docs/openapi.json";

/// Adds the OAuth2 password flow against `token_url`, so Swagger UI's
/// Authorize button logs in with an email and password.
pub struct OAuth2PasswordSecurity {
    pub token_url: String,
}

impl Modify for OAuth2PasswordSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SECURITY_SCHEME,
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::Password(Password::new(&self.token_url, Scopes::new()))],
                "Log in with your email as the username. The access token is a JWT signed by user-service.",
            )),
        );
    }
}

/// The extension that marks an operation only superusers may call:
/// `extensions(("x-superuser" = json!(true)))` in its `#[utoipa::path]`.
pub const SUPERUSER_EXTENSION: &str = "x-superuser";

/// Declares the error answers once, so that no route can forget them and no
/// route repeats them. Every operation gets 500 and 503; one that reads a
/// JSON body 400, 413 and 415; one that needs a token 401; one marked
/// [`SUPERUSER_EXTENSION`] 403; one addressing a resource by id 404; one
/// with a JSON body or path or query parameters 422. A route documents a status itself only where
/// its answer says more than these (which of its rules failed); those rows
/// are kept. Every `ProblemDetails` body is served as
/// `application/problem+json`, so routes write `body = ProblemDetails`, and
/// shows an example of its own status.
pub struct StandardErrorResponses;

impl StandardErrorResponses {
    fn problem(description: &str) -> utoipa::openapi::Response {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        ResponseBuilder::new()
            .description(description)
            .content(
                crate::error::PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ProblemDetails")))
                    .build(),
            )
            .build()
    }

    /// A `ProblemDetails` body documented as `application/json` (utoipa's
    /// default) is problem+json.
    fn as_problem_json(response: &mut utoipa::openapi::Response) {
        use utoipa::openapi::RefOr;
        let is_problem = response.content.get("application/json").is_some_and(|content| {
            matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/ProblemDetails"))
        });
        if is_problem && let Some(content) = response.content.shift_remove("application/json") {
            response
                .content
                .insert(crate::error::PROBLEM_JSON.to_owned(), content);
        }
    }

    /// Without its own example, a problem body shows the schema's, a 422
    /// (Swagger UI printed it under 401, 409 and 503 alike): each other
    /// status gets one of its own, its description as the detail.
    fn example_of_its_status(status: &str, response: &mut utoipa::openapi::Response) {
        let Some(code) = status
            .parse::<u16>()
            .ok()
            .and_then(|c| actix_web::http::StatusCode::from_u16(c).ok())
        else {
            return;
        };
        if code == actix_web::http::StatusCode::UNPROCESSABLE_ENTITY {
            return;
        }
        let description = response.description.clone();
        if let Some(content) = response.content.get_mut(crate::error::PROBLEM_JSON)
            && content.example.is_none()
            && content.examples.is_empty()
        {
            content.example = Some(serde_json::json!({
                "type": "about:blank",
                "title": code.canonical_reason().unwrap_or("Error"),
                "status": code.as_u16(),
                "detail": description,
            }));
        }
    }
}

impl Modify for StandardErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        for (path, item) in openapi.paths.paths.iter_mut() {
            // The path names one resource by its id (not a collection below one).
            let has_path_parameter = path.ends_with('}');
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                let json_body = operation
                    .request_body
                    .as_ref()
                    .is_some_and(|body| body.content.keys().any(|k| k == "application/json"));
                // A JSON body, or a path or query parameter, can be invalid
                // (422); a form body is the token endpoints', which answer
                // RFC 6749's 400 instead.
                let has_input = json_body
                    || operation.parameters.as_ref().is_some_and(|parameters| {
                        parameters.iter().any(|p| {
                            matches!(
                                p.parameter_in,
                                utoipa::openapi::path::ParameterIn::Path
                                    | utoipa::openapi::path::ParameterIn::Query
                            )
                        })
                    });
                // A token is required unless no requirement is given or an
                // empty one (`security(())`) makes it optional.
                let needs_token = operation.security.as_ref().is_some_and(|requirements| {
                    !requirements.is_empty()
                        && requirements.iter().all(|r| {
                            serde_json::to_value(r)
                                .is_ok_and(|v| v.as_object().is_some_and(|o| !o.is_empty()))
                        })
                });
                let superuser_only = operation
                    .extensions
                    .as_ref()
                    .is_some_and(|e| e.get(SUPERUSER_EXTENSION).is_some());
                let mut add = |status: &str, description: &str| {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| Self::problem(description).into());
                };
                if json_body {
                    add("400", "The body is not valid JSON");
                    add("413", "The body is over 16 KiB");
                    add("415", "The body is not application/json");
                }
                if needs_token {
                    add(
                        "401",
                        "No access token, or one that is invalid, expired or of an ended session",
                    );
                }
                if superuser_only {
                    add("403", "The token's user is not a superuser");
                }
                if has_path_parameter {
                    add("404", "Nothing with this id (or not the caller's)");
                }
                if has_input {
                    add(
                        "422",
                        "A parameter or the body is invalid (each field named in `errors`)",
                    );
                }
                add(
                    "500",
                    "An unexpected error; details are in the log under the X-Request-Id",
                );
                add(
                    "503",
                    "The database is unreachable; retry after Retry-After seconds",
                );
                for (status, response) in operation.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response {
                        Self::as_problem_json(response);
                        Self::example_of_its_status(status, response);
                    }
                }
            }
        }
    }
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}

/// Serves the document at [`OPENAPI_PATH`] and Swagger UI at `/docs`.
pub fn configure_docs(cfg: &mut web::ServiceConfig, openapi: utoipa::openapi::OpenApi) {
    cfg.service(web::resource("/docs").route(web::get().to(docs_redirect)));
    cfg.service(
        SwaggerUi::new("/docs/{_:.*}")
            .url(OPENAPI_PATH, openapi)
            .config(
                utoipa_swagger_ui::Config::default()
                    .display_request_duration(true)
                    .persist_authorization(false),
            ),
    );
}
