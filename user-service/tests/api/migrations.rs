//! Start-up migrations: documents of every older shape are brought to the
//! one the strict stored types read, once.

use bson::doc;
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn documents_of_every_older_shape_work_after_the_migrations_of_a_restart() {
    let app = spawn_app().await;
    let (_, refresh_token, _) = app.signed_up("ada@example.com").await;
    // As earlier versions stored them: tokens without their family's end,
    // generation or login time, accounts without their counters, claims
    // without an expiry; and a schema from before the migrations.
    let db = &app.database;
    db.collection::<bson::Document>("refresh_tokens")
        .update_many(
            doc! {},
            doc! {"$unset": {"family_expires_at": "", "session_generation": "", "auth_time": ""}},
        )
        .await
        .unwrap();
    db.collection::<bson::Document>("users")
        .update_many(
            doc! {},
            doc! {"$unset": {"failed_logins": "", "session_generation": ""}},
        )
        .await
        .unwrap();
    db.collection::<bson::Document>("token_claims")
        .insert_one(doc! {"_id": "refresh:old", "claimed_at": bson::DateTime::now()})
        .await
        .unwrap();
    db.collection::<bson::Document>("schema")
        .delete_many(doc! {})
        .await
        .unwrap();

    let restarted = spawn_app_on(&app, &[]).await;

    let schema = db
        .collection::<bson::Document>("schema")
        .find_one(doc! {"_id": "user-service"})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        schema.get_i64("version").unwrap(),
        i64::from(user_service::migrate::LATEST)
    );
    let token = db
        .collection::<bson::Document>("refresh_tokens")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        token.get_datetime("family_expires_at"),
        token.get_datetime("expires_at"),
        "the family ends with the token"
    );
    let claim = db
        .collection::<bson::Document>("token_claims")
        .find_one(doc! {"_id": "refresh:old"})
        .await
        .unwrap()
        .unwrap();
    assert!(claim.get_datetime("expires_at").is_ok(), "{claim}");
    // The strict types read them: the old token rotates, the account logs in.
    let refreshed = restarted.refresh(&refresh_token).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let login = restarted.login("ada@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
}

#[tokio::test]
async fn accounts_and_logins_from_before_organizations_act_in_their_personal_one() {
    let app = spawn_app().await;
    let (_, refresh_token, user) = app.signed_up("grace@example.com").await;
    let db = &app.database;
    // As before organizations: no organization, no membership, and refresh
    // tokens without one.
    for collection in ["organizations", "memberships"] {
        db.collection::<bson::Document>(collection)
            .delete_many(doc! {})
            .await
            .unwrap();
    }
    db.collection::<bson::Document>("refresh_tokens")
        .update_many(doc! {}, doc! {"$unset": {"org_id": ""}})
        .await
        .unwrap();
    db.collection::<bson::Document>("schema")
        .update_one(
            doc! {"_id": "user-service"},
            doc! {"$set": {"version": 3_i64}},
        )
        .await
        .unwrap();

    let restarted = spawn_app_on(&app, &[]).await;

    let refreshed: serde_json::Value = restarted
        .refresh(&refresh_token)
        .await
        .json()
        .await
        .unwrap();
    let claims = crate::org_helpers::claims(refreshed["access_token"].as_str().unwrap());
    assert_eq!(
        claims.org.unwrap().to_string(),
        user["id"].as_str().unwrap()
    );
    assert_eq!(claims.org_role, Some(common::org::OrgRole::Owner));
    let orgs: serde_json::Value = restarted
        .get("/orgs", refreshed["access_token"].as_str().unwrap())
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(orgs[0]["id"], user["id"]);
    assert_eq!(orgs[0]["personal"], true);
    assert_eq!(orgs[0]["role"], "owner");
}
