//! `docker compose` cannot run here (no Docker engine), so the compose file
//! is held to its security defaults by reading it: published ports on
//! loopback only, databases with authentication on networks of their own,
//! replica sets for transactions, and no secret with a default.

use serde_yaml::Value;

fn compose() -> Value {
    read("docker-compose.yml")
}

fn read(file: &str) -> Value {
    let path = format!("{}/../{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("the compose file is readable");
    let mut doc: Value = serde_yaml::from_str(&text).expect("the compose file is YAML");
    doc.apply_merge().expect("the merge keys resolve");
    doc
}

fn services(doc: &Value) -> Vec<(String, Value)> {
    doc["services"]
        .as_mapping()
        .expect("services")
        .iter()
        .map(|(name, service)| {
            (
                name.as_str().unwrap_or_default().to_owned(),
                service.clone(),
            )
        })
        .collect()
}

fn networks_of(service: &Value) -> Vec<String> {
    service["networks"]
        .as_sequence()
        .map(|list| {
            list.iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn env(service: &Value, name: &str) -> String {
    service["environment"][name]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn every_published_port_is_bound_to_loopback() {
    let doc = compose();
    for (name, service) in services(&doc) {
        for port in service["ports"].as_sequence().into_iter().flatten() {
            let port = port.as_str().expect("ports as strings");
            assert!(
                port.starts_with("127.0.0.1:"),
                "{name} publishes {port} beyond loopback"
            );
        }
    }
}

#[test]
fn each_database_has_authentication_and_a_network_only_its_service_joins() {
    let doc = compose();
    let all = services(&doc);
    for (db, app) in [("user-db", "user-service"), ("carbon-db", "carbon-service")] {
        let database = &doc["services"][db];
        assert!(
            env(database, "MONGO_INITDB_ROOT_PASSWORD").contains(":?"),
            "{db}'s root password must come from the environment, with no default"
        );
        assert!(
            env(database, "APP_DB_PASSWORD").contains(":?"),
            "{db} has no application user"
        );
        let uri = env(&doc["services"][app], "MONGODB_URI");
        assert!(
            uri.contains('@') && uri.contains("authSource="),
            "{app} connects without a user: {uri}"
        );
        let db_networks = networks_of(database);
        assert_eq!(db_networks.len(), 1, "{db}: {db_networks:?}");
        let network = &db_networks[0];
        assert_eq!(
            doc["networks"][network.as_str()]["internal"],
            Value::Bool(true),
            "{network}"
        );
        let members: Vec<&String> = all
            .iter()
            .filter(|(_, s)| networks_of(s).contains(network))
            .map(|(n, _)| n)
            .collect();
        for member in &members {
            assert!(
                [db, app, "seed"].contains(&member.as_str())
                    && (member.as_str() != "seed" || db == "carbon-db"),
                "{member} can reach {db}"
            );
        }
    }
}

#[test]
fn each_database_runs_as_a_replica_set_that_the_services_name() {
    let doc = compose();
    for (db, app) in [("user-db", "user-service"), ("carbon-db", "carbon-service")] {
        let script = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../deploy/mongo/start-replica-set.sh"
        ))
        .unwrap();
        assert!(script.contains("--replSet rs0") && script.contains("--keyFile"));
        let entrypoint = format!("{:?}", doc["services"][db]["entrypoint"]);
        assert!(
            entrypoint.contains("start-replica-set.sh"),
            "{db}: {entrypoint}"
        );
        let health = format!("{:?}", doc["services"][db]["healthcheck"]["test"]);
        assert!(
            health.contains("rs.initiate") && health.contains("isWritablePrimary"),
            "{health}"
        );
        assert!(env(&doc["services"][app], "MONGODB_URI").contains("replicaSet=rs0"));
    }
}

#[test]
fn the_seed_is_insert_only() {
    let doc = compose();
    let command = format!("{:?}", doc["services"]["seed"]["command"]);
    assert!(
        command.contains("seed") && !command.contains("--force"),
        "{command}"
    );
}

#[test]
fn the_seed_holds_no_jwt_secret() {
    let doc = compose();
    let seed = &doc["services"]["seed"]["environment"];
    assert!(seed["JWT_SECRET"].is_null(), "{seed:?}");
    assert!(!env(&doc["services"]["seed"], "MONGODB_URI").is_empty());
}

#[test]
fn the_production_override_publishes_only_the_tls_proxy_and_locks_every_container_down() {
    let base = compose();
    let prod = read("docker-compose.prod.yml");
    for (name, _) in services(&base) {
        let service = &prod["services"][name.as_str()];
        assert!(!service.is_null(), "{name} is not in the override");
        assert!(service["mem_limit"].as_str().is_some(), "{name}: mem_limit");
        assert!(
            format!("{:?}", service["security_opt"]).contains("no-new-privileges:true"),
            "{name}: no-new-privileges"
        );
        assert_eq!(
            format!("{:?}", service["cap_drop"]),
            format!("{:?}", serde_yaml::from_str::<Value>("[ALL]").unwrap()),
            "{name}: cap_drop"
        );
        if !name.ends_with("-db") {
            assert_eq!(service["read_only"], Value::Bool(true), "{name}: read_only");
        }
        if !base["services"][name.as_str()]["ports"].is_null() {
            // `!reset []` withdraws the base file's loopback ports.
            assert!(
                format!("{:?}", service["ports"]).contains("reset"),
                "{name}: ports"
            );
        }
    }
    let proxy = &prod["services"]["proxy"];
    assert_eq!(proxy["read_only"], Value::Bool(true));
    assert!(proxy["mem_limit"].as_str().is_some());
    let user = &prod["services"]["user-service"];
    assert_eq!(env(user, "REFRESH_COOKIE_SECURE"), "true");
    assert!(env(user, "CORS_ALLOWED_ORIGINS").starts_with("https://"));
    let caddy = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/caddy/Caddyfile"
    ))
    .unwrap();
    assert!(caddy.contains("Strict-Transport-Security"));
}
