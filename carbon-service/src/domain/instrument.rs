//! Contractual instruments: what the market-based scope 2 method counts
//! instead of the grid average (GHG Protocol Scope 2 Guidance, ch. 6 and
//! 7): energy attribute certificates (REC, GO, I-REC), power purchase
//! agreements, and a supplier's own emission factor.
//!
//! An instrument covers whole UTC months (`from` and `to` are first days of
//! months) within one calendar year, in one market boundary (`region`):
//! `US` covers the US average and every `US-…` subregion, a subregion only
//! itself. Its `amount` of energy is used at most once (see `market`).

use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::gwp::Gases;
pub use super::ids::InstrumentId;
use super::units::{Dimension, Unit};
use common::ids::OrgId;
use common::validation::{FieldError, Invalid};

/// What an instrument is, which sets its place in the market-based
/// hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InstrumentKind {
    /// An energy attribute certificate (REC, GO, I-REC): the attributes
    /// of its generation, zero emissions for a renewable one.
    Certificate,
    /// A power purchase agreement, with its generation's attributes.
    Ppa,
    /// A supplier's own delivered-electricity emission factor.
    SupplierFactor,
}

impl InstrumentKind {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "certificate" => Ok(Self::Certificate),
            "ppa" => Ok(Self::Ppa),
            "supplier_factor" => Ok(Self::SupplierFactor),
            _ => Err(FieldError::new(
                "kind",
                "must be certificate, ppa or supplier_factor",
            )),
        }
    }

    /// Its level of the Scope 2 Guidance's hierarchy (Table 6.3).
    pub fn level(self) -> Level {
        match self {
            Self::Certificate | Self::Ppa => Level::CertificatesAndPpas,
            Self::SupplierFactor => Level::SupplierFactors,
        }
    }
}

/// The market-based method's sources of a factor, in the order they
/// apply (Scope 2 Guidance, Table 6.3).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[schema(as = MarketLevel)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    CertificatesAndPpas,
    SupplierFactors,
    ResidualMix,
    /// No instrument and no residual mix: the location-based factor, which
    /// the report flags.
    LocationBasedFallback,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::CertificatesAndPpas,
        Level::SupplierFactors,
        Level::ResidualMix,
        Level::LocationBasedFallback,
    ];
}

pub const MAX_TEXT_CHARS: usize = 128;
/// Far above any one contract, and keeps every product finite.
pub const MAX_AMOUNT: f64 = 1e12;

/// A stored instrument (collection `instruments`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instrument {
    #[serde(rename = "_id")]
    pub id: InstrumentId,
    pub org_id: OrgId,
    pub kind: InstrumentKind,
    /// `REC`, `GO`, `I-REC`, a tariff's name...
    pub scheme: String,
    /// The market boundary it covers (see the module's comment).
    pub region: String,
    /// First day of a month, 00:00 UTC.
    pub from: bson::DateTime,
    /// First day of a later month of the same year (or 1 January of the
    /// next), exclusive.
    pub to: bson::DateTime,
    /// The energy it covers, as given in `unit`.
    pub amount: f64,
    pub unit: String,
    /// `amount` in kWh.
    pub amount_kwh: f64,
    /// kg of each gas per `unit` of its energy: zero for renewable
    /// certificates and PPAs, a supplier's factor otherwise.
    pub gases: Gases,
    /// The registry's or contract's reference, for the auditor.
    pub reference: Option<String>,
    pub created_at: bson::DateTime,
    pub updated_at: bson::DateTime,
}

/// An instrument as given (a create or a replace).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstrumentFields {
    pub kind: String,
    pub scheme: String,
    pub region: String,
    /// RFC 3339.
    pub from: Option<String>,
    pub to: Option<String>,
    pub amount: f64,
    pub unit: String,
    pub gases: Option<Gases>,
    pub reference: Option<String>,
}

fn text(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    super::text::check_label(field, value, MAX_TEXT_CHARS, errors)
}

fn first_of_month(t: &DateTime<Utc>) -> bool {
    t.day() == 1 && t.time() == chrono::NaiveTime::MIN
}

impl Instrument {
    /// Validates every field, reporting all failures at once.
    pub fn parse(
        id: InstrumentId,
        org_id: OrgId,
        fields: &InstrumentFields,
    ) -> Result<Self, Invalid> {
        let mut errors = Vec::new();
        let kind = InstrumentKind::parse(&fields.kind)
            .map_err(|e| errors.push(e))
            .ok();
        let scheme = text("scheme", &fields.scheme, &mut errors);
        let region = text("region", &fields.region, &mut errors);
        let mut instant = |field: &str, raw: Option<&str>| {
            super::usage::parse_instant(field, raw)
                .map_err(|e| errors.push(e))
                .ok()
                .flatten()
        };
        let (from, to) = (
            instant("from", fields.from.as_deref()),
            instant("to", fields.to.as_deref()),
        );
        for (field, raw) in [("from", &fields.from), ("to", &fields.to)] {
            if raw.is_none() {
                errors.push(FieldError::new(field, "is required (RFC 3339)"));
            }
        }
        let window = check_window(from, to, &mut errors);
        if !(fields.amount.is_finite() && fields.amount > 0.0 && fields.amount <= MAX_AMOUNT) {
            errors.push(FieldError::new(
                "amount",
                "must be a finite number above 0 and at most 1e12",
            ));
        }
        let unit = Unit::find(&fields.unit).filter(|u| u.dimension() == Dimension::Energy);
        let kwh = Unit::find("kWh").and_then(|kwh| unit.and_then(|u| u.ratio_to(kwh)));
        if kwh.is_none() {
            let energy: Vec<&str> = Unit::of(Dimension::Energy).map(Unit::code).collect();
            errors.push(FieldError::new(
                "unit",
                format!("must be an energy unit ({})", energy.join(", ")),
            ));
        }
        let gases = check_gases(kind, fields.gases.as_ref(), &mut errors);
        let reference = fields
            .reference
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| text("reference", r, &mut errors));
        match (kind, window, unit, kwh, gases) {
            (Some(kind), Some((from, to)), Some(unit), Some(kwh), Some(gases))
                if errors.is_empty() =>
            {
                let now = bson::DateTime::now();
                Ok(Self {
                    id,
                    org_id,
                    kind,
                    scheme,
                    region,
                    from: bson::DateTime::from_chrono(from),
                    to: bson::DateTime::from_chrono(to),
                    amount: fields.amount,
                    unit: unit.code().to_owned(),
                    amount_kwh: fields.amount * kwh,
                    gases,
                    reference,
                    created_at: now,
                    updated_at: now,
                })
            }
            _ => Err(Invalid(errors)),
        }
    }

    /// Whether it covers energy used in `region` (a type's region).
    pub fn covers(&self, region: &str) -> bool {
        covers(&self.region, region)
    }

    /// kg of each gas per kWh of the energy it covers.
    pub fn gases_per_kwh(&self) -> Gases {
        self.gases.times(self.amount / self.amount_kwh)
    }

    /// The calendar year it lies in.
    pub fn year(&self) -> i32 {
        self.from.to_chrono().year()
    }

    /// The `YYYY-MM` months it covers.
    pub fn months(&self) -> Vec<String> {
        let (from, to) = (self.from.to_chrono(), self.to.to_chrono());
        let to_index = if to.year() > from.year() {
            13
        } else {
            to.month()
        };
        (from.month()..to_index)
            .map(|m| format!("{:04}-{m:02}", from.year()))
            .collect()
    }
}

/// Whether a market boundary covers a region: itself and its subregions
/// (`US` covers `US-eGRID-RFCE`).
pub fn covers(boundary: &str, region: &str) -> bool {
    region == boundary
        || region
            .strip_prefix(boundary)
            .is_some_and(|rest| rest.starts_with('-'))
}

fn check_window(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    errors: &mut Vec<FieldError>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let mut good = true;
    for (field, value) in [("from", from), ("to", to)] {
        match value {
            None => good = false,
            Some(t) if !first_of_month(&t) => {
                errors.push(FieldError::new(
                    field,
                    "must be the first day of a month at 00:00 UTC (an instrument covers whole months)",
                ));
                good = false;
            }
            Some(_) => {}
        }
    }
    let (from, to) = (from?, to?);
    let next_year = Utc
        .with_ymd_and_hms(from.year() + 1, 1, 1, 0, 0, 0)
        .single();
    if to <= from || next_year.is_none_or(|end| to > end) {
        errors.push(FieldError::new(
            "to",
            "must be after from, within the same calendar year (at most 1 January of the next)",
        ));
        good = false;
    }
    good.then_some((from, to))
}

fn check_gases(
    kind: Option<InstrumentKind>,
    gases: Option<&Gases>,
    errors: &mut Vec<FieldError>,
) -> Option<Gases> {
    let gases = match (kind, gases) {
        (Some(InstrumentKind::SupplierFactor), None) => {
            errors.push(FieldError::new(
                "gases",
                "a supplier factor gives its kg of co2, ch4 and n2o per unit",
            ));
            return None;
        }
        // A renewable certificate or PPA: zero emissions.
        (_, None) => Gases {
            co2: Some(0.0),
            ..Gases::default()
        },
        (_, Some(gases)) => gases.clone(),
    };
    let mut good = true;
    if gases.is_empty() || gases.other_co2e.is_some() || !gases.fgases.is_empty() {
        errors.push(FieldError::new(
            "gases",
            "give kg of co2, ch4 and n2o per unit (and biogenic_co2 where it applies)",
        ));
        good = false;
    }
    for (gas, kg) in gases.values() {
        if !(kg.is_finite() && (0.0..=super::usage_type::MAX_FACTOR).contains(&kg)) {
            errors.push(FieldError::new(
                format!("gases.{gas}"),
                "must be a finite number from 0 to 1000000 (kg per unit)",
            ));
            good = false;
        }
    }
    good.then_some(gases)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> Option<String> {
        Some(raw.to_owned())
    }

    fn rec(from: &str, to: &str) -> InstrumentFields {
        InstrumentFields {
            kind: "certificate".into(),
            scheme: "REC".into(),
            region: "US".into(),
            from: at(from),
            to: at(to),
            amount: 600.0,
            unit: "kWh".into(),
            gases: None,
            reference: Some("WREGIS-123".into()),
        }
    }

    #[test]
    fn a_renewable_certificate_is_zero_emissions_in_kwh() {
        let parsed = Instrument::parse(
            InstrumentId::new(),
            OrgId::new(),
            &rec("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(parsed.amount_kwh, 600.0);
        assert_eq!(
            parsed.gases_per_kwh().co2e(super::super::gwp::GwpSet::Ar6),
            0.0
        );
        assert_eq!(parsed.months().len(), 12);
        assert_eq!(parsed.months()[0], "2026-01");
    }

    #[test]
    fn a_window_is_whole_months_within_one_year() {
        let user = OrgId::new();
        for (from, to, field) in [
            ("2026-01-15T00:00:00Z", "2026-03-01T00:00:00Z", "from"),
            ("2026-01-01T00:00:00Z", "2026-03-01T12:00:00Z", "to"),
            ("2026-06-01T00:00:00Z", "2027-02-01T00:00:00Z", "to"),
            ("2026-06-01T00:00:00Z", "2026-06-01T00:00:00Z", "to"),
        ] {
            let errors = Instrument::parse(InstrumentId::new(), user, &rec(from, to))
                .unwrap_err()
                .0;
            assert!(
                errors.iter().any(|e| e.field == field),
                "{from} {to}: {errors:?}"
            );
        }
    }

    #[test]
    fn a_supplier_factor_needs_its_gases_and_an_energy_unit() {
        let fields = InstrumentFields {
            kind: "supplier_factor".into(),
            unit: "gal".into(),
            ..rec("2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z")
        };
        let errors = Instrument::parse(InstrumentId::new(), OrgId::new(), &fields)
            .unwrap_err()
            .0;
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(
            fields.contains(&"gases") && fields.contains(&"unit"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_boundary_covers_itself_and_its_subregions_only() {
        assert!(covers("US", "US"));
        assert!(covers("US", "US-eGRID-RFCE"));
        assert!(!covers("US", "USA"));
        assert!(covers("US-eGRID-RFCE", "US-eGRID-RFCE"));
        assert!(!covers("US-eGRID-RFCE", "US"));
    }
}
