//! The last active superuser stays: never demoted, deactivated or deleted,
//! even by two superusers demoting each other at once.

use bson::doc;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn the_last_active_superuser_cannot_be_demoted_deactivated_or_deleted() {
    let app = spawn_app().await;
    let token = app.superuser_token().await;
    let me: Value = app.get("/users/me", &token).json_body().await;
    let path = format!("/users/{}", me["id"].as_str().unwrap());
    for body in [json!({"is_superuser": false}), json!({"is_active": false})] {
        let r = app.patch(&path, &token).json(&body).sent().await;
        assert_problem(r, 409).await;
    }
    assert_problem(app.delete(&path, &token).sent().await, 409).await;
    let r = app
        .delete("/users/me", &token)
        .json(&json!({"current_password": PASSWORD}))
        .sent()
        .await;
    assert_problem(r, 409).await;
    let still: Value = app.get("/users/me", &token).json_body().await;
    assert_eq!(
        (
            still["is_superuser"].as_bool(),
            still["is_active"].as_bool()
        ),
        (Some(true), Some(true))
    );
}

#[tokio::test]
async fn two_superusers_demoting_each_other_at_once_leave_at_least_one() {
    use user_service::storage::users::{self, UserUpdate};
    let app = spawn_app().await;
    let a = app.superuser_token().await;
    let b = app.superuser_token().await;
    let id = async |token: &str| -> String {
        let me: Value = app.get("/users/me", token).json_body().await;
        me["id"].as_str().unwrap().to_owned()
    };
    let (id_a, id_b) = (id(&a).await, id(&b).await);
    // B's demotion of A is in flight: its transaction has written and not
    // committed yet...
    let mut demoting_a = app.database.client().start_session().await.unwrap();
    demoting_a.start_transaction().await.unwrap();
    users::guard_superusers(&app.database, &mut demoting_a)
        .await
        .unwrap();
    let demote = UserUpdate {
        is_superuser: Some(false),
        ..Default::default()
    };
    users::update(
        &app.database,
        &mut demoting_a,
        common::ids::UserId::parse("id", &id_a).unwrap(),
        &demote,
    )
    .await
    .unwrap();
    // ...when A demotes B, who is then the last one.
    let demote_b = app
        .patch(&format!("/users/{id_b}"), &a)
        .json(&json!({"is_superuser": false}))
        .send();
    let commit_a = async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        demoting_a.commit_transaction().await.unwrap();
    };
    let (refused, ()) = futures_util::future::join(demote_b, commit_a).await;
    // The race happened: A's demotion of B conflicted with the open one.
    let retries = app.metrics.render();
    assert!(
        retries
            .lines()
            .any(|l| l.starts_with("db_transaction_retries_total{route=\"/users/{id}\"}")),
        "the demotions did not overlap:\n{retries}"
    );
    assert_problem(refused.unwrap(), 409).await;
    let left = app
        .database
        .collection::<bson::Document>("users")
        .count_documents(doc! {"is_superuser": true, "is_active": true})
        .await
        .unwrap();
    assert_eq!(left, 1);
}

#[tokio::test]
async fn a_superuser_may_demote_another_while_one_remains() {
    let app = spawn_app().await;
    let a = app.superuser_token().await;
    let b = app.superuser_token().await;
    let me_b: Value = app.get("/users/me", &b).json_body().await;
    let r = app
        .patch(&format!("/users/{}", me_b["id"].as_str().unwrap()), &a)
        .json(&json!({"is_superuser": false}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_admin_change_that_demotes_and_takes_a_used_email_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.superuser_token().await;
    app.superuser_token().await;
    let other = user_doc(&app, &unique_superuser_email(&app, &admin).await).await;
    app.signed_up("taken@example.com").await;
    let r = app
        .patch(&format!("/users/{}", other.get_str("_id").unwrap()), &admin)
        .json(&json!({"is_superuser": false, "email": "taken@example.com"}))
        .sent()
        .await;
    assert_problem(r, 409).await;
    let after = user_doc(&app, other.get_str("email").unwrap()).await;
    assert!(
        after.get_bool("is_superuser").unwrap(),
        "the demotion was applied"
    );
}

/// The email of a superuser other than the one `admin` belongs to.
async fn unique_superuser_email(app: &TestApp, admin: &str) -> String {
    let me: Value = app.get("/users/me", admin).json_body().await;
    app.database
        .collection::<bson::Document>("users")
        .find_one(doc! {"is_superuser": true, "email": {"$ne": me["email"].as_str().unwrap()}})
        .await
        .unwrap()
        .expect("a second superuser")
        .get_str("email")
        .unwrap()
        .to_owned()
}
