//! Concurrent edits: ETag on every read and write, If-Match on PUT and
//! DELETE (412 when stale), and no lost update without If-Match.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn usage_path(app: &TestApp, user: &TestUser) -> String {
    let usage = app
        .created_usage(user, 2.0, 100, "2026-11-01T08:00:00Z")
        .await;
    format!("/usages/{}", usage["id"].as_str().unwrap())
}

#[tokio::test]
async fn create_get_and_put_answer_the_current_etag() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let r = app
        .create_usage(&user, json!({"amount": 1, "usage_type_id": 100}))
        .await;
    assert_eq!(r.headers()["etag"], "\"1\"");
    let path = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        app.get(&path, &user).sent().await.headers()["etag"],
        "\"1\""
    );
    let r = app
        .put(&path, &user)
        .json(&json!({"amount": 3}))
        .sent()
        .await;
    assert_eq!(r.headers()["etag"], "\"2\"");
    assert_eq!(r.json::<Value>().await.unwrap()["version"], 2);
}

#[tokio::test]
async fn a_put_with_a_stale_if_match_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let path = usage_path(&app, &user).await;
    // Someone else changes it first.
    let r = app
        .put(&path, &user)
        .header("If-Match", "\"1\"")
        .json(&json!({"amount": 5}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // This client still holds version 1.
    let r = app
        .put(&path, &user)
        .header("If-Match", "\"1\"")
        .json(&json!({"amount": 7}))
        .sent()
        .await;
    assert_problem(r, 412).await;
    let now: Value = app.get(&path, &user).json_body().await;
    assert_eq!(
        (now["amount"].as_f64(), now["version"].as_i64()),
        (Some(5.0), Some(2))
    );
}

#[tokio::test]
async fn a_delete_with_a_stale_if_match_is_412_and_keeps_the_usage() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let path = usage_path(&app, &user).await;
    app.put(&path, &user)
        .json(&json!({"amount": 5}))
        .sent()
        .await;
    let r = app
        .delete(&path, &user)
        .header("If-Match", "\"1\"")
        .sent()
        .await;
    assert_problem(r, 412).await;
    assert_eq!(app.get(&path, &user).sent().await.status(), StatusCode::OK);
    let r = app
        .delete(&path, &user)
        .header("If-Match", "\"2\"")
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn if_match_on_another_users_usage_is_404_not_412() {
    let app = spawn_app().await;
    let path = usage_path(&app, &TestUser::new()).await;
    let r = app
        .put(&path, &TestUser::new())
        .header("If-Match", "\"9\"")
        .json(&json!({"amount": 1}))
        .sent()
        .await;
    assert_problem(r, 404).await;
}

#[tokio::test]
async fn concurrent_puts_of_different_fields_without_if_match_lose_neither() {
    let app = spawn_app().await;
    let user = TestUser::new();
    for _ in 0..5 {
        let path = usage_path(&app, &user).await;
        let amount = app.put(&path, &user).json(&json!({"amount": 10})).send();
        let retype = app
            .put(&path, &user)
            .json(&json!({"usage_type_id": 101}))
            .send();
        let (a, b) = futures_util::future::join(amount, retype).await;
        assert_eq!(
            (a.unwrap().status(), b.unwrap().status()),
            (StatusCode::OK, StatusCode::OK)
        );
        let now: Value = app.get(&path, &user).json_body().await;
        assert_eq!(now["amount"], 10.0, "{now}");
        assert_eq!(now["usage_type"]["id"], 101, "{now}");
        assert!(close(now["co2e"].as_f64().unwrap(), 10.0 * factor_of(101)));
        assert_eq!(now["version"], 3);
    }
}

#[tokio::test]
async fn null_is_never_a_value_in_a_put_and_the_field_is_named() {
    let app = spawn_app().await;
    let user = TestUser::new();
    let path = usage_path(&app, &user).await;
    for (body, field) in [
        (json!({"amount": null}), "amount"),
        (json!({"usage_at": null, "usage_type_id": 101}), "usage_at"),
        (json!({"usage_type_id": null}), "usage_type_id"),
    ] {
        let r = app.put(&path, &user).json(&body).sent().await;
        assert_eq!(
            error_fields(&assert_problem(r, 422).await),
            [field],
            "{body}"
        );
    }
    let unchanged: Value = app.get(&path, &user).json_body().await;
    assert_eq!(unchanged["version"], 1);
}
