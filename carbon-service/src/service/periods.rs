//! Inventory settings and reporting periods: locking a fiscal year
//! freezes every usage dated in it.
//!
//! A lock must conflict with a write that read "open" (snapshot isolation
//! would otherwise let that write commit after the lock). It does: every
//! usage and instrument write appends to the organization's audit trail in
//! its transaction, and so does every lock, unlock and settings change;
//! each moves the trail's head, so a lock and a write that overlap
//! conflict on it and the one that runs again sees the other
//! (`tests/api/periods.rs` races them).

use chrono::{DateTime, Utc};
use mongodb::{ClientSession, Database};
use serde_json::json;

use crate::domain::audit::{Change, action, entity};
use crate::domain::period::{InventorySettings, PeriodLock, PeriodName, SettingsFields};
use crate::domain::usage_query;
use crate::storage::{rollups, settings};
use common::audit::{Author, Draft, store as trail};
use common::db::{StoreError, TransactionError, in_transaction};
use common::ids::OrgId;
use common::validation::Invalid;

/// The longest unlock reason kept.
pub const MAX_REASON_CHARS: usize = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum PeriodError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A change that a locked period forbids.
    #[error("{0} is locked")]
    Locked(PeriodName),
    #[error("{0} is already locked")]
    AlreadyLocked(PeriodName),
    /// A lock before the period's end (exclusive): its last bills are
    /// still to come.
    #[error("{0} has not ended")]
    NotEnded(PeriodName, DateTime<Utc>),
    #[error("{0} is not locked")]
    NotLocked(PeriodName),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TransactionError for PeriodError {
    fn store_error(&self) -> Option<&StoreError> {
        match self {
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

/// A period as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub name: PeriodName,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Its lock (current or past), if it was ever locked.
    pub lock: Option<PeriodLock>,
    pub is_base_year: bool,
}

impl Period {
    /// The period `name` under `current` settings.
    pub fn of(current: &InventorySettings, name: PeriodName) -> Self {
        let (from, to) = current.calendar().bounds(name);
        Self {
            name,
            from,
            to,
            lock: current.lock_of(name).cloned(),
            is_base_year: current
                .base_year
                .is_some_and(|y| current.calendar().period_of(calendar_year_middle(y)) == name),
        }
    }

    pub fn locked(&self) -> bool {
        self.lock.as_ref().is_some_and(|l| l.locked)
    }
}

pub struct Periods<'a> {
    pub db: &'a Database,
}

/// The first locked period among `instants`, as the transaction of
/// `session` sees the settings: what every usage write checks.
pub async fn locked_among(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    instants: impl IntoIterator<Item = DateTime<Utc>>,
) -> Result<Option<PeriodName>, StoreError> {
    let current = settings::find_in(db, session, org_id).await?;
    if !current.any_locked() {
        return Ok(None);
    }
    Ok(instants.into_iter().find_map(|at| current.locked_at(at)))
}

/// The first locked period `[from, to)` overlaps (an instrument's span).
pub async fn locked_within(
    db: &Database,
    session: &mut ClientSession,
    org_id: OrgId,
    spans: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Result<Option<PeriodName>, StoreError> {
    let current = settings::find_in(db, session, org_id).await?;
    Ok(spans
        .iter()
        .find_map(|(from, to)| current.locked_within(*from, *to)))
}

impl Periods<'_> {
    pub async fn settings(&self, org_id: OrgId) -> Result<InventorySettings, PeriodError> {
        Ok(settings::find(self.db, org_id).await?)
    }

    /// Changes the settings; not the fiscal-year start while a period is
    /// locked (its bounds would move under the lock).
    #[tracing::instrument(skip_all, fields(org_id = %author.org))]
    pub async fn put_settings(
        &self,
        author: &Author,
        fields: &SettingsFields,
    ) -> Result<InventorySettings, PeriodError> {
        let org_id = author.org;
        in_transaction(self.db, "changing inventory settings", async |session| {
            let before = settings::find_in(self.db, session, org_id).await?;
            let mut after = before.clone();
            fields.apply(&mut after)?;
            if after.fiscal_year_start_month != before.fiscal_year_start_month
                && let Some(locked) = before.periods.iter().find(|p| p.locked)
            {
                let name = PeriodName::parse("period", &locked.name).map_err(Invalid::from)?;
                return Err(PeriodError::Locked(name));
            }
            settings::save(self.db, session, &after).await?;
            let change = Change::updated(settings_record(&before), settings_record(&after));
            let entry = Draft::new(author, action::UPDATE, entity::SETTINGS, org_id, &change);
            trail::append(self.db, session, org_id, vec![entry]).await?;
            Ok(after)
        })
        .await
    }

    /// The organization's periods: every fiscal year that holds usages,
    /// the current one, the base year and every one ever locked, newest
    /// first.
    pub async fn list(&self, org_id: OrgId) -> Result<Vec<Period>, PeriodError> {
        let current = settings::find(self.db, org_id).await?;
        let calendar = current.calendar();
        let mut names = std::collections::BTreeSet::new();
        names.insert(calendar.period_of(Utc::now()));
        for month in rollups::counts(self.db, org_id, None, None, None).await? {
            if let Some(start) = usage_query::month_start(&month.0) {
                names.insert(calendar.period_of(start));
            }
        }
        if let Some(year) = current.base_year {
            names.insert(calendar.period_of(calendar_year_middle(year)));
        }
        for lock in &current.periods {
            if let Ok(name) = PeriodName::parse("period", &lock.name) {
                names.insert(name);
            }
        }
        Ok(names
            .into_iter()
            .rev()
            .map(|name| Period::of(&current, name))
            .collect())
    }

    /// One period, as listed.
    pub async fn get(&self, org_id: OrgId, name: PeriodName) -> Result<Period, PeriodError> {
        let current = settings::find(self.db, org_id).await?;
        Ok(Period::of(&current, name))
    }

    /// Locks a period, recording the audit trail's head at the lock.
    #[tracing::instrument(skip(self, author), fields(org_id = %author.org))]
    pub async fn lock(&self, author: &Author, name: PeriodName) -> Result<Period, PeriodError> {
        let org_id = author.org;
        in_transaction(self.db, "locking a period", async |session| {
            let mut current = settings::find_in(self.db, session, org_id).await?;
            if current.is_locked(name) {
                return Err(PeriodError::AlreadyLocked(name));
            }
            let (from, to) = current.calendar().bounds(name);
            if to > Utc::now() {
                return Err(PeriodError::NotEnded(name, to));
            }
            let head = trail::head_or_begin(self.db, session, org_id).await?;
            let lock = PeriodLock {
                name: name.to_string(),
                from: bson::DateTime::from_chrono(from),
                to: bson::DateTime::from_chrono(to),
                locked: true,
                locked_at: bson::DateTime::now(),
                locked_by: author.user,
                head_seq: head.seq,
                head_hash: head.hash.clone(),
                unlocked_at: None,
                unlocked_by: None,
                unlock_reason: None,
            };
            current.periods.retain(|p| p.name != lock.name);
            current.periods.push(lock);
            settings::save(self.db, session, &current).await?;
            let payload = json!({
                "period": name.to_string(),
                "from": common::audit::time_text(from),
                "to": common::audit::time_text(to),
                "head": {"seq": head.seq, "hash": head.hash},
            });
            let entry = Draft::new(author, action::LOCK, entity::PERIOD, name, &payload);
            // After the head just read in this transaction: no second read.
            trail::append_after(self.db, session, &head, vec![entry]).await?;
            Ok(Period::of(&current, name))
        })
        .await
    }

    /// Unlocks a period, with the reason the trail keeps.
    #[tracing::instrument(skip(self, author, reason), fields(org_id = %author.org))]
    pub async fn unlock(
        &self,
        author: &Author,
        name: PeriodName,
        reason: &str,
    ) -> Result<Period, PeriodError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return Err(Invalid::one(
                "reason",
                format!("must say why, in 1 to {MAX_REASON_CHARS} characters"),
            )
            .into());
        }
        let org_id = author.org;
        in_transaction(self.db, "unlocking a period", async |session| {
            let mut current = settings::find_in(self.db, session, org_id).await?;
            let key = name.to_string();
            let Some(lock) = current
                .periods
                .iter_mut()
                .find(|p| p.name == key && p.locked)
            else {
                return Err(PeriodError::NotLocked(name));
            };
            lock.locked = false;
            lock.unlocked_at = Some(bson::DateTime::now());
            lock.unlocked_by = Some(author.user);
            lock.unlock_reason = Some(reason.to_owned());
            settings::save(self.db, session, &current).await?;
            let payload = json!({ "period": key, "reason": reason });
            let entry = Draft::new(author, action::UNLOCK, entity::PERIOD, name, &payload);
            trail::append(self.db, session, org_id, vec![entry]).await?;
            Ok(Period::of(&current, name))
        })
        .await
    }
}

/// A mid-year instant of the calendar year `year`: the fiscal year a
/// base year names is the one holding most of it.
fn calendar_year_middle(year: i32) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(year, 7, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The settings as the trail records them (not the locks: each lock and
/// unlock is its own entry).
fn settings_record(s: &InventorySettings) -> serde_json::Value {
    json!({
        "fiscal_year_start_month": s.fiscal_year_start_month,
        "base_year": s.base_year,
        "significance_threshold_percent": s.significance_threshold_percent,
    })
}
