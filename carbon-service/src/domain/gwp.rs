//! Greenhouse gases and the global warming potentials (100-year) that turn
//! their masses into CO₂e.
//!
//! The values, per IPCC assessment report, as tabulated by the GHG Protocol
//! ("Global Warming Potential Values", version 2.0, August 2024):
//! - AR4: IPCC (2007), WG I, Chapter 2, Table 2.14: CH₄ 25, N₂O 298.
//! - AR5: IPCC (2013), WG I, Chapter 8, Table 8.7 (without climate-carbon
//!   feedbacks): CH₄ 28, N₂O 265. What the US EPA GHG Emission Factors Hub
//!   2025 uses.
//! - AR6: IPCC (2021), WG I, Chapter 7, Table 7.15: CH₄ (non-fossil) 27.0,
//!   N₂O 273. The factors here are combustion and grid emissions, whose
//!   methane the GHG Protocol counts at the non-fossil value (the fossil
//!   value, 29.8, adds the CO₂ its oxidation makes, which combustion CO₂
//!   factors already count).
//!
//! Fluorinated gases (HFCs, PFCs, SF₆, NF₃) each have their own GWPs, in
//! `fgases.rs` with their sources.
//!
//! CO₂ is 1 in every set, by definition.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fgases::{FGASES, FGas};

use common::validation::FieldError;

/// The gases a factor can give, in reporting order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gas {
    Co2,
    Ch4,
    N2o,
}

impl Gas {
    pub const ALL: [Gas; 3] = [Gas::Co2, Gas::Ch4, Gas::N2o];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Co2 => "co2",
            Self::Ch4 => "ch4",
            Self::N2o => "n2o",
        }
    }
}

// Named `GwpName` in the API documents: the names a request gives.
/// An IPCC assessment report's 100-year GWP set.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
#[schema(as = GwpName)]
pub enum GwpSet {
    #[serde(rename = "AR4")]
    Ar4,
    #[default]
    #[serde(rename = "AR5")]
    Ar5,
    #[serde(rename = "AR6")]
    Ar6,
}

impl GwpSet {
    pub const ALL: [GwpSet; 3] = [GwpSet::Ar4, GwpSet::Ar5, GwpSet::Ar6];

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "AR4" => Ok(Self::Ar4),
            "AR5" => Ok(Self::Ar5),
            "AR6" => Ok(Self::Ar6),
            _ => Err(FieldError::new(field, "must be AR4, AR5 or AR6")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ar4 => "AR4",
            Self::Ar5 => "AR5",
            Self::Ar6 => "AR6",
        }
    }

    /// How a person names it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ar4 => "IPCC AR4 (2007)",
            Self::Ar5 => "IPCC AR5 (2013), the EPA Hub's",
            Self::Ar6 => "IPCC AR6 (2021)",
        }
    }

    /// Where its CH₄ and N₂O values come from (see the module's comment).
    pub fn source(self) -> &'static str {
        match self {
            Self::Ar4 => {
                "IPCC (2007), WG I, Chapter 2, Table 2.14, as tabulated by the GHG Protocol (Global Warming Potential Values, v2.0, August 2024)"
            }
            Self::Ar5 => {
                "IPCC (2013), WG I, Chapter 8, Table 8.7 (without climate-carbon feedbacks), as tabulated by the GHG Protocol (v2.0, August 2024)"
            }
            Self::Ar6 => {
                "IPCC (2021), WG I, Chapter 7, Table 7.15 (CH₄ non-fossil), as tabulated by the GHG Protocol (v2.0, August 2024)"
            }
        }
    }

    /// kg CO₂e per kg of `gas`.
    pub fn gwp(self, gas: Gas) -> f64 {
        match (self, gas) {
            (_, Gas::Co2) => 1.0,
            (Self::Ar4, Gas::Ch4) => 25.0,
            (Self::Ar4, Gas::N2o) => 298.0,
            (Self::Ar5, Gas::Ch4) => 28.0,
            (Self::Ar5, Gas::N2o) => 265.0,
            (Self::Ar6, Gas::Ch4) => 27.0,
            (Self::Ar6, Gas::N2o) => 273.0,
        }
    }

    /// kg CO₂e per kg of fossil methane (fugitive releases from gas systems
    /// and coal mines), whose carbon was not in the atmosphere: its GWP
    /// adds the CO₂ its oxidation makes. AR4 (Table 2.14) gives one value
    /// for all methane; AR5 WG I Table 8.A.1 gives 30 for fossil methane
    /// (28 in Table 8.7 is non-fossil); AR6 WG I Table 7.15 gives 29.8.
    /// Combustion methane stays `ch4`: combustion CO₂ factors assume
    /// complete oxidation and already count its carbon.
    pub fn ch4_fossil_gwp(self) -> f64 {
        match self {
            Self::Ar4 => 25.0,
            Self::Ar5 => 30.0,
            Self::Ar6 => 29.8,
        }
    }

    /// A fluorinated gas's GWP in this set.
    pub fn fgas_gwp(self, gas: &FGas) -> f64 {
        match self {
            Self::Ar4 => gas.ar4,
            Self::Ar5 => gas.ar5,
            Self::Ar6 => gas.ar6,
        }
    }
}

/// The fluorinated gas with this code (`HFC-134a`, `SF6`...), exactly.
pub fn fgas(code: &str) -> Option<&'static FGas> {
    FGASES.iter().find(|g| g.code == code)
}

/// Checks that every key of a factor's `fgases` names a known gas.
pub fn check_fgases(field: &str, fgases: &BTreeMap<String, f64>) -> Result<(), FieldError> {
    match fgases.keys().find(|code| fgas(code).is_none()) {
        None => Ok(()),
        Some(code) => Err(FieldError::new(
            field,
            format!(
                "{code:?} is not a fluorinated gas this service knows ({})",
                FGASES.iter().map(|g| g.code).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// kg of each gas (per unit of activity, or emitted); `None`: the factor
/// does not give that gas (not zero: unknown, and left out of CO₂e).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Gases {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub co2: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ch4: Option<f64>,
    /// kg of fossil methane (fugitive releases from gas systems and coal),
    /// weighed by its own GWP (see [`GwpSet::ch4_fossil_gwp`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ch4_fossil: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n2o: Option<f64>,
    /// kg of biogenic CO₂ (from burning biomass and biofuels): reported as
    /// a memo outside the scopes (GHG Protocol Corporate Standard, ch. 9),
    /// never part of any CO₂e.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biogenic_co2: Option<f64>,
    /// kg CO₂e of a factor that gives no gases, only its CO₂e (the example
    /// dataset, types entered with a `factor` alone): counted as it is
    /// under every GWP set, since its gases are unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_co2e: Option<f64>,
    /// kg of each fluorinated gas, by its code (see [`fgas`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fgases: BTreeMap<String, f64>,
}

impl Gases {
    pub fn get(&self, gas: Gas) -> Option<f64> {
        match gas {
            Gas::Co2 => self.co2,
            Gas::Ch4 => self.ch4,
            Gas::N2o => self.n2o,
        }
    }

    fn map(&self, f: impl Fn(f64) -> f64) -> Self {
        Self {
            co2: self.co2.map(&f),
            ch4: self.ch4.map(&f),
            ch4_fossil: self.ch4_fossil.map(&f),
            n2o: self.n2o.map(&f),
            biogenic_co2: self.biogenic_co2.map(&f),
            other_co2e: self.other_co2e.map(&f),
            fgases: self
                .fgases
                .iter()
                .map(|(code, kg)| (code.clone(), f(*kg)))
                .collect(),
        }
    }

    /// These masses times `amount` (per-unit factors to emissions).
    pub fn times(&self, amount: f64) -> Self {
        self.map(|kg| kg * amount)
    }

    /// kg CO₂e under `set` (biogenic CO₂ is not part of it).
    pub fn co2e(&self, set: GwpSet) -> f64 {
        Gas::ALL
            .iter()
            .filter_map(|&gas| self.get(gas).map(|kg| kg * set.gwp(gas)))
            .sum::<f64>()
            + self.ch4_fossil.unwrap_or(0.0) * set.ch4_fossil_gwp()
            + self.other_co2e.unwrap_or(0.0)
            + self
                .fgases
                .iter()
                .filter_map(|(code, kg)| fgas(code).map(|gas| kg * set.fgas_gwp(gas)))
                .sum::<f64>()
    }

    /// The sum of two masses per gas (a gas given by either counts).
    pub fn plus(&self, other: &Self) -> Self {
        let add = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
        Self {
            co2: add(self.co2, other.co2),
            ch4: add(self.ch4, other.ch4),
            ch4_fossil: add(self.ch4_fossil, other.ch4_fossil),
            n2o: add(self.n2o, other.n2o),
            biogenic_co2: add(self.biogenic_co2, other.biogenic_co2),
            other_co2e: add(self.other_co2e, other.other_co2e),
            fgases: {
                let mut sum = self.fgases.clone();
                for (code, kg) in &other.fgases {
                    *sum.entry(code.clone()).or_insert(0.0) += kg;
                }
                sum
            },
        }
    }

    /// CO₂e given directly, for a factor that gives no gases.
    pub fn co2e_only(kg: f64) -> Self {
        Self {
            other_co2e: Some(kg),
            ..Self::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.co2.is_none()
            && self.ch4.is_none()
            && self.ch4_fossil.is_none()
            && self.n2o.is_none()
            && self.biogenic_co2.is_none()
            && self.other_co2e.is_none()
            && self.fgases.is_empty()
    }

    /// Whether every gas agrees within `relative` (an absent gas is 0 kg):
    /// sums taken in another order differ in their last bits.
    pub fn agrees_with(&self, other: &Self, relative: f64) -> bool {
        let close = |a: f64, b: f64| (a - b).abs() <= relative * a.abs().max(b.abs()).max(1.0);
        let g = |kg: Option<f64>| kg.unwrap_or(0.0);
        let fgas = |gases: &Self, code: &str| gases.fgases.get(code).copied().unwrap_or(0.0);
        close(g(self.co2), g(other.co2))
            && close(g(self.ch4), g(other.ch4))
            && close(g(self.ch4_fossil), g(other.ch4_fossil))
            && close(g(self.n2o), g(other.n2o))
            && close(g(self.biogenic_co2), g(other.biogenic_co2))
            && close(g(self.other_co2e), g(other.other_co2e))
            && self
                .fgases
                .keys()
                .chain(other.fgases.keys())
                .all(|code| close(fgas(self, code), fgas(other, code)))
    }

    /// Every given amount, for validation.
    pub fn values(&self) -> impl Iterator<Item = (&'static str, f64)> {
        [
            ("co2", self.co2),
            ("ch4", self.ch4),
            ("ch4_fossil", self.ch4_fossil),
            ("n2o", self.n2o),
            ("biogenic_co2", self.biogenic_co2),
            ("other_co2e", self.other_co2e),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .chain(
            self.fgases
                .iter()
                .filter_map(|(code, kg)| fgas(code).map(|gas| (gas.code, *kg))),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn co2e_weighs_each_given_gas_by_its_gwp() {
        let gases = Gases {
            co2: Some(10.0),
            ch4: Some(1.0),
            n2o: Some(0.1),
            ..Gases::default()
        };
        assert_eq!(gases.co2e(GwpSet::Ar5), 10.0 + 28.0 + 26.5);
        assert_eq!(gases.co2e(GwpSet::Ar4), 10.0 + 25.0 + 29.8);
        assert_eq!(gases.co2e(GwpSet::Ar6), 10.0 + 27.0 + 27.3);
    }

    #[test]
    fn fossil_methane_weighs_29_8_under_ar6_and_30_under_ar5_combustion_methane_27_and_28() {
        let leak = Gases {
            ch4_fossil: Some(1.0),
            ..Gases::default()
        };
        let burnt = Gases {
            ch4: Some(1.0),
            ..Gases::default()
        };
        assert_eq!(leak.co2e(GwpSet::Ar6), 29.8);
        assert_eq!(burnt.co2e(GwpSet::Ar6), 27.0);
        assert_eq!(leak.co2e(GwpSet::Ar5), 30.0);
        assert_eq!(burnt.co2e(GwpSet::Ar5), 28.0);
        assert_eq!(leak.co2e(GwpSet::Ar4), 25.0);
    }

    #[test]
    fn biogenic_co2_is_part_of_no_co2e() {
        // Biodiesel (100%), EPA Hub 2025 Table 1: 9.45 kg CO₂ (biogenic),
        // 0.14 g CH₄ and 0.01 g N₂O per gallon.
        let biodiesel = Gases {
            biogenic_co2: Some(9.45),
            ch4: Some(0.00014),
            n2o: Some(0.00001),
            ..Gases::default()
        };
        for set in GwpSet::ALL {
            let fossil_only = set.gwp(Gas::Ch4) * 0.00014 + set.gwp(Gas::N2o) * 0.00001;
            assert_eq!(biodiesel.co2e(set), fossil_only);
        }
        assert_eq!(biodiesel.times(2.0).biogenic_co2, Some(18.9));
    }

    #[test]
    fn a_gas_the_factor_does_not_give_counts_for_nothing() {
        let co2_only = Gases {
            co2: Some(8.78),
            ..Gases::default()
        };
        assert_eq!(co2_only.co2e(GwpSet::Ar6), 8.78);
    }

    #[test]
    fn a_fluorinated_gas_weighs_by_its_own_gwp_in_each_set() {
        // HFC-134a: AR4 1,430 (IPCC AR4 WG I Table 2.14), AR5 1,300 (AR5 WG I
        // Table 8.A.1, the EPA Hub's), AR6 1,530 (AR6 WG I Table 7.SM.7).
        let leak = Gases {
            fgases: [("HFC-134a".to_owned(), 2.0)].into(),
            ..Gases::default()
        };
        assert_eq!(leak.co2e(GwpSet::Ar4), 2.0 * 1430.0);
        assert_eq!(leak.co2e(GwpSet::Ar5), 2.0 * 1300.0);
        assert_eq!(leak.co2e(GwpSet::Ar6), 2.0 * 1530.0);
    }

    #[test]
    fn fluorinated_gases_add_up_gas_by_gas() {
        let one = |code: &str, kg: f64| Gases {
            fgases: [(code.to_owned(), kg)].into(),
            ..Gases::default()
        };
        let sum = one("HFC-134a", 1.0)
            .plus(&one("SF6", 0.5))
            .plus(&one("HFC-134a", 2.0));
        assert_eq!(
            sum.fgases,
            [("HFC-134a".to_owned(), 3.0), ("SF6".to_owned(), 0.5)].into()
        );
        assert_eq!(sum.times(2.0).fgases["SF6"], 1.0);
        assert!(sum.agrees_with(&sum.plus(&one("NF3", 0.0)), 1e-9));
        assert!(!sum.agrees_with(&one("HFC-134a", 3.0), 1e-9));
    }

    #[test]
    fn an_unknown_fluorinated_gas_is_named_with_the_known_ones() {
        let error =
            check_fgases("gases.fgases", &[("HFC-999".to_owned(), 1.0)].into()).unwrap_err();
        assert_eq!(error.field, "gases.fgases");
        assert!(error.message.contains("HFC-999") && error.message.contains("SF6"));
        assert!(check_fgases("gases.fgases", &[("SF6".to_owned(), 1.0)].into()).is_ok());
    }

    #[test]
    fn every_fluorinated_gas_has_a_gwp_in_every_set() {
        for gas in FGASES {
            for set in GwpSet::ALL {
                assert!(set.fgas_gwp(gas) > 0.0, "{} in {}", gas.code, set.as_str());
            }
            assert!(
                !gas.code.contains(['.', '$']),
                "{} cannot be a field name",
                gas.code
            );
        }
    }

    #[test]
    fn sets_parse_in_any_case_and_name_the_field_otherwise() {
        assert_eq!(GwpSet::parse("gwp", "ar6").unwrap(), GwpSet::Ar6);
        assert_eq!(GwpSet::parse("gwp", "SAR").unwrap_err().field, "gwp");
    }
}
