//! The footprint summary.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "from": "2026-01-01T00:00:00Z",
    "to": null,
    "usage_count": 3,
    "total_co2e": 207.68,
    "by_type": [
        {"usage_type_id": 100, "name": "electricity", "unit": "kwh", "usage_count": 2, "total_amount": 120.0, "co2e": 180.0},
        {"usage_type_id": 101, "name": "water", "unit": "kg", "usage_count": 1, "total_amount": 1.028, "co2e": 27.68}
    ],
    "by_month": [{"month": "2026-10", "usage_count": 1, "co2e": 90.0}, {"month": "2026-11", "usage_count": 2, "co2e": 117.68}]
}))]
pub struct Summary {
    /// The window's start (inclusive), as given.
    pub from: Option<DateTime<Utc>>,
    /// The window's end (exclusive), as given.
    pub to: Option<DateTime<Utc>>,
    pub usage_count: u64,
    /// kg CO₂e.
    pub total_co2e: f64,
    /// Ordered by usage type id.
    pub by_type: Vec<TypeTotal>,
    /// Ordered by month (UTC).
    pub by_month: Vec<MonthTotal>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TypeTotal {
    pub usage_type_id: i64,
    pub name: String,
    pub unit: String,
    pub usage_count: u64,
    /// In the type's unit.
    pub total_amount: f64,
    /// kg CO₂e.
    pub co2e: f64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MonthTotal {
    /// `YYYY-MM`.
    pub month: String,
    pub usage_count: u64,
    pub co2e: f64,
}
