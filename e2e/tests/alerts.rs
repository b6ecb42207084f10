//! `deploy/prometheus/alerts.yml` is held to the metrics it watches: every
//! rule is whole, and every metric it names is one the services' code
//! records and the README's *Metrics* table documents, so a renamed metric
//! cannot leave an alert silently watching nothing. (Prometheus itself is
//! not installed here; `promtool check rules` is the operator's last check.)

use std::collections::BTreeSet;
use std::path::Path;

use serde_yaml::Value;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn rules() -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("deploy/prometheus/alerts.yml")).unwrap();
    let doc: Value = serde_yaml::from_str(&text).unwrap();
    doc["groups"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|group| group["rules"].as_sequence().unwrap().clone())
        .collect()
}

/// The metric names an expression selects: a name right before its
/// `{matchers}` or `[range]` (functions and keywords come before `(`).
fn metrics_in(expr: &str) -> BTreeSet<String> {
    let bytes = expr.as_bytes();
    let mut found = BTreeSet::new();
    let mut start = None;
    for (i, &b) in bytes.iter().enumerate() {
        let word = b.is_ascii_alphanumeric() || b == b'_' || b == b':';
        match (start, word) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                let inside_string = expr[..s].matches('"').count() % 2 == 1;
                if (b == b'{' || b == b'[') && !inside_string {
                    found.insert(expr[s..i].to_owned());
                }
                start = None;
            }
            _ => {}
        }
    }
    found
}

/// What a histogram's series are called without their suffix.
fn family(series: &str) -> &str {
    ["_bucket", "_sum", "_count"]
        .iter()
        .find_map(|suffix| series.strip_suffix(suffix))
        .unwrap_or(series)
}

fn source_text() -> String {
    let mut text = String::new();
    for krate in ["common", "user-service", "carbon-service"] {
        let mut dirs = vec![root().join(krate).join("src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    text.push_str(&std::fs::read_to_string(path).unwrap());
                }
            }
        }
    }
    text
}

fn readme_metrics_section() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("\n## Metrics\n").unwrap();
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    rest[..end].to_owned()
}

#[test]
fn every_rule_has_a_name_an_expression_a_severity_and_its_words() {
    let rules = rules();
    assert!(rules.len() >= 5, "only {} rules", rules.len());
    for rule in &rules {
        let name = rule["alert"].as_str().unwrap_or_default();
        assert!(!name.is_empty(), "a rule without a name: {rule:?}");
        assert!(
            rule["expr"].as_str().is_some_and(|e| !e.trim().is_empty()),
            "{name}: no expr"
        );
        assert!(
            matches!(rule["labels"]["severity"].as_str(), Some("page" | "ticket")),
            "{name}: severity is neither page nor ticket"
        );
        for field in ["summary", "description"] {
            assert!(
                rule["annotations"][field]
                    .as_str()
                    .is_some_and(|t| !t.is_empty()),
                "{name}: no {field}"
            );
        }
        if let Some(wait) = rule["for"].as_str() {
            assert!(
                wait.strip_suffix('m')
                    .is_some_and(|n| n.parse::<u32>().is_ok()),
                "{name}: `for: {wait}` is not whole minutes"
            );
        }
    }
}

#[test]
fn every_metric_an_alert_watches_is_recorded_by_the_code_and_documented() {
    let code = source_text();
    let documented = readme_metrics_section();
    let mut watched = BTreeSet::new();
    for rule in rules() {
        watched.extend(metrics_in(rule["expr"].as_str().unwrap_or_default()));
    }
    // `up` is Prometheus's own, one per scrape target.
    watched.remove("up");
    assert!(watched.len() >= 5, "the rules watch only {watched:?}");
    for series in &watched {
        let metric = family(series);
        assert!(
            code.contains(&format!("\"{metric}\"")),
            "`{metric}` is watched by an alert but recorded by no service"
        );
        assert!(
            documented.contains(&format!("`{metric}`")),
            "`{metric}` is watched by an alert but not in the README's Metrics table"
        );
    }
}

#[test]
fn the_metric_names_of_an_expression_are_found_and_label_values_are_not() {
    assert_eq!(
        metrics_in(
            r#"sum by (job) (rate(a_total{status=~"5.."}[5m])) / rate(b_seconds_bucket{x="y{z}"}[1m]) + c[5m]"#
        ),
        ["a_total", "b_seconds_bucket", "c"]
            .map(String::from)
            .into_iter()
            .collect()
    );
}
