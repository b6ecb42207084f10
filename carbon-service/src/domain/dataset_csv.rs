//! A private dataset's factors as CSV: one usage type per row.
//!
//! Columns (a header row names them, in any order and case):
//! `id,name,unit,scope,co2,ch4,n2o` and optionally `biogenic_co2` and
//! `category,scope3_category,region,source,source_year,factor_basis`. The gases are kg
//! per unit; a blank one is a gas the factor does not give (at least one is
//! needed). `biogenic_co2` is reported as a memo, in no CO₂e. A factor
//! known only as CO₂e (a waste factor) gives `co2e` (kg per unit) and no
//! gas: reported as unspeciated CO₂e, the same under every GWP set.

use super::dataset::Dataset;
use super::gwp::Gases;
use super::usage_csv::{MAX_REPORTED_ERRORS, NOT_A_NUMBER, TooManyRows, numbered_rows, open_csv};
use super::usage_type::{UsageType, UsageTypeFields};
use common::validation::FieldError;

/// The columns every upload needs.
pub const REQUIRED_COLUMNS: [&str; 4] = ["id", "name", "unit", "scope"];
/// The gas columns (at least one of them).
pub const GAS_COLUMNS: [&str; 5] = ["co2", "ch4", "n2o", "biogenic_co2", "ch4_fossil"];
/// The optional columns.
pub const OPTIONAL_COLUMNS: [&str; 7] = [
    "co2e",
    "factor_basis",
    "category",
    "scope3_category",
    "region",
    "source",
    "source_year",
];

/// Why an upload was refused as a whole.
#[derive(Debug, PartialEq)]
pub enum UploadError {
    /// More than [`MAX_IMPORT_ROWS`](super::usage_csv::MAX_IMPORT_ROWS) rows (413).
    TooManyRows,
    /// The header or some rows are invalid (422); nothing is stored.
    Invalid(Vec<FieldError>),
}

fn number(field: &str, raw: &str) -> Result<Option<f64>, FieldError> {
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<f64>()
        .map(Some)
        .map_err(|_| FieldError::new(field, NOT_A_NUMBER))
}

fn integer(field: &str, raw: &str) -> Result<Option<i64>, FieldError> {
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<i64>()
        .map(Some)
        .map_err(|_| FieldError::new(field, "must be an integer"))
}

/// Parses an upload into `dataset`'s types, every row checked, all errors
/// reported together (with their row numbers; at most
/// [`MAX_REPORTED_ERRORS`]). An organization's dataset gets its type ids
/// from the server: its rows need no `id` (one given is ignored), and each
/// type comes back with its row number for an id, to be replaced.
pub fn parse_upload(body: &[u8], dataset: &Dataset) -> Result<Vec<UsageType>, UploadError> {
    let assigned = dataset.org_id.is_some();
    let (mut reader, header, separators) =
        open_csv(body).map_err(|e| UploadError::Invalid(vec![e]))?;
    let position = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let mut missing: Vec<FieldError> = REQUIRED_COLUMNS
        .iter()
        .filter(|c| !(assigned && **c == "id"))
        .filter(|c| position(c).is_none())
        .map(|c| FieldError::new("header", format!("has no `{c}` column")))
        .collect();
    if GAS_COLUMNS.iter().all(|c| position(c).is_none()) && position("co2e").is_none() {
        missing.push(FieldError::new(
            "header",
            "has none of the gas columns `co2`, `ch4`, `n2o`, `biogenic_co2`, `ch4_fossil` (kg per unit), nor `co2e`",
        ));
    }
    if !missing.is_empty() {
        return Err(UploadError::Invalid(missing));
    }
    let mut types = Vec::new();
    let mut errors: Vec<FieldError> = Vec::new();
    for next in numbered_rows(&mut reader) {
        let (row, record) = next.map_err(|TooManyRows| UploadError::TooManyRows)?;
        let record = match record {
            Ok(record) => record,
            Err(unreadable) => {
                errors.push(unreadable);
                continue;
            }
        };
        let cell = |name: &str| position(name).and_then(|i| record.get(i)).unwrap_or("");
        let mut row_errors = Vec::new();
        let mut figure = |field: &str| {
            number(field, &separators.number_text(cell(field)))
                .map_err(|e| row_errors.push(e))
                .ok()
                .flatten()
        };
        let gases = Gases {
            co2: figure("co2"),
            ch4: figure("ch4"),
            n2o: figure("n2o"),
            biogenic_co2: figure("biogenic_co2"),
            ch4_fossil: figure("ch4_fossil"),
            ..Gases::default()
        };
        let co2e = figure("co2e");
        let mut int = |field: &str| {
            integer(field, cell(field))
                .map_err(|e| row_errors.push(e))
                .ok()
                .flatten()
        };
        let id = if assigned {
            Some(row as i64)
        } else {
            int("id")
        };
        let scope = int("scope");
        let scope3_category = int("scope3_category");
        let source_year = int("source_year");
        let text = |name: &str| Some(cell(name).to_owned()).filter(|t| !t.is_empty());
        let fields = UsageTypeFields {
            name: cell("name").to_owned(),
            unit: cell("unit").to_owned(),
            factor: co2e,
            gases: (!gases.is_empty()).then_some(gases),
            scope: scope.unwrap_or(0),
            category: text("category"),
            scope3_category,
            scope3_categories: None,
            source: text("source"),
            source_year,
            region: text("region"),
            factor_basis: text("factor_basis"),
            replaces_type_id: int("replaces_type_id"),
        };
        match UsageType::parse(id.unwrap_or(0), &fields, dataset) {
            Ok(parsed) if row_errors.is_empty() => types.push(parsed),
            Ok(_) => {}
            Err(invalid) => {
                // A cell that did not parse is already named; its
                // placeholder's error would repeat it.
                let gas_failed = row_errors
                    .iter()
                    .any(|r| GAS_COLUMNS.contains(&r.field.as_str()));
                for e in invalid.0 {
                    let repeats = row_errors.iter().any(|r| r.field == e.field)
                        || (gas_failed && e.field == "gases");
                    if !repeats {
                        row_errors.push(e);
                    }
                }
            }
        }
        errors.extend(row_errors.into_iter().map(|e| e.in_row(row)));
    }
    if !errors.is_empty() {
        errors.truncate(MAX_REPORTED_ERRORS);
        return Err(UploadError::Invalid(errors));
    }
    if types.is_empty() {
        return Err(UploadError::Invalid(vec![FieldError::new(
            "body",
            "has no data rows",
        )]));
    }
    let mut ids: Vec<i64> = types.iter().map(|t| t.id.get()).collect();
    ids.sort_unstable();
    if let Some(pair) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(UploadError::Invalid(vec![FieldError::new(
            "id",
            format!("{} appears on more than one row", pair[0]),
        )]));
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dataset::DatasetFields;

    fn acme() -> Dataset {
        let fields = DatasetFields {
            id: "acme-2026".into(),
            name: "ACME".into(),
            publisher: "ACME".into(),
            edition: "2026".into(),
            licence: "Proprietary".into(),
            gwp_basis: "AR6".into(),
            ..DatasetFields::default()
        };
        Dataset::parse(&fields, true).unwrap()
    }

    #[test]
    fn rows_become_types_of_the_dataset_with_its_gwp_set() {
        let body = "id,name,unit,scope,co2,ch4,n2o,category,source\n\
                    9001,Steam from ACME plant,GJ,2,60,0.001,,purchased_heat,ACME 2026 declaration\n";
        let types = parse_upload(body.as_bytes(), &acme()).unwrap();
        assert_eq!(types.len(), 1);
        let t = &types[0];
        assert_eq!(
            (t.dataset.as_str(), t.category.as_str()),
            ("acme-2026", "purchased_heat")
        );
        assert_eq!(t.gases.n2o, None);
        assert_eq!(t.factor, 60.0 + 0.001 * 27.0);
    }

    #[test]
    fn a_semicolon_file_with_decimal_commas_reads_the_same_figures() {
        let body = "id;name;unit;scope;co2;ch4;n2o;category;source\n\
                    9001;Steam from ACME plant;GJ;2;60;0,001;;purchased_heat;ACME 2026 declaration\n";
        let t = &parse_upload(body.as_bytes(), &acme()).unwrap()[0];
        assert_eq!((t.gases.co2, t.gases.ch4), (Some(60.0), Some(0.001)));
    }

    #[test]
    fn a_factor_known_only_as_co2e_is_unspeciated_co2e() {
        let body = "id,name,unit,scope,co2e,scope3_category\n\
                    9001,Mixed waste landfilled,short_ton,3,520,5\n";
        let types = parse_upload(body.as_bytes(), &acme()).unwrap();
        assert_eq!(types[0].gases.other_co2e, Some(520.0));
        assert_eq!(types[0].factor, 520.0);
    }

    #[test]
    fn every_bad_row_is_named_and_nothing_is_kept() {
        let body = "id,name,unit,scope,co2\n\
                    9001,ok,GJ,2,1\n\
                    x,,GJ,5,abc\n\
                    9003,no gas,GJ,1,\n";
        let Err(UploadError::Invalid(errors)) = parse_upload(body.as_bytes(), &acme()) else {
            panic!("expected row errors");
        };
        let named: Vec<(Option<u64>, &str)> =
            errors.iter().map(|e| (e.row, e.field.as_str())).collect();
        assert_eq!(
            named,
            [
                (Some(2), "co2"),
                (Some(2), "id"),
                (Some(2), "name"),
                (Some(2), "scope"),
                (Some(3), "gases")
            ]
        );
    }

    #[test]
    fn a_missing_column_or_a_repeated_id_is_refused() {
        let Err(UploadError::Invalid(e)) = parse_upload(b"id,name,unit\n1,a,kg\n", &acme()) else {
            panic!("expected header errors");
        };
        assert!(
            e.iter().all(|e| e.field == "header") && e.len() == 2,
            "{e:?}"
        );
        let twice = "id,name,unit,scope,co2\n9001,a,kg,1,1\n9001,b,kg,1,1\n";
        let Err(UploadError::Invalid(e)) = parse_upload(twice.as_bytes(), &acme()) else {
            panic!("expected a repeated id");
        };
        assert_eq!(e[0].field, "id");
    }
}
