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

/// Adds the error answers every operation can give, so that no route can
/// forget them: 500 and 503 everywhere, and 400/413/415 wherever a JSON body
/// is read.
pub struct StandardErrorResponses;

impl Modify for StandardErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    crate::error::PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ProblemDetails")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
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
                let mut add = |status: &str, description: &str| {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description).into());
                };
                if json_body {
                    add("400", "The body is not valid JSON");
                    add("413", "The body is over 16 KiB");
                    add("415", "The body is not application/json");
                }
                add(
                    "500",
                    "An unexpected error; details are in the log under the X-Request-Id",
                );
                add(
                    "503",
                    "The database is unreachable; retry after Retry-After seconds",
                );
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
