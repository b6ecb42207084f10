//! `/datasets`: where the factors come from (public).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use common::error::{ApiError, ProblemDetails};
use serde::Serialize;
use utoipa::ToSchema;

use crate::context::AppContext;
use crate::domain::dataset::{Dataset, DatasetId};
use common::validation::Invalid;

/// A factor dataset.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Dataset, example = json!({"id": "epa-ghg-hub-2025", "name": "GHG Emission Factors Hub",
    "publisher": "U.S. Environmental Protection Agency", "edition": "2025", "published": "2025-01",
    "licence": "Public domain (a work of the U.S. federal government)",
    "url": "https://www.epa.gov/climateleadership/ghg-emission-factors-hub", "gwp_basis": "AR5",
    "notes": ["Emission factors from 40 CFR Part 98 and eGRID2023, as published by EPA in January 2025."],
    "illustrative": false, "retired": false, "private": false}))]
pub struct DatasetResponse {
    /// Lower-case letters, digits and dashes.
    pub id: String,
    pub name: String,
    pub publisher: String,
    /// The edition or year.
    pub edition: String,
    /// When it was published (`YYYY-MM` or a date).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub published: Option<String>,
    pub licence: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub url: Option<String>,
    /// The GWP set (AR4, AR5 or AR6) its types' `factor` uses.
    pub gwp_basis: String,
    /// How it was transcribed, what was left out and why.
    pub notes: Vec<String>,
    /// Placeholder figures: not for reporting.
    pub illustrative: bool,
    /// Retired: its types take no new usages; existing usages keep them.
    pub retired: bool,
    /// This deployment's own (`custom`, or uploaded by a superuser).
    pub private: bool,
}

impl From<&Dataset> for DatasetResponse {
    fn from(d: &Dataset) -> Self {
        Self {
            id: d.id.to_string(),
            name: d.name.clone(),
            publisher: d.publisher.clone(),
            edition: d.edition.clone(),
            published: d.published.clone(),
            licence: d.licence.clone(),
            url: d.url.clone(),
            gwp_basis: d.gwp_basis.as_str().to_owned(),
            notes: d.notes.clone(),
            illustrative: d.illustrative,
            retired: d.retired,
            private: d.private,
        }
    }
}

/// List factor datasets
///
/// Public. Every dataset, retired ones included, by id.
#[utoipa::path(get, path = "/datasets", tag = "datasets",
    responses((status = 200, description = "Every dataset", body = [DatasetResponse])))]
#[tracing::instrument(skip_all)]
pub async fn list_datasets(ctx: web::Data<AppContext>) -> Result<HttpResponse, ApiError> {
    let all = ctx.datasets().list().await?;
    let body: Vec<DatasetResponse> = all.iter().map(DatasetResponse::from).collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=30"))
        .json(body))
}

/// Get a factor dataset
#[utoipa::path(get, path = "/datasets/{id}", tag = "datasets",
    params(("id" = String, Path, description = "The dataset's id", example = "epa-ghg-hub-2025")),
    responses(
        (status = 200, description = "The dataset", body = DatasetResponse),
        (status = 404, description = "No such dataset", body = ProblemDetails),
    ))]
#[tracing::instrument(skip(ctx))]
pub async fn get_dataset(
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = DatasetId::parse("id", &id).map_err(Invalid::from)?;
    let found = ctx.datasets().get(&id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=30"))
        .json(DatasetResponse::from(&found)))
}
