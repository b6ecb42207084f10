//! `/gwp-sets`: the GWP sets a summary can weigh the gases under (public),
//! so that no client keeps its own copy of the list.

use actix_web::HttpResponse;
use actix_web::http::header;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::gwp::{Gas, GwpSet};

/// `/gwp-sets`.
pub fn routes() -> common::routes::RouteTable {
    common::routes![list_gwp_sets]
}

/// One IPCC assessment report's 100-year GWPs.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "AR5", "name": "IPCC AR5 (2013), the EPA Hub's", "default": true, "ch4": 28.0, "n2o": 265.0, "ch4_fossil": 30.0,
    "source": "IPCC (2013), WG I, Chapter 8, Table 8.7 (without climate-carbon feedbacks), as tabulated by the GHG Protocol (v2.0, August 2024)"}))]
pub struct GwpSetResponse {
    /// What `GET /usages/summary?gwp=` takes.
    pub id: &'static str,
    pub name: &'static str,
    /// The set a summary uses when none is asked for.
    pub default: bool,
    /// kg CO₂e per kg of CH₄.
    pub ch4: f64,
    /// kg CO₂e per kg of N₂O.
    pub n2o: f64,
    /// kg CO₂e per kg of fossil CH₄ (fugitive releases): AR6 29.8 (Table
    /// 7.15), AR5 30 (Table 8.A.1), AR4 25 (one value for all methane).
    pub ch4_fossil: f64,
    /// Where the values come from. Fluorinated gases have their own GWPs in
    /// each set.
    pub source: &'static str,
}

/// List GWP sets
///
/// Public. The sets `GET /usages/summary` can weigh the gases under, the
/// default first.
#[utoipa::path(get, path = "/gwp-sets", tag = "usages",
    responses((status = 200, description = "Every GWP set, the default first", body = [GwpSetResponse])))]
pub async fn list_gwp_sets() -> HttpResponse {
    let mut sets: Vec<GwpSet> = GwpSet::ALL.to_vec();
    sets.sort_by_key(|set| *set != GwpSet::default());
    let body: Vec<GwpSetResponse> = sets
        .into_iter()
        .map(|set| GwpSetResponse {
            id: set.as_str(),
            name: set.name(),
            default: set == GwpSet::default(),
            ch4: set.gwp(Gas::Ch4),
            n2o: set.gwp(Gas::N2o),
            ch4_fossil: set.ch4_fossil_gwp(),
            source: set.source(),
        })
        .collect();
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .json(body)
}
