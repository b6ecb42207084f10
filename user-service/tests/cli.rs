//! The `user-service` binary: start-up refusal and `create-superuser`.

use std::process::Command;

use common::testing::TestDatabase;

const BIN: &str = env!("CARGO_BIN_EXE_user-service");

fn command() -> Command {
    common::testing::clean_command(BIN, env!("CARGO_TARGET_TMPDIR"))
}

#[test]
fn it_refuses_to_start_with_a_short_secret_naming_the_variable() {
    let out = command().env("JWT_SECRET", "short").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("JWT_SECRET") && stderr.contains("32 bytes"),
        "{stderr}"
    );
}

#[test]
fn it_refuses_to_start_without_a_secret() {
    let out = command().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("JWT_SECRET is not set"));
}

#[test]
fn create_superuser_is_idempotent() {
    let db = TestDatabase::new("cli");
    let run = || {
        command()
            .args(["create-superuser", "--email", "Root@Example.com"])
            .env("JWT_SECRET", "cli-test-secret-cli-test-secret-cli-test")
            .env("MONGODB_URI", &db.uri)
            .env("SUPERUSER_PASSWORD", "root password 123")
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("Created"));
    let second = run();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(String::from_utf8_lossy(&second.stdout).contains("AlreadySuperuser"));
}

#[test]
fn it_refuses_to_serve_without_smtp_url_or_mail_transport_log_naming_both() {
    let out = command()
        .env("JWT_SECRET", "cli-test-secret-cli-test-secret-cli-test")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SMTP_URL") && stderr.contains("MAIL_TRANSPORT"),
        "{stderr}"
    );
}

#[test]
fn create_superuser_refuses_an_existing_account_unless_told_to_promote_it() {
    let db = TestDatabase::new("cli");
    let run = |email: &str, extra: &[&str]| {
        command()
            .args(["create-superuser", "--email", email])
            .args(extra)
            .env("JWT_SECRET", "cli-test-secret-cli-test-secret-cli-test")
            .env("MONGODB_URI", &db.uri)
            .env("SUPERUSER_PASSWORD", "root password 123")
            .output()
            .unwrap()
    };
    // An ordinary, unverified account with the address.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let users = runtime.block_on(async {
        let client = mongodb::Client::with_uri_str(&db.uri).await.unwrap();
        let users = client
            .database(&db.name)
            .collection::<user_service::domain::user::User>("users");
        let user = user_service::domain::user::User::new(
            user_service::domain::user::UserEmail::parse("ops@example.com").unwrap(),
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
        );
        users.insert_one(&user).await.unwrap();
        users
    });
    let refused = run("ops@example.com", &[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--promote-existing"));
    // Whoever registered the address may not own it: not while unverified.
    let unverified = run("ops@example.com", &["--promote-existing"]);
    assert_eq!(unverified.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unverified.stderr).contains("not verified"));
    runtime.block_on(async {
        users
            .update_one(
                bson::doc! { "email": "ops@example.com" },
                bson::doc! { "$set": { "is_verified": true } },
            )
            .await
            .unwrap();
    });
    let promoted = run("ops@example.com", &["--promote-existing"]);
    assert!(
        promoted.status.success(),
        "{}",
        String::from_utf8_lossy(&promoted.stderr)
    );
    assert!(String::from_utf8_lossy(&promoted.stdout).contains("Promoted"));
}
