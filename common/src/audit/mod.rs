//! The audit trail both services keep, each in its own database: every
//! write that changes an organization's data appends an entry in the same
//! transaction, and an organization's entries form a hash chain
//! ([`chain`]) that an auditor verifies without the database (the
//! README's *Assurance* shows how).

pub mod canonical;
pub mod chain;
pub mod store;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthenticatedUser;
use crate::ids::{OrgId, UserId};
use crate::org::OrgRole;

pub use canonical::audit_value;
pub use chain::{Break, Sealed, Verifier};

/// Who made a change, as the trail records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// The organization whose trail records it.
    pub org: OrgId,
    pub user: UserId,
    /// The role the token carried.
    pub role: OrgRole,
    pub superuser: bool,
    /// The request's `X-Request-Id`; none for a command-line tool.
    pub request_id: Option<String>,
}

impl Author {
    /// The caller of a request.
    pub fn of(caller: &AuthenticatedUser, request_id: &crate::http::RequestId) -> Self {
        Self {
            org: caller.org,
            user: caller.id,
            role: caller.org_role,
            superuser: caller.superuser,
            request_id: Some(request_id.0.clone()),
        }
    }

    /// A user acting in their personal organization, outside a request
    /// (command-line tools and tests).
    pub fn personal(user: UserId) -> Self {
        Self {
            org: OrgId::personal(user),
            user,
            role: OrgRole::Owner,
            superuser: false,
            request_id: None,
        }
    }
}

/// An entry before it is sealed into the chain.
#[derive(Debug, Clone)]
pub struct Draft {
    /// `None` for what the system records (the genesis).
    author: Option<Author>,
    action: &'static str,
    entity: &'static str,
    entity_id: String,
    /// Numbers already strings ([`audit_value`]).
    payload: Value,
}

impl Draft {
    /// `action` of `author` on `entity` `entity_id`; `payload` holds the
    /// fields before and after (numbers become strings here).
    pub fn new(
        author: &Author,
        action: &'static str,
        entity: &'static str,
        entity_id: impl ToString,
        payload: &impl Serialize,
    ) -> Self {
        Self {
            author: Some(author.clone()),
            action,
            entity,
            entity_id: entity_id.to_string(),
            payload: audit_value(payload),
        }
    }

    /// The first entry of a trail: what the organization held before.
    pub fn genesis(payload: Value) -> Self {
        Self {
            author: None,
            action: "genesis",
            entity: "organization",
            entity_id: String::new(),
            payload: audit_value(&payload),
        }
    }

    /// The header the chain hashes (every value a string, a boolean or
    /// null).
    fn header(&self, org_id: OrgId, seq: i64, at: bson::DateTime) -> Value {
        let actor = self.author.as_ref().map(|a| {
            json!({
                "user_id": a.user.to_string(),
                "role": a.role.as_str(),
                "superuser": a.superuser,
            })
        });
        let entity_id = if self.entity == "organization" {
            org_id.to_string()
        } else {
            self.entity_id.clone()
        };
        json!({
            "org_id": org_id.to_string(),
            "seq": seq.to_string(),
            "at": time_text(at.to_chrono()),
            "actor": actor,
            "request_id": self.author.as_ref().and_then(|a| a.request_id.clone()),
            "action": self.action,
            "entity": self.entity,
            "entity_id": entity_id,
        })
    }
}

/// A time as the trail writes it: UTC, milliseconds (what BSON keeps).
pub fn time_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An entry as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub sealed: Sealed,
}

/// An audit entry: `header` and `payload` exactly as hashed (every
/// number a string), and the chain's links.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "seq": 12,
    "header": {"org_id": "0b9c6f1e-4a86-4a5e-9d0e-8b1f3c2d4e5f", "seq": "12", "at": "2026-03-15T12:00:00.000Z",
        "actor": {"user_id": "6f1e0b9c-4a86-4a5e-9d0e-8b1f3c2d4e5f", "role": "editor", "superuser": false},
        "request_id": "5b0e4e0a-93a4-4c57-8f4c-5a3c1d2e9f01", "action": "update", "entity": "usage", "entity_id": "665f1c2b9d3e4a0012345678"},
    "payload": {"before": {"amount": "120"}, "after": {"amount": "125"}},
    "payload_sha256": "3b1f…",
    "prev": "9c2e…",
    "hash": "a41d…"
}))]
pub struct EntryView {
    pub seq: i64,
    /// `org_id`, `seq`, `at`, `actor` (`user_id`, `role`, `superuser`;
    /// null for the system), `request_id`, `action`, `entity`,
    /// `entity_id`.
    #[schema(value_type = Object)]
    pub header: Value,
    /// The fields before and after; null once redacted (its digest stays).
    #[schema(value_type = Option<Object>)]
    pub payload: Option<Value>,
    pub payload_sha256: String,
    /// The hash of the entry before (64 zeros for the genesis).
    pub prev: String,
    pub hash: String,
}

impl From<Entry> for EntryView {
    fn from(entry: Entry) -> Self {
        let sealed = entry.sealed;
        Self {
            seq: sealed.seq,
            header: sealed.header,
            payload: sealed.payload,
            payload_sha256: sealed.payload_sha256,
            prev: sealed.prev,
            hash: sealed.hash,
        }
    }
}

/// A page of a trail (`GET /audit`, `GET /orgs/{org_id}/audit`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditPage)]
pub struct AuditPageView {
    /// Newest first.
    pub entries: Vec<EntryView>,
    /// Pass as `before` for the next (older) page; absent on the last.
    pub next: Option<i64>,
}

/// Which entries `GET /audit` lists.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only entries about this kind of entity (`usage`, `usage_import`,
    /// `facility`, …).
    pub entity: Option<String>,
    /// Only entries about this entity.
    pub entity_id: Option<String>,
    /// Only changes by this user.
    #[param(format = Uuid)]
    pub actor: Option<String>,
    /// Only this action (`create`, `update`, `delete`, `import`, `erase`,
    /// `lock`, `unlock`, …).
    pub action: Option<String>,
    /// Only entries at or after this instant (RFC 3339).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Only entries before this instant (RFC 3339).
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// The `next` of the previous page: entries below this `seq`.
    #[param(minimum = 0)]
    pub before: Option<i64>,
    /// At most this many entries (1 to 200; 50 by default).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The entries a page may hold.
pub const MAX_PAGE: i64 = 200;

/// [`AuditQuery`] checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<UserId>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl AuditQuery {
    /// The filter, the cursor and the page size; 422 naming the field.
    pub fn parse(&self) -> Result<(AuditFilter, Option<i64>, i64), crate::Invalid> {
        let mut errors = Vec::new();
        let time = |field: &str, raw: &Option<String>, errors: &mut Vec<crate::FieldError>| {
            raw.as_deref().and_then(|raw| {
                DateTime::parse_from_rfc3339(raw.trim())
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| {
                        errors.push(crate::FieldError::new(field, "must be an RFC 3339 instant"))
                    })
                    .ok()
            })
        };
        let from = time("from", &self.from, &mut errors);
        let to = time("to", &self.to, &mut errors);
        let actor = self
            .actor
            .as_deref()
            .and_then(|raw| UserId::parse("actor", raw).map_err(|e| errors.push(e)).ok());
        let limit = self.limit.unwrap_or(50);
        if !(1..=MAX_PAGE).contains(&limit) {
            errors.push(crate::FieldError::new(
                "limit",
                format!("must be from 1 to {MAX_PAGE}"),
            ));
        }
        if self.before.is_some_and(|b| b < 0) {
            errors.push(crate::FieldError::new("before", "must not be negative"));
        }
        if !errors.is_empty() {
            return Err(crate::Invalid(errors));
        }
        let text = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Ok((
            AuditFilter {
                entity: text(&self.entity),
                entity_id: text(&self.entity_id),
                actor,
                action: text(&self.action),
                from,
                to,
            },
            self.before,
            limit,
        ))
    }
}

impl AuditFilter {
    pub fn is_empty(&self) -> bool {
        *self == AuditFilter::default()
    }

    fn to_document(&self) -> bson::Document {
        let mut filter = bson::Document::new();
        if let Some(entity) = &self.entity {
            filter.insert("header.entity", entity);
        }
        if let Some(id) = &self.entity_id {
            filter.insert("header.entity_id", id);
        }
        if let Some(actor) = self.actor {
            filter.insert("header.actor.user_id", actor.to_string());
        }
        if let Some(action) = &self.action {
            filter.insert("header.action", action);
        }
        let mut at = bson::Document::new();
        if let Some(from) = self.from {
            at.insert("$gte", bson::DateTime::from_chrono(from));
        }
        if let Some(to) = self.to {
            at.insert("$lt", bson::DateTime::from_chrono(to));
        }
        if !at.is_empty() {
            filter.insert("at", at);
        }
        filter
    }
}

/// What `GET /audit/verify` found.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({"valid": false, "entries": 41, "head": null,
    "first_bad": {"seq": 17, "problem": "the payload does not match payload_sha256"}}))]
pub struct Verification {
    /// Whether every entry is where the chain says, unchanged.
    pub valid: bool,
    /// Entries that verified (all of them when valid).
    pub entries: i64,
    /// The last entry's `seq` and hash when valid: compare it with a head
    /// kept outside the database.
    pub head: Option<HeadView>,
    /// The first entry that does not verify.
    pub first_bad: Option<BadEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HeadView {
    pub seq: i64,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BadEntry {
    /// Where it broke: the entry's `seq` (or, for a cut-off trail, the
    /// `seq` the head names).
    pub seq: i64,
    pub problem: String,
}

/// Re-computes the organization's chain from the database and compares
/// its end with the head kept beside it.
pub async fn verify(
    db: &mongodb::Database,
    org_id: OrgId,
) -> Result<Verification, crate::db::StoreError> {
    use futures_util::StreamExt;
    let head = store::head(db, org_id).await?;
    let mut verifier = Verifier::new(org_id.to_string());
    let stream = store::stream(db, org_id).await?;
    futures_util::pin_mut!(stream);
    while let Some(entry) = stream.next().await {
        let entry = entry?;
        if let Err(problem) = verifier.check(&entry.sealed) {
            return Ok(Verification {
                valid: false,
                entries: verifier.checked(),
                head: None,
                first_bad: Some(BadEntry {
                    seq: entry.sealed.seq,
                    problem: problem.describe(),
                }),
            });
        }
    }
    let checked = verifier.checked();
    let broken = |seq: i64, problem: String| Verification {
        valid: false,
        entries: checked,
        head: None,
        first_bad: Some(BadEntry { seq, problem }),
    };
    match head {
        None if checked > 0 => {
            return Ok(broken(
                0,
                "the database keeps no head for this trail".to_owned(),
            ));
        }
        Some(head) if head.seq >= checked => {
            let problem = Break::Truncated { head_seq: head.seq }.describe();
            return Ok(broken(head.seq, problem));
        }
        Some(head) if head.seq < checked - 1 || head.hash != verifier.head() => {
            return Ok(broken(
                head.seq.min(checked - 1),
                "the last entry is not the head the database keeps".to_owned(),
            ));
        }
        _ => {}
    }
    Ok(Verification {
        valid: true,
        entries: checked,
        head: (checked > 0).then(|| HeadView {
            seq: checked - 1,
            hash: verifier.head().to_owned(),
        }),
        first_bad: None,
    })
}

/// An export's answer: `entries` streamed as JSON Lines, one
/// [`EntryView`] per line, as the client reads them.
pub fn jsonl_response(
    entries: impl futures_util::Stream<Item = Result<Entry, crate::db::StoreError>> + 'static,
) -> actix_web::HttpResponse {
    use futures_util::{StreamExt, TryStreamExt};
    let lines = entries
        .map_err(crate::ApiError::from)
        .map(|entry| {
            let mut line =
                serde_json::to_vec(&EntryView::from(entry?)).map_err(crate::ApiError::internal)?;
            line.push(b'\n');
            Ok::<_, crate::ApiError>(actix_web::web::Bytes::from(line))
        })
        .inspect_err(
            |e| tracing::error!(error = %e.describe(), "an audit export stopped part-way"),
        );
    actix_web::HttpResponse::Ok()
        .content_type("application/jsonl")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"audit.jsonl\"",
        ))
        .streaming(lines)
}
