//! Rollups: after any sequence of writes they equal a recomputation from
//! the usages, and the summary read from them equals the full aggregation
//! over the usages for any window, its market-based scope 2 figures (with
//! instruments) included.

use std::collections::BTreeSet;

use carbon_service::domain::gwp::{Gases, GwpSet};
use carbon_service::domain::ids::UsageId;
use carbon_service::domain::instrument::InstrumentFields;
use carbon_service::domain::market;
use carbon_service::domain::rollup::Grain;
use carbon_service::domain::summary::{self, Summary};
use carbon_service::domain::usage::{NewUsage, UsageChanges, UsageChangesInput};
use carbon_service::domain::usage_query::UsageFilter;
use carbon_service::service::rollups;
use carbon_service::storage::{instruments, usages};
use chrono::{DateTime, Duration, TimeZone, Utc};
use common::ids::UserId;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::helpers::*;

/// An instant in 2024–2025 (never in the future): often exactly a month's
/// or a day's start, or a second before one, where rollup months, rollup
/// days and edge days meet.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0u32..24, 0u8..6, 0i64..28 * 86_400).prop_map(|(month, kind, seconds)| {
        let start = Utc
            .with_ymd_and_hms(2024 + (month / 12) as i32, month % 12 + 1, 1, 0, 0, 0)
            .unwrap();
        let day_start = start + Duration::days(seconds / 86_400);
        match kind {
            0 => start,
            1 => start - Duration::seconds(1),
            2 => day_start,
            3 => day_start - Duration::seconds(1),
            _ => start + Duration::seconds(seconds),
        }
    })
}

/// The example types (a CO₂e-only factor each), EPA Hub types whose
/// factors give CO₂, CH₄ and N₂O, two fluorinated gases (their own GWPs),
/// biogenic CO₂: wood (with CH₄ and N₂O), pure biodiesel and B20 (with
/// fossil CO₂), and scope 3 types with two categories each (freight 4 and
/// 9, travel 6 and 7).
fn type_id_strategy() -> impl Strategy<Value = i64> {
    proptest::sample::select(vec![
        100, 101, 102, 103, 104, 10018, 11018, 20000, 40001, 50010, 60000, 60003, 11017, 30002,
        30104,
    ])
}

fn amount() -> impl Strategy<Value = f64> {
    // Decimals, so that sums in another order differ in their last bits.
    (1u32..100_000).prop_map(|n| f64::from(n) / 100.0)
}

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Create(f64, i64, DateTime<Utc>),
    Update {
        pick: usize,
        amount: Option<f64>,
        type_id: Option<i64>,
        at: Option<DateTime<Utc>>,
    },
    Delete(usize),
    /// Reports a usage under another scope 3 category (refused unless its
    /// type lists it).
    Recategorize(usize, i64),
    Import(Vec<(f64, i64, DateTime<Utc>)>),
    /// A certificate (zero) or a supplier factor for the US boundary over
    /// whole months of 2024 or 2025, in kWh.
    Instrument {
        supplier: bool,
        kwh: f64,
        first_month: u32,
        months: u32,
    },
    Erase,
}

pub(crate) fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (amount(), type_id_strategy(), instant()).prop_map(|(a, t, at)| Op::Create(a, t, at)),
        3 => (any::<usize>(), proptest::option::of(amount()), proptest::option::of(type_id_strategy()), proptest::option::of(instant()))
            .prop_filter("a change", |(_, a, t, at)| a.is_some() || t.is_some() || at.is_some())
            .prop_map(|(pick, amount, type_id, at)| Op::Update { pick, amount, type_id, at }),
        2 => any::<usize>().prop_map(Op::Delete),
        2 => (any::<usize>(), proptest::sample::select(vec![4_i64, 9, 6, 7]))
            .prop_map(|(pick, category)| Op::Recategorize(pick, category)),
        2 => proptest::collection::vec((amount(), type_id_strategy(), instant()), 1..40).prop_map(Op::Import),
        2 => (any::<bool>(), amount(), 0u32..24, 1u32..13).prop_map(|(supplier, kwh, first_month, months)| {
            Op::Instrument { supplier, kwh: kwh * 100.0, first_month, months }
        }),
        1 => Just(Op::Erase),
    ]
}

/// A summary's window (from, to), its type or all, its GWP set.
type Window = (
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<i64>,
    GwpSet,
);

/// A window: either end open, a month's start or any instant; a type or
/// all; a GWP set.
fn window() -> impl Strategy<Value = Window> {
    (
        proptest::option::weighted(0.8, instant()),
        proptest::option::weighted(0.8, instant()),
        proptest::option::weighted(0.2, type_id_strategy()),
        proptest::sample::select(GwpSet::ALL.to_vec()),
    )
}

fn csv_of(rows: &[(f64, i64, DateTime<Utc>)]) -> String {
    let mut csv = String::from("usage_at,usage_type_id,amount\n");
    for (amount, type_id, at) in rows {
        csv.push_str(&format!("{},{type_id},{amount}\n", at.to_rfc3339()));
    }
    csv
}

pub(crate) async fn apply(app: &TestApp, user: UserId, ids: &mut Vec<UsageId>, op: &Op) {
    let usages = app.usages();
    match op {
        Op::Create(amount, type_id, at) => {
            let new = NewUsage::parse(*amount, *type_id, Some(&at.to_rfc3339())).unwrap();
            ids.push(
                usages
                    .create(&common::audit::Author::personal(user), new, None)
                    .await
                    .unwrap()
                    .value
                    .id,
            );
        }
        Op::Update {
            pick,
            amount,
            type_id,
            at,
        } if !ids.is_empty() => {
            let id = ids[pick % ids.len()];
            let at = at.map(|at| at.to_rfc3339());
            let changes = UsageChanges::parse(*amount, *type_id, at.as_deref()).unwrap();
            usages
                .update(&common::audit::Author::personal(user), id, &changes, None)
                .await
                .unwrap();
        }
        Op::Recategorize(pick, category) if !ids.is_empty() => {
            let id = ids[pick % ids.len()];
            let changes = UsageChanges::parse_input(UsageChangesInput {
                scope3_category: Some(*category),
                ..UsageChangesInput::default()
            })
            .unwrap();
            // A category the usage's type does not list is refused (422).
            let _ = usages
                .update(&common::audit::Author::personal(user), id, &changes, None)
                .await;
        }
        Op::Delete(pick) if !ids.is_empty() => {
            let id = ids.remove(pick % ids.len());
            usages
                .delete(&common::audit::Author::personal(user), id, None)
                .await
                .unwrap();
        }
        Op::Import(rows) => {
            usages
                .import(
                    usages
                        .begin_import(common::ids::OrgId::personal(user))
                        .unwrap(),
                    &common::audit::Author::personal(user),
                    csv_of(rows).as_bytes(),
                    None,
                )
                .await
                .unwrap();
            // The imported ids are not returned: read the user's ids.
            let stored = app
                .database
                .collection::<bson::Document>("usages")
                .distinct(
                    "_id",
                    bson::doc! {"org_id": common::ids::OrgId::personal(user).to_string()},
                )
                .await
                .unwrap();
            ids.clear();
            ids.extend(
                stored
                    .into_iter()
                    .map(|id| bson::from_bson::<UsageId>(id).unwrap()),
            );
        }
        Op::Instrument {
            supplier,
            kwh,
            first_month,
            months,
        } => {
            let year = 2024 + (first_month / 12) as i32;
            let month = first_month % 12;
            let last = (month + months).min(12);
            let start = |m: u32| {
                let (y, m) = if m == 12 { (year + 1, 0) } else { (year, m) };
                Utc.with_ymd_and_hms(y, m + 1, 1, 0, 0, 0)
                    .unwrap()
                    .to_rfc3339()
            };
            let fields = InstrumentFields {
                kind: if *supplier {
                    "supplier_factor"
                } else {
                    "certificate"
                }
                .into(),
                scheme: "REC".into(),
                region: "US".into(),
                from: Some(start(month)),
                to: Some(start(last)),
                amount: *kwh,
                unit: "kWh".into(),
                gases: supplier.then(|| Gases {
                    co2: Some(0.2),
                    ..Gases::default()
                }),
                reference: None,
            };
            app.context
                .instruments()
                .create(&common::audit::Author::personal(user), &fields)
                .await
                .unwrap();
        }
        Op::Erase => {
            usages
                .erase(&common::audit::Author::personal(user))
                .await
                .unwrap();
            ids.clear();
        }
        // An update or delete with nothing to change.
        Op::Update { .. } | Op::Delete(_) | Op::Recategorize(..) => {}
    }
}

/// The summary as it was computed before rollups: every usage in the
/// window aggregated, folded.
async fn full_aggregation(
    app: &TestApp,
    user: UserId,
    filter: &UsageFilter,
    gwp: GwpSet,
) -> Summary {
    let mut session = app.database.client().start_session().await.unwrap();
    let mut cells = usages::summary_cells(
        &app.database,
        &mut session,
        common::ids::OrgId::personal(user),
        filter,
        Grain::Month,
        None,
    )
    .await
    .unwrap();
    summary::weigh(&mut cells, gwp);
    let types = app.context.type_cache().all(&app.database).await.unwrap();
    // The market-based figures from the usages: each year's month cells
    // (every type) and instruments, applied to the window's cells.
    let years_of_window: BTreeSet<i32> = cells
        .iter()
        .filter(|c| c.scope == 2)
        .filter_map(|c| c.month[..4].parse().ok())
        .collect();
    let mut years = Vec::new();
    for year in years_of_window {
        let whole_year = UsageFilter {
            usage_type_id: None,
            from: Some(Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap()),
            to: Some(Utc.with_ymd_and_hms(year + 1, 1, 1, 0, 0, 0).unwrap()),
            ..UsageFilter::default()
        };
        let year_cells = usages::summary_cells(
            &app.database,
            &mut session,
            common::ids::OrgId::personal(user),
            &whole_year,
            Grain::Month,
            None,
        )
        .await
        .unwrap();
        let year_instruments = instruments::of_year(
            &app.database,
            &mut session,
            common::ids::OrgId::personal(user),
            year,
        )
        .await
        .unwrap();
        years.push((year_cells, year_instruments));
    }
    let market_based = market::market_based(&cells, &years, &types);
    summary::fold(filter, &cells, |id| {
        types.iter().find(|t| t.id == id).map(|t| t.name.clone())
    })
    .with_market_based(market_based, gwp)
}

fn same(a: &Summary, b: &Summary) -> Result<(), String> {
    let differ = || Err(format!("from rollups {a:#?}\nfrom usages {b:#?}"));
    let gases_close = |x: &Gases, y: &Gases| x.agrees_with(y, 1e-9);
    let coverage_close = a.scope2.coverage.len() == b.scope2.coverage.len()
        && a.scope2
            .coverage
            .iter()
            .zip(&b.scope2.coverage)
            .all(|(x, y)| x.0 == y.0 && close(x.1, y.1));
    if a.usage_count != b.usage_count
        || !close(a.total_co2e, b.total_co2e)
        || !gases_close(&a.by_gas, &b.by_gas)
        || !close(a.scope2.market_based.co2e, b.scope2.market_based.co2e)
        || !close(a.total_co2e_market_based, b.total_co2e_market_based)
        || !coverage_close
    {
        return differ();
    }
    let types_agree = a.by_type.len() == b.by_type.len()
        && a.by_type.iter().zip(&b.by_type).all(|(x, y)| {
            x.usage_type_id == y.usage_type_id
                && x.usage_count == y.usage_count
                && close(x.total_amount, y.total_amount)
                && close(x.co2e, y.co2e)
        });
    let months_agree = a.by_month.len() == b.by_month.len()
        && a.by_month.iter().zip(&b.by_month).all(|(x, y)| {
            x.month == y.month
                && x.usage_count == y.usage_count
                && close(x.co2e, y.co2e)
                && x.by_type.len() == y.by_type.len()
        });
    let categories_agree = a.by_scope3_category.len() == b.by_scope3_category.len()
        && a.by_scope3_category
            .iter()
            .zip(&b.by_scope3_category)
            .all(|(x, y)| {
                x.category == y.category && x.usage_count == y.usage_count && close(x.co2e, y.co2e)
            });
    let scopes_agree = a.by_scope.len() == b.by_scope.len()
        && a.by_scope.iter().zip(&b.by_scope).all(|(x, y)| {
            x.scope == y.scope && x.usage_count == y.usage_count && close(x.co2e, y.co2e)
        });
    if types_agree && months_agree && scopes_agree && categories_agree {
        Ok(())
    } else {
        differ()
    }
}

#[test]
fn after_any_writes_rollups_equal_the_usages_and_the_summary_the_full_aggregation() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(spawn_app());
    runtime.block_on(app.seed_epa());
    let mut runner = TestRunner::new(Config {
        cases: 64,
        // Each case writes to the database: shrinking replays many of them.
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        proptest::collection::vec(op(), 1..14),
        proptest::collection::vec(window(), 6),
    );
    let outcome = runner.run(&strategy, |(ops, windows)| {
        runtime.block_on(async {
            let user = UserId::new();
            let mut ids = Vec::new();
            for op in &ops {
                apply(&app, user, &mut ids, op).await;
            }
            let report = rollups::verify(&app.database, false).await.unwrap();
            if !report.is_clean() {
                return Err(TestCaseError::fail(format!(
                    "rollups differ from the usages: {:#?} {:#?}",
                    report.cell_differences, report.count_differences
                )));
            }
            for (from, to, type_id, gwp) in windows {
                let filter = UsageFilter {
                    usage_type_id: type_id.map(type_id_of),
                    from,
                    to,
                    ..UsageFilter::default()
                };
                let served = app
                    .usages()
                    .summary(common::ids::OrgId::personal(user), &filter, gwp)
                    .await
                    .unwrap();
                let expected = full_aggregation(&app, user, &filter, gwp).await;
                same(&served, &expected).map_err(TestCaseError::fail)?;
            }
            Ok(())
        })
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

fn type_id_of(id: i64) -> carbon_service::domain::ids::UsageTypeId {
    type_id(id)
}
