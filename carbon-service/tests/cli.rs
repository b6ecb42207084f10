//! The `carbon-service` binary: `seed` and start-up refusal.

use std::process::Command;

use common::testing::TestDatabase;

const BIN: &str = env!("CARGO_BIN_EXE_carbon-service");
const SECRET: &str = "cli-test-secret-cli-test-secret-cli-test";

fn command() -> Command {
    common::testing::clean_command(BIN, env!("CARGO_TARGET_TMPDIR"))
}

#[test]
fn seed_run_twice_upserts_the_five_types_and_says_so() {
    let db = TestDatabase::new("cli");
    let run = || {
        command()
            .arg("seed")
            .env("JWT_SECRET", SECRET)
            .env("MONGODB_URI", &db.uri)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(out.contains("5 created, 0 updated, 0 unchanged"), "{out}");
    let second = run();
    assert!(String::from_utf8_lossy(&second.stdout).contains("0 created, 0 updated, 5 unchanged"));
}

#[test]
fn seed_reads_a_file_and_refuses_an_invalid_one() {
    let db = TestDatabase::new("cli");
    let dir = std::env::temp_dir().join(format!("seed-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    std::fs::write(
        &good,
        r#"[{"id": 7, "name": "solar", "unit": "kwh", "factor": 0.04, "scope": 2}]"#,
    )
    .unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"[{"id": 7, "name": "", "unit": "kwh", "factor": -1, "scope": 2}]"#,
    )
    .unwrap();
    let run = |file: &std::path::Path| {
        command()
            .arg("seed")
            .arg("--file")
            .arg(file)
            .env("JWT_SECRET", SECRET)
            .env("MONGODB_URI", &db.uri)
            .output()
            .unwrap()
    };
    let ok = run(&good);
    assert!(String::from_utf8_lossy(&ok.stdout).contains("1 created"));
    let refused = run(&bad);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("invalid"));
}

#[test]
fn it_refuses_to_start_with_a_short_secret_naming_the_variable() {
    let out = command().env("JWT_SECRET", "0123456789").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("JWT_SECRET"));
}
