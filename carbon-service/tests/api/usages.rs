use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn create_returns_201_with_the_full_shape() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let r = app
        .create_usage(
            &user,
            json!({"amount": 10.0, "usage_type_id": 100, "usage_at": "2026-11-01T08:00:00+01:00"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let usage: Value = r.json().await.unwrap();
    assert_eq!(usage["id"].as_str().unwrap().len(), 24);
    assert_eq!(usage["user_id"], user.id.to_string());
    assert_eq!(usage["amount"], 10.0);
    let snapshot = &usage["usage_type"];
    assert_eq!(
        (
            &snapshot["id"],
            &snapshot["name"],
            &snapshot["unit"],
            &snapshot["factor"],
            &snapshot["scope"]
        ),
        (
            &json!(100),
            &json!("electricity"),
            &json!("kWh"),
            &json!(1.5),
            &json!(2)
        )
    );
    assert!(
        snapshot["source"].is_string(),
        "provenance is in the snapshot"
    );
    assert_eq!(usage["usage_at"], "2026-11-01T07:00:00Z");
    assert_eq!(usage["co2e"], 15.0);
    assert!(usage["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(usage["updated_at"].is_string());
    assert_eq!(usage["version"], 1);
    assert_eq!(
        (usage["unit"].as_str(), usage["factor_amount"].as_f64()),
        (Some("kWh"), Some(10.0))
    );
    assert_eq!(usage["gases"], json!({"other_co2e": 15.0}));
    // Its organization (the personal one: the user's id) and its author.
    assert_eq!(usage["org_id"], usage["created_by"]);
    assert_eq!(usage["updated_by"], usage["created_by"]);
    assert_eq!(usage["user_id"], usage["created_by"]);
    assert_eq!(usage.as_object().unwrap().len(), 15);
}

#[tokio::test]
async fn usage_at_defaults_to_now() {
    let app = spawn_app().await;
    let r = app
        .create_usage(&TestUser::new(), json!({"amount": 1, "usage_type_id": 101}))
        .await;
    let usage: Value = r.json().await.unwrap();
    let at = chrono::DateTime::parse_from_rfc3339(usage["usage_at"].as_str().unwrap()).unwrap();
    assert!(
        (chrono::Utc::now() - at.with_timezone(&chrono::Utc))
            .num_seconds()
            .abs()
            < 60
    );
}

#[tokio::test]
async fn create_without_a_token_is_401() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(app.url("/usages"))
        .json(&json!({"amount": 1, "usage_type_id": 100}))
        .sent()
        .await;
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_problem(r, 401).await;
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_401() {
    let app = spawn_app().await;
    let forged = TestUser {
        id: uuid::Uuid::new_v4(),
        token: mint_token(
            "another-secret-another-secret-another",
            uuid::Uuid::new_v4(),
            true,
        ),
    };
    let r = app.get("/usages", &forged).sent().await;
    assert_eq!(
        r.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    assert_problem(r, 401).await;
}

#[tokio::test]
async fn changing_the_type_takes_a_new_snapshot_and_recomputes_co2e() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let usage = app
        .created_usage(&user, 2.0, 100, "2026-11-01T08:00:00Z")
        .await;
    let path = format!("/usages/{}", usage["id"].as_str().unwrap());
    let r = app
        .put(&path, &user)
        .json(&json!({"usage_type_id": 101}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(
        (
            &updated["usage_type"]["id"],
            &updated["usage_type"]["factor"],
            &updated["usage_type"]["scope"]
        ),
        (&json!(101), &json!(26.93), &json!(3))
    );
    assert_eq!(updated["co2e"], 2.0 * 26.93);
    assert_eq!(updated["amount"], 2.0);
    assert_eq!(updated["id"], usage["id"]);
}

#[tokio::test]
async fn a_partial_update_changes_only_what_is_given() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let usage = app
        .created_usage(&user, 2.0, 100, "2026-11-01T08:00:00Z")
        .await;
    let path = format!("/usages/{}", usage["id"].as_str().unwrap());
    let updated: Value = app
        .put(&path, &user)
        .json(&json!({"amount": 4}))
        .json_body()
        .await;
    assert_eq!(
        (updated["amount"].clone(), updated["co2e"].clone()),
        (json!(4.0), json!(6.0))
    );
    assert_eq!(updated["usage_at"], usage["usage_at"]);
    let fetched: Value = app.get(&path, &user).json_body().await;
    assert_eq!(fetched, updated);
}

#[tokio::test]
async fn an_empty_update_is_422() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let usage = app
        .created_usage(&user, 2.0, 100, "2026-11-01T08:00:00Z")
        .await;
    let r = app
        .put_usage(&user, usage["id"].as_str().unwrap(), json!({}))
        .await;
    assert_problem(r, 422).await;
}

#[tokio::test]
async fn delete_then_get_is_404() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let usage = app
        .created_usage(&user, 2.0, 100, "2026-11-01T08:00:00Z")
        .await;
    let path = format!("/usages/{}", usage["id"].as_str().unwrap());
    assert_eq!(
        app.delete(&path, &user).sent().await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&path, &user).sent().await, 404).await;
    assert_problem(app.delete(&path, &user).sent().await, 404).await;
}

#[tokio::test]
async fn five_created_are_exactly_the_five_listed_newest_first() {
    let app = spawn_app().await;
    let user = TestUser::new();
    app.created_usage(&TestUser::new(), 1.0, 100, "2026-10-01T00:00:00Z")
        .await;
    let mut ids = Vec::new();
    for day in 1..=5 {
        let usage = app
            .created_usage(
                &user,
                f64::from(day),
                100,
                &format!("2026-10-0{day}T12:00:00Z"),
            )
            .await;
        ids.push(usage["id"].as_str().unwrap().to_owned());
    }
    let r = app.get("/usages?include_total=true", &user).sent().await;
    assert_eq!(r.headers()["x-total-count"], "5");
    let listed: Vec<Value> = r.json().await.unwrap();
    let listed_ids: Vec<&str> = listed.iter().map(|u| u["id"].as_str().unwrap()).collect();
    ids.reverse();
    assert_eq!(listed_ids, ids);
}

#[tokio::test]
async fn the_list_pages_and_filters_by_type_and_window() {
    let app = spawn_app().await;
    let user = TestUser::new();
    app.created_usage(&user, 1.0, 100, "2026-01-01T00:00:00Z")
        .await;
    app.created_usage(&user, 1.0, 101, "2026-02-01T00:00:00Z")
        .await;
    app.created_usage(&user, 1.0, 100, "2026-03-01T00:00:00Z")
        .await;
    let count = |path: &'static str| {
        let request = app.get(path, &user);
        async move {
            request.sent().await.headers()["x-total-count"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(
        count("/usages?usage_type_id=100&include_total=true").await,
        "2"
    );
    // from inclusive, to exclusive
    assert_eq!(
        count("/usages?from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z&include_total=true").await,
        "1"
    );
    let page: Vec<Value> = app.get("/usages?limit=1&offset=1", &user).json_body().await;
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["usage_at"], "2026-02-01T00:00:00Z");
}

#[tokio::test]
async fn another_users_get_put_and_delete_are_404_and_change_nothing() {
    let app = spawn_app().await;
    let owner = TestUser::new();
    let intruder = TestUser::new();
    let usage = app
        .created_usage(&owner, 2.0, 100, "2026-11-01T08:00:00Z")
        .await;
    let path = format!("/usages/{}", usage["id"].as_str().unwrap());
    assert_problem(app.get(&path, &intruder).sent().await, 404).await;
    assert_problem(
        app.put(&path, &intruder)
            .json(&json!({"amount": 999}))
            .sent()
            .await,
        404,
    )
    .await;
    assert_problem(app.delete(&path, &intruder).sent().await, 404).await;
    let still: Value = app.get(&path, &owner).json_body().await;
    assert_eq!(still, usage);
    let listed: Vec<Value> = app.get("/usages", &intruder).json_body().await;
    assert!(listed.is_empty());
}

#[tokio::test]
async fn foreign_and_missing_usages_answer_identically() {
    let app = spawn_app().await;
    let owner = TestUser::new();
    let usage = app
        .created_usage(&owner, 2.0, 100, "2026-11-01T08:00:00Z")
        .await;
    let intruder = TestUser::new();
    let foreign: Value = app
        .get(
            &format!("/usages/{}", usage["id"].as_str().unwrap()),
            &intruder,
        )
        .json_body()
        .await;
    let missing: Value = app
        .get("/usages/6740c8a2f1d3b2a1c0e9f812", &intruder)
        .json_body()
        .await;
    assert_eq!(foreign, missing);
}

#[tokio::test]
async fn a_malformed_id_is_422() {
    let app = spawn_app().await;
    let user = TestUser::new();
    for verb in ["GET", "PUT", "DELETE"] {
        let r = app
            .client
            .request(verb.parse().unwrap(), app.url("/usages/not-an-object-id"))
            .bearer_auth(&user.token)
            .json(&json!({"amount": 1}))
            .sent()
            .await;
        assert_eq!(
            error_fields(&assert_problem(r, 422).await),
            ["id"],
            "{verb}"
        );
    }
}

#[tokio::test]
async fn unknown_fields_are_422_including_server_owned_ones() {
    let app = spawn_app().await;
    let user = TestUser::new();
    for field in ["user_id", "co2e", "id", "colour"] {
        let r = app
            .create_usage(
                &user,
                json!({"amount": 1, "usage_type_id": 100, field: "x"}),
            )
            .await;
        assert_eq!(error_fields(&assert_problem(r, 422).await), [field]);
    }
    assert_eq!(app.stored_usages().await, 0);
}

#[tokio::test]
async fn invalid_amounts_are_422() {
    let app = spawn_app().await;
    let user = TestUser::new();
    for amount in [json!(-1), json!("12"), json!(null), json!(2e12)] {
        let r = app
            .create_usage(&user, json!({"amount": amount, "usage_type_id": 100}))
            .await;
        assert_eq!(
            error_fields(&assert_problem(r, 422).await),
            ["amount"],
            "{amount}"
        );
    }
    for literal in ["NaN", "Infinity", "-Infinity", "1e999"] {
        let r = app
            .client
            .post(app.url("/usages"))
            .bearer_auth(&user.token)
            .header("content-type", "application/json")
            .body(format!(r#"{{"amount": {literal}, "usage_type_id": 100}}"#))
            .sent()
            .await;
        assert_eq!(
            error_fields(&assert_problem(r, 422).await),
            ["amount"],
            "{literal}"
        );
    }
    assert_eq!(app.stored_usages().await, 0);
}

#[tokio::test]
async fn an_unknown_usage_type_is_422_naming_the_field() {
    let app = spawn_app().await;
    let r = app
        .create_usage(&TestUser::new(), json!({"amount": 1, "usage_type_id": 999}))
        .await;
    assert_eq!(
        error_fields(&assert_problem(r, 422).await),
        ["usage_type_id"]
    );
}

#[tokio::test]
async fn usage_at_must_have_an_offset_and_be_at_most_a_day_ahead() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let tomorrow_and_more = (chrono::Utc::now() + chrono::Duration::hours(26)).to_rfc3339();
    for at in [
        "2026-11-01T08:00:00",
        "01/11/2026",
        tomorrow_and_more.as_str(),
    ] {
        let r = app
            .create_usage(
                &user,
                json!({"amount": 1, "usage_type_id": 100, "usage_at": at}),
            )
            .await;
        assert_eq!(
            error_fields(&assert_problem(r, 422).await),
            ["usage_at"],
            "{at}"
        );
    }
}

#[tokio::test]
async fn list_parameters_out_of_range_are_422() {
    let app = spawn_app().await;
    let user = TestUser::new();
    for (query, field) in [
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("usage_type_id=x", "usage_type_id"),
    ] {
        let r = app.get(&format!("/usages?{query}"), &user).sent().await;
        assert_eq!(
            error_fields(&assert_problem(r, 422).await),
            [field],
            "{query}"
        );
    }
}

#[tokio::test]
async fn a_factor_edit_does_not_rewrite_history() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let admin = TestUser::superuser();
    let r = app
        .post("/types", &admin)
        .json(&json!({"id": 900, "name": "electricity", "unit": "kWh", "factor": 1.5, "scope": 2}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let usage = app
        .created_usage(&user, 10.0, 900, "2026-11-01T08:00:00Z")
        .await;
    let r = app
        .put("/types/900", &admin)
        .json(&json!({"name": "electricity", "unit": "kWh", "factor": 9.0, "scope": 2}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let after: Value = app
        .get(&format!("/usages/{}", usage["id"].as_str().unwrap()), &user)
        .json_body()
        .await;
    assert_eq!(after["co2e"], 15.0);
    assert_eq!(after["usage_type"]["factor"], 1.5);
}

/// Walks every page by cursor; returns the ids in order.
async fn walk_by_cursor(app: &TestApp, user: &TestUser, query: &str, limit: u32) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/usages?limit={limit}&{query}&cursor={c}"),
            None => format!("/usages?limit={limit}&{query}"),
        };
        let r = app.get(&path, user).sent().await;
        assert_eq!(r.status(), StatusCode::OK);
        cursor = r
            .headers()
            .get("x-next-cursor")
            .map(|v| v.to_str().unwrap().to_owned());
        let page: Vec<Value> = r.json().await.unwrap();
        assert!(page.len() <= limit as usize);
        ids.extend(page.iter().map(|u| u["id"].as_str().unwrap().to_owned()));
        if cursor.is_none() {
            return ids;
        }
        assert_eq!(page.len(), limit as usize, "a page before the last is full");
    }
}

#[tokio::test]
async fn cursor_pages_walk_every_usage_once_in_list_order_ties_included() {
    let app = spawn_app().await;
    let user = TestUser::new();
    // Three usages share one instant: the id settles their order.
    for (i, at) in [
        "2026-03-01T00:00:00Z",
        "2026-03-01T00:00:00Z",
        "2026-03-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
        "2026-05-01T00:00:00Z",
        "2026-02-01T00:00:00Z",
        "2026-04-01T00:00:00Z",
    ]
    .iter()
    .enumerate()
    {
        app.created_usage(&user, i as f64, 100 + (i % 2) as i64, at)
            .await;
    }
    let everything: Vec<Value> = app.get("/usages?limit=100", &user).json_body().await;
    let expected: Vec<String> = everything
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(expected.len(), 7);
    for limit in [1, 2, 3, 7] {
        assert_eq!(
            walk_by_cursor(&app, &user, "", limit).await,
            expected,
            "limit {limit}"
        );
    }
    let electricity: Vec<String> = everything
        .iter()
        .filter(|u| u["usage_type"]["id"] == 100)
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        walk_by_cursor(&app, &user, "usage_type_id=100", 2).await,
        electricity
    );
}

#[tokio::test]
async fn the_last_page_has_no_next_cursor_and_the_total_comes_only_on_request() {
    let app = spawn_app().await;
    let user = TestUser::new();
    for day in 1..=3 {
        app.created_usage(&user, 1.0, 100, &format!("2026-06-0{day}T00:00:00Z"))
            .await;
    }
    let r = app.get("/usages?limit=3", &user).sent().await;
    assert!(r.headers().get("x-next-cursor").is_none());
    assert!(r.headers().get("x-total-count").is_none());
    let r = app.get("/usages?limit=2", &user).sent().await;
    assert!(r.headers().get("x-next-cursor").is_some());
    let r = app
        .get("/usages?limit=2&include_total=true", &user)
        .sent()
        .await;
    assert_eq!(r.headers()["x-total-count"], "3");
}

#[tokio::test]
async fn a_bad_cursor_or_a_cursor_with_an_offset_is_422_naming_cursor() {
    let app = spawn_app().await;
    let user = TestUser::new();
    for _ in 0..2 {
        app.created_usage(&user, 1.0, 100, "2026-06-01T00:00:00Z")
            .await;
    }
    let r = app.get("/usages?limit=1", &user).sent().await;
    let cursor = r.headers()["x-next-cursor"].to_str().unwrap().to_owned();
    for path in [
        "/usages?cursor=not-a-cursor".to_owned(),
        format!("/usages?cursor={cursor}&offset=1"),
    ] {
        let problem = assert_problem(app.get(&path, &user).sent().await, 422).await;
        assert_eq!(error_fields(&problem), ["cursor"], "{path}");
    }
}

#[tokio::test]
async fn a_usage_in_another_unit_of_the_dimension_is_converted_and_one_of_another_dimension_is_422()
{
    let app = spawn_app().await;
    let user = TestUser::new();
    let r = app
        .create_usage(
            &user,
            json!({"amount": 3, "unit": "MWh", "usage_type_id": 100}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let usage: Value = r.json().await.unwrap();
    assert_eq!(
        (usage["amount"].as_f64(), usage["unit"].as_str()),
        (Some(3.0), Some("MWh"))
    );
    assert_eq!(usage["factor_amount"], 3000.0);
    assert_eq!(usage["co2e"], 3000.0 * factor_of(100));
    let refused = app
        .create_usage(
            &user,
            json!({"amount": 3, "unit": "kg", "usage_type_id": 100}),
        )
        .await;
    let problem = assert_problem(refused, 422).await;
    assert_eq!(error_fields(&problem), ["unit"]);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("MWh"),
        "the accepted units are listed: {problem}"
    );
    // A change of unit alone converts the same amount anew.
    let path = format!("/usages/{}", usage["id"].as_str().unwrap());
    let changed: Value = app
        .put(&path, &user)
        .json(&json!({"unit": "GJ"}))
        .json_body()
        .await;
    assert!(close(
        changed["factor_amount"].as_f64().unwrap(),
        3.0 / 0.0036
    ));
}

#[tokio::test]
async fn offset_and_cursor_pages_inside_a_window_reach_every_usage_once() {
    // Pages read only the months and days their rollups say hold them:
    // every page of every size still returns the window's usages once.
    let app = spawn_app().await;
    let user = TestUser::new();
    for i in 0..12_i64 {
        let at = format!("2026-{:02}-{:02}T10:00:00Z", 1 + i % 4, 1 + (i * 7) % 28);
        app.created_usage(&user, i as f64, 100 + i % 2, &at).await;
    }
    let everything: Vec<Value> = app.get("/usages?limit=100", &user).json_body().await;
    let window_end = "2026-04-15T00:00:00Z";
    let in_window: Vec<String> = everything
        .iter()
        .filter(|u| u["usage_at"].as_str().unwrap() < window_end)
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        in_window.len() > 6 && in_window.len() < 12,
        "{}",
        in_window.len()
    );
    for limit in [1_usize, 2, 5] {
        let mut by_offset = Vec::new();
        loop {
            let page: Vec<Value> = app
                .get(
                    &format!(
                        "/usages?limit={limit}&offset={}&to={window_end}",
                        by_offset.len()
                    ),
                    &user,
                )
                .json_body()
                .await;
            by_offset.extend(page.iter().map(|u| u["id"].as_str().unwrap().to_owned()));
            if page.len() < limit {
                break;
            }
        }
        assert_eq!(by_offset, in_window, "by offset, limit {limit}");
        assert_eq!(
            walk_by_cursor(&app, &user, &format!("to={window_end}"), limit as u32).await,
            in_window,
            "by cursor, limit {limit}"
        );
    }
}
