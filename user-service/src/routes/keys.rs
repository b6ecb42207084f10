//! The public keys of EdDSA access tokens, for whoever wants to check one
//! (services verify with `JWT_PUBLIC_KEYS_FILE` and never fetch this).

use actix_web::{HttpResponse, web};
use common::jwk::JwkSet;

/// `/.well-known/jwks.json`.
pub fn routes() -> common::routes::RouteTable {
    common::routes![jwks]
}

/// The public keys that verify this service's access tokens, as a JWK
/// Set (RFC 7517): the signing key first, then the keys still accepted
/// during a rotation. Empty in HS256 mode (a shared secret is never
/// published). Copy it into the verifiers' `JWT_PUBLIC_KEYS_FILE`
/// (`user-service jwks` prints the same document).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "auth",
    responses(
        (status = 200, description = "The public keys, by `kid` (RFC 7638 thumbprints)", body = JwkSet,
            example = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", "alg": "EdDSA", "use": "sig"}]})),
    ))]
pub async fn jwks(keys: web::Data<JwkSet>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(keys.get_ref())
}
