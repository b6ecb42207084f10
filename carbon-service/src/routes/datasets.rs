//! `/datasets`: where the factors come from (public reads), and a
//! superuser's private datasets (upload, retirement).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use std::future::Ready;

use actix_web::FromRequest;
use actix_web::dev::Payload;
use common::audit::Author;
use common::auth::{AuthenticatedUser, OptionalUser};
use common::error::{ApiError, ProblemDetails};
use common::extract::Query;
use common::org::Capability;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::context::AppContext;
use crate::domain::dataset::{Dataset, DatasetFields, DatasetId};
use crate::service::datasets::Publisher;

/// Whose a dataset upload or retirement is: a superuser's is the
/// deployment's; an organization's admin's or owner's the organization's;
/// any other role's is 403 before the body is read.
pub struct Publishing(pub Publisher, pub AuthenticatedUser, pub Author);

impl FromRequest for Publishing {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        super::limited::authored(req, payload, |caller, author| {
            if caller.superuser {
                return Ok(Self(Publisher::Deployment(caller.id), caller, author));
            }
            caller.require(Capability::ManageInventory)?;
            let publisher = Publisher::Organization {
                org: caller.org,
                by: caller.id,
            };
            Ok(Self(publisher, caller, author))
        })
    }
}
use common::validation::Invalid;

/// `/datasets`: the factor library's sources.
pub fn routes() -> common::routes::RouteTable {
    common::routes![list_datasets, upload_dataset, get_dataset, retire_dataset]
}

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
    /// This deployment's own (`custom`, or uploaded by a superuser), or
    /// an organization's.
    pub private: bool,
    /// The organization whose own it is (only its members see it); absent:
    /// the deployment's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<common::ids::OrgId>, nullable = false)]
    pub org_id: Option<String>,
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
            org_id: d.org_id.map(|o| o.to_string()),
        }
    }
}

/// List factor datasets
///
/// Every dataset, retired ones included, by id. Published datasets are
/// public; private ones (`custom`, uploads) are listed only with a bearer
/// token, and such an answer is `Cache-Control: private, no-store`.
#[utoipa::path(get, path = "/datasets", tag = "datasets",
    security((), ("oauth2_password" = [])),
    responses(
        (status = 200, description = "Every dataset the caller may see", body = [DatasetResponse]),
        (status = 401, description = "A bearer token was sent but is invalid or expired", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all)]
pub async fn list_datasets(
    caller: OptionalUser,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, ApiError> {
    let viewer = super::viewer(&caller);
    let all = ctx.datasets().list(viewer).await?;
    let body: Vec<DatasetResponse> = all.iter().map(DatasetResponse::from).collect();
    Ok(super::factor_caching(&mut HttpResponse::Ok(), viewer).json(body))
}

/// Get a factor dataset
///
/// A private dataset is found only with a bearer token (else 404).
#[utoipa::path(get, path = "/datasets/{id}", tag = "datasets",
    security((), ("oauth2_password" = [])),
    params(("id" = String, Path, description = "The dataset's id", example = "epa-ghg-hub-2025", pattern = "^[a-z0-9][a-z0-9-]{1,63}$")),
    responses(
        (status = 200, description = "The dataset", body = DatasetResponse),
        (status = 401, description = "A bearer token was sent but is invalid or expired", body = ProblemDetails),
        (status = 404, description = "No such dataset, or a private one and no token", body = ProblemDetails),
    ))]
#[tracing::instrument(skip(ctx, caller))]
pub async fn get_dataset(
    caller: OptionalUser,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let viewer = super::viewer(&caller);
    let id = DatasetId::parse("id", &id).map_err(Invalid::from)?;
    let found = ctx.datasets().get(viewer, &id).await?;
    Ok(super::factor_caching(&mut HttpResponse::Ok(), viewer).json(DatasetResponse::from(&found)))
}

/// A new private dataset's metadata, as query parameters of the upload.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// 2 to 64 lower-case letters, digits and dashes.
    #[param(example = "acme-suppliers-2026", pattern = "^[a-z0-9][a-z0-9-]{1,63}$")]
    pub id: String,
    #[param(example = "ACME supplier factors")]
    pub name: String,
    #[param(example = "ACME Corp. procurement")]
    pub publisher: String,
    /// The edition or year.
    #[param(example = "2026")]
    pub edition: String,
    #[param(example = "Proprietary; internal use")]
    pub licence: String,
    /// The GWP set (AR4, AR5 or AR6) that turns the gases into each type's
    /// `factor`.
    #[param(value_type = crate::domain::gwp::GwpSet, example = "AR6")]
    pub gwp_basis: String,
    /// When it was published (`YYYY-MM` or a date).
    pub published: Option<String>,
    /// An http(s) URL where it is described.
    pub url: Option<String>,
    /// One note: where the factors come from, what they cover.
    pub notes: Option<String>,
}

/// What an upload stored.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"dataset": {"id": "acme-suppliers-2026", "name": "ACME supplier factors", "publisher": "ACME Corp. procurement",
    "edition": "2026", "licence": "Proprietary; internal use", "gwp_basis": "AR6", "notes": [], "illustrative": false,
    "retired": false, "private": true}, "types": 2}))]
pub struct UploadResult {
    pub dataset: DatasetResponse,
    /// How many usage types were stored.
    pub types: usize,
}

/// Upload a private dataset
///
/// A superuser's is the deployment's: every signed-in user sees it. An
/// organization's admin's or owner's is the organization's own: only its
/// members see it and its types; its id is the one given followed by the
/// organization's first 12 hexadecimal digits, and its types get their ids
/// from the server (from 1,000,000,000; an `id` column is ignored: read
/// them back with `GET /types?dataset=`). Other roles: 403.
///
/// A `text/csv` body (at most 5 MiB and 10,000 rows) with one usage type
/// per row, and the dataset's metadata as query parameters. Columns (a
/// header names them, any order): `id,name,unit,scope` and at least one of
/// `co2,ch4,n2o` (kg per unit; a blank cell is a gas the factor does not
/// give), optionally `category,scope3_category,region,source,source_year`.
/// Cells are separated by `,`, or by `;` when the header has no `,` (then
/// `0,001` is 0.001); a row of empty cells is skipped and keeps its number.
/// All or nothing: any invalid row (or a type id that exists) is 422 with
/// one `errors` entry per problem, `{row, field, message}`, and nothing is
/// stored; else the dataset and its types are stored in one transaction.
#[utoipa::path(post, path = "/datasets", tag = "datasets",
    security(("oauth2_password" = [])),
    params(UploadQuery),
    request_body(content = String, content_type = "text/csv",
        example = "id,name,unit,scope,co2,ch4,n2o,category,source\n9001,Steam from the ACME plant,GJ,2,60.2,0.0011,0.00011,purchased_heat,ACME 2026 supplier declaration\n"),
    responses(
        (status = 201, description = "Stored", body = UploadResult),
        (status = 403, description = "Neither a superuser nor an admin or owner of the token's organization", body = ProblemDetails),
        (status = 409, description = "A dataset with this id exists", body = ProblemDetails),
        (status = 413, description = "Over 5 MiB or 10,000 rows", body = ProblemDetails),
        (status = 415, description = "Not text/csv", body = ProblemDetails),
        (status = 422, description = "Invalid metadata or rows (each named), a type id that exists; nothing stored", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all)]
pub async fn upload_dataset(
    Publishing(publisher, _, author): Publishing,
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    Query(query): Query<UploadQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    super::require_csv(&req, "upload")?;
    let body = super::read_body(payload, crate::domain::usage_csv::MAX_IMPORT_BYTES).await?;
    let fields = DatasetFields {
        id: query.id,
        name: query.name,
        publisher: query.publisher,
        edition: query.edition,
        published: query.published,
        licence: query.licence,
        url: query.url,
        gwp_basis: query.gwp_basis,
        notes: query.notes.into_iter().collect(),
        illustrative: false,
    };
    let (dataset, types) = ctx
        .datasets()
        .upload(&fields, &body, publisher, &author)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/datasets/{}", dataset.id)))
        .json(UploadResult {
            dataset: DatasetResponse::from(&dataset),
            types,
        }))
}

/// Retire a dataset
///
/// A superuser retires the deployment's datasets; an organization's admin
/// or owner only the organization's own (another's is 404).
///
/// Its types take no new usages (422 naming `usage_type_id`) and leave the
/// type list unless `include_retired=true`; usages recorded with them keep
/// their factors. Repeating it changes nothing. Needs a login within the
/// last five minutes.
#[utoipa::path(post, path = "/datasets/{id}/retire", tag = "datasets",
    security(("oauth2_password" = [])),
    params(("id" = String, Path, description = "The dataset's id", example = "acme-suppliers-2026", pattern = "^[a-z0-9][a-z0-9-]{1,63}$")),
    responses(
        (status = 200, description = "Retired", body = DatasetResponse),
        (status = 401, description = "Missing or invalid token, or a login older than five minutes (WWW-Authenticate: Bearer error=\"insufficient_user_authentication\", max_age=300)", body = ProblemDetails),
        (status = 403, description = "Neither a superuser nor an admin or owner of the token's organization", body = ProblemDetails),
        (status = 404, description = "No such dataset of the caller's to retire", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all)]
pub async fn retire_dataset(
    Publishing(publisher, caller, author): Publishing,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = DatasetId::parse("id", &id).map_err(Invalid::from)?;
    caller.require_fresh_login()?;
    let retired = ctx.datasets().retire(&id, publisher, &author).await?;
    Ok(HttpResponse::Ok().json(DatasetResponse::from(&retired)))
}
