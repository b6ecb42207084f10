use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn the_summary_equals_a_brute_force_sum() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let other = TestUser::new();
    app.created_usage(&other, 1000.0, 100, "2026-05-01T00:00:00Z")
        .await;
    let rows = [
        (12.5, 100, "2026-04-03T10:00:00Z"),
        (3.25, 101, "2026-04-20T10:00:00Z"),
        (7.0, 100, "2026-05-02T10:00:00Z"),
        (0.125, 104, "2026-05-31T23:59:59Z"),
        (42.0, 103, "2026-06-15T10:00:00Z"),
    ];
    for (amount, type_id, at) in rows {
        app.created_usage(&user, amount, type_id, at).await;
    }

    let summary: Value = app.get("/usages/summary", &user).json_body().await;
    // Expected figures from the seeded factors, not from the service's own co2e.
    let brute_total: f64 = rows.iter().map(|(a, t, _)| a * factor_of(*t)).sum();
    assert!(
        close(summary["total_co2e"].as_f64().unwrap(), brute_total),
        "{summary}"
    );
    assert_eq!(summary["usage_count"], 5);

    let by_type = summary["by_type"].as_array().unwrap();
    let type_ids: Vec<i64> = by_type
        .iter()
        .map(|t| t["usage_type_id"].as_i64().unwrap())
        .collect();
    assert_eq!(type_ids, [100, 101, 103, 104]);
    let electricity = &by_type[0];
    assert_eq!(
        (electricity["name"].as_str(), electricity["unit"].as_str()),
        (Some("electricity"), Some("kWh"))
    );
    assert_eq!(electricity["usage_count"], 2);
    assert!(close(electricity["total_amount"].as_f64().unwrap(), 19.5));
    assert!(close(
        electricity["co2e"].as_f64().unwrap(),
        19.5 * factor_of(100)
    ));

    let months: Vec<(&str, u64)> = summary["by_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap(),
                m["usage_count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(months, [("2026-04", 2), ("2026-05", 2), ("2026-06", 1)]);
    let may_brute = 7.0 * factor_of(100) + 0.125 * factor_of(104);
    assert!(close(
        summary["by_month"][1]["co2e"].as_f64().unwrap(),
        may_brute
    ));
}

#[tokio::test]
async fn the_window_is_from_inclusive_to_exclusive() {
    let app = spawn_app().await;
    let user = TestUser::new();
    app.created_usage(&user, 1.0, 100, "2026-05-01T00:00:00Z")
        .await;
    app.created_usage(&user, 2.0, 100, "2026-06-01T00:00:00Z")
        .await;
    let summary: Value = app
        .get(
            "/usages/summary?from=2026-05-01T00:00:00Z&to=2026-06-01T00:00:00Z",
            &user,
        )
        .json_body()
        .await;
    assert_eq!(summary["usage_count"], 1);
    assert_eq!(summary["total_co2e"], 1.5);
    assert_eq!(summary["from"], "2026-05-01T00:00:00Z");
    assert_eq!(summary["to"], "2026-06-01T00:00:00Z");
}

#[tokio::test]
async fn an_empty_summary_is_zero() {
    let app = spawn_app().await;
    let summary: Value = app
        .get("/usages/summary", &TestUser::new())
        .json_body()
        .await;
    assert_eq!(summary["usage_count"], 0);
    assert_eq!(summary["total_co2e"], 0.0);
    assert_eq!(summary["by_type"], serde_json::json!([]));
    assert_eq!(summary["by_scope"], serde_json::json!([]));
}

#[tokio::test]
async fn an_empty_summary_has_no_negative_zero_which_a_page_would_show_as_minus_0() {
    let app = spawn_app().await;
    let body = app
        .get("/usages/summary", &TestUser::new())
        .sent()
        .await
        .text()
        .await
        .unwrap();
    fn negative_zeros(value: &Value) -> usize {
        match value {
            Value::Number(n) => n
                .as_f64()
                .is_some_and(|x| x == 0.0 && x.is_sign_negative())
                .into(),
            Value::Array(items) => items.iter().map(negative_zeros).sum(),
            Value::Object(fields) => fields.values().map(negative_zeros).sum(),
            _ => 0,
        }
    }
    let summary: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(negative_zeros(&summary), 0, "{body}");
}

#[tokio::test]
async fn a_window_with_from_after_to_is_empty() {
    let app = spawn_app().await;
    let user = TestUser::new();
    app.created_usage(&user, 1.0, 100, "2026-05-15T00:00:00Z")
        .await;
    let summary: Value = app
        .get(
            "/usages/summary?from=2026-06-01T00:00:00Z&to=2026-05-01T00:00:00Z",
            &user,
        )
        .json_body()
        .await;
    assert_eq!(summary["usage_count"], 0);
}

#[tokio::test]
async fn a_window_from_the_last_month_of_year_9999_is_empty() {
    let app = spawn_app().await;
    let user = TestUser::new();
    app.created_usage(&user, 1.0, 100, "2026-05-15T00:00:00Z")
        .await;
    for from in ["9999-12-01T00:00:01Z", "9999-12-31T23:59:59Z"] {
        let summary = app
            .summary_of(&user, &format!("?from={}", from.replace(':', "%3A")))
            .await;
        assert_eq!(summary["usage_count"], 0, "from {from}");
        assert_eq!(summary["total_co2e"], 0.0, "from {from}");
    }
}

#[tokio::test]
async fn by_scope_sums_each_ghg_scope_present() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let rows = [
        (10.0, 100, "2026-04-03T10:00:00Z"),
        (2.0, 102, "2026-04-04T10:00:00Z"),
        (3.0, 103, "2026-04-05T10:00:00Z"),
        (4.0, 104, "2026-04-06T10:00:00Z"),
    ];
    for (amount, type_id, at) in rows {
        app.created_usage(&user, amount, type_id, at).await;
    }
    let summary: Value = app.get("/usages/summary", &user).json_body().await;
    let by_scope = summary["by_scope"].as_array().unwrap();
    // No water (the only scope-3 type): scope 3 is absent, not zero.
    let scopes: Vec<u64> = by_scope
        .iter()
        .map(|s| s["scope"].as_u64().unwrap())
        .collect();
    assert_eq!(scopes, [1, 2]);
    for entry in by_scope {
        let scope = entry["scope"].as_u64().unwrap() as u8;
        let mine: Vec<_> = rows.iter().filter(|r| scope_of(r.1) == scope).collect();
        let expected: f64 = mine.iter().map(|(a, t, _)| a * factor_of(*t)).sum();
        assert_eq!(entry["usage_count"].as_u64().unwrap(), mine.len() as u64);
        assert!(close(entry["co2e"].as_f64().unwrap(), expected), "{entry}");
    }
}

#[tokio::test]
async fn the_summary_reports_each_gas_and_weighs_them_by_the_gwp_set_asked_for() {
    let app = spawn_app().await;
    app.seed_epa().await;
    let user = TestUser::new();
    // An electricity bill of 12.5 MWh on the US average grid (eGRID2023).
    app.created_usage_from(
        &user,
        serde_json::json!({"amount": 12.5, "unit": "MWh", "usage_type_id": 20000,
        "usage_at": "2026-10-31T00:00:00Z"}),
    )
    .await;
    let grid: Value = app.types("/20000").await.json().await.unwrap();
    let per_mwh = |gas: &str| grid["gases"][gas].as_f64().unwrap();
    let (co2, ch4, n2o) = (
        12.5 * per_mwh("co2"),
        12.5 * per_mwh("ch4"),
        12.5 * per_mwh("n2o"),
    );
    for (gwp, ch4_gwp, n2o_gwp) in [
        ("AR4", 25.0, 298.0),
        ("AR5", 28.0, 265.0),
        ("AR6", 27.0, 273.0),
    ] {
        let summary: Value = app
            .get(&format!("/usages/summary?gwp={gwp}"), &user)
            .json_body()
            .await;
        assert_eq!(summary["gwp"], gwp);
        let by_gas = &summary["by_gas"];
        assert!(close(by_gas["co2"].as_f64().unwrap(), co2), "{summary}");
        assert!(close(by_gas["ch4"].as_f64().unwrap(), ch4), "{summary}");
        assert!(close(by_gas["n2o"].as_f64().unwrap(), n2o), "{summary}");
        let expected = co2 + ch4 * ch4_gwp + n2o * n2o_gwp;
        assert!(
            close(summary["total_co2e"].as_f64().unwrap(), expected),
            "{gwp}: {summary}"
        );
        assert!(close(
            summary["by_scope"][0]["co2e"].as_f64().unwrap(),
            expected
        ));
        assert!(close(
            summary["by_month"][0]["by_gas"]["co2"].as_f64().unwrap(),
            co2
        ));
        assert_eq!(summary["by_type"][0]["total_amount"], 12.5);
    }
    // The default is AR5, the set of the dataset's own factor: the stored CO₂e.
    let default: Value = app.get("/usages/summary", &user).json_body().await;
    assert_eq!(default["gwp"], "AR5");
    assert!(close(
        default["total_co2e"].as_f64().unwrap(),
        12.5 * grid["factor"].as_f64().unwrap()
    ));
    let refused = app.get("/usages/summary?gwp=SAR", &user).sent().await;
    assert_eq!(error_fields(&assert_problem(refused, 422).await), ["gwp"]);
}

#[tokio::test]
async fn biofuel_co2_is_a_memo_at_every_level_and_in_no_scope() {
    let app = spawn_app().await;
    app.seed_epa().await;
    let user = TestUser::new();
    // 100 gallons of B20 (80 % diesel, 20 % biodiesel) and 10 of pure
    // biodiesel, in March; Hub 2025 Table 2: diesel 10.21, biodiesel 9.45
    // kg CO₂ per gallon.
    for (amount, type_id, day) in [(100, 30104, "2026-03-02"), (10, 30002, "2026-03-20")] {
        app.created_usage_from(
            &user,
            serde_json::json!({"amount": amount, "usage_type_id": type_id,
            "usage_at": format!("{day}T00:00:00Z")}),
        )
        .await;
    }
    let fossil = 100.0 * 0.8 * 10.21;
    let biogenic = 100.0 * 0.2 * 9.45 + 10.0 * 9.45;
    // Rollups (whole months) and usages (a mid-month edge) alike.
    for window in ["from=2026-01-01T00:00:00Z", "from=2026-03-01T12:00:00Z"] {
        for gwp in ["AR4", "AR5", "AR6"] {
            let summary: Value = app
                .get(&format!("/usages/summary?{window}&gwp={gwp}"), &user)
                .json_body()
                .await;
            assert!(
                close(summary["total_co2e"].as_f64().unwrap(), fossil),
                "{summary}"
            );
            let scope1 = &summary["by_scope"][0];
            assert_eq!(scope1["scope"], 1);
            assert!(close(scope1["co2e"].as_f64().unwrap(), fossil), "{summary}");
            for level in [
                &summary["by_gas"],
                &scope1["by_gas"],
                &summary["by_month"][0]["by_gas"],
            ] {
                assert!(
                    close(level["biogenic_co2"].as_f64().unwrap(), biogenic),
                    "{level}"
                );
                assert!(close(level["co2"].as_f64().unwrap(), fossil), "{level}");
            }
            let pure = summary["by_type"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["usage_type_id"] == 30002)
                .unwrap();
            assert_eq!(pure["co2e"], 0.0, "{pure}");
            assert!(close(
                pure["by_gas"]["biogenic_co2"].as_f64().unwrap(),
                94.5
            ));
        }
    }
    let export = app.export(&user, "", None).await.text().await.unwrap();
    assert!(
        export.lines().next().unwrap().ends_with(
            ",biogenic_co2,ch4_fossil,scope3_category,facility_id,data_quality,evidence"
        )
    );
    assert!(
        export.lines().any(|l| l.ends_with(",1,94.5,,,,,")),
        "the biodiesel line carries its memo: {export}"
    );
}

#[tokio::test]
async fn a_refrigerant_leak_counts_as_its_own_gas_weighed_by_that_gases_gwp() {
    let app = spawn_app().await;
    app.seed_epa().await;
    let user = TestUser::new();
    // A service record: 5 lb of HFC-134a topped up, i.e. leaked, in March.
    let leak = app
        .created_usage_from(
            &user,
            serde_json::json!({"amount": 5, "unit": "lb", "usage_type_id": 60003,
            "usage_at": "2026-03-10T00:00:00Z"}),
        )
        .await;
    let kg = 5.0 * 0.45359237;
    assert!(
        close(leak["gases"]["fgases"]["HFC-134a"].as_f64().unwrap(), kg),
        "{leak}"
    );
    assert!(close(leak["co2e"].as_f64().unwrap(), kg * 1300.0), "{leak}");
    // HFC-134a's GWPs: AR4 1,430, AR5 1,300, AR6 1,530. A whole year reads
    // rollups; a window starting mid-March reads the edge month's usages.
    for window in ["from=2026-01-01T00:00:00Z", "from=2026-03-05T00:00:00Z"] {
        for (gwp, hfc_gwp) in [("AR4", 1430.0), ("AR5", 1300.0), ("AR6", 1530.0)] {
            let summary: Value = app
                .get(&format!("/usages/summary?{window}&gwp={gwp}"), &user)
                .json_body()
                .await;
            let fgases = &summary["by_gas"]["fgases"];
            assert!(close(fgases["HFC-134a"].as_f64().unwrap(), kg), "{summary}");
            assert_eq!(summary["by_gas"]["co2"], 0.0, "{summary}");
            assert!(
                close(summary["total_co2e"].as_f64().unwrap(), kg * hfc_gwp),
                "{window} {gwp}: {summary}"
            );
            assert!(close(
                summary["by_scope"][0]["by_gas"]["fgases"]["HFC-134a"]
                    .as_f64()
                    .unwrap(),
                kg
            ));
        }
    }
}

#[tokio::test]
async fn the_gwp_sets_are_served_with_their_values_and_sources_the_default_first() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/gwp-sets")).sent().await;
    assert_eq!(r.status(), StatusCode::OK);
    let sets: Vec<Value> = r.json().await.unwrap();
    let ids: Vec<&str> = sets.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["AR5", "AR4", "AR6"]);
    assert_eq!(sets[0]["default"], true);
    assert_eq!(
        (sets[0]["ch4"].as_f64(), sets[0]["n2o"].as_f64()),
        (Some(28.0), Some(265.0))
    );
    assert!(
        sets.iter()
            .all(|s| s["source"].as_str().unwrap().contains("IPCC"))
    );
    // What the summary takes.
    for id in ids {
        let r = app
            .get(&format!("/usages/summary?gwp={id}"), &TestUser::new())
            .sent()
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{id}");
    }
}

/// The aggregations a summary sends to `usages`: their `$match` stages.
async fn usage_reads_of_a_summary(
    app: &TestApp,
    user: &TestUser,
    from: &str,
    to: &str,
) -> (serde_json::Value, Vec<bson::Document>) {
    let matches = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorder = matches.clone();
    let db = common::testing::observed_database(&app.database_uri, move |name, command| {
        if name == "aggregate"
            && command.get_str("aggregate") == Ok("usages")
            && let Ok(pipeline) = command.get_array("pipeline")
            && let Some(stage) = pipeline.first().and_then(|s| s.as_document())
            && let Ok(matched) = stage.get_document("$match")
        {
            recorder.lock().unwrap().push(matched.clone());
        }
    })
    .await;
    let writes = Default::default();
    let usages = carbon_service::service::usages::Usages {
        db: &db,
        types: app.context.type_cache(),
        quota: 1_000,
        writes: &writes,
        slots: &test_slots(),
    };
    let filter =
        carbon_service::domain::usage_query::UsageFilter::parse(None, Some(from), Some(to))
            .unwrap();
    let summary = usages
        .summary(
            common::ids::OrgId::personal(user.user_id()),
            &filter,
            Default::default(),
        )
        .await
        .unwrap();
    let matches = matches.lock().unwrap().clone();
    (json!({"usage_count": summary.usage_count}), matches)
}

#[tokio::test]
async fn a_summary_with_mid_month_edges_reads_only_the_edge_days_usages() {
    let app = spawn_app().await;
    let user = TestUser::new();
    // A usage every morning of January to March, and three more on the edge days.
    for month in 1..=3 {
        for day in 1..=28 {
            app.created_usage(
                &user,
                1.0,
                100,
                &format!("2026-{month:02}-{day:02}T05:00:00Z"),
            )
            .await;
        }
    }
    for at in [
        "2026-01-15T18:00:00Z",
        "2026-03-10T08:00:00Z",
        "2026-03-10T20:00:00Z",
    ] {
        app.created_usage(&user, 1.0, 100, at).await;
    }
    let (summary, reads) =
        usage_reads_of_a_summary(&app, &user, "2026-01-15T12:00:00Z", "2026-03-10T12:00:00Z").await;
    // Jan 15 18:00 and Jan 16 to 28 (14), February (28), Mar 1 to 10 mornings and Mar 10 08:00 (11).
    assert_eq!(summary["usage_count"], 1 + 13 + 28 + 10 + 1);
    assert!(
        !reads.is_empty(),
        "the partial edge days are read from usages"
    );
    let usages = app.database.collection::<bson::Document>("usages");
    let mut examined = 0;
    for matched in &reads {
        examined += usages.count_documents(matched.clone()).await.unwrap();
    }
    // Only the partial days: Jan 15 after noon (one usage) and Mar 10
    // before noon (two); never the 87 usages of the whole days and months.
    assert_eq!(examined, 3, "{reads:?}");
}

#[tokio::test]
async fn freight_is_reported_under_category_4_unless_a_usage_chooses_9() {
    let app = spawn_app().await;
    app.seed_epa().await;
    let user = TestUser::new();
    // Hub 2025 Table 8 freight, categories 4 and 9.
    let freight: Value = app.get_type("40001").await.json().await.unwrap();
    assert_eq!(freight["scope3_categories"], json!([4, 9]));
    let upstream = app
        .created_usage_from(
            &user,
            json!({"amount": 100, "usage_type_id": 40001, "usage_at": "2026-04-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(upstream["scope3_category"], 4);
    let downstream = app
        .created_usage_from(
            &user,
            json!({"amount": 50, "usage_type_id": 40001, "usage_at": "2026-04-02T00:00:00Z",
                "scope3_category": 9}),
        )
        .await;
    assert_eq!(downstream["scope3_category"], 9);
    let refused = app
        .create_usage(
            &user,
            json!({"amount": 1, "usage_type_id": 40001, "scope3_category": 5}),
        )
        .await;
    let problem = assert_problem(refused, 422).await;
    assert_eq!(problem["errors"][0]["field"], "scope3_category");

    // Whole months (rollups) and a mid-month edge (usages) alike.
    for window in ["from=2026-01-01T00:00:00Z", "from=2026-04-01T12:00:00Z"] {
        let summary = app.summary_of(&user, &format!("?{window}")).await;
        let categories = summary["by_scope3_category"].as_array().unwrap();
        let count = |c: i64| {
            categories
                .iter()
                .find(|l| l["category"] == c)
                .map_or(0, |l| l["usage_count"].as_u64().unwrap())
        };
        let expected_4 = if window.contains("T12") { 0 } else { 1 };
        assert_eq!((count(4), count(9)), (expected_4, 1), "{window}: {summary}");
    }
    // A change of category moves it.
    let id = downstream["id"].as_str().unwrap();
    let moved: Value = app
        .put(&format!("/usages/{id}"), &user)
        .json(&json!({"scope3_category": 4}))
        .json_body()
        .await;
    assert_eq!(moved["scope3_category"], 4);
    let summary = app.summary_of(&user, "?from=2026-01-01T00:00:00Z").await;
    assert_eq!(summary["by_scope3_category"][0]["usage_count"], 2);
}

#[tokio::test]
async fn fossil_methane_from_a_gas_leak_weighs_its_own_gwp_in_every_set() {
    let app = spawn_app().await;
    let user = TestUser::new();
    // A superuser's type for a gas main's leak: kg of fossil CH₄ per kg.
    let created = app
        .post("/types", &TestUser::superuser())
        .json(
            &json!({"id": 902, "name": "Gas main leak", "unit": "kg", "gases": {"ch4_fossil": 1.0},
            "scope": 1, "category": "fugitive_emissions"}),
        )
        .sent()
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    app.created_usage_from(
        &user,
        json!({"amount": 10, "usage_type_id": 902, "usage_at": "2026-02-01T00:00:00Z"}),
    )
    .await;
    for (gwp, expected) in [("AR4", 250.0), ("AR5", 300.0), ("AR6", 298.0)] {
        let summary = app
            .summary_of(&user, &format!("?from=2026-01-01T00:00:00Z&gwp={gwp}"))
            .await;
        assert!(
            close(summary["total_co2e"].as_f64().unwrap(), expected),
            "{gwp}: {summary}"
        );
        assert_eq!(summary["by_gas"]["ch4_fossil"], 10.0);
        assert_eq!(summary["by_gas"]["ch4"], 0.0);
    }
}
