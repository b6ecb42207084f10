//! One route table: an endpoint is registered with actix and documented in
//! the OpenAPI document from its handler's `#[utoipa::path]` (its method,
//! its path, its operation and the schemas it names), by one entry of
//! [`routes!`]. Each path's 405 `Allow` list is derived from the methods
//! registered on it.

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, web};
use utoipa::openapi::path::{HttpMethod, Operation, Paths};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{Components, OpenApi, RefOr};

type MakeRoute = Arc<dyn Fn() -> actix_web::Route + Send + Sync>;

#[derive(Clone)]
struct Endpoint {
    method: HttpMethod,
    make: MakeRoute,
}

/// The endpoints of a service (or of one route module, merged into the
/// service's), with their OpenAPI paths and schemas.
#[derive(Clone, Default)]
pub struct RouteTable {
    resources: Vec<(String, Vec<Endpoint>)>,
    paths: Vec<(String, Vec<HttpMethod>, Operation)>,
    schemas: Vec<(String, RefOr<Schema>)>,
}

/// A table of the handlers of the calling module, each documented by its
/// `#[utoipa::path]`: each route module lists its own, and a service merges
/// the modules' tables.
#[macro_export]
macro_rules! routes {
    ($($handler:ident),* $(,)?) => {
        $crate::__paste::paste! {
            $crate::routes::RouteTable::new()
                $( .endpoint::<[<__path_ $handler>], _, _>($handler) )*
        }
    };
}

impl RouteTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `handler`, served and documented as `P` (the struct
    /// `#[utoipa::path]` generates for it) says; [`routes!`] names `P`.
    pub fn endpoint<P, F, Args>(mut self, handler: F) -> Self
    where
        P: utoipa::Path + utoipa::__dev::SchemaReferences + for<'t> utoipa::__dev::Tags<'t>,
        F: Handler<Args> + Send + Sync,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let path = P::path();
        let methods = P::methods();
        let mut operation = P::operation();
        let tags = <P as utoipa::__dev::Tags>::tags();
        if !tags.is_empty() {
            operation
                .tags
                .get_or_insert_with(Vec::new)
                .extend(tags.into_iter().map(str::to_owned));
        }
        P::schemas(&mut self.schemas);
        for method in &methods {
            let actix_method = actix_method(method);
            let handler = handler.clone();
            let endpoint = Endpoint {
                method: method.clone(),
                make: Arc::new(move || {
                    web::route()
                        .method(actix_method.clone())
                        .to(handler.clone())
                }),
            };
            match self.resources.iter_mut().find(|(p, _)| *p == path) {
                Some((_, endpoints)) => endpoints.push(endpoint),
                None => self.resources.push((path.clone(), vec![endpoint])),
            }
        }
        self.paths.push((path, methods, operation));
        self
    }

    /// This table with `other`'s endpoints added.
    pub fn merge(mut self, other: RouteTable) -> Self {
        for (path, endpoints) in other.resources {
            match self.resources.iter_mut().find(|(p, _)| *p == path) {
                Some((_, mine)) => mine.extend(endpoints),
                None => self.resources.push((path, endpoints)),
            }
        }
        self.paths.extend(other.paths);
        self.schemas.extend(other.schemas);
        self
    }

    /// Registers every path: its methods, and 405 with `Allow` for the
    /// others. A literal segment is matched before a `{parameter}` in the
    /// same place (`/usages/summary` before `/usages/{id}`).
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        let mut resources: Vec<&(String, Vec<Endpoint>)> = self.resources.iter().collect();
        resources.sort_by_key(|(path, _)| {
            path.split('/')
                .map(|segment| segment.starts_with('{'))
                .collect::<Vec<_>>()
        });
        for (path, endpoints) in resources {
            let mut resource = web::resource(path.as_str());
            for endpoint in endpoints {
                resource = resource.route((endpoint.make)());
            }
            let allow = allow_list(endpoints.iter().map(|e| &e.method));
            cfg.service(resource.default_service(crate::http::method_not_allowed(allow)));
        }
    }

    /// `doc` with this table's paths and the schemas they name.
    pub fn document(&self, mut doc: OpenApi) -> OpenApi {
        let mut paths = Paths::new();
        for (path, methods, operation) in &self.paths {
            for method in methods {
                paths.add_path_operation(path, vec![method.clone()], operation.clone());
            }
        }
        doc.paths = paths;
        let components = doc.components.get_or_insert_with(Components::new);
        for (name, schema) in &self.schemas {
            components
                .schemas
                .entry(name.clone())
                .or_insert_with(|| schema.clone());
        }
        doc
    }

    /// Every documented `(path, method)`, for the tests that check each is
    /// served.
    pub fn operations(&self) -> Vec<(String, String)> {
        self.paths
            .iter()
            .flat_map(|(path, methods, _)| {
                methods
                    .iter()
                    .map(|m| (path.clone(), actix_method(m).to_string()))
            })
            .collect()
    }
}

/// The methods in the usual order (`GET, POST, PUT, PATCH, DELETE`).
fn allow_list<'a>(methods: impl Iterator<Item = &'a HttpMethod>) -> String {
    let mut names: Vec<Method> = methods.map(actix_method).collect();
    let rank = |m: &Method| {
        [
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
            Method::TRACE,
        ]
        .iter()
        .position(|known| known == m)
    };
    names.sort_by_key(rank);
    names.dedup();
    names
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn actix_method(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list_is_in_the_usual_order_whatever_the_registration_order() {
        let methods = [HttpMethod::Delete, HttpMethod::Get, HttpMethod::Patch];
        assert_eq!(allow_list(methods.iter()), "GET, PATCH, DELETE");
    }
}
