//! Every error answer of the shared HTTP stack is problem+json.

use std::net::TcpListener;

use actix_web::{HttpResponse, HttpServer, web};
use common::extract::Json;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Measurement {
    amount: f64,
}

async fn create(Json(_): Json<Measurement>) -> HttpResponse {
    HttpResponse::Created().finish()
}

fn spawn() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let origins = vec!["http://allowed.example".to_owned()];
    let server = HttpServer::new(move || {
        common::http::app(&origins, |cfg| {
            cfg.service(web::resource("/things").route(web::post().to(create)));
        })
    })
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}")
}

/// The shared check, and the request id every answer carries.
async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    assert!(response.headers().contains_key("x-request-id"));
    common::testing::assert_problem(response, status).await
}

fn post(base: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new().post(format!("{base}/things"))
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let base = spawn();
    let r = post(&base)
        .header("content-type", "application/json")
        .body("{\"amount\": ")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400).await;
}

#[tokio::test]
async fn a_wrong_typed_field_is_a_422_problem_naming_it() {
    let base = spawn();
    let r = post(&base)
        .json(&serde_json::json!({"amount": "lots"}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(r, 422).await;
    assert_eq!(body["errors"][0]["field"], "amount");
}

#[tokio::test]
async fn an_unknown_field_is_a_422_problem_naming_it() {
    let base = spawn();
    let r = post(&base)
        .json(&serde_json::json!({"amount": 1, "admin": true}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(r, 422).await;
    assert_eq!(body["errors"][0]["field"], "admin");
}

#[tokio::test]
async fn a_wrong_content_type_is_a_415_problem() {
    let base = spawn();
    let r = post(&base)
        .header("content-type", "text/plain")
        .body("{\"amount\": 1}")
        .send()
        .await
        .unwrap();
    assert_problem(r, 415).await;
}

#[tokio::test]
async fn an_oversized_body_is_a_413_problem() {
    let base = spawn();
    let big = format!("{{\"amount\": 1, \"pad\": \"{}\"}}", "x".repeat(20 * 1024));
    let r = post(&base)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_problem(r, 413).await;
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let base = spawn();
    let r = reqwest::get(format!("{base}/nowhere")).await.unwrap();
    assert_problem(r, 404).await;
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem() {
    let base = spawn();
    let r = reqwest::Client::new()
        .delete(format!("{base}/things"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 405).await;
}

#[tokio::test]
async fn a_valid_body_passes_and_carries_security_headers() {
    let base = spawn();
    let r = post(&base)
        .json(&serde_json::json!({"amount": 1.5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn a_caller_request_id_is_echoed() {
    let base = spawn();
    let r = reqwest::Client::new()
        .get(format!("{base}/nowhere"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
}

#[tokio::test]
async fn cors_grants_only_configured_origins() {
    let base = spawn();
    let preflight = |origin: &'static str| {
        reqwest::Client::new()
            .request(reqwest::Method::OPTIONS, format!("{base}/things"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let allowed = preflight("http://allowed.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://allowed.example"
    );
    let denied = preflight("http://evil.example").await.unwrap();
    assert!(!denied.headers().contains_key("access-control-allow-origin"));
}
