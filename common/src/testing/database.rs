//! A freshly named database per test on the server named by
//! `MONGODB_TEST_URI` (dropped when the test ends), and what tests read
//! from the server: indexes, plans, commands.

use uuid::Uuid;

/// Asserts that `collection` has a TTL index on `field` that deletes each
/// document once that date has passed (`expireAfterSeconds: 0`).
pub async fn assert_ttl_index(database: &mongodb::Database, collection: &str, field: &str) {
    use futures_util::TryStreamExt;
    let indexes: Vec<mongodb::IndexModel> = database
        .collection::<mongodb::bson::Document>(collection)
        .list_indexes()
        .await
        .expect("the indexes are listed")
        .try_collect()
        .await
        .expect("the indexes are read");
    let ttl = indexes
        .iter()
        .find(|i| i.keys == mongodb::bson::doc! { field: 1 })
        .unwrap_or_else(|| panic!("{collection} has no index on {field}"));
    let expire_after = ttl.options.as_ref().and_then(|o| o.expire_after);
    assert_eq!(
        expire_after,
        Some(std::time::Duration::ZERO),
        "{collection}.{field} is not a TTL index expiring at the date"
    );
}

/// Asks the server to run its TTL pass every second instead of every 60
/// (`setParameter ttlMonitorSleepSecs`). `false` when the server refuses,
/// as a mongod may: then a test can only check the index, not see a pass.
pub async fn shorten_ttl_monitor(database: &mongodb::Database) -> bool {
    database
        .client()
        .database("admin")
        .run_command(mongodb::bson::doc! { "setParameter": 1, "ttlMonitorSleepSecs": 1 })
        .await
        .is_ok()
}

/// The stages of the winning plan of an `explain` answer, each with the
/// index it scans (if any). Rejected plans are left out. Works on the
/// shapes both MongoDB's classic and SBE engines (and SecantusDB) produce.
pub fn winning_stages(explain: &mongodb::bson::Document) -> Vec<(String, Option<String>)> {
    use mongodb::bson::Bson;
    fn walk(value: &Bson, out: &mut Vec<(String, Option<String>)>) {
        match value {
            Bson::Document(doc) => {
                if let Ok(stage) = doc.get_str("stage") {
                    let index = doc.get_str("indexName").ok().map(str::to_owned);
                    out.push((stage.to_owned(), index));
                }
                for (key, child) in doc {
                    if key != "rejectedPlans" && key != "allPlansExecution" {
                        walk(child, out);
                    }
                }
            }
            Bson::Array(items) => items.iter().for_each(|item| walk(item, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&Bson::Document(explain.clone()), &mut out);
    out
}

/// The test server, as started by `scripts/test` (or any `mongod`).
pub fn test_server_uri() -> String {
    std::env::var("MONGODB_TEST_URI").unwrap_or_else(|_| {
        panic!(
            "MONGODB_TEST_URI is not set: run the tests with scripts/test (it starts a test \
             database), or point MONGODB_TEST_URI at a MongoDB server, e.g. mongodb://127.0.0.1:27017"
        )
    })
}

/// Replaces the path (database name) of a `mongodb://` URI, keeping options.
pub fn with_database(server_uri: &str, database: &str) -> String {
    let (base, options) = match server_uri.split_once('?') {
        Some((b, o)) => (b, Some(o)),
        None => (server_uri, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let hosts_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    let mut uri = format!("{}/{}", &base[..hosts_end], database);
    if let Some(options) = options {
        uri.push('?');
        uri.push_str(options);
    }
    uri
}

/// The commands a [`monitored_database`] has sent: (command name, the
/// collection it names, if any), in order.
pub type CommandLog = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A handle on the database `uri` names whose client records every command
/// it sends, so a test can compare what two flows do to the database.
pub async fn monitored_database(uri: &str) -> (mongodb::Database, CommandLog) {
    let log = CommandLog::default();
    let recorder = log.clone();
    let database = observed_database(uri, move |name, command| {
        let collection = command.get_str(name).unwrap_or_default().to_owned();
        if let Ok(mut log) = recorder.lock() {
            log.push((name.to_owned(), collection));
        }
    })
    .await;
    (database, log)
}

/// A handle on the database `uri` names whose client shows `observe` every
/// command it sends (its name and the whole command).
pub async fn observed_database(
    uri: &str,
    observe: impl Fn(&str, &mongodb::bson::Document) + Send + Sync + 'static,
) -> mongodb::Database {
    use mongodb::event::EventHandler;
    use mongodb::event::command::CommandEvent;
    let mut options = mongodb::options::ClientOptions::parse(uri)
        .await
        .expect("a valid URI");
    options.command_event_handler = Some(EventHandler::callback(move |event| {
        if let CommandEvent::Started(started) = event {
            observe(&started.command_name, &started.command);
        }
    }));
    let name = options
        .default_database
        .clone()
        .expect("a database in the URI");
    let client = mongodb::Client::with_options(options).expect("a client");
    client.database(&name)
}

/// A database that exists for one test and is dropped afterwards.
pub struct TestDatabase {
    pub name: String,
    pub uri: String,
}

impl TestDatabase {
    pub fn new(prefix: &str) -> Self {
        let name = format!(
            "test_{prefix}_{}",
            &Uuid::new_v4().simple().to_string()[..12]
        );
        let uri = with_database(&test_server_uri(), &name);
        Self { name, uri }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop is synchronous and may run inside the test's runtime, so the
        // clean-up gets a thread and a runtime of its own.
        let uri = self.uri.clone();
        let name = self.name.clone();
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(client) = mongodb::Client::with_uri_str(&uri).await {
                    let _ = client.database(&name).drop().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_replaces_the_path_and_keeps_options() {
        assert_eq!(with_database("mongodb://h:1", "db"), "mongodb://h:1/db");
        assert_eq!(with_database("mongodb://h:1/", "db"), "mongodb://h:1/db");
        assert_eq!(
            with_database("mongodb://h:1/old?w=1", "db"),
            "mongodb://h:1/db?w=1"
        );
        assert_eq!(
            with_database("mongodb://u:p@h:1,h:2/?rs=x", "db"),
            "mongodb://u:p@h:1,h:2/db?rs=x"
        );
    }
}
