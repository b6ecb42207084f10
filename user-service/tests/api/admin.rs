use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn admin_endpoints_answer_403_to_a_normal_user() {
    let app = spawn_app().await;
    let (access, _, user) = app.signed_up("ada@example.com").await;
    let path = format!("/users/{}", user["id"].as_str().unwrap());
    assert_problem(app.get("/users", &access).sent().await, 403).await;
    assert_problem(app.get(&path, &access).sent().await, 403).await;
    assert_problem(
        app.patch(&path, &access)
            .json(&json!({"is_superuser": true}))
            .sent()
            .await,
        403,
    )
    .await;
    assert_problem(app.delete(&path, &access).sent().await, 403).await;
    let me: Value = app.get("/users/me", &access).json_body().await;
    assert_eq!(me["is_superuser"], false);
}

#[tokio::test]
async fn a_superuser_claim_is_not_enough_once_the_database_says_otherwise() {
    let app = spawn_app().await;
    let admin = app.superuser_token().await;
    let me: Value = app.get("/users/me", &admin).json_body().await;
    app.database
        .collection::<bson::Document>("users")
        .update_one(
            bson::doc! {"_id": me["id"].as_str().unwrap()},
            bson::doc! {"$set": {"is_superuser": false}},
        )
        .await
        .unwrap();
    assert_problem(app.get("/users", &admin).sent().await, 403).await;
}

#[tokio::test]
async fn a_superuser_lists_users_with_a_total_count() {
    let app = spawn_app().await;
    let admin = app.superuser_token().await;
    for i in 0..3 {
        app.register(&format!("user{i}@example.com"), PASSWORD)
            .await;
    }
    let r = app.get("/users?limit=2", &admin).sent().await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-total-count"], "4");
    let text = r.text().await.unwrap();
    assert_no_secrets(&text);
    assert_eq!(serde_json::from_str::<Vec<Value>>(&text).unwrap().len(), 2);
    let rest: Vec<Value> = app.get("/users?limit=2&offset=2", &admin).json_body().await;
    assert_eq!(rest.len(), 2);
}

#[tokio::test]
async fn a_superuser_finds_accounts_by_the_start_of_their_email() {
    let app = spawn_app().await;
    let admin = app.superuser_token().await;
    for email in ["ada@example.com", "adam@example.com", "grace@example.com"] {
        app.register(email, PASSWORD).await;
    }
    let r = app.get("/users?email=AdA", &admin).sent().await;
    assert_eq!(r.headers()["x-total-count"], "2");
    let found: Vec<Value> = r.json().await.unwrap();
    let emails: Vec<&str> = found.iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["ada@example.com", "adam@example.com"]);
    let page: Vec<Value> = app
        .get("/users?email=ada&limit=1&offset=1", &admin)
        .json_body()
        .await;
    assert_eq!(page[0]["email"], "adam@example.com");
    let none = app.get("/users?email=zed", &admin).sent().await;
    assert_eq!(none.headers()["x-total-count"], "0");
    let all = app.get("/users?email=", &admin).sent().await;
    assert_eq!(all.headers()["x-total-count"], "4");
}

#[tokio::test]
async fn an_email_prefix_over_254_characters_is_422() {
    let app = spawn_app().await;
    let admin = app.superuser_token().await;
    let long = format!("/users?email={}", "a".repeat(255));
    let problem = assert_problem(app.get(&long, &admin).sent().await, 422).await;
    assert_eq!(error_fields(&problem), ["email"]);
}

#[tokio::test]
async fn a_limit_above_100_is_422() {
    let app = spawn_app().await;
    let admin = app.superuser_token().await;
    let problem = assert_problem(app.get("/users?limit=101", &admin).sent().await, 422).await;
    assert_eq!(error_fields(&problem), ["limit"]);
    let problem = assert_problem(app.get("/users?limit=ten", &admin).sent().await, 422).await;
    assert_eq!(error_fields(&problem), ["limit"]);
}

#[tokio::test]
async fn unknown_id_is_404_and_malformed_id_is_422() {
    let app = spawn_app().await;
    let admin = app.superuser_token().await;
    let unknown = format!("/users/{}", uuid::Uuid::new_v4());
    assert_problem(app.get(&unknown, &admin).sent().await, 404).await;
    assert_problem(
        app.patch(&unknown, &admin)
            .json(&json!({"is_active": true}))
            .sent()
            .await,
        404,
    )
    .await;
    assert_problem(app.delete(&unknown, &admin).sent().await, 404).await;
    assert_problem(app.get("/users/not-a-uuid", &admin).sent().await, 422).await;
}

#[tokio::test]
async fn a_superuser_can_promote_verify_and_delete_a_user() {
    let app = spawn_app().await;
    let admin = app.superuser_token().await;
    let (_, _, user) = app.signed_up("ada@example.com").await;
    let path = format!("/users/{}", user["id"].as_str().unwrap());
    let r = app
        .patch(&path, &admin)
        .json(&json!({"is_superuser": true, "is_verified": true}))
        .sent()
        .await;
    let updated: Value = r.json().await.unwrap();
    assert_eq!(
        (
            updated["is_superuser"].clone(),
            updated["is_verified"].clone()
        ),
        (json!(true), json!(true))
    );
    let fetched: Value = app.get(&path, &admin).json_body().await;
    assert_eq!(fetched, updated);

    assert_eq!(
        app.delete(&path, &admin).sent().await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&path, &admin).sent().await, 404).await;
}

#[tokio::test]
async fn unknown_fields_in_an_admin_update_are_422() {
    let app = spawn_app().await;
    let admin = app.superuser_token().await;
    let (_, _, user) = app.signed_up("ada@example.com").await;
    let r = app
        .patch(&format!("/users/{}", user["id"].as_str().unwrap()), &admin)
        .json(&json!({"hashed_password": "x"}))
        .sent()
        .await;
    assert_eq!(
        error_fields(&assert_problem(r, 422).await),
        ["hashed_password"]
    );
}

#[tokio::test]
async fn ensure_superuser_creates_once_and_promotes_an_existing_account_only_when_told() {
    use user_service::service::accounts::{SuperuserOutcome, ensure_superuser};
    let app = spawn_app().await;
    app.signed_up("boss@example.com").await;
    let ensure = |promote| {
        ensure_superuser(
            &app.database,
            &app.hasher,
            "Boss@example.com",
            "the operator's passphrase",
            promote,
        )
    };
    assert_eq!(
        ensure(false).await.unwrap(),
        SuperuserOutcome::ExistsNotPromoted
    );
    let created = ensure_superuser(
        &app.database,
        &app.hasher,
        "new-boss@example.com",
        PASSWORD,
        false,
    )
    .await
    .unwrap();
    assert_eq!(created, SuperuserOutcome::Created);
    assert_eq!(
        ensure_superuser(
            &app.database,
            &app.hasher,
            "new-boss@example.com",
            PASSWORD,
            false
        )
        .await
        .unwrap(),
        SuperuserOutcome::AlreadySuperuser
    );
}

#[tokio::test]
async fn promote_existing_refuses_an_unverified_account() {
    use user_service::service::accounts::{SuperuserOutcome, ensure_superuser};
    let app = spawn_app().await;
    app.signed_up("boss@example.com").await;
    let outcome = ensure_superuser(
        &app.database,
        &app.hasher,
        "boss@example.com",
        "the operator's passphrase",
        true,
    )
    .await
    .unwrap();
    assert_eq!(outcome, SuperuserOutcome::ExistsUnverified);
    let me: Value = app
        .get("/users/me", &app.signed_in_token("boss@example.com").await)
        .json_body()
        .await;
    assert_eq!(me["is_superuser"], false);
}

#[tokio::test]
async fn promote_existing_sets_the_given_password_and_ends_the_accounts_sessions() {
    use user_service::service::accounts::{SuperuserOutcome, ensure_superuser};
    let app = spawn_app().await;
    let (_, refresh_token, _) = app.signed_up("boss@example.com").await;
    app.mark_verified("boss@example.com").await;
    let outcome = ensure_superuser(
        &app.database,
        &app.hasher,
        "boss@example.com",
        "the operator's passphrase",
        true,
    )
    .await
    .unwrap();
    assert_eq!(outcome, SuperuserOutcome::Promoted);
    assert_oauth_error(app.refresh(&refresh_token).await, "invalid_grant").await;
    assert_oauth_error(
        app.login("boss@example.com", PASSWORD).await,
        "invalid_grant",
    )
    .await;
    let tokens = app
        .login("boss@example.com", "the operator's passphrase")
        .await;
    assert_eq!(tokens.status(), StatusCode::OK);
}
