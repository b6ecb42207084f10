//! The audit trail: every write appends exactly one entry in its own
//! transaction, the entries form a hash chain that names the first entry
//! tampered with, and the trail replays to the current data.

use std::collections::BTreeMap;

use carbon_service::domain::audit::{InstrumentRecord, UsageRecord};
use common::audit::audit_value;
use common::ids::{OrgId, UserId};
use common::org::OrgRole;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// The organization's entries, oldest first.
async fn trail(app: &TestApp, reader: &TestUser) -> Vec<Value> {
    common::testing::audit_lines(app.get("/audit/export", reader).sent().await).await
}

async fn verification(app: &TestApp, reader: &TestUser) -> Value {
    app.get("/audit/verify", reader).json_body().await
}

#[tokio::test]
async fn every_write_appends_one_entry_with_its_actor_request_and_change() {
    let app = spawn_app().await;
    let org = OrgId::new();
    let editor = TestUser::member(org, OrgRole::Editor);
    let admin = TestUser::member(org, OrgRole::Admin);
    let auditor = TestUser::member(org, OrgRole::Auditor);

    let created: Value = app
        .post("/usages", &editor)
        .header("X-Request-Id", "req-create-1")
        .json(&json!({"amount": 120, "usage_type_id": 100, "usage_at": "2026-03-01T00:00:00Z"}))
        .json_body()
        .await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        app.put_usage(&editor, id, json!({"amount": 125}))
            .await
            .status(),
        200
    );
    let facility: Value = app
        .post("/facilities", &admin)
        .json(&json!({"name": "Plant", "country": "DE"}))
        .json_body()
        .await;
    let facility_id = facility["id"].as_str().unwrap();
    app.put(&format!("/facilities/{facility_id}"), &admin)
        .json(&json!({"name": "Plant 2", "country": "DE"}))
        .sent()
        .await;
    app.delete(&format!("/facilities/{facility_id}"), &admin)
        .sent()
        .await;
    let instrument: Value = app
        .post("/instruments", &admin)
        .json(&json!({"kind": "certificate", "scheme": "REC", "region": "US",
            "from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z", "amount": 600, "unit": "kWh"}))
        .json_body()
        .await;
    app.delete(
        &format!("/instruments/{}", instrument["id"].as_str().unwrap()),
        &admin,
    )
    .sent()
    .await;
    assert_eq!(app.delete_usage(&editor, id).await.status(), 204);

    let entries = trail(&app, &auditor).await;
    assert_eq!(
        common::testing::audit_actions(&entries),
        [
            "genesis organization",
            "create usage",
            "update usage",
            "create facility",
            "update facility",
            "delete facility",
            "create instrument",
            "delete instrument",
            "delete usage",
        ]
    );
    let create = &entries[1];
    assert_eq!(create["header"]["actor"]["user_id"], editor.id.to_string());
    assert_eq!(create["header"]["actor"]["role"], "editor");
    assert_eq!(create["header"]["actor"]["superuser"], false);
    assert_eq!(create["header"]["request_id"], "req-create-1");
    assert_eq!(create["header"]["entity_id"], id);
    assert_eq!(create["payload"]["after"]["amount"], "120");
    let update = &entries[2];
    assert_eq!(update["payload"]["before"]["amount"], "120");
    assert_eq!(update["payload"]["after"]["amount"], "125");
    assert_eq!(update["payload"]["after"]["version"], "2");
    assert_eq!(entries[4]["payload"]["before"]["name"], "Plant");
    assert_eq!(entries[4]["payload"]["after"]["name"], "Plant 2");
    assert_eq!(entries[8]["payload"]["before"]["amount"], "125");
    assert!(entries[8]["payload"].get("after").is_none());
    // Times are UTC milliseconds, numbers strings.
    assert!(create["header"]["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(create["header"]["seq"], "1");

    let verified = verification(&app, &auditor).await;
    assert_eq!(verified["valid"], true);
    assert_eq!(verified["entries"], 9);
    assert_eq!(verified["head"]["hash"], entries[8]["hash"]);
}

#[tokio::test]
async fn a_refused_or_replayed_write_appends_nothing() {
    let app = spawn_app().await;
    let owner = TestUser::new();
    let body = json!({"amount": 1, "usage_type_id": 100, "usage_at": "2026-03-01T00:00:00Z"});
    let first = app.create_usage_with_key(&owner, "k1", body.clone()).await;
    let first: Value = first.json().await.unwrap();
    let replayed = app.create_usage_with_key(&owner, "k1", body).await;
    assert_eq!(replayed.headers()["idempotent-replayed"], "true");
    assert_eq!(replayed.json::<Value>().await.unwrap()["id"], first["id"]);
    let refused = app
        .create_usage(&owner, json!({"amount": -1, "usage_type_id": 100}))
        .await;
    assert_eq!(refused.status(), 422);
    let facility = json!({"name": "Same", "country": "DE"});
    app.post("/facilities", &owner).json(&facility).sent().await;
    let taken = app.post("/facilities", &owner).json(&facility).sent().await;
    assert_eq!(taken.status(), 409);
    assert_eq!(
        common::testing::audit_actions(&trail(&app, &owner).await),
        ["genesis organization", "create usage", "create facility"]
    );
}

#[tokio::test]
async fn an_import_is_one_entry_listing_the_usages_it_created_and_the_csv_digest() {
    let app = spawn_app().await;
    let owner = TestUser::new();
    let csv =
        "usage_at,usage_type_id,amount\n2026-01-05T00:00:00Z,100,10\n2026-01-06T00:00:00Z,101,20\n";
    assert_eq!(app.import_csv(&owner, csv).await.status(), 201);
    let entries = trail(&app, &owner).await;
    assert_eq!(
        common::testing::audit_actions(&entries),
        ["genesis organization", "import usage_import"]
    );
    let payload = &entries[1]["payload"];
    assert_eq!(payload["rows"], "2");
    assert_eq!(
        payload["rows_sha256"],
        common::audit::chain::sha256_hex(csv.as_bytes())
    );
    let stored: Vec<String> = app
        .usages_of(&owner, "")
        .await
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    let mut listed: Vec<String> = payload["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    let mut stored = stored;
    stored.sort();
    assert_eq!(listed, stored);
}

#[tokio::test]
async fn an_imported_usage_names_its_import_whose_entry_alone_records_its_creation() {
    let app = spawn_app().await;
    let owner = TestUser::new();
    let csv = "usage_at,usage_type_id,amount\n2026-01-05T00:00:00Z,100,10\n";
    assert_eq!(app.import_csv(&owner, csv).await.status(), 201);
    app.create_usage(&owner, json!({"amount": 5.0, "usage_type_id": 100}))
        .await;
    let usages = app.usages_of(&owner, "").await;
    let imported: Vec<&Value> = usages.iter().filter(|u| u["amount"] == 10.0).collect();
    let import_id = imported[0]["import_id"].as_str().unwrap();
    let single = usages.iter().find(|u| u["amount"] == 5.0).unwrap();
    assert!(single.get("import_id").is_none(), "{single}");
    let page: Value = app
        .get(
            &format!("/audit?entity=usage_import&entity_id={import_id}"),
            &owner,
        )
        .json_body()
        .await;
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["payload"]["created"][0]["id"], imported[0]["id"]);
}

#[tokio::test]
async fn erasing_usages_keeps_the_trail_and_deleting_the_organization_removes_it() {
    let app = spawn_app().await;
    let owner = TestUser::new();
    app.created_usage(&owner, 5.0, 100, "2026-03-01T00:00:00Z")
        .await;
    assert_eq!(app.erase(&owner).await.status(), 204);
    let entries = trail(&app, &owner).await;
    assert_eq!(
        common::testing::audit_actions(&entries),
        ["genesis organization", "create usage", "erase usages"]
    );
    assert_eq!(entries[2]["payload"]["usages"], "1");
    let deleted = app.delete("/org?confirm=true", &owner).sent().await;
    assert_eq!(deleted.status(), 204);
    assert!(trail(&app, &owner).await.is_empty());
    assert_eq!(verification(&app, &owner).await["entries"], 0);
}

#[tokio::test]
async fn the_trail_pages_newest_first_and_filters_by_entity_actor_action_and_time() {
    let app = spawn_app().await;
    let org = OrgId::new();
    let (ada, bob) = (
        TestUser::member(org, OrgRole::Editor),
        TestUser::member(org, OrgRole::Editor),
    );
    let auditor = TestUser::member(org, OrgRole::Auditor);
    let first = app
        .created_usage(&ada, 1.0, 100, "2026-03-01T00:00:00Z")
        .await;
    for i in 0..4 {
        app.created_usage(&bob, 2.0 + f64::from(i), 100, "2026-03-02T00:00:00Z")
            .await;
    }
    let first_id = first["id"].as_str().unwrap();
    app.put_usage(&ada, first_id, json!({"amount": 9})).await;

    let page: Value = app.get("/audit?limit=2", &auditor).json_body().await;
    let seqs: Vec<i64> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [6, 5]);
    assert_eq!(page["next"], 5);
    let rest: Value = app
        .get("/audit?limit=50&before=5", &auditor)
        .json_body()
        .await;
    assert_eq!(rest["entries"].as_array().unwrap().len(), 5);
    assert_eq!(rest["next"], Value::Null);

    let by_bob: Value = app
        .get(&format!("/audit?actor={}", bob.id), &auditor)
        .json_body()
        .await;
    assert_eq!(by_bob["entries"].as_array().unwrap().len(), 4);
    let updates: Value = app.get("/audit?action=update", &auditor).json_body().await;
    assert_eq!(updates["entries"].as_array().unwrap().len(), 1);
    let of_first: Value = app
        .get(
            &format!("/audit?entity=usage&entity_id={first_id}"),
            &auditor,
        )
        .json_body()
        .await;
    assert_eq!(of_first["entries"].as_array().unwrap().len(), 2);
    let future: Value = app
        .get("/audit?from=2999-01-01T00:00:00Z", &auditor)
        .json_body()
        .await;
    assert!(future["entries"].as_array().unwrap().is_empty());
    let malformed = app
        .get("/audit?from=yesterday&limit=0", &auditor)
        .sent()
        .await;
    assert_eq!(malformed.status(), 422);
}

/// What the database holds of an organization's trail, to tamper with.
fn entries_of(app: &TestApp) -> mongodb::Collection<bson::Document> {
    app.database.collection("audit_entries")
}

fn entry_key(org: OrgId, seq: i64) -> String {
    format!("{org}/{seq:019}")
}

/// An organization with a trail of five entries (genesis and four creates).
async fn five_entries(app: &TestApp) -> (TestUser, OrgId) {
    let owner = TestUser::new();
    for i in 0..4 {
        app.created_usage(&owner, 1.0 + f64::from(i), 100, "2026-03-01T00:00:00Z")
            .await;
    }
    let org = OrgId::personal(owner.user_id());
    assert_eq!(verification(app, &owner).await["valid"], true);
    (owner, org)
}

#[tokio::test]
async fn an_edited_payload_is_named_by_verify() {
    let app = spawn_app().await;
    let (owner, org) = five_entries(&app).await;
    entries_of(&app)
        .update_one(
            bson::doc! {"_id": entry_key(org, 2)},
            bson::doc! {"$set": {"payload.after.amount": "1000"}},
        )
        .await
        .unwrap();
    let verified = verification(&app, &owner).await;
    assert_eq!(verified["valid"], false);
    assert_eq!(verified["first_bad"]["seq"], 2);
    assert_eq!(verified["entries"], 2);
}

#[tokio::test]
async fn an_edited_header_is_named_by_verify() {
    let app = spawn_app().await;
    let (owner, org) = five_entries(&app).await;
    entries_of(&app)
        .update_one(
            bson::doc! {"_id": entry_key(org, 3)},
            bson::doc! {"$set": {"header.actor.user_id": UserId::new().to_string()}},
        )
        .await
        .unwrap();
    assert_eq!(verification(&app, &owner).await["first_bad"]["seq"], 3);
}

#[tokio::test]
async fn a_deleted_entry_is_named_by_verify() {
    let app = spawn_app().await;
    let (owner, org) = five_entries(&app).await;
    entries_of(&app)
        .delete_one(bson::doc! {"_id": entry_key(org, 1)})
        .await
        .unwrap();
    let verified = verification(&app, &owner).await;
    assert_eq!(verified["valid"], false);
    assert_eq!(verified["first_bad"]["seq"], 2);
    // The last entry deleted: the head the database keeps names it.
    let app = spawn_app().await;
    let (owner, org) = five_entries(&app).await;
    entries_of(&app)
        .delete_one(bson::doc! {"_id": entry_key(org, 4)})
        .await
        .unwrap();
    let verified = verification(&app, &owner).await;
    assert_eq!(verified["valid"], false);
    assert_eq!(verified["first_bad"]["seq"], 4);
}

#[tokio::test]
async fn reordered_entries_are_named_by_verify() {
    let app = spawn_app().await;
    let (owner, org) = five_entries(&app).await;
    let collection = entries_of(&app);
    let two = collection
        .find_one(bson::doc! {"_id": entry_key(org, 2)})
        .await
        .unwrap()
        .unwrap();
    let three = collection
        .find_one(bson::doc! {"_id": entry_key(org, 3)})
        .await
        .unwrap()
        .unwrap();
    // Each moved to the other's place, with its seq rewritten to match.
    for (doc, seq) in [(three, 2_i64), (two, 3)] {
        let mut moved = doc.clone();
        moved.insert("_id", entry_key(org, seq));
        moved.insert("seq", seq);
        collection
            .replace_one(bson::doc! {"_id": entry_key(org, seq)}, moved)
            .await
            .unwrap();
    }
    let verified = verification(&app, &owner).await;
    assert_eq!(verified["valid"], false);
    assert_eq!(verified["first_bad"]["seq"], 2);
}

#[tokio::test]
async fn an_organizations_trail_is_not_another_organizations() {
    let app = spawn_app().await;
    let (owner, _) = five_entries(&app).await;
    let stranger = TestUser::new();
    assert!(trail(&app, &stranger).await.is_empty());
    let page: Value = app.get("/audit", &stranger).json_body().await;
    assert!(page["entries"].as_array().unwrap().is_empty());
    assert_eq!(trail(&app, &owner).await.len(), 5);
}

/// The state a trail replays to: each usage's and instrument's record by
/// id. Fails on an entry whose `before` is not what the state holds.
/// Records by id.
type State = BTreeMap<String, Value>;

fn replay(entries: &[Value]) -> Result<(State, State), String> {
    let mut usages = BTreeMap::new();
    let mut instruments = BTreeMap::new();
    for entry in entries {
        let header = &entry["header"];
        let payload = &entry["payload"];
        let state = match header["entity"].as_str() {
            Some("usage") | Some("usage_import") | Some("usages") => &mut usages,
            Some("instrument") => &mut instruments,
            _ => continue,
        };
        match header["action"].as_str().unwrap() {
            "create" | "update" | "delete" => {
                let id = header["entity_id"].as_str().unwrap().to_owned();
                let before = payload.get("before");
                if state.get(&id) != before {
                    return Err(format!(
                        "entry {} changes {id} from a state it did not have",
                        entry["seq"]
                    ));
                }
                match payload.get("after") {
                    Some(after) => state.insert(id, after.clone()),
                    None => state.remove(&id),
                };
            }
            "import" => {
                for created in payload["created"].as_array().unwrap() {
                    state.insert(created["id"].as_str().unwrap().to_owned(), created.clone());
                }
            }
            "erase" => {
                for id in payload["deleted"].as_array().unwrap() {
                    if state.remove(id.as_str().unwrap()).is_none() {
                        return Err(format!(
                            "entry {} erases a usage never recorded",
                            entry["seq"]
                        ));
                    }
                }
                if payload["instruments"].as_str() != Some(&instruments.len().to_string()) {
                    return Err(format!(
                        "entry {} erases instruments never recorded",
                        entry["seq"]
                    ));
                }
                instruments.clear();
            }
            other => return Err(format!("unexpected action {other}")),
        }
    }
    Ok((usages, instruments))
}

#[test]
fn after_any_writes_the_trail_replays_to_the_current_usages_and_instruments() {
    use futures_util::TryStreamExt;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(spawn_app());
    runtime.block_on(app.seed_epa());
    let mut runner = TestRunner::new(Config {
        cases: 24,
        max_shrink_iters: 32,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = proptest::collection::vec(crate::rollups::op(), 1..14);
    let outcome = runner.run(&strategy, |ops| {
        runtime.block_on(async {
            let user = UserId::new();
            let org = OrgId::personal(user);
            let mut ids = Vec::new();
            for op in &ops {
                crate::rollups::apply(&app, user, &mut ids, op).await;
            }
            let entries: Vec<Value> = common::audit::store::stream(&app.database, org)
                .await
                .unwrap()
                .map_ok(|e| serde_json::to_value(common::audit::EntryView::from(e)).unwrap())
                .try_collect()
                .await
                .unwrap();
            let (usages, instruments) = replay(&entries).map_err(TestCaseError::fail)?;
            let stored_usages: BTreeMap<String, Value> =
                carbon_service::storage::usages::stream(&app.database, org, &Default::default())
                    .await
                    .unwrap()
                    .map_ok(|u| (u.id.to_string(), audit_value(&UsageRecord::from(&u))))
                    .try_collect()
                    .await
                    .unwrap();
            let stored_instruments: BTreeMap<String, Value> =
                carbon_service::storage::instruments::list(&app.database, org, 1_000)
                    .await
                    .unwrap()
                    .iter()
                    .map(|i| (i.id.to_string(), audit_value(&InstrumentRecord::from(i))))
                    .collect();
            prop_assert_eq!(usages, stored_usages);
            prop_assert_eq!(instruments, stored_instruments);
            let verified = common::audit::verify(&app.database, org).await.unwrap();
            prop_assert!(verified.valid, "{:?}", verified.first_bad);
            Ok(())
        })
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

/// Two instances on one database, each trusting the trail head it last
/// committed: a create on one after the other appended finds its head
/// moved, reads it afresh and runs again; the chain stays whole.
#[tokio::test]
async fn two_instances_appending_in_turn_keep_one_chain() {
    let first = spawn_app().await;
    let second = spawn_app_with(&[("MONGODB_URI", first.database_uri.as_str())]).await;
    let owner = TestUser::new();
    for round in 0..3 {
        for app in [&first, &second] {
            let at = format!("2026-03-0{}T00:00:00Z", round + 1);
            app.created_usage(&owner, 1.0 + f64::from(round), 100, &at)
                .await;
        }
    }
    let entries = trail(&first, &owner).await;
    assert_eq!(entries.len(), 7, "the genesis and six creates");
    assert_eq!(verification(&second, &owner).await["valid"], true);
    assert_eq!(first.usages_of(&owner, "?limit=10").await.len(), 6);
}

#[tokio::test]
async fn an_organizations_dataset_upload_and_retirement_and_its_settings_are_audited() {
    let app = spawn_app().await;
    let org = OrgId::new();
    let admin = TestUser::member(org, OrgRole::Admin);
    let uploaded = app
        .post(
            "/datasets?id=acme-2026&name=ACME&publisher=ACME&edition=2026&licence=Proprietary&gwp_basis=AR5",
            &admin,
        )
        .header("content-type", "text/csv")
        .body("name,unit,scope,co2\nBoiler gas,kWh,1,0.2\n")
        .sent()
        .await;
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let dataset: Value = uploaded.json().await.unwrap();
    let id = dataset["dataset"]["id"].as_str().unwrap();
    let retired = app
        .post(&format!("/datasets/{id}/retire"), &admin)
        .sent()
        .await;
    assert_eq!(retired.status(), StatusCode::OK);
    app.put("/inventory/settings", &admin)
        .json(&json!({"fiscal_year_start_month": 4, "base_year": 2024}))
        .sent()
        .await;

    let entries = trail(&app, &admin).await;
    assert_eq!(
        common::testing::audit_actions(&entries),
        [
            "genesis organization",
            "create dataset",
            "retire dataset",
            "update settings"
        ]
    );
    assert_eq!(entries[1]["header"]["entity_id"], id);
    assert_eq!(
        entries[1]["payload"]["after"]["type_ids"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        entries[3]["payload"]["before"]["fiscal_year_start_month"],
        "1"
    );
    assert_eq!(
        entries[3]["payload"]["after"]["fiscal_year_start_month"],
        "4"
    );
}

#[tokio::test]
async fn the_offline_verifier_is_served_to_anyone_as_the_repositorys_script() {
    let app = spawn_app().await;
    let response = app.anonymous_get("/audit/verifier").await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| {
        response.headers()[name]
            .to_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "text/x-python; charset=utf-8");
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"verify-audit.py\""
    );
    let served = response.text().await.unwrap();
    let script = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/verify-audit.py"
    ))
    .unwrap();
    assert_eq!(served, script);
}
