//! The trail in MongoDB: `audit_entries` (one document per entry, `_id`
//! `<org>/<seq, 19 digits>` so that an organization's trail is one range
//! of the primary key, in order) and `audit_heads` (each organization's
//! last `seq` and hash, moved in the same transaction as the entries).

use bson::{Bson, Document, doc};
use futures_util::{Stream, StreamExt, TryStreamExt};
use mongodb::{ClientSession, Collection, Database};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::chain::{Sealed, Sha256Hex, entry_hash, payload_sha256, zero_hash};
use super::{AuditFilter, Draft, Entry};
use crate::db::{Context, StoreError};
use crate::ids::OrgId;

pub const ENTRIES: &str = "audit_entries";
pub const HEADS: &str = "audit_heads";

/// Entries a filtered page looks through per query: every query reads a
/// bounded range of the key, whatever the filter.
const SCAN_WINDOW: i64 = 2_000;
/// Windows one page reads before it answers with what it found and a
/// cursor to go on from.
const SCAN_WINDOWS: i64 = 25;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredEntry {
    #[serde(rename = "_id")]
    id: String,
    org_id: OrgId,
    seq: i64,
    /// `header.at`, as a date to filter on.
    at: bson::DateTime,
    header: Document,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payload: Option<Document>,
    payload_sha256: Sha256Hex,
    prev: Sha256Hex,
    hash: Sha256Hex,
}

/// An organization's last entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head {
    #[serde(rename = "_id")]
    pub org_id: OrgId,
    pub seq: i64,
    pub hash: Sha256Hex,
    pub at: bson::DateTime,
}

fn entries(db: &Database) -> Collection<StoredEntry> {
    db.collection(ENTRIES)
}

fn heads(db: &Database) -> Collection<Head> {
    db.collection(HEADS)
}

fn entry_id(org_id: OrgId, seq: i64) -> String {
    format!("{org_id}/{seq:019}")
}

/// The keys of `org_id`'s entries from `from` up to (not including) `to`.
fn key_range(org_id: OrgId, from: i64, to: i64) -> Document {
    doc! { "_id": { "$gte": entry_id(org_id, from.max(0)), "$lt": entry_id(org_id, to.max(0)) } }
}

fn to_document(value: &Value) -> Result<Document, StoreError> {
    match Bson::try_from(value.clone()) {
        Ok(Bson::Document(document)) => Ok(document),
        Ok(_) => Err(StoreError::malformed(
            "writing an audit entry",
            "a header or payload that is not an object",
        )),
        Err(e) => Err(StoreError::malformed("writing an audit entry", e)),
    }
}

fn to_value(document: Document) -> Value {
    Bson::Document(document).into_relaxed_extjson()
}

impl StoredEntry {
    fn seal(
        org_id: OrgId,
        seq: i64,
        prev: &str,
        draft: Draft,
        at: bson::DateTime,
    ) -> Result<Self, StoreError> {
        let header = draft.header(org_id, seq, at);
        let payload_sha256 = payload_sha256(&draft.payload);
        let hash = entry_hash(prev, &header, &payload_sha256).ok_or_else(|| {
            StoreError::malformed("sealing an audit entry", "a head hash that is not hex")
        })?;
        Ok(Self {
            id: entry_id(org_id, seq),
            org_id,
            seq,
            at,
            header: to_document(&header)?,
            payload: Some(to_document(&draft.payload)?),
            payload_sha256,
            prev: prev.to_owned(),
            hash,
        })
    }

    fn into_entry(self) -> Entry {
        Entry {
            at: self.at.to_chrono(),
            sealed: Sealed {
                seq: self.seq,
                header: to_value(self.header),
                payload: self.payload.map(to_value),
                payload_sha256: self.payload_sha256,
                prev: self.prev,
                hash: self.hash,
            },
        }
    }
}

/// The organization's head, if its trail has begun.
pub async fn head(db: &Database, org_id: OrgId) -> Result<Option<Head>, StoreError> {
    heads(db)
        .find_one(doc! { "_id": org_id })
        .await
        .context("reading the audit head")
}

/// The head as the transaction of `session` sees it.
pub async fn head_in(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
) -> Result<Option<Head>, StoreError> {
    heads(db)
        .find_one(doc! { "_id": org_id })
        .session(session)
        .await
        .context("reading the audit head")
}

/// The head as the transaction of `session` sees it, the trail begun
/// (with the genesis [`append`] writes) when it had not: what a lock
/// records.
pub async fn head_or_begin(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
) -> Result<Head, StoreError> {
    match head_in(db, session, org_id).await? {
        Some(head) => Ok(head),
        None => append(db, session, org_id, Vec::new()).await,
    }
}

/// Appends `drafts` to the organization's trail in the transaction of
/// `session`, in order, and moves its head: they commit with the writes
/// they record or not at all. A trail that has not begun begins with a
/// genesis entry saying that nothing was recorded before it (an
/// organization with older data gets its genesis from a migration).
/// Two transactions appending to one trail conflict on the head, and
/// one of them runs again.
pub async fn append(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    drafts: Vec<Draft>,
) -> Result<Head, StoreError> {
    let after = match head_in(db, session, org_id).await? {
        Some(head) => After::Head(head),
        None => After::Genesis(Value::Object(
            [(
                "recorded_before".to_owned(),
                Value::String(
                    "nothing: the organization's first write begins its trail".to_owned(),
                ),
            )]
            .into_iter()
            .collect(),
        )),
    };
    write_after(db, session, org_id, after, false, drafts).await
}

/// [`append`] after `known`, a head this process saw committed, without
/// reading it again: the head moves only if it is still `known`, else
/// [`StoreError::Moved`] (the transaction runs again, and the caller
/// forgets `known`). What the hot path of usage creates uses, and a lock
/// after the head it read.
pub async fn append_after(
    db: &Database,
    session: &mut ClientSession,
    known: &Head,
    drafts: Vec<Draft>,
) -> Result<Head, StoreError> {
    let after = After::Head(known.clone());
    write_after(db, session, known.org_id, after, true, drafts).await
}

/// Where a write goes on from.
enum After {
    /// A new trail: this genesis payload first.
    Genesis(Value),
    /// The trail's head.
    Head(Head),
}

/// Seals `drafts` after `after` (a new trail: after its genesis), inserts
/// them and moves the head; with `conditional`, only from the head as it
/// was.
async fn write_after(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    after: After,
    conditional: bool,
    drafts: Vec<Draft>,
) -> Result<Head, StoreError> {
    const MOVED: StoreError = StoreError::Moved {
        context: "appending to the audit trail",
    };
    let at = bson::DateTime::now();
    let (current, mut seq, mut prev, mut drafts) = match after {
        After::Head(head) => (Some(head.clone()), head.seq + 1, head.hash, drafts),
        After::Genesis(genesis) => {
            let mut all = vec![Draft::genesis(genesis)];
            all.extend(drafts);
            (None, 0, zero_hash(), all)
        }
    };
    let mut sealed = Vec::with_capacity(drafts.len());
    for draft in drafts.drain(..) {
        let entry = StoredEntry::seal(org_id, seq, &prev, draft, at)?;
        prev = entry.hash.clone();
        seq += 1;
        sealed.push(entry);
    }
    let head = Head {
        org_id,
        seq: seq - 1,
        hash: prev,
        at,
    };
    if sealed.is_empty() {
        return Ok(head);
    }
    let inserted = entries(db)
        .insert_many(&sealed)
        .session(&mut *session)
        .await
        .context("appending to the audit trail");
    match inserted {
        // Another writer took these places first: the head moved.
        Err(e) if conditional && e.is_duplicate() => return Err(MOVED),
        other => {
            other?;
        }
    }
    match current.filter(|_| conditional) {
        Some(known) => {
            let moved = heads(db)
                .update_one(
                    doc! { "_id": org_id, "seq": known.seq, "hash": &known.hash },
                    doc! { "$set": { "seq": head.seq, "hash": &head.hash, "at": head.at } },
                )
                .session(&mut *session)
                .await
                .context("moving the audit head")?;
            if moved.matched_count == 0 {
                return Err(MOVED);
            }
        }
        None => {
            heads(db)
                .replace_one(doc! { "_id": org_id }, &head)
                .upsert(true)
                .session(&mut *session)
                .await
                .context("moving the audit head")?;
        }
    }
    Ok(head)
}

/// Begins the organization's trail with `genesis` (what it held before
/// the trail existed), unless it has begun: idempotent.
pub async fn begin(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    genesis: Value,
) -> Result<bool, StoreError> {
    if head_in(db, session, org_id).await?.is_some() {
        return Ok(false);
    }
    write_after(
        db,
        session,
        org_id,
        After::Genesis(genesis),
        false,
        Vec::new(),
    )
    .await?;
    Ok(true)
}

/// A page of the organization's entries under `filter`, newest first,
/// below `before` (a `seq`), and where the next page starts. Reads the
/// key in bounded windows: a rare filter over a long trail answers with
/// fewer entries and a cursor rather than reading all of it at once.
pub async fn page(
    db: &Database,
    org_id: OrgId,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
    max_time: std::time::Duration,
) -> Result<(Vec<Entry>, Option<i64>), StoreError> {
    let Some(head) = head(db, org_id).await? else {
        return Ok((Vec::new(), None));
    };
    let mut upper = before.unwrap_or(head.seq + 1).min(head.seq + 1);
    let mut found = Vec::new();
    let mut windows = 0;
    while upper > 0 && (found.len() as i64) < limit && windows < SCAN_WINDOWS {
        let window = if filter.is_empty() {
            limit
        } else {
            SCAN_WINDOW
        };
        let lower = (upper - window).max(0);
        let mut query = key_range(org_id, lower, upper);
        query.extend(filter.to_document());
        let wanted = limit - found.len() as i64;
        let mut batch: Vec<StoredEntry> = entries(db)
            .find(query)
            .sort(doc! { "_id": -1 })
            .limit(wanted)
            .max_time(max_time)
            .await
            .context("listing the audit trail")?
            .try_collect()
            .await
            .context("reading the audit trail")?;
        let full = batch.len() as i64 == wanted;
        let last_seq = batch.last().map(|e| e.seq);
        found.append(&mut batch);
        upper = match (full, last_seq) {
            // The page filled inside this window: go on below its last.
            (true, Some(seq)) => seq,
            _ => lower,
        };
        windows += 1;
    }
    let next = (upper > 0).then_some(upper);
    Ok((
        found.into_iter().map(StoredEntry::into_entry).collect(),
        next,
    ))
}

/// The organization's whole trail, oldest first, read from one database
/// cursor: memory stays flat however long it is.
pub async fn stream(
    db: &Database,
    org_id: OrgId,
) -> Result<impl Stream<Item = Result<Entry, StoreError>> + use<>, StoreError> {
    let cursor = entries(db)
        .find(key_range(org_id, 0, i64::MAX))
        .sort(doc! { "_id": 1 })
        .await
        .context("reading the audit trail")?;
    Ok(cursor.map(|row| {
        row.map(StoredEntry::into_entry)
            .map_err(|e| StoreError::from_driver("reading the audit trail", e))
    }))
}

/// Deletes the organization's trail, a bounded window at a time, and
/// its head last; returns how many entries went. Only `DELETE /org`
/// removes a trail; an interrupted deletion is finished by the next.
pub async fn delete_of_org(db: &Database, org_id: OrgId) -> Result<u64, StoreError> {
    let Some(head) = head(db, org_id).await? else {
        return Ok(0);
    };
    let mut deleted = 0;
    let mut from = 0;
    while from <= head.seq {
        deleted += entries(db)
            .delete_many(key_range(org_id, from, from + SCAN_WINDOW))
            .await
            .context("deleting the audit trail")?
            .deleted_count;
        from += SCAN_WINDOW;
    }
    heads(db)
        .delete_one(doc! { "_id": org_id })
        .await
        .context("deleting the audit head")?;
    Ok(deleted)
}
