//! The bootstrap superuser (`SUPERUSER_EMAIL`) only ever creates: it never
//! promotes, re-activates or re-creates an account.

use bson::doc;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_startup_bootstrap_does_not_promote_an_account_registered_first() {
    let app = spawn_app().await;
    app.signed_up("admin@example.com").await;
    // The service restarts with the planned admin address configured.
    let restarted = spawn_app_on(
        &app,
        &[
            ("SUPERUSER_EMAIL", "admin@example.com"),
            ("SUPERUSER_PASSWORD", "the operator's passphrase"),
        ],
    )
    .await;
    let user = user_doc(&restarted, "admin@example.com").await;
    assert!(
        !user.get_bool("is_superuser").unwrap(),
        "the squatter was promoted"
    );
    assert_eq!(
        restarted
            .login("admin@example.com", "the operator's passphrase")
            .await
            .status(),
        StatusCode::BAD_REQUEST,
        "the operator's password was not set on someone else's account"
    );
}

#[tokio::test]
async fn the_startup_bootstrap_never_reactivates_a_deactivated_superuser() {
    let env = [
        ("SUPERUSER_EMAIL", "root@example.com"),
        ("SUPERUSER_PASSWORD", "root passphrase 123"),
    ];
    let app = spawn_app_with(&env).await;
    // A second superuser deactivates the bootstrap one.
    let admin = app.superuser_token().await;
    let root = user_doc(&app, "root@example.com").await;
    let r = app
        .patch(&format!("/users/{}", root.get_str("_id").unwrap()), &admin)
        .json(&json!({"is_active": false}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let restarted = spawn_app_on(&app, &env).await;
    let root = user_doc(&restarted, "root@example.com").await;
    assert!(!root.get_bool("is_active").unwrap());
}

#[tokio::test]
async fn the_startup_bootstrap_runs_once_so_a_deleted_admin_is_not_recreated() {
    let env = [
        ("SUPERUSER_EMAIL", "root@example.com"),
        ("SUPERUSER_PASSWORD", "root passphrase 123"),
    ];
    let app = spawn_app_with(&env).await;
    let root = user_doc(&app, "root@example.com").await;
    let admin = app.superuser_token().await;
    let r = app
        .delete(&format!("/users/{}", root.get_str("_id").unwrap()), &admin)
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let restarted = spawn_app_on(&app, &env).await;
    let found = restarted
        .database
        .collection::<bson::Document>("users")
        .find_one(doc! {"email": "root@example.com"})
        .await
        .unwrap();
    assert!(found.is_none(), "the deleted bootstrap superuser came back");
}
