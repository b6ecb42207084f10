//! `/units`: the units a usage may be recorded in, by dimension (public).

use actix_web::HttpResponse;
use actix_web::http::header;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::units::{Dimension, Unit};

/// `/units`.
pub fn routes() -> common::routes::RouteTable {
    common::routes![list_units]
}

/// One unit.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "mmBtu", "name": "million Btu", "size": 1055055852.62}))]
pub struct UnitResponse {
    /// What a request and the CSV import take (any case).
    pub code: &'static str,
    pub name: &'static str,
    /// Its size in the dimension's base unit (exact definitions: SI and
    /// NIST SP 811).
    pub size: f64,
}

/// The units of one dimension; any of them converts to any other.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"dimension": "energy", "base": "J", "units": [{"code": "kWh", "name": "kilowatt hour", "size": 3600000.0}]}))]
pub struct DimensionResponse {
    /// `energy`, `volume`, `mass`, `distance`, `vehicle_distance`,
    /// `passenger_distance` or `freight_distance`.
    pub dimension: &'static str,
    /// The unit `size` is given in.
    pub base: &'static str,
    pub units: Vec<UnitResponse>,
}

/// List units
///
/// Public. A usage may be recorded in any unit of its type's dimension
/// (`unit_dimension` of the type); it is converted exactly to the factor's
/// unit.
#[utoipa::path(get, path = "/units", tag = "types",
    responses((status = 200, description = "Every dimension and its units", body = [DimensionResponse])))]
pub async fn list_units() -> HttpResponse {
    let body: Vec<DimensionResponse> = Dimension::ALL
        .iter()
        .map(|&dimension| DimensionResponse {
            dimension: dimension.as_str(),
            base: dimension.base(),
            units: Unit::of(dimension)
                .map(|unit| UnitResponse {
                    code: unit.code(),
                    name: unit.name(),
                    size: unit.def().numerator as f64 / unit.def().denominator as f64,
                })
                .collect(),
        })
        .collect();
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .json(body)
}
