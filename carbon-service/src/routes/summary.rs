//! `/usages/summary`: the caller's footprint, computed in the database.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use common::auth::AuthenticatedUser;
use common::error::{ApiError, ProblemDetails};
use common::extract::Query;
use mongodb::Database;
use serde::Deserialize;
use utoipa::IntoParams;

use super::usages::parse_window;
use crate::domain::summary::{MonthTotal, Summary, TypeTotal};
use crate::storage::usages;
use crate::type_cache::UsageTypeCache;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// RFC 3339; `usage_at` ≥ from.
    #[param(example = "2026-01-01T00:00:00Z", format = DateTime)]
    pub from: Option<String>,
    /// RFC 3339; `usage_at` < to.
    #[param(example = "2027-01-01T00:00:00Z", format = DateTime)]
    pub to: Option<String>,
}

/// My footprint
///
/// Totals of the caller's usages in the window: overall, per usage type
/// and per month (UTC).
#[utoipa::path(get, path = "/usages/summary", tag = "usages",
    security(("oauth2_password" = [])),
    params(SummaryQuery),
    responses(
        (status = 200, description = "The footprint", body = Summary),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid window", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn get_summary(
    caller: AuthenticatedUser,
    db: web::Data<Database>,
    cache: web::Data<UsageTypeCache>,
    Query(query): Query<SummaryQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = parse_window(query.from.as_deref(), query.to.as_deref())?;
    let user_id = caller.id.to_string();
    let cells = usages::totals_per_cell(&db, &user_id, &filter).await?;
    let types = cache.all(&db).await?;

    let mut by_type: BTreeMap<i64, TypeTotal> = BTreeMap::new();
    let mut by_month: BTreeMap<String, MonthTotal> = BTreeMap::new();
    for cell in &cells {
        let line = by_type
            .entry(cell.usage_type_id)
            .or_insert_with(|| TypeTotal {
                usage_type_id: cell.usage_type_id,
                name: String::new(),
                unit: String::new(),
                usage_count: 0,
                total_amount: 0.0,
                co2e: 0.0,
            });
        line.usage_count += cell.usage_count;
        line.total_amount += cell.total_amount;
        line.co2e += cell.co2e;
        let month = by_month
            .entry(cell.month.clone())
            .or_insert_with(|| MonthTotal {
                month: cell.month.clone(),
                usage_count: 0,
                co2e: 0.0,
            });
        month.usage_count += cell.usage_count;
        month.co2e += cell.co2e;
    }
    for line in by_type.values_mut() {
        // Labels are the type's current ones; a type can't be deleted while
        // usages reference it, but fall back to a snapshot all the same.
        if let Some(t) = types.iter().find(|t| t.id == line.usage_type_id) {
            (line.name, line.unit) = (t.name.clone(), t.unit.clone());
        } else if let Some(u) = usages::latest_snapshot(&db, &user_id, line.usage_type_id).await? {
            (line.name, line.unit) = (u.usage_type.name, u.usage_type.unit);
        }
    }
    let by_type: Vec<TypeTotal> = by_type.into_values().collect();
    Ok(HttpResponse::Ok().json(Summary {
        from: filter.from,
        to: filter.to,
        usage_count: by_type.iter().map(|t| t.usage_count).sum(),
        total_co2e: by_type.iter().map(|t| t.co2e).sum(),
        by_type,
        by_month: by_month.into_values().collect(),
    }))
}
