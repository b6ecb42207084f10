//! The access-token rules, one behaviour each.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::*;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

const SECRET: &str = "current-secret-current-secret-0001";
const OLD_SECRET: &str = "previous-secret-previous-secret-01";

fn settings() -> JwtSettings {
    JwtSettings::with_secret(SECRET).unwrap()
}

fn subject() -> TokenSubject {
    let user_id = Uuid::new_v4();
    TokenSubject {
        user_id,
        email: "a@example.com".into(),
        superuser: false,
        session_generation: 0,
        auth_time: Utc::now().timestamp(),
        org: OrgId::personal(UserId::from(user_id)),
        org_role: OrgRole::Owner,
    }
}

fn claims_with(edit: impl FnOnce(&mut AccessTokenClaims)) -> AccessTokenClaims {
    let now = Utc::now().timestamp();
    let mut claims = AccessTokenClaims {
        sub: Uuid::new_v4(),
        email: "a@example.com".into(),
        superuser: false,
        aud: DEFAULT_AUDIENCE.into(),
        iss: DEFAULT_ISSUER.into(),
        iat: now,
        exp: now + 600,
        jti: Uuid::new_v4(),
        sgen: 0,
        auth_time: now,
        org: None,
        org_role: None,
    };
    edit(&mut claims);
    claims
}

fn sign(alg: Algorithm, secret: &str, claims: &AccessTokenClaims) -> String {
    sign_typed(alg, Some(ACCESS_TOKEN_TYPE), secret, claims)
}

fn sign_typed(
    alg: Algorithm,
    typ: Option<&str>,
    secret: &str,
    claims: &AccessTokenClaims,
) -> String {
    crate::testing::sign_jwt(alg, typ, secret, claims)
}

fn issuer(settings: &JwtSettings) -> AccessTokenIssuer {
    AccessTokenIssuer::new(settings.signing.as_ref().unwrap(), settings)
}

fn verifier() -> AccessTokenVerifier {
    AccessTokenVerifier::new(&settings())
}

#[test]
fn a_token_it_issued_verifies_with_its_claims() {
    let issuer = issuer(&settings());
    let issued = issuer
        .issue(&subject(), chrono::Duration::minutes(15))
        .unwrap();
    let claims = verifier().verify_access_token(&issued.token).unwrap();
    assert_eq!(claims, issued.claims);
    assert_eq!(claims.aud, "carbon-platform");
    assert_eq!(claims.iss, "user-service");
    assert_eq!(claims.exp - claims.iat, 900);
}

#[test]
fn an_expired_token_is_rejected_as_expired() {
    let claims = claims_with(|c| {
        c.iat -= 3600;
        c.exp = Utc::now().timestamp() - 120;
    });
    let token = sign(Algorithm::HS256, SECRET, &claims);
    assert_eq!(
        verifier().verify_access_token(&token),
        Err(TokenError::Expired)
    );
}

#[test]
fn a_token_expired_within_the_leeway_is_still_accepted() {
    let claims = claims_with(|c| {
        c.iat -= 600;
        c.auth_time = c.iat;
        c.exp = Utc::now().timestamp() - 5;
    });
    let token = sign(Algorithm::HS256, SECRET, &claims);
    assert!(verifier().verify_access_token(&token).is_ok());
}

#[test]
fn a_wrong_audience_is_rejected() {
    let token = sign(
        Algorithm::HS256,
        SECRET,
        &claims_with(|c| c.aud = "someone-else".into()),
    );
    assert_eq!(
        verifier().verify_access_token(&token),
        Err(TokenError::Invalid)
    );
}

#[test]
fn a_wrong_issuer_is_rejected() {
    let token = sign(
        Algorithm::HS256,
        SECRET,
        &claims_with(|c| c.iss = "evil".into()),
    );
    assert_eq!(
        verifier().verify_access_token(&token),
        Err(TokenError::Invalid)
    );
}

#[test]
fn a_token_issued_in_the_future_is_rejected() {
    let token = sign(Algorithm::HS256, SECRET, &claims_with(|c| c.iat += 3600));
    assert_eq!(
        verifier().verify_access_token(&token),
        Err(TokenError::Invalid)
    );
}

#[test]
fn an_unsigned_alg_none_token_is_rejected() {
    let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64(&serde_json::to_vec(&claims_with(|_| {})).unwrap());
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        assert_eq!(
            verifier().verify_access_token(&token),
            Err(TokenError::Invalid)
        );
    }
}

#[test]
fn an_hs512_token_with_the_right_secret_is_rejected() {
    let token = sign(Algorithm::HS512, SECRET, &claims_with(|_| {}));
    assert_eq!(
        verifier().verify_access_token(&token),
        Err(TokenError::Invalid)
    );
}

#[test]
fn an_rs256_header_is_rejected() {
    // Key confusion: an RS256 header with an HMAC made from the shared secret.
    let valid = sign(Algorithm::HS256, SECRET, &claims_with(|_| {}));
    let (_, rest) = valid.split_once('.').unwrap();
    let header = b64(br#"{"alg":"RS256","typ":"JWT"}"#);
    let token = format!("{header}.{rest}");
    assert_eq!(
        verifier().verify_access_token(&token),
        Err(TokenError::Invalid)
    );
}

#[test]
fn a_tampered_payload_is_rejected() {
    let valid = sign(Algorithm::HS256, SECRET, &claims_with(|_| {}));
    let parts: Vec<&str> = valid.split('.').collect();
    let forged = b64(&serde_json::to_vec(&claims_with(|c| c.superuser = true)).unwrap());
    let token = format!("{}.{}.{}", parts[0], forged, parts[2]);
    assert_eq!(
        verifier().verify_access_token(&token),
        Err(TokenError::Invalid)
    );
}

#[test]
fn a_token_signed_with_another_secret_is_rejected() {
    let token = sign(
        Algorithm::HS256,
        "some-other-secret-some-other-secret",
        &claims_with(|_| {}),
    );
    assert_eq!(
        verifier().verify_access_token(&token),
        Err(TokenError::Invalid)
    );
}

#[test]
fn garbage_and_truncated_tokens_are_rejected() {
    let valid = sign(Algorithm::HS256, SECRET, &claims_with(|_| {}));
    for token in ["", "garbage", "a.b.c", &valid[..valid.len() - 10]] {
        assert_eq!(
            verifier().verify_access_token(token),
            Err(TokenError::Invalid),
            "{token}"
        );
    }
}

#[test]
fn after_rotation_an_old_token_verifies_and_new_tokens_use_the_new_secret() {
    let old_token = sign(Algorithm::HS256, OLD_SECRET, &claims_with(|_| {}));
    let mut rotated = settings();
    rotated
        .hs256_secrets
        .push(JwtSecret::parse(OLD_SECRET).unwrap());
    let verifier = AccessTokenVerifier::new(&rotated);
    assert!(verifier.verify_access_token(&old_token).is_ok());

    let new_token = issuer(&rotated)
        .issue(&subject(), chrono::Duration::minutes(5))
        .unwrap()
        .token;
    let only_current = AccessTokenVerifier::new(&settings());
    assert!(only_current.verify_access_token(&new_token).is_ok());
    let only_old = AccessTokenVerifier::new(&JwtSettings::with_secret(OLD_SECRET).unwrap());
    assert_eq!(
        only_old.verify_access_token(&new_token),
        Err(TokenError::Invalid)
    );
}

#[test]
fn issued_tokens_are_typed_as_access_tokens() {
    let issued = issuer(&settings())
        .issue(&subject(), chrono::Duration::minutes(15))
        .unwrap();
    let header = jsonwebtoken::decode_header(&issued.token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
}

#[test]
fn a_signed_token_without_the_access_token_type_is_rejected() {
    for typ in [None, Some("JWT"), Some("refresh+jwt")] {
        let token = sign_typed(Algorithm::HS256, typ, SECRET, &claims_with(|_| {}));
        assert_eq!(
            verifier().verify_access_token(&token),
            Err(TokenError::Invalid),
            "{typ:?}"
        );
    }
    let token = sign_typed(
        Algorithm::HS256,
        Some("application/at+JWT"),
        SECRET,
        &claims_with(|_| {}),
    );
    assert!(verifier().verify_access_token(&token).is_ok());
}

#[test]
fn a_signed_token_living_longer_than_the_maximum_is_rejected() {
    let too_long = claims_with(|c| c.exp = c.iat + DEFAULT_MAX_ACCESS_TOKEN_TTL_SECONDS + 1);
    let token = sign(Algorithm::HS256, SECRET, &too_long);
    assert_eq!(
        verifier().verify_access_token(&token),
        Err(TokenError::Invalid)
    );
    let longest = claims_with(|c| c.exp = c.iat + DEFAULT_MAX_ACCESS_TOKEN_TTL_SECONDS);
    let token = sign(Algorithm::HS256, SECRET, &longest);
    assert!(verifier().verify_access_token(&token).is_ok());
}

#[test]
fn lifetimes_that_overflow_or_run_backwards_are_rejected() {
    for edit in [
        (|c: &mut AccessTokenClaims| c.iat = i64::MIN) as fn(&mut AccessTokenClaims),
        |c| c.iat = -10,
        |c| c.exp = c.iat - 1,
        |c| c.auth_time = c.iat + 3600,
        |c| c.auth_time = -1,
    ] {
        let mut claims = claims_with(|_| {});
        edit(&mut claims);
        let token = sign(Algorithm::HS256, SECRET, &claims);
        assert_eq!(
            verifier().verify_access_token(&token),
            Err(TokenError::Invalid),
            "{claims:?}"
        );
    }
}

#[test]
fn superuser_tokens_are_issued_for_five_minutes_and_no_longer_accepted() {
    let superuser = TokenSubject {
        superuser: true,
        ..subject()
    };
    let issued = issuer(&settings())
        .issue(&superuser, chrono::Duration::minutes(15))
        .unwrap();
    assert_eq!(
        issued.claims.exp - issued.claims.iat,
        SUPERUSER_MAX_TTL_SECONDS
    );
    assert!(verifier().verify_access_token(&issued.token).is_ok());
    let long_lived = claims_with(|c| {
        c.superuser = true;
        c.exp = c.iat + SUPERUSER_MAX_TTL_SECONDS + 1;
    });
    let token = sign(Algorithm::HS256, SECRET, &long_lived);
    assert_eq!(
        verifier().verify_access_token(&token),
        Err(TokenError::Invalid)
    );
}

#[test]
fn the_secret_never_shows_in_debug_output() {
    assert!(!format!("{:?}", settings()).contains(SECRET));
}

mod eddsa {
    use super::*;
    use crate::jwk::{JwkSet, PrivateKey};

    fn signer() -> JwtSettings {
        JwtSettings::with_private_key(PrivateKey::from_pem(&PrivateKey::generate_pem()).unwrap())
    }

    /// What a verifier holds: the public keys of a JWKS file, no secret.
    fn public_only(signer: &JwtSettings) -> JwtSettings {
        let jwks = serde_json::to_string(&JwkSet::of(&signer.public_keys)).unwrap();
        JwtSettings {
            signing: None,
            public_keys: JwkSet::parse(&jwks).unwrap(),
            ..signer.clone()
        }
    }

    #[test]
    fn a_token_verifies_with_only_the_public_key_and_names_its_kid() {
        let signer = signer();
        let issued = issuer(&signer)
            .issue(&subject(), chrono::Duration::minutes(5))
            .unwrap();
        let header = jsonwebtoken::decode_header(&issued.token).unwrap();
        assert_eq!(header.alg, Algorithm::EdDSA);
        assert_eq!(header.kid.as_deref(), Some(signer.public_keys[0].kid()));
        let verifier = AccessTokenVerifier::new(&public_only(&signer));
        assert_eq!(
            verifier.verify_access_token(&issued.token),
            Ok(issued.claims)
        );
    }

    #[test]
    fn an_hs256_token_keyed_with_the_public_key_is_refused() {
        let signer = signer();
        let jwk = signer.public_keys[0].to_jwk();
        let verifier = AccessTokenVerifier::new(&public_only(&signer));
        let jwk_json = serde_json::to_string(&jwk).unwrap();
        for public in [jwk.x.as_str(), jwk_json.as_str()] {
            let mut header = Header::new(Algorithm::HS256);
            header.typ = Some(ACCESS_TOKEN_TYPE.into());
            header.kid = jwk.kid.clone();
            let forged = jsonwebtoken::encode(
                &header,
                &claims_with(|_| {}),
                &EncodingKey::from_secret(public.as_bytes()),
            )
            .unwrap();
            assert_eq!(
                verifier.verify_access_token(&forged),
                Err(TokenError::Invalid)
            );
        }
    }

    #[test]
    fn a_token_of_an_unknown_or_missing_kid_is_refused() {
        let verifier = AccessTokenVerifier::new(&public_only(&signer()));
        let other = signer();
        let token = issuer(&other)
            .issue(&subject(), chrono::Duration::minutes(5))
            .unwrap()
            .token;
        assert_eq!(
            verifier.verify_access_token(&token),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn after_a_switch_from_hs256_old_tokens_verify_only_while_the_old_secret_is_listed() {
        let old = sign(Algorithm::HS256, SECRET, &claims_with(|_| {}));
        let signer = signer();
        let strict = AccessTokenVerifier::new(&public_only(&signer));
        assert_eq!(strict.verify_access_token(&old), Err(TokenError::Invalid));
        let mut switching = public_only(&signer);
        switching.hs256_secrets = vec![JwtSecret::parse(SECRET).unwrap()];
        assert!(
            AccessTokenVerifier::new(&switching)
                .verify_access_token(&old)
                .is_ok()
        );
    }

    #[test]
    fn an_hs256_verifier_refuses_an_eddsa_token() {
        let token = issuer(&signer())
            .issue(&subject(), chrono::Duration::minutes(5))
            .unwrap()
            .token;
        assert_eq!(
            verifier().verify_access_token(&token),
            Err(TokenError::Invalid)
        );
    }
}

#[test]
fn a_token_without_an_organization_acts_in_the_personal_one_as_its_owner() {
    let claims = claims_with(|_| {});
    let token = sign(Algorithm::HS256, SECRET, &claims);
    let verified = verifier().verify_access_token(&token).unwrap();
    assert_eq!(
        verified.organization(),
        (OrgId::personal(UserId::from(claims.sub)), OrgRole::Owner)
    );
}

#[test]
fn an_issued_token_names_its_organization_and_role() {
    let org = OrgId::new();
    let issued = issuer(&settings())
        .issue(
            &TokenSubject {
                org,
                org_role: OrgRole::Viewer,
                ..subject()
            },
            chrono::Duration::minutes(15),
        )
        .unwrap();
    let verified = verifier().verify_access_token(&issued.token).unwrap();
    assert_eq!(verified.organization(), (org, OrgRole::Viewer));
    assert_eq!(verified.exp - verified.iat, 15 * 60);
}

#[test]
fn an_organization_without_a_valid_role_is_refused() {
    let org = Some(Uuid::new_v4());
    let no_role = claims_with(|c| c.org = org);
    assert_eq!(
        verifier().verify_access_token(&sign(Algorithm::HS256, SECRET, &no_role)),
        Err(TokenError::Invalid)
    );
    let role_without_org = claims_with(|c| c.org_role = Some(OrgRole::Admin));
    assert_eq!(
        verifier().verify_access_token(&sign(Algorithm::HS256, SECRET, &role_without_org)),
        Err(TokenError::Invalid)
    );
    // An unknown role name does not deserialize.
    let mut unknown = serde_json::to_value(claims_with(|c| {
        c.org = org;
        c.org_role = Some(OrgRole::Viewer);
    }))
    .unwrap();
    unknown["org_role"] = "superowner".into();
    let token =
        crate::testing::sign_jwt(Algorithm::HS256, Some(ACCESS_TOKEN_TYPE), SECRET, &unknown);
    assert_eq!(
        verifier().verify_access_token(&token),
        Err(TokenError::Invalid)
    );
}

#[test]
fn owner_and_admin_tokens_of_a_shared_organization_live_five_minutes() {
    for role in [OrgRole::Owner, OrgRole::Admin] {
        let issued = issuer(&settings())
            .issue(
                &TokenSubject {
                    org: OrgId::new(),
                    org_role: role,
                    ..subject()
                },
                chrono::Duration::minutes(15),
            )
            .unwrap();
        assert_eq!(
            issued.claims.exp - issued.claims.iat,
            PRIVILEGED_ORG_ROLE_MAX_TTL_SECONDS
        );
        let long_lived = claims_with(|c| {
            c.org = Some(Uuid::new_v4());
            c.org_role = Some(role);
            c.exp = c.iat + PRIVILEGED_ORG_ROLE_MAX_TTL_SECONDS + 1;
        });
        assert_eq!(
            verifier().verify_access_token(&sign(Algorithm::HS256, SECRET, &long_lived)),
            Err(TokenError::Invalid)
        );
    }
    // The personal organization's owner is not capped: nobody can demote it.
    let personal = issuer(&settings())
        .issue(&subject(), chrono::Duration::minutes(15))
        .unwrap();
    assert_eq!(personal.claims.exp - personal.claims.iat, 15 * 60);
}
