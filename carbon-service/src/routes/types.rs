//! `/types`: public reads, superuser writes.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use common::auth::{OptionalUser, Superuser};
use common::error::{ApiError, ProblemDetails};
use common::extract::{Json, Query};
use common::pagination::{PageQuery, with_total_count};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::type_input::usage_type_input;
use crate::context::AppContext;
use crate::domain::dataset::DatasetId;
use crate::domain::figures::{shown, shown_opt};
use crate::domain::gwp::Gases;
use crate::domain::ids::UsageTypeId;
use crate::domain::usage_type::{Scope, UsageType, UsageTypeFields};
use crate::service::types::TypeFilter;
use common::validation::{FieldError, Invalid};

/// `/types`: usage types and their factors.
pub fn routes() -> common::routes::RouteTable {
    common::routes![list_types, create_type, get_type, update_type, delete_type]
}

/// kg of each greenhouse gas (per unit of activity, or emitted).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"co2": 53.06, "ch4": 0.001, "n2o": 0.0001}))]
pub struct GasesBody {
    /// kg CO₂.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub co2: Option<f64>,
    /// kg CH₄.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub ch4: Option<f64>,
    /// kg fossil CH₄ (fugitive releases from gas systems and coal), weighed
    /// by its own GWP (AR6 29.8, AR5 30, AR4 25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub ch4_fossil: Option<f64>,
    /// kg N₂O.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub n2o: Option<f64>,
    /// kg biogenic CO₂ (biomass, biofuels): a memo outside the scopes,
    /// never in any CO₂e.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub biogenic_co2: Option<f64>,
    /// kg CO₂e of a factor that gives no gases, only its CO₂e (the example
    /// dataset, types entered with a `factor` alone): the same under every
    /// GWP set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub other_co2e: Option<f64>,
    /// kg of each fluorinated gas (HFCs, PFCs, SF₆, NF₃) by its code, each
    /// weighed by its own GWP (see `GET /units` for none: these are masses).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(example = json!({"HFC-134a": 1.0}))]
    pub fgases: BTreeMap<String, f64>,
}

impl From<Gases> for GasesBody {
    fn from(g: Gases) -> Self {
        Self {
            co2: shown_opt(g.co2),
            ch4: shown_opt(g.ch4),
            ch4_fossil: shown_opt(g.ch4_fossil),
            n2o: shown_opt(g.n2o),
            biogenic_co2: shown_opt(g.biogenic_co2),
            other_co2e: shown_opt(g.other_co2e),
            fgases: g
                .fgases
                .into_iter()
                .map(|(code, kg)| (code, shown(kg)))
                .collect(),
        }
    }
}

/// A usage type as every endpoint shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = UsageType, example = json!({"id": 20000, "name": "Electricity, US average grid", "unit": "MWh",
    "unit_dimension": "energy", "factor": 351.64249532692, "gases": {"co2": 349.95694608, "ch4": 0.02585476509, "n2o": 0.00362873896},
    "gwp_basis": "AR5", "dataset": "epa-ghg-hub-2025", "category": "purchased_electricity", "scope": 2, "region": "US",
    "source": "EPA GHG Emission Factors Hub 2025, Table 6 Electricity, eGRID2023 total output emission rates (lb per MWh), location-based",
    "factor_basis": "location_based", "gases_covered": ["co2", "ch4", "n2o"], "illustrative": false, "retired": false}))]
pub struct UsageTypeResponse {
    pub id: UsageTypeId,
    #[schema(min_length = 1, max_length = 128)]
    pub name: String,
    /// The unit of the factor. A usage may be recorded in any unit of the
    /// same dimension (see `GET /units`).
    #[schema(min_length = 1, max_length = 128)]
    pub unit: String,
    /// The dimension of `unit` (`energy`, `volume`...), absent for a unit
    /// the service does not convert (then a usage takes that unit only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "energy")]
    pub unit_dimension: Option<String>,
    /// kg CO₂e per unit under `gwp_basis`.
    #[schema(minimum = 0)]
    pub factor: f64,
    /// kg of each gas per unit.
    pub gases: GasesBody,
    /// The GWP set of `factor` (its dataset's): AR4, AR5 or AR6.
    #[schema(example = "AR5")]
    pub gwp_basis: String,
    /// The dataset the factor belongs to (see `GET /datasets`).
    #[schema(example = "epa-ghg-hub-2025")]
    pub dataset: String,
    /// What kind of activity: `stationary_combustion`, `mobile_combustion`,
    /// `purchased_electricity`, `upstream_transportation`,
    /// `business_travel`... (`uncategorized` for types from before).
    #[schema(example = "purchased_electricity")]
    pub category: String,
    /// GHG Protocol scope: 1 direct, 2 purchased energy, 3 other indirect.
    #[schema(value_type = u8, minimum = 1, maximum = 3)]
    pub scope: Scope,
    /// The GHG Protocol scope 3 category (1 to 15), for a scope 3 type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 15, nullable = false)]
    pub scope3_category: Option<u8>,
    /// Every scope 3 category its usages may be reported under, the
    /// default first (freight: `[4, 9]`); empty outside scope 3.
    #[serde(default)]
    pub scope3_categories: Vec<u8>,
    /// Where the factor comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 256, nullable = false)]
    pub source: Option<String>,
    /// The year the factor applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1900, maximum = 2100, nullable = false)]
    pub source_year: Option<i32>,
    /// An ISO 3166-1 alpha-2 code, an eGRID subregion (`US-eGRID-CAMX`) or
    /// free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 128, nullable = false)]
    pub region: Option<String>,
    /// The gases the factor gives, machine-readable: a Table 2 fuel's is
    /// `["co2"]` (its CH₄ and N₂O are the vehicle types'), a factor given
    /// as CO₂e alone `["co2e"]`.
    #[serde(default)]
    #[schema(example = json!(["co2", "ch4", "n2o"]))]
    pub gases_covered: Vec<String>,
    /// Scope 2: a grid average (`location_based`) or a residual mix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub factor_basis: Option<crate::domain::usage_type::FactorBasis>,
    /// The type (of an earlier edition or another dataset) this one
    /// replaces, for restatements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces_type_id: Option<UsageTypeId>,
    /// Its dataset holds placeholder figures: not for reporting.
    pub illustrative: bool,
    /// Its dataset is retired: no new usages of it.
    pub retired: bool,
}

impl From<&UsageType> for UsageTypeResponse {
    fn from(t: &UsageType) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            unit: t.unit.clone(),
            unit_dimension: t.unit_dimension().map(|d| d.as_str().to_owned()),
            factor: shown(t.factor),
            gases: t.gases.clone().into(),
            gwp_basis: t.gwp_basis.as_str().to_owned(),
            dataset: t.dataset.to_string(),
            category: t.category.clone(),
            scope: t.scope,
            scope3_category: t.scope3_category,
            scope3_categories: t.scope3_categories.clone(),
            source: t.source.clone(),
            source_year: t.source_year,
            region: t.region.clone(),
            factor_basis: t.factor_basis,
            replaces_type_id: t.replaces_type_id,
            gases_covered: gases_covered(&t.gases),
            illustrative: t.illustrative,
            retired: t.retired,
        }
    }
}

/// The gases `gases` gives, in reporting order.
fn gases_covered(gases: &Gases) -> Vec<String> {
    [
        ("co2", gases.co2),
        ("biogenic_co2", gases.biogenic_co2),
        ("ch4", gases.ch4),
        ("ch4_fossil", gases.ch4_fossil),
        ("n2o", gases.n2o),
        ("co2e", gases.other_co2e),
    ]
    .into_iter()
    .filter_map(|(name, kg)| kg.map(|_| name.to_owned()))
    .chain(gases.fgases.keys().cloned())
    .collect()
}

usage_type_input! {
    /// The body of `POST /types`: give `gases` (kg of each gas per unit) or,
    /// for a factor whose gases are unknown, `factor` (kg CO₂e per unit).
    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    #[schema(example = json!({"id": 105, "name": "Diesel, supplier declaration", "unit": "l",
        "gases": {"co2": 2.68, "ch4": 0.0001, "n2o": 0.00002}, "scope": 1, "category": "stationary_combustion",
        "source": "Supplier's fuel declaration", "source_year": 2025, "region": "FR"}))]
    pub struct CreateUsageTypeRequest {
        /// A positive integer, unique.
        #[serde(deserialize_with = "common::extract::integer")]
        #[schema(value_type = UsageTypeId)]
        pub id: i64,
        /// The dataset, one a superuser may write to (default `custom`).
        #[serde(default)]
        #[schema(example = "custom", pattern = "^[a-z0-9][a-z0-9-]{1,63}$")]
        pub dataset: Option<String>,
    }
}

impl CreateUsageTypeRequest {
    /// The id, the dataset, and the fields as a replace would give them.
    pub fn into_parts(self) -> (i64, Option<String>, UsageTypeFields) {
        (self.id, self.dataset.clone(), UsageTypeFields::from(self))
    }
}

usage_type_input! {
    /// The body of `PUT /types/{id}`: every field but the id and the dataset (a
    /// replacement: an optional field left out is removed).
    #[derive(Debug, Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    #[schema(as = UsageTypeFields, example = json!({"name": "Diesel, supplier declaration", "unit": "l",
        "gases": {"co2": 2.66}, "scope": 1, "category": "stationary_combustion"}))]
    pub struct UsageTypeFieldsBody {}
}

/// Which types `GET /types` lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TypeFilterQuery {
    /// Only this dataset's types (`epa-ghg-hub-2025`, say).
    #[param(pattern = "^[a-z0-9][a-z0-9-]{1,63}$")]
    pub dataset: Option<String>,
    /// Only this category (`purchased_electricity`, say).
    pub category: Option<String>,
    /// Only this GHG Protocol scope (1, 2 or 3).
    #[param(minimum = 1, maximum = 3)]
    pub scope: Option<i64>,
    /// Only this region (exact, ignoring case; `US`, say).
    pub region: Option<String>,
    /// Only types whose name contains this text (ignoring case; `natural
    /// gas`, say).
    pub q: Option<String>,
    /// Also the types of retired datasets (default false).
    pub include_retired: Option<bool>,
}

impl TypeFilterQuery {
    fn parse(self) -> Result<TypeFilter, Invalid> {
        let mut errors = Vec::new();
        let dataset = self
            .dataset
            .as_deref()
            .map(|d| DatasetId::parse("dataset", d))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let scope = self
            .scope
            .map(Scope::parse)
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let q = self
            .q
            .map(|q| q.trim().to_lowercase())
            .filter(|q| !q.is_empty());
        if q.as_ref().is_some_and(|q| q.chars().count() > 100) {
            errors.push(FieldError::new("q", "must be at most 100 characters"));
        }
        Invalid::check(errors)?;
        Ok(TypeFilter {
            dataset,
            category: self.category.map(|c| c.trim().to_owned()),
            scope,
            region: self.region.map(|r| r.trim().to_owned()),
            q,
            include_retired: self.include_retired.unwrap_or(false),
        })
    }
}

fn path_id(raw: &str) -> Result<UsageTypeId, ApiError> {
    Ok(UsageTypeId::parse_text("id", raw).map_err(common::Invalid::from)?)
}

/// List usage types
///
/// Published datasets' types are public; the types of private datasets
/// (`custom`, uploads) are listed only with a bearer token, and such an
/// answer is `Cache-Control: private, no-store`. Ordered by id; `X-Total-Count` carries the number of types that
/// match. Filter by dataset, category, scope, region and a text in the
/// name; the types of retired datasets only with `include_retired=true`.
#[utoipa::path(get, path = "/types", tag = "types",
    security((), ("oauth2_password" = [])),
    params(TypeFilterQuery, PageQuery),
    responses(
        (status = 200, description = "A page of usage types", body = [UsageTypeResponse],
            headers(("X-Total-Count" = u64, description = "Total number of matching types"))),
        (status = 401, description = "A bearer token was sent but is invalid or expired", body = ProblemDetails),
        (status = 422, description = "limit or offset out of range, a malformed dataset id, a scope other than 1 to 3", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all)]
pub async fn list_types(
    caller: OptionalUser,
    ctx: web::Data<AppContext>,
    Query(query): Query<PageQuery>,
    Query(filter): Query<TypeFilterQuery>,
) -> Result<HttpResponse, ApiError> {
    let viewer = super::viewer(&caller);
    let (page, filter) = common::validation::both(query.parse(), filter.parse())?;
    let page = ctx.types().list(viewer, &filter, page).await?;
    let body: Vec<UsageTypeResponse> = page.types.iter().map(UsageTypeResponse::from).collect();
    let mut response = HttpResponse::Ok();
    with_total_count(&mut response, page.total);
    Ok(super::factor_caching(&mut response, viewer).json(body))
}

/// Get a usage type
///
/// A private dataset's type is found only with a bearer token (else 404).
#[utoipa::path(get, path = "/types/{id}", tag = "types",
    security((), ("oauth2_password" = [])),
    params(("id" = UsageTypeId, Path, description = "The type's id")),
    responses(
        (status = 200, description = "The type", body = UsageTypeResponse),
        (status = 401, description = "A bearer token was sent but is invalid or expired", body = ProblemDetails),
        (status = 404, description = "No such type, or a private one and no token", body = ProblemDetails),
    ))]
#[tracing::instrument(skip(ctx, caller))]
pub async fn get_type(
    caller: OptionalUser,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let viewer = super::viewer(&caller);
    let found = ctx.types().get(viewer, path_id(&id)?).await?;
    Ok(
        super::factor_caching(&mut HttpResponse::Ok(), viewer)
            .json(UsageTypeResponse::from(&found)),
    )
}

/// Create a usage type (superuser)
#[utoipa::path(post, path = "/types", tag = "types",
    security(("oauth2_password" = [])),
    extensions(("x-superuser" = json!(true))),
    request_body = CreateUsageTypeRequest,
    responses(
        (status = 201, description = "Created", body = UsageTypeResponse),
        (status = 409, description = "A type with this id exists, or the dataset is published (read-only) or retired", body = ProblemDetails),
        (status = 422, description = "Invalid fields (every one named), gases and a factor together, an unknown dataset", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(by = %caller.id))]
pub async fn create_type(
    Superuser(caller): Superuser,
    ctx: web::Data<AppContext>,
    Json(body): Json<CreateUsageTypeRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, dataset, fields) = body.into_parts();
    let dataset = match dataset {
        Some(raw) => DatasetId::parse("dataset", &raw).map_err(Invalid::from)?,
        None => DatasetId::custom(),
    };
    let created = ctx.types().create(id, &dataset, &fields, caller.id).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/types/{}", created.id)))
        .json(UsageTypeResponse::from(&created)))
}

/// Update a usage type (superuser)
///
/// Replaces every field but the id and the dataset (an optional field left
/// out is removed). Existing usages keep the snapshot they were recorded
/// with. Only types of writable datasets (`custom` and uploaded ones).
#[utoipa::path(put, path = "/types/{id}", tag = "types",
    security(("oauth2_password" = [])),
    extensions(("x-superuser" = json!(true))),
    params(("id" = UsageTypeId, Path, description = "The type's id")),
    request_body = UsageTypeFieldsBody,
    responses(
        (status = 200, description = "Updated", body = UsageTypeResponse),
        (status = 404, description = "No such type", body = ProblemDetails),
        (status = 409, description = "The type's dataset is published (read-only) or retired, or the unit would change while usages of the type exist", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(by = %caller.id))]
pub async fn update_type(
    Superuser(caller): Superuser,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
    Json(body): Json<UsageTypeFieldsBody>,
) -> Result<HttpResponse, ApiError> {
    let updated = ctx
        .types()
        .replace(path_id(&id)?, &body.into(), caller.id)
        .await?;
    Ok(HttpResponse::Ok().json(UsageTypeResponse::from(&updated)))
}

/// Delete a usage type (superuser)
///
/// Refused with 409 while usages reference the type.
#[utoipa::path(delete, path = "/types/{id}", tag = "types",
    security(("oauth2_password" = [])),
    extensions(("x-superuser" = json!(true))),
    params(("id" = UsageTypeId, Path, description = "The type's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such type", body = ProblemDetails),
        (status = 409, description = "Usages still reference the type, or its dataset is published (read-only)", body = ProblemDetails),
    ))]
#[tracing::instrument(skip_all, fields(by = %caller.id))]
pub async fn delete_type(
    Superuser(caller): Superuser,
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    ctx.types().delete(path_id(&id)?, caller.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
