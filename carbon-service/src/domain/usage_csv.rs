//! Usages as CSV: the export's rows, and the import's parsing and checks.
//!
//! Spreadsheets execute a cell that starts with `=`, `+`, `-` or `@` (and
//! some treat tab and carriage return the same way). Imported cells are
//! plain values, never evaluated; exported text cells that look like a
//! formula get a leading `'`, which spreadsheets show as text.

use std::borrow::Cow;

use super::ids::UsageTypeId;
use super::usage::{NewUsage, Usage, check_amount, parse_usage_at};
use common::validation::FieldError;

/// The export's header row.
pub const EXPORT_HEADER: [&str; 9] = [
    "id",
    "usage_at",
    "usage_type_id",
    "usage_type_name",
    "unit",
    "amount",
    "factor",
    "co2e",
    "scope",
];
/// The columns an import needs (others, such as the export's, are ignored).
pub const IMPORT_COLUMNS: [&str; 3] = ["usage_at", "usage_type_id", "amount"];
/// The most rows one import may hold.
pub const MAX_IMPORT_ROWS: usize = 10_000;
/// The largest import body.
pub const MAX_IMPORT_BYTES: usize = 5 * 1024 * 1024;
/// Row errors reported at most, so a wholly wrong file gets a short answer.
pub const MAX_REPORTED_ERRORS: usize = 100;

/// Makes a text cell safe to open in a spreadsheet.
pub fn neutralize_formula(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// One usage as a CSV line (with its line break), in [`EXPORT_HEADER`]'s order.
pub fn export_line(usage: &Usage) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(160));
    writer.write_record([
        usage.id.to_string().as_str(),
        &usage
            .usage_at
            .to_chrono()
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        &usage.usage_type_id.to_string(),
        &neutralize_formula(&usage.usage_type.name),
        &neutralize_formula(&usage.usage_type.unit),
        &usage.amount.to_string(),
        &usage.usage_type.factor.to_string(),
        &usage.co2e.to_string(),
        &usage.usage_type.scope.get().to_string(),
    ])?;
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// The header row as a CSV line.
pub fn export_header() -> Vec<u8> {
    let mut line = EXPORT_HEADER.join(",").into_bytes();
    line.extend_from_slice(b"\r\n");
    line
}

/// Why an import was refused as a whole.
#[derive(Debug, PartialEq)]
pub enum ImportError {
    /// More than [`MAX_IMPORT_ROWS`] data rows (413).
    TooManyRows,
    /// The header or some rows are invalid (422); nothing is stored.
    Invalid(Vec<FieldError>),
}

/// Parses an import body: a header naming [`IMPORT_COLUMNS`] (any order,
/// any case; a UTF-8 byte-order mark is allowed), then one usage per row.
/// Every row is checked; all errors are reported together.
pub fn parse_import(body: &[u8]) -> Result<Vec<NewUsage>, ImportError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(body);
    let header = reader
        .headers()
        .map_err(|e| invalid("header", format!("cannot be read: {e}")))?
        .clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| FieldError::new("header", format!("has no `{name}` column")))
    };
    let (at_col, type_col, amount_col) = match (
        column("usage_at"),
        column("usage_type_id"),
        column("amount"),
    ) {
        (Ok(a), Ok(t), Ok(m)) => (a, t, m),
        (a, t, m) => {
            return Err(ImportError::Invalid(
                [a.err(), t.err(), m.err()].into_iter().flatten().collect(),
            ));
        }
    };

    let mut usages = Vec::new();
    let mut errors = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let row = index as u64 + 1;
        if index >= MAX_IMPORT_ROWS {
            return Err(ImportError::TooManyRows);
        }
        if errors.len() >= MAX_REPORTED_ERRORS {
            // Still count rows, so an oversized file is 413 whatever its errors.
            continue;
        }
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                errors.push(FieldError::new("row", format!("cannot be read: {e}")).in_row(row));
                continue;
            }
        };
        let cell = |i: usize| record.get(i).unwrap_or("");
        let amount = cell(amount_col)
            .parse::<f64>()
            .map_err(|_| FieldError::new("amount", "must be a number"))
            .and_then(check_amount);
        let type_id = UsageTypeId::parse_text("usage_type_id", cell(type_col));
        let usage_at = match cell(at_col) {
            "" => Err(FieldError::new("usage_at", "is required")),
            raw => parse_usage_at(raw),
        };
        let row_errors: Vec<FieldError> = match (amount, type_id, usage_at) {
            (Ok(amount), Ok(usage_type_id), Ok(usage_at)) => {
                usages.push(NewUsage {
                    amount,
                    usage_type_id,
                    usage_at,
                });
                Vec::new()
            }
            (a, t, u) => [a.err(), t.err(), u.err()].into_iter().flatten().collect(),
        };
        errors.extend(row_errors.into_iter().map(|e| e.in_row(row)));
    }
    if !errors.is_empty() {
        errors.truncate(MAX_REPORTED_ERRORS);
        return Err(ImportError::Invalid(errors));
    }
    if usages.is_empty() {
        return Err(invalid("body", "has no data rows"));
    }
    Ok(usages)
}

fn invalid(field: &str, message: impl Into<String>) -> ImportError {
    ImportError::Invalid(vec![FieldError::new(field, message)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(err: ImportError) -> Vec<(Option<u64>, String)> {
        match err {
            ImportError::Invalid(errors) => errors.into_iter().map(|e| (e.row, e.field)).collect(),
            other => panic!("expected row errors, got {other:?}"),
        }
    }

    #[test]
    fn rows_parse_in_any_column_order_with_a_bom_and_extra_columns() {
        let body = "\u{feff}Amount,note,usage_type_id,usage_at\n12.5,x,100,2026-01-02T03:04:05Z\n0,y,101,2026-02-01T00:00:00+01:00\n";
        let rows = parse_import(body.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].amount, rows[0].usage_type_id.get()), (12.5, 100));
        assert_eq!(rows[1].usage_at.to_rfc3339(), "2026-01-31T23:00:00+00:00");
    }

    #[test]
    fn every_bad_row_is_reported_with_its_number_and_field() {
        let body = "usage_at,usage_type_id,amount\n2026-01-01T00:00:00Z,100,1\nyesterday,abc,-1\n2026-01-01T00:00:00Z,100,=1+2\n";
        assert_eq!(
            fields(parse_import(body.as_bytes()).unwrap_err()),
            [
                (Some(2), "amount".to_owned()),
                (Some(2), "usage_type_id".to_owned()),
                (Some(2), "usage_at".to_owned()),
                (Some(3), "amount".to_owned()),
            ]
        );
    }

    #[test]
    fn a_missing_column_is_named() {
        let body = "usage_at,amount\n2026-01-01T00:00:00Z,1\n";
        assert_eq!(
            fields(parse_import(body.as_bytes()).unwrap_err()),
            [(None, "header".to_owned())]
        );
    }

    #[test]
    fn more_than_ten_thousand_rows_is_too_many() {
        let mut body = String::from("usage_at,usage_type_id,amount\n");
        for _ in 0..=MAX_IMPORT_ROWS {
            body.push_str("2026-01-01T00:00:00Z,100,1\n");
        }
        assert_eq!(parse_import(body.as_bytes()), Err(ImportError::TooManyRows));
    }

    #[test]
    fn formula_looking_text_is_neutralized_on_export() {
        for text in ["=HYPERLINK(\"x\")", "+1", "-1", "@SUM(A1)", "\tx"] {
            assert!(neutralize_formula(text).starts_with('\''), "{text}");
        }
        assert_eq!(neutralize_formula("electricity"), "electricity");
    }
}
