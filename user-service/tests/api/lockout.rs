//! Wrong passwords: reserved before they are checked, limited per (account,
//! client) with growing locks, and per account up to a hard cap that only a
//! password reset lifts (issue #18, items 2 and 15).

use bson::doc;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

const ATTACKER: &str = "198.51.100.66";
const OWNER: &str = "203.0.113.7";

/// Behind a trusted proxy, so that each test can speak as several clients.
async fn app_behind_proxy(extra: &[(&str, &str)]) -> TestApp {
    let mut overrides = vec![("TRUSTED_PROXIES", "127.0.0.1/32")];
    overrides.extend_from_slice(extra);
    spawn_app_with(&overrides).await
}

/// Time passes: every lock, of a client or (before this design) of an
/// account, has ended.
async fn let_every_lock_expire(app: &TestApp) {
    let past = bson::DateTime::from_millis(0);
    for collection in ["login_attempts", "users"] {
        app.database
            .collection::<bson::Document>(collection)
            .update_many(
                doc! { "locked_until": { "$ne": null } },
                doc! { "$set": { "locked_until": past } },
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_burst_of_wrong_passwords_gets_at_most_ten_real_verifications() {
    let app = spawn_app_with(&[
        ("PASSWORD_HASH_CONCURRENCY", "1"),
        ("PASSWORD_HASH_MAX_WAIT_MS", "60000"),
    ])
    .await;
    app.signed_up("ada@example.com").await;
    let checked_before = app.hasher.real_verification_count();
    let burst = (0..40).map(|_| app.login("ada@example.com", "a wrong guess"));
    let answers = futures_util::future::join_all(burst).await;
    // The race: more than ten attempts were waiting for the hasher at once,
    // so all of them had read the account before the tenth failure.
    assert!(
        app.hasher.peak_waiting() > 10,
        "the burst never overlapped (peak {})",
        app.hasher.peak_waiting()
    );
    for answer in answers {
        assert_oauth_error(answer, "invalid_grant").await;
    }
    let checked = app.hasher.real_verification_count() - checked_before;
    assert!(
        checked <= 10,
        "{checked} guesses were checked against the real hash"
    );
}

#[tokio::test]
async fn a_burst_of_wrong_current_passwords_gets_at_most_ten_real_verifications() {
    let app = spawn_app_with(&[
        ("ACCOUNT_PASSWORD_HASH_CONCURRENCY", "1"),
        ("PASSWORD_HASH_MAX_WAIT_MS", "60000"),
    ])
    .await;
    let (access, _, _) = app.signed_up("ada@example.com").await;
    let checked_before = app.hasher.real_verification_count();
    let burst = (0..40).map(|_| {
        app.patch("/users/me", &access)
            .json(&json!({"email": "new@example.com", "current_password": "a wrong guess"}))
            .send()
    });
    let answers = futures_util::future::join_all(burst).await;
    assert!(app.hasher.peak_waiting() > 10, "the burst never overlapped");
    for answer in answers {
        assert_problem(answer.unwrap(), 422).await;
    }
    let checked = app.hasher.real_verification_count() - checked_before;
    assert!(
        checked <= 10,
        "{checked} guesses were checked against the real hash"
    );
}

#[tokio::test]
async fn wrong_passwords_from_one_client_do_not_lock_the_owner_out_from_another() {
    let app = app_behind_proxy(&[]).await;
    app.signed_up("ada@example.com").await;
    for _ in 0..10 {
        let r = app
            .login_from("ada@example.com", "a wrong guess", ATTACKER)
            .await;
        assert_oauth_error(r, "invalid_grant").await;
    }
    // The guessing client is locked out, even with the right password...
    let r = app.login_from("ada@example.com", PASSWORD, ATTACKER).await;
    assert_oauth_error(r, "invalid_grant").await;
    // ...and the owner, elsewhere, is not.
    let r = app.login_from("ada@example.com", PASSWORD, OWNER).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn each_lock_of_a_client_lasts_twice_as_long_as_the_one_before() {
    let app = app_behind_proxy(&[]).await;
    app.signed_up("ada@example.com").await;
    let mut locks = Vec::new();
    for _ in 0..2 {
        for _ in 0..10 {
            app.login_from("ada@example.com", "a wrong guess", ATTACKER)
                .await;
        }
        let record = app
            .database
            .collection::<bson::Document>("login_attempts")
            .find_one(doc! {})
            .await
            .unwrap()
            .expect("the client's attempts are recorded");
        let until = record
            .get_datetime("locked_until")
            .unwrap()
            .timestamp_millis();
        locks.push((until - bson::DateTime::now().timestamp_millis()) as f64 / 1000.0);
        let_every_lock_expire(&app).await;
    }
    assert!((55.0..=61.0).contains(&locks[0]), "{locks:?}");
    assert!((115.0..=121.0).contains(&locks[1]), "{locks:?}");
}

#[tokio::test]
async fn guessing_stops_at_the_account_budget_however_long_it_waits_until_a_reset() {
    let app = app_behind_proxy(&[("LOGIN_FAILURES_BEFORE_RESET", "25")]).await;
    app.signed_up("ada@example.com").await;
    for _ in 0..3 {
        for _ in 0..10 {
            app.login_from("ada@example.com", "a wrong guess", ATTACKER)
                .await;
        }
        let_every_lock_expire(&app).await;
    }
    // No client is locked now, but 25 guesses in a row used the budget up:
    // not even the owner's right password gets in.
    let r = app.login_from("ada@example.com", PASSWORD, OWNER).await;
    assert_oauth_error(r, "invalid_grant").await;

    // Only a password reset lets the owner back in.
    let token = app.reset_token_for("ada@example.com").await;
    let r = app.reset_password(&token, "a brand new passphrase").await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .login_from("ada@example.com", "a brand new passphrase", OWNER)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_email_and_a_wrong_password_send_the_same_database_commands() {
    use user_service::service::sessions;
    let app = spawn_app().await;
    app.signed_up("ada@example.com").await;
    let (db, log) = common::testing::monitored_database(&app.database_uri).await;
    let mut runs = Vec::new();
    for email in ["ada@example.com", "nobody@example.com"] {
        let refused =
            sessions::login(&db, &app.state, email, "a wrong guess", LOCALHOST, None).await;
        assert!(
            matches!(refused, Err(sessions::LoginRefused::Invalid)),
            "{refused:?}"
        );
        runs.push(std::mem::take(&mut *log.lock().unwrap()));
    }
    assert!(!runs[0].is_empty());
    assert_eq!(
        runs[0], runs[1],
        "a known email is told apart by its writes"
    );
}

#[tokio::test]
async fn self_service_changes_are_limited_per_account_whatever_the_client() {
    let app = app_behind_proxy(&[
        ("ACCOUNT_RATE_LIMIT_PER_MINUTE", "2"),
        ("ACCOUNT_RATE_LIMIT_BURST", "2"),
    ])
    .await;
    let (access, _, _) = app.signed_up("ada@example.com").await;
    let attempt = |client: &'static str| {
        app.patch("/users/me", &access)
            .header("x-forwarded-for", client)
            .json(&json!({"email": "taken-or-not@example.com", "current_password": "wrong guess"}))
            .send()
    };
    assert_problem(attempt("198.51.100.1").await.unwrap(), 422).await;
    assert_problem(attempt("198.51.100.2").await.unwrap(), 422).await;
    let limited = attempt("198.51.100.3").await.unwrap();
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, 429).await;
    let r = app
        .delete("/users/me", &access)
        .header("x-forwarded-for", "198.51.100.4")
        .json(&json!({"current_password": PASSWORD}))
        .sent()
        .await;
    assert_problem(r, 429).await;
}

#[tokio::test]
async fn logins_keep_being_served_while_one_account_floods_its_password_checks() {
    let app = spawn_app_with(&[
        ("PASSWORD_HASH_CONCURRENCY", "1"),
        ("ACCOUNT_PASSWORD_HASH_CONCURRENCY", "1"),
        ("PASSWORD_HASH_MAX_WAIT_MS", "250"),
        ("ACCOUNT_RATE_LIMIT_PER_MINUTE", "5"),
        ("ACCOUNT_RATE_LIMIT_BURST", "3"),
    ])
    .await;
    let (flooder, _, _) = app.signed_up("flood@example.com").await;
    app.signed_up("ada@example.com").await;
    let flood = futures_util::future::join_all((0..40).map(|_| {
        app.patch("/users/me", &flooder)
            .json(&json!({"password": "another long passphrase", "current_password": "guess"}))
            .send()
    }));
    let logins = async {
        let mut statuses = Vec::new();
        for _ in 0..5 {
            statuses.push(app.login("ada@example.com", PASSWORD).await.status());
        }
        statuses
    };
    let (flooded, statuses) = futures_util::future::join(flood, logins).await;
    let refused = flooded
        .iter()
        .filter(|r| r.as_ref().unwrap().status() == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        refused >= 30,
        "the flood was not limited: {refused} of 40 refused"
    );
    assert_eq!(statuses, [StatusCode::OK; 5]);
}

#[tokio::test]
async fn a_token_from_before_logout_everywhere_is_refused_by_user_service() {
    let app = spawn_app().await;
    let (access, _, _) = app.signed_up("ada@example.com").await;
    let r = app.logout(&access, json!({"all": true})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app.get("/users/me", &access).sent().await;
    assert_problem(r, 401).await;
    // A new login's token works.
    let fresh = app.signed_in_token("ada@example.com").await;
    let me: Value = app.get("/users/me", &fresh).json_body().await;
    assert_eq!(me["email"], "ada@example.com");
}

#[tokio::test]
async fn a_superuser_gets_access_tokens_for_five_minutes_at_most() {
    let app = spawn_app().await;
    let token = app.superuser_token().await;
    let settings = common::jwt::JwtSettings::with_secret(SECRET).unwrap();
    let claims = common::jwt::AccessTokenVerifier::new(&settings)
        .verify_access_token(&token)
        .unwrap();
    assert!(claims.superuser);
    assert_eq!(claims.exp - claims.iat, 300);
}

#[tokio::test]
async fn a_wrong_current_password_counts_toward_the_lockout() {
    let app = spawn_app().await;
    let (access, _, _) = app.signed_up("ada@example.com").await;
    for _ in 0..10 {
        let r = app
            .patch("/users/me", &access)
            .json(&json!({"email": "x@example.com", "current_password": "a wrong guess"}))
            .sent()
            .await;
        assert_problem(r, 422).await;
    }
    // Locked: even the right password is refused now, at login and here.
    assert_oauth_error(
        app.login("ada@example.com", PASSWORD).await,
        "invalid_grant",
    )
    .await;
    let r = app
        .patch("/users/me", &access)
        .json(&json!({"email": "x@example.com", "current_password": PASSWORD}))
        .sent()
        .await;
    assert_problem(r, 422).await;
}

#[tokio::test]
async fn parallel_wrong_passwords_lock_after_exactly_ten() {
    for (failures, locked) in [(9, false), (10, true)] {
        let app = spawn_app().await;
        app.signed_up("ada@example.com").await;
        let attempts = (0..failures).map(|_| app.login("ada@example.com", "a wrong guess"));
        futures_util::future::join_all(attempts).await;
        let r = app.login("ada@example.com", PASSWORD).await;
        if locked {
            assert_oauth_error(r, "invalid_grant").await;
        } else {
            assert_eq!(
                r.status(),
                StatusCode::OK,
                "{failures} failures locked the account"
            );
        }
    }
}
