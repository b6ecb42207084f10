//! Units of activity data and their exact conversions.
//!
//! Every unit is defined by its size in its dimension's base unit as an
//! exact fraction of integers, taken from its legal definition, so that a
//! conversion is one correctly rounded division and one multiplication:
//! - SI: 1 kWh = 3.6 MJ; prefixes; 1 l = 1 dm³; 1 t = 1,000 kg.
//! - NIST Special Publication 811 (2008), Appendix B: 1 ft = 0.3048 m;
//!   1 mi = 1,609.344 m; 1 US gal = 231 in³ = 3.785411784 l;
//!   1 lb = 0.45359237 kg; 1 short ton = 2,000 lb; 1 Btu (International
//!   Table) = 1,055.05585262 J; 1 therm (US) = 100,000 Btu.
//! - Trade usage: 1 mmBtu = 1,000,000 Btu; 1 ccf = 100 ft³; a standard
//!   cubic foot (scf) is a cubic foot of gas at the reference conditions of
//!   the factor it is used with (the conversion does not change them).
//!
//! Vehicle-, passenger- and freight-distances are distances (or mass ×
//! distance) of their own dimension: a vehicle-mile never converts to a
//! passenger-mile.

use std::fmt;

use serde::{Deserialize, Serialize};

use common::validation::FieldError;

/// What a unit measures; units convert only within one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Energy,
    Volume,
    Mass,
    Distance,
    VehicleDistance,
    PassengerDistance,
    FreightDistance,
}

impl Dimension {
    pub const ALL: [Dimension; 7] = [
        Dimension::Energy,
        Dimension::Volume,
        Dimension::Mass,
        Dimension::Distance,
        Dimension::VehicleDistance,
        Dimension::PassengerDistance,
        Dimension::FreightDistance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Energy => "energy",
            Self::Volume => "volume",
            Self::Mass => "mass",
            Self::Distance => "distance",
            Self::VehicleDistance => "vehicle_distance",
            Self::PassengerDistance => "passenger_distance",
            Self::FreightDistance => "freight_distance",
        }
    }

    /// The base unit sizes are expressed in.
    pub fn base(self) -> &'static str {
        match self {
            Self::Energy => "J",
            Self::Volume => "m³",
            Self::Mass => "kg",
            Self::Distance | Self::VehicleDistance | Self::PassengerDistance => "m",
            Self::FreightDistance => "kg·m",
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A unit: its code (what clients send and get), its name, its dimension
/// and its size in the dimension's base unit, `numerator / denominator`.
#[derive(Debug, PartialEq, Eq)]
pub struct UnitDef {
    pub code: &'static str,
    pub name: &'static str,
    pub dimension: Dimension,
    pub numerator: u128,
    pub denominator: u128,
    /// Other spellings accepted on input (case is ignored anyway).
    pub aliases: &'static [&'static str],
}

const fn unit(
    code: &'static str,
    name: &'static str,
    dimension: Dimension,
    numerator: u128,
    denominator: u128,
    aliases: &'static [&'static str],
) -> UnitDef {
    UnitDef {
        code,
        name,
        dimension,
        numerator,
        denominator,
        aliases,
    }
}

use Dimension::*;

/// 1 Btu (IT) = 1,055.05585262 J (NIST SP 811, B.8).
const BTU_J_NUM: u128 = 105_505_585_262;
const BTU_J_DEN: u128 = 100_000_000;
/// 1 ft = 0.3048 m, so 1 ft³ = 0.028316846592 m³ (NIST SP 811, B.8).
const FT3_M3_NUM: u128 = 28_316_846_592;
const FT3_M3_DEN: u128 = 1_000_000_000_000;
/// 1 lb = 0.45359237 kg (NIST SP 811, B.8).
const LB_KG_NUM: u128 = 45_359_237;
const LB_KG_DEN: u128 = 100_000_000;
/// 1 Nm³ (a normal cubic metre: gas at 0 °C and 101.325 kPa) in m³ of gas
/// at the standard cubic foot's conditions (60 °F and 14.696 psia, 40 CFR
/// 98.6), by the ideal-gas law: V_s = V_n × (P_n / P_s) × (T_s / T_n), with
/// P_s = 14.696 lbf/in² (1 lbf = 4.4482216152605 N, 1 in = 0.0254 m: NIST
/// SP 811, B.8), T_s = 519.67 °R and T_n = 273.15 K = 491.67 °R. Exactly
/// 40441979599750000000 / 38263085069842989279 ≈ 1.056945: a meter read in
/// Nm³ taken as plain m³ would come out 5.4 % low against per-scf factors.
const NM3_M3_NUM: u128 = 40_441_979_599_750_000_000;
const NM3_M3_DEN: u128 = 38_263_085_069_842_989_279;
/// 1 mi = 1,609.344 m (NIST SP 811, B.8).
const MI_M_NUM: u128 = 1_609_344;
const MI_M_DEN: u128 = 1_000;

/// Every unit the service converts.
pub static UNITS: &[UnitDef] = &[
    // Energy, in joules.
    unit("J", "joule", Energy, 1, 1, &[]),
    unit("kJ", "kilojoule", Energy, 1_000, 1, &[]),
    unit("MJ", "megajoule", Energy, 1_000_000, 1, &[]),
    unit("GJ", "gigajoule", Energy, 1_000_000_000, 1, &[]),
    unit("Wh", "watt hour", Energy, 3_600, 1, &[]),
    unit("kWh", "kilowatt hour", Energy, 3_600_000, 1, &[]),
    unit("MWh", "megawatt hour", Energy, 3_600_000_000, 1, &[]),
    unit("GWh", "gigawatt hour", Energy, 3_600_000_000_000, 1, &[]),
    unit(
        "Btu",
        "British thermal unit (IT)",
        Energy,
        BTU_J_NUM,
        BTU_J_DEN,
        &[],
    ),
    // 100,000 Btu (IT): what US gas bills and 40 CFR 98 mean by a therm,
    // and a tenth of the Hub's mmBtu. NIST SP 811 (B.8) lists the "therm
    // (U.S.)" as 1.054804 × 10⁸ J, from a Btu at 59 °F: 0.02 % less. This
    // follows the bill and the factors' basis, not SP 811.
    unit(
        "therm",
        "therm (US), 100,000 Btu (IT)",
        Energy,
        BTU_J_NUM * 100_000,
        BTU_J_DEN,
        &["thm"],
    ),
    unit(
        "Dth",
        "decatherm, 10 therms (1,000,000 Btu)",
        Energy,
        BTU_J_NUM * 1_000_000,
        BTU_J_DEN,
        &["dekatherm", "decatherm"],
    ),
    unit(
        "mmBtu",
        "million Btu",
        Energy,
        BTU_J_NUM * 1_000_000,
        BTU_J_DEN,
        &[],
    ),
    // Volume, in cubic metres.
    unit("ml", "millilitre", Volume, 1, 1_000_000, &[]),
    unit("l", "litre", Volume, 1, 1_000, &["litre", "liter"]),
    unit("m3", "cubic metre", Volume, 1, 1, &["m³"]),
    unit(
        "gal",
        "US gallon",
        Volume,
        3_785_411_784,
        1_000_000_000_000,
        &["gallon", "US gal", "usgal"],
    ),
    unit(
        "bbl",
        "barrel (petroleum), 42 US gallons",
        Volume,
        3_785_411_784 * 42,
        1_000_000_000_000,
        &["barrel"],
    ),
    unit(
        "Nm3",
        "normal cubic metre (gas at 0 °C, 101.325 kPa)",
        Volume,
        NM3_M3_NUM,
        NM3_M3_DEN,
        &["Nm³", "Nm^3"],
    ),
    unit(
        "ft3",
        "cubic foot",
        Volume,
        FT3_M3_NUM,
        FT3_M3_DEN,
        &["cf", "ft³"],
    ),
    unit(
        "scf",
        "standard cubic foot",
        Volume,
        FT3_M3_NUM,
        FT3_M3_DEN,
        &[],
    ),
    unit(
        "ccf",
        "hundred cubic feet",
        Volume,
        FT3_M3_NUM * 100,
        FT3_M3_DEN,
        &[],
    ),
    unit(
        "mcf",
        "thousand cubic feet",
        Volume,
        FT3_M3_NUM * 1_000,
        FT3_M3_DEN,
        &[],
    ),
    // Mass, in kilograms.
    unit("g", "gram", Mass, 1, 1_000, &[]),
    unit("kg", "kilogram", Mass, 1, 1, &[]),
    unit(
        "t",
        "metric ton (tonne)",
        Mass,
        1_000,
        1,
        &["tonne", "metric_ton"],
    ),
    unit("lb", "pound", Mass, LB_KG_NUM, LB_KG_DEN, &["lbs"]),
    unit(
        "short_ton",
        "short ton (2,000 lb)",
        Mass,
        LB_KG_NUM * 2_000,
        LB_KG_DEN,
        &["short ton"],
    ),
    // Distance, in metres.
    unit("m", "metre", Distance, 1, 1, &[]),
    unit("km", "kilometre", Distance, 1_000, 1, &[]),
    unit("mi", "mile", Distance, MI_M_NUM, MI_M_DEN, &["mile"]),
    unit(
        "vehicle_km",
        "vehicle-kilometre",
        VehicleDistance,
        1_000,
        1,
        &["vehicle-km"],
    ),
    unit(
        "vehicle_mi",
        "vehicle-mile",
        VehicleDistance,
        MI_M_NUM,
        MI_M_DEN,
        &["vehicle-mile"],
    ),
    unit(
        "passenger_km",
        "passenger-kilometre",
        PassengerDistance,
        1_000,
        1,
        &["passenger-km", "pkm"],
    ),
    unit(
        "passenger_mi",
        "passenger-mile",
        PassengerDistance,
        MI_M_NUM,
        MI_M_DEN,
        &["passenger-mile"],
    ),
    // Freight, in kilogram-metres.
    unit(
        "tonne_km",
        "tonne-kilometre",
        FreightDistance,
        1_000_000,
        1,
        &["tkm", "tonne-km"],
    ),
    unit(
        "short_ton_mi",
        "short ton-mile",
        FreightDistance,
        LB_KG_NUM * 2_000 * MI_M_NUM,
        LB_KG_DEN * MI_M_DEN,
        &["short ton-mile"],
    ),
];

/// Names that mean different sizes in different places (a US "ton" is
/// 2,000 lb, a UK one 2,240 lb, a "tonne" 1,000 kg): refused, never
/// guessed.
const AMBIGUOUS: &[&str] = &[
    "ton",
    "tons",
    "ton-mile",
    "ton-miles",
    "ton_mi",
    "ton-mi",
    "ton_mile",
    "tonmile",
];

/// Refuses an ambiguous unit name, saying what to send instead.
pub fn check_unambiguous(field: &str, raw: &str) -> Result<(), FieldError> {
    let raw = raw.trim();
    if AMBIGUOUS.iter().any(|a| a.eq_ignore_ascii_case(raw)) {
        return Err(FieldError::new(
            field,
            format!(
                "{raw:?} is ambiguous: send short_ton (2,000 lb) or t (metric ton, 1,000 kg); for freight, short_ton_mi or tonne_km"
            ),
        ));
    }
    Ok(())
}

/// A unit the service knows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Unit(&'static UnitDef);

impl fmt::Debug for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Unit({})", self.0.code)
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.code)
    }
}

impl Unit {
    /// The unit a code or an alias names, ignoring case.
    pub fn find(raw: &str) -> Option<Unit> {
        let raw = raw.trim();
        UNITS
            .iter()
            .find(|u| {
                u.code.eq_ignore_ascii_case(raw)
                    || u.aliases.iter().any(|a| a.eq_ignore_ascii_case(raw))
            })
            .map(Unit)
    }

    pub fn code(self) -> &'static str {
        self.0.code
    }

    pub fn name(self) -> &'static str {
        self.0.name
    }

    pub fn dimension(self) -> Dimension {
        self.0.dimension
    }

    pub fn def(self) -> &'static UnitDef {
        self.0
    }

    /// The units of one dimension, in the table's order.
    pub fn of(dimension: Dimension) -> impl Iterator<Item = Unit> {
        UNITS
            .iter()
            .filter(move |u| u.dimension == dimension)
            .map(Unit)
    }

    /// How many of `to` one of `self` is, or `None` across dimensions:
    /// (size of self) / (size of to), one division of exact integers.
    pub fn ratio_to(self, to: Unit) -> Option<f64> {
        if self.dimension() != to.dimension() {
            return None;
        }
        if self == to {
            return Some(1.0);
        }
        let (a, b) = (self.0, to.0);
        // Cancelled first, so that the products fit (Nm³'s size has 66-bit
        // terms); a product that would not fit is divided in floating point.
        let (top, bottom) = (
            gcd(a.numerator, b.numerator),
            gcd(a.denominator, b.denominator),
        );
        let numerator = (a.numerator / top).checked_mul(b.denominator / bottom);
        let denominator = (a.denominator / bottom).checked_mul(b.numerator / top);
        Some(match (numerator, denominator) {
            (Some(n), Some(d)) => {
                let divisor = gcd(n, d);
                divide(n / divisor, d / divisor)
            }
            _ => divide(a.numerator, a.denominator) / divide(b.numerator, b.denominator),
        })
    }

    /// `amount` of `self` expressed in `to` (`None` across dimensions).
    pub fn convert(self, amount: f64, to: Unit) -> Option<f64> {
        self.ratio_to(to).map(|ratio| amount * ratio)
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// `n / d` from exact integers: below 2^53 each converts exactly and the
/// division rounds once; above (a freight unit's size), the result stays
/// within a few units in the last place of the true ratio.
fn divide(n: u128, d: u128) -> f64 {
    n as f64 / d as f64
}

/// The unit a usage was recorded in, checked against the unit of its
/// type's factor: known, and of the same dimension. A type whose unit is
/// not in the table (a custom "night" or "unit") takes only its own unit.
pub fn check_unit(given: &str, factor_unit: &str) -> Result<UnitChoice, FieldError> {
    check_unambiguous("unit", given)?;
    let factor = Unit::find(factor_unit);
    let same_text = given.trim().eq_ignore_ascii_case(factor_unit.trim());
    match (Unit::find(given), factor) {
        (Some(given), Some(factor)) if given.dimension() == factor.dimension() => Ok(UnitChoice {
            entered: given.code().to_owned(),
            ratio: given.ratio_to(factor).unwrap_or(1.0),
        }),
        _ if same_text => Ok(UnitChoice {
            entered: factor_unit.trim().to_owned(),
            ratio: 1.0,
        }),
        (_, Some(factor)) => {
            let accepted: Vec<&str> = Unit::of(factor.dimension()).map(Unit::code).collect();
            Err(FieldError::new(
                "unit",
                format!(
                    "must be a unit of {} ({}), the dimension of this type's factor unit {}",
                    factor.dimension(),
                    accepted.join(", "),
                    factor.code()
                ),
            ))
        }
        (_, None) => Err(FieldError::new(
            "unit",
            format!(
                "must be {}, the unit of this type's factor",
                factor_unit.trim()
            ),
        )),
    }
}

/// The unit a usage was entered in and how many factor units one of it is.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitChoice {
    /// The unit's code (or the type's own unit text when it is not in the
    /// table).
    pub entered: String,
    pub ratio: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn u(code: &str) -> Unit {
        Unit::find(code).unwrap()
    }

    #[test]
    fn the_definitions_give_the_exact_figures() {
        assert_eq!(u("mi").convert(1.0, u("km")), Some(1.609344));
        assert_eq!(u("gal").convert(1.0, u("l")), Some(3.785411784));
        assert_eq!(u("lb").convert(1.0, u("kg")), Some(0.45359237));
        assert_eq!(u("Btu").convert(1.0, u("J")), Some(1055.05585262));
        assert_eq!(u("therm").convert(1.0, u("Btu")), Some(100_000.0));
        assert_eq!(u("kWh").convert(1.0, u("MJ")), Some(3.6));
        assert_eq!(u("MWh").convert(1.0, u("kWh")), Some(1000.0));
        assert_eq!(u("short_ton").convert(1.0, u("lb")), Some(2000.0));
        assert_eq!(u("ccf").convert(1.0, u("scf")), Some(100.0));
        assert_eq!(u("mmBtu").convert(1.0, u("therm")), Some(10.0));
    }

    #[test]
    fn a_decatherm_is_ten_therms_and_a_barrel_42_gallons() {
        assert_eq!(u("Dth").convert(1.0, u("therm")), Some(10.0));
        assert_eq!(u("Dth").convert(1.0, u("mmBtu")), Some(1.0));
        assert_eq!(u("bbl").convert(1.0, u("gal")), Some(42.0));
    }

    #[test]
    fn a_normal_cubic_metre_is_37_33_standard_cubic_feet_by_the_ideal_gas_law() {
        // 35.3147 ft³ per m³, times (101.325 kPa / 14.696 psia) × (519.67 °R / 491.67 °R).
        let scf = u("Nm3").convert(1.0, u("scf")).unwrap();
        assert!((scf - 37.325_663_325_774).abs() < 1e-9, "{scf}");
        assert_eq!(u("Nm3").convert(2.0, u("Nm³")), Some(2.0));
        // Taken as plain m³ it would be 5.4 % low.
        let plain = u("m3").convert(1.0, u("scf")).unwrap();
        assert!((1.0 - plain / scf - 0.0539).abs() < 0.0005);
    }

    #[test]
    fn an_ambiguous_ton_is_refused_naming_both_tons() {
        for raw in ["ton", "Tons", "ton-mile"] {
            let error = check_unit(raw, "short_ton").unwrap_err();
            assert_eq!(error.field, "unit");
            assert!(error.message.contains("short_ton") && error.message.contains("t (metric"));
        }
        assert!(Unit::find("ton").is_none());
    }

    #[test]
    fn units_of_different_dimensions_do_not_convert() {
        assert_eq!(u("kWh").convert(1.0, u("kg")), None);
        assert_eq!(u("vehicle_mi").convert(1.0, u("passenger_mi")), None);
        assert_eq!(u("mi").convert(1.0, u("vehicle_mi")), None);
    }

    #[test]
    fn codes_aliases_and_case_are_accepted() {
        assert_eq!(u("kwh"), u("kWh"));
        assert_eq!(u("MMBTU"), u("mmBtu"));
        assert_eq!(u("m³"), u("m3"));
        assert_eq!(u("gallon"), u("gal"));
        assert!(Unit::find("furlong").is_none());
    }

    #[test]
    fn an_unknown_or_incompatible_unit_names_unit_and_lists_the_accepted_ones() {
        let error = check_unit("kg", "kWh").unwrap_err();
        assert_eq!(error.field, "unit");
        assert!(
            error.message.contains("MWh") && error.message.contains("therm"),
            "{}",
            error.message
        );
        let custom = check_unit("kg", "night").unwrap_err();
        assert!(custom.message.contains("night"), "{}", custom.message);
        assert_eq!(check_unit("Night", "night").unwrap().ratio, 1.0);
    }

    #[test]
    fn codes_and_aliases_are_unique_ignoring_case() {
        let mut codes = std::collections::HashSet::new();
        for def in UNITS {
            assert!(
                codes.insert(def.code.to_ascii_lowercase()),
                "{} twice",
                def.code
            );
            for alias in def.aliases {
                assert!(codes.insert(alias.to_ascii_lowercase()), "{alias} twice");
            }
        }
    }

    fn same_dimension_units() -> impl Strategy<Value = (Unit, Unit, Unit)> {
        proptest::sample::select(Dimension::ALL.to_vec()).prop_flat_map(|dimension| {
            let units: Vec<Unit> = Unit::of(dimension).collect();
            (
                proptest::sample::select(units.clone()),
                proptest::sample::select(units.clone()),
                proptest::sample::select(units),
            )
        })
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(f64::MIN_POSITIVE)
    }

    proptest! {
        #[test]
        fn a_conversion_round_trips((a, b, _) in same_dimension_units(), amount in 1e-6f64..1e9) {
            let there = a.convert(amount, b).unwrap();
            let back = b.convert(there, a).unwrap();
            prop_assert!(close(back, amount), "{amount} {a} -> {there} {b} -> {back} {a}");
        }

        #[test]
        fn conversions_compose((a, b, c) in same_dimension_units(), amount in 1e-6f64..1e9) {
            let direct = a.convert(amount, c).unwrap();
            let via = b.convert(a.convert(amount, b).unwrap(), c).unwrap();
            prop_assert!(close(direct, via), "{amount} {a} -> {c}: {direct} direct, {via} via {b}");
        }

        #[test]
        fn a_ratio_and_its_inverse_multiply_to_one((a, b, _) in same_dimension_units()) {
            let product = a.ratio_to(b).unwrap() * b.ratio_to(a).unwrap();
            prop_assert!(close(product, 1.0), "{a}/{b}: {product}");
        }
    }
}
