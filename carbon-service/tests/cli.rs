//! The `carbon-service` binary: `seed` and start-up refusal.

use std::process::Command;

use common::testing::TestDatabase;

const BIN: &str = env!("CARGO_BIN_EXE_carbon-service");
const SECRET: &str = "cli-test-secret-cli-test-secret-cli-test";

fn command() -> Command {
    common::testing::clean_command(BIN, env!("CARGO_TARGET_TMPDIR"))
}

#[test]
fn seed_loads_the_epa_hub_and_with_examples_the_illustrative_types_once() {
    let db = TestDatabase::new("cli");
    let run = |examples: bool| {
        let mut seed = command();
        seed.arg("seed");
        if examples {
            seed.arg("--examples");
        }
        seed.env("JWT_SECRET", SECRET)
            .env("MONGODB_URI", &db.uri)
            .output()
            .unwrap()
    };
    let epa = carbon_service::seed::parse_seed(carbon_service::seed::EPA_GHG_HUB_2025)
        .unwrap()
        .types
        .len();
    let first = run(false);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(
        out.contains(&format!(
            "seeded dataset epa-ghg-hub-2025 ({epa} usage types)"
        )) && out.contains(&format!("{epa} created, 0 updated, 0 unchanged")),
        "{out}"
    );
    assert!(!out.contains("example"), "{out}");
    let second = String::from_utf8_lossy(&run(true).stdout).into_owned();
    assert!(
        second.contains(&format!("0 created, 0 updated, {epa} unchanged"))
            && second.contains("seeded dataset example (5 usage types)")
            && second.contains("5 created")
            && second.contains("illustrative: not for reporting"),
        "{second}"
    );
}

#[test]
fn seed_reads_a_file_and_refuses_an_invalid_one() {
    let db = TestDatabase::new("cli");
    let dir = std::env::temp_dir().join(format!("seed-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    let dataset = r#""dataset": {"id": "acme", "name": "ACME factors", "publisher": "ACME",
        "edition": "2026", "licence": "Proprietary", "gwp_basis": "AR6"}"#;
    std::fs::write(
        &good,
        format!(
            r#"{{{dataset}, "types": [{{"id": 7, "name": "solar", "unit": "kWh", "gases": {{"co2": 0.04}}, "scope": 2}}]}}"#
        ),
    )
    .unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        format!(r#"{{{dataset}, "types": [{{"id": 7, "name": "", "unit": "kWh", "factor": -1, "scope": 2}}]}}"#),
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
