//! JSON body and query-string extractors whose failures are problem+json
//! with the offending field named (`serde_path_to_error` gives the path).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::web::{Bytes, PayloadConfig};
use actix_web::{FromRequest, HttpRequest};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The payload configuration both services install.
pub fn payload_config() -> PayloadConfig {
    PayloadConfig::new(MAX_BODY_BYTES)
}

/// Strips serde_json's " at line 1 column 7" suffix: the field path says where.
fn message_without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(pos) => text[..pos].to_owned(),
        None => text,
    }
}

/// Names the field an unknown-field or missing-field message is about.
fn field_in_message(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned())
}

/// The dotted name of the failing field; `root` when the input as a whole failed.
fn join_path(path: &str, leaf: Option<String>, root: &str) -> String {
    match (path, leaf) {
        (".", Some(leaf)) | ("", Some(leaf)) => leaf,
        (".", None) | ("", None) => root.into(),
        (path, Some(leaf)) if !path.ends_with(&leaf) => format!("{path}.{leaf}"),
        (path, _) => path.to_owned(),
    }
}

/// Parses a JSON body into `T`: 400 when it is not JSON, 422 when it is JSON
/// of the wrong shape (unknown field, wrong type, missing field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = message_without_position(&inner);
        match inner.classify() {
            serde_json::error::Category::Data => {
                let names_a_field =
                    message.starts_with("unknown field") || message.starts_with("missing field");
                let leaf = if names_a_field {
                    field_in_message(&message)
                } else {
                    None
                };
                ApiError::Validation(vec![FieldError::new(
                    join_path(&path, leaf, "body"),
                    message,
                )])
            }
            _ if is_non_finite_number(bytes, &inner) => {
                ApiError::Validation(vec![FieldError::new(
                    join_path(&path, None, "body"),
                    "must be a finite number",
                )])
            }
            _ => not_json(&message),
        }
    })?;
    de.end()
        .map_err(|e| not_json(&message_without_position(&e)))?;
    Ok(value)
}

/// `NaN`, `Infinity` or an out-of-range number where a value was expected.
/// Not JSON, strictly, but common from clients (Python's json module writes
/// them), and the caller deserves to hear which field is wrong.
fn is_non_finite_number(bytes: &[u8], err: &serde_json::Error) -> bool {
    if err.to_string().starts_with("number out of range") {
        return true;
    }
    // serde_json reports a 1-based line and column; turn them into an offset.
    let line_start: usize = bytes
        .split(|b| *b == b'\n')
        .take(err.line().saturating_sub(1))
        .map(|line| line.len() + 1)
        .sum();
    let at = (line_start + err.column()).saturating_sub(1);
    let rest = bytes.get(at.saturating_sub(1)..).unwrap_or_default();
    let rest = rest.strip_prefix(b"-").unwrap_or(rest);
    [b"NaN".as_slice(), b"Infinity", b"inf"]
        .iter()
        .any(|token| rest.starts_with(token) || rest.get(1..).is_some_and(|r| r.starts_with(token)))
}

fn not_json(message: &str) -> ApiError {
    ApiError::BadRequest(format!("The request body is not valid JSON: {message}."))
}

fn is_json_content_type(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| {
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        })
}

pub(crate) fn payload_error(err: actix_web::Error) -> ApiError {
    match err.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => ApiError::PayloadTooLarge,
        _ => match err.as_response_error().status_code().as_u16() {
            413 => ApiError::PayloadTooLarge,
            _ => ApiError::BadRequest("The request body could not be read.".into()),
        },
    }
}

/// Reads the whole body, enforcing [`MAX_BODY_BYTES`].
async fn read_body(req: &HttpRequest, payload: &mut Payload) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, payload)
        .await
        .map_err(payload_error)
}

/// A JSON request body (content type `application/json`).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json_content_type(&req) {
                return Err(ApiError::UnsupportedMediaType(
                    "The request body must be JSON with Content-Type: application/json.".into(),
                ));
            }
            let bytes = read_body(&req, &mut payload).await?;
            parse_json(&bytes).map(Json)
        })
    }
}

/// Deserializes an integer, also from an integral float such as `12.0`
/// (JSON Schema counts that as an integer, and so do some clients).
pub fn integer<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    use serde::de::{Error, Unexpected};
    let value = serde_json::Number::deserialize(deserializer)?;
    if let Some(i) = value.as_i64() {
        return Ok(i);
    }
    match value.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => Ok(f as i64),
        Some(f) => Err(D::Error::invalid_value(Unexpected::Float(f), &"an integer")),
        None => Err(D::Error::custom("expected an integer")),
    }
}

/// [`integer`] for optional fields.
pub fn optional_integer<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    #[derive(serde::Deserialize)]
    struct Wrapper(#[serde(deserialize_with = "integer")] i64);
    Ok(Option::<Wrapper>::deserialize(deserializer)?.map(|Wrapper(i)| i))
}

/// Query-string parameters; a bad value is 422 naming the parameter.
#[derive(Debug)]
pub struct Query<T>(pub T);

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let leaf = field_in_message(&message).filter(|_| message.starts_with("missing field"));
        ApiError::Validation(vec![FieldError::new(
            join_path(&path, leaf, "query"),
            message,
        )])
    })
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// The path segment `name`, parsed by `parse` (which names it in its
/// error): 422 for a malformed one. The body of a path extractor.
pub fn path_segment<T>(
    req: &HttpRequest,
    name: &str,
    parse: impl FnOnce(&str, &str) -> Result<T, FieldError>,
) -> Result<T, ApiError> {
    let raw = req.match_info().get(name).unwrap_or_default();
    parse(name, raw).map_err(|e| ApiError::Validation(vec![e]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        amount: f64,
        nested: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        x: u8,
    }

    fn field_of(err: ApiError) -> String {
        match err {
            ApiError::Validation(errors) => errors[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        assert!(matches!(
            parse_json::<Body>(b"{\"amount\": "),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Body>(br#"{"amount": 1} trailing"#),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn a_wrong_type_names_the_field() {
        assert_eq!(
            field_of(parse_json::<Body>(br#"{"amount": "12"}"#).unwrap_err()),
            "amount"
        );
        assert_eq!(
            field_of(parse_json::<Body>(br#"{"amount": 1, "nested": {"x": 300}}"#).unwrap_err()),
            "nested.x"
        );
    }

    #[test]
    fn an_unknown_field_names_the_field() {
        let err = parse_json::<Body>(br#"{"amount": 1, "is_superuser": true}"#).unwrap_err();
        assert_eq!(field_of(err), "is_superuser");
    }

    #[test]
    fn a_missing_field_names_the_field() {
        assert_eq!(field_of(parse_json::<Body>(b"{}").unwrap_err()), "amount");
    }

    #[test]
    fn non_finite_numbers_name_the_field() {
        for body in [
            r#"{"amount": NaN}"#,
            r#"{"amount": Infinity}"#,
            r#"{"amount": -Infinity}"#,
            r#"{"amount": 1e999}"#,
            "{\n  \"amount\": NaN\n}",
        ] {
            assert_eq!(
                field_of(parse_json::<Body>(body.as_bytes()).unwrap_err()),
                "amount",
                "{body}"
            );
        }
    }

    #[test]
    fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
        let deep = "[".repeat(100_000);
        assert!(parse_json::<serde_json::Value>(deep.as_bytes()).is_err());
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Page {
        limit: Option<u32>,
    }

    #[test]
    fn a_bad_query_value_names_the_parameter() {
        assert_eq!(
            field_of(parse_query::<Page>("limit=ten").unwrap_err()),
            "limit"
        );
        assert_eq!(parse_query::<Page>("limit=5").unwrap().limit, Some(5));
    }
}
