//! Usages as CSV: the export's rows, and the import's parsing and checks.
//!
//! Spreadsheets execute a cell that starts with `=`, `+`, `-` or `@` (and
//! some treat tab and carriage return the same way). Imported cells are
//! plain values, never evaluated; exported text cells that look like a
//! formula get a leading `'`, which spreadsheets show as text.

use std::borrow::Cow;

use std::collections::{HashMap, HashSet};

use bson::oid::ObjectId;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::actor::Actor;
use super::ids::{FacilityId, UsageId, UsageTypeId};
use super::units::check_unit;
use super::usage::{NewUsage, Usage, check_amount, check_unit_text, check_usage_at};
use super::usage_type::UsageType;
use common::validation::FieldError;

/// The export's header row: the amount as entered and in the factor's
/// unit, the factor's dataset and GWP set, the gases, the CO₂e, the scope
/// and, last (added after the others, so their places hold), the memo of
/// biogenic CO₂, which is in no CO₂e, fossil methane, the scope 3
/// category and the facility (which an import reads back).
pub const EXPORT_HEADER: [&str; 24] = [
    "id",
    "usage_at",
    "usage_type_id",
    "usage_type_name",
    "dataset",
    "amount",
    "unit",
    "factor_amount",
    "factor_unit",
    "factor",
    "gwp_basis",
    "co2",
    "ch4",
    "n2o",
    "other_co2e",
    "fgases",
    "co2e",
    "scope",
    "biogenic_co2",
    "ch4_fossil",
    "scope3_category",
    "facility_id",
    "data_quality",
    "evidence",
];
/// The columns an import needs (others, such as the export's, are ignored).
pub const IMPORT_COLUMNS: [&str; 3] = ["usage_at", "usage_type_id", "amount"];
/// The most rows one import may hold.
pub const MAX_IMPORT_ROWS: usize = 10_000;

/// What a number cell that does not parse is told.
pub const NOT_A_NUMBER: &str = "must be a number such as 1234.5 (or 1234,5 in a file with `;` between cells), without thousands marks";

/// How a CSV body writes its numbers: where a spreadsheet uses a decimal
/// comma (much of Europe), it saves with `;` between cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separators {
    /// `,` between cells, `.` before decimals.
    Comma,
    /// `;` between cells, `,` (or `.`) before decimals.
    Semicolon,
}

impl Separators {
    /// The one a header line uses: `;` when it has no `,` but a `;`.
    fn of_header(line: &[u8]) -> Self {
        if !line.contains(&b',') && line.contains(&b';') {
            Self::Semicolon
        } else {
            Self::Comma
        }
    }

    fn delimiter(self) -> u8 {
        match self {
            Self::Comma => b',',
            Self::Semicolon => b';',
        }
    }

    /// A number cell as Rust parses it: in a `;` file, `12,5` is 12.5. A
    /// cell with both marks (`1.234,5`) is left as it is, and refused.
    pub fn number_text(self, raw: &str) -> Cow<'_, str> {
        match self {
            Self::Semicolon if !raw.contains('.') && raw.matches(',').count() == 1 => {
                Cow::Owned(raw.replace(',', "."))
            }
            _ => Cow::Borrowed(raw),
        }
    }
}

/// A CSV body's reader (cells trimmed, rows of any length, a UTF-8
/// byte-order mark skipped, `,` or `;` between cells as its header shows),
/// its header row and its [`Separators`].
pub fn open_csv(
    body: &[u8],
) -> Result<(csv::Reader<&[u8]>, csv::StringRecord, Separators), FieldError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let header_line = body.split(|b| *b == b'\n').next().unwrap_or_default();
    let separators = Separators::of_header(header_line);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separators.delimiter())
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(body);
    let header = reader
        .headers()
        .map_err(|e| FieldError::new("header", format!("cannot be read: {e}")))?
        .clone();
    Ok((reader, header, separators))
}

/// More than [`MAX_IMPORT_ROWS`] data rows.
pub struct TooManyRows;

/// The data rows of `reader`, numbered from 1 (the header is row 0), each
/// read or an error naming its row; [`TooManyRows`] past the limit.
/// A row of empty cells (`;;;`, which a spreadsheet saves for a blank row
/// inside its data) is skipped but keeps its number, so the numbers still
/// match the spreadsheet's rows.
pub fn numbered_rows<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
) -> impl Iterator<Item = Result<(u64, Result<csv::StringRecord, FieldError>), TooManyRows>> + '_ {
    reader
        .records()
        .enumerate()
        .filter(|(_, record)| !matches!(record, Ok(cells) if cells.iter().all(str::is_empty)))
        .map(|(index, record)| {
            if index >= MAX_IMPORT_ROWS {
                return Err(TooManyRows);
            }
            let row = index as u64 + 1;
            let unreadable = |e: csv::Error| FieldError::new("row", format!("cannot be read: {e}"));
            Ok((row, record.map_err(|e| unreadable(e).in_row(row))))
        })
}
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

/// Takes off the `'` [`neutralize_formula`] put before a risky text, so
/// that an export imports back as it was.
fn unneutralize(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => text,
    }
}

/// One usage as a CSV line (with its line break), in [`EXPORT_HEADER`]'s order.
pub fn export_line(usage: &Usage) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(160));
    let gases = &usage.gases;
    // Computed figures to 12 significant digits; the amount as entered.
    let figure = |x: f64| super::figures::shown(x).to_string();
    let gas = |kg: Option<f64>| kg.map(figure).unwrap_or_default();
    writer.write_record([
        usage.id.to_string().as_str(),
        &usage
            .usage_at
            .to_chrono()
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        &usage.usage_type_id.to_string(),
        &neutralize_formula(&usage.usage_type.name),
        usage.usage_type.dataset.as_str(),
        &usage.amount.to_string(),
        &neutralize_formula(&usage.unit),
        &figure(usage.factor_amount),
        &neutralize_formula(&usage.usage_type.unit),
        &figure(usage.usage_type.factor),
        usage.usage_type.gwp_basis.as_str(),
        &gas(gases.co2),
        &gas(gases.ch4),
        &gas(gases.n2o),
        &gas(gases.other_co2e),
        // `HFC-134a=2.5;SF6=0.1`: each fluorinated gas and its kg.
        &gases
            .fgases
            .iter()
            .map(|(code, kg)| format!("{code}={}", figure(*kg)))
            .collect::<Vec<_>>()
            .join(";"),
        &figure(usage.co2e),
        &usage.usage_type.scope.get().to_string(),
        &gas(gases.biogenic_co2),
        &gas(gases.ch4_fossil),
        &usage
            .scope3_category
            .map(|c| c.to_string())
            .unwrap_or_default(),
        &usage.facility_id.map(|f| f.to_string()).unwrap_or_default(),
        usage.data_quality.map(|q| q.as_str()).unwrap_or_default(),
        &neutralize_formula(usage.evidence.as_deref().unwrap_or_default()),
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

/// One data row of an import: the usage when every cell parsed, and the
/// type id and unit it names (for the checks against the stored types,
/// which also run on a row whose other cells failed).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// 1 for the first data row.
    pub row: u64,
    pub usage: Option<NewUsage>,
    pub usage_type_id: Option<UsageTypeId>,
    pub unit: Option<String>,
    pub errors: Vec<FieldError>,
}

/// Parses an import body: a header naming [`IMPORT_COLUMNS`] (any order,
/// any case; a UTF-8 byte-order mark is allowed) and optionally `unit`
/// (blank or absent: the type's unit), then one usage per row. Every row is
/// parsed and kept with its errors, so the caller can add the errors of
/// its type and unit and report them all in one answer.
pub fn parse_import(body: &[u8]) -> Result<Vec<ImportRow>, ImportError> {
    let (mut reader, header, separators) =
        open_csv(body).map_err(|e| ImportError::Invalid(vec![e]))?;
    let position = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let column = |name: &str| {
        position(name).ok_or_else(|| FieldError::new("header", format!("has no `{name}` column")))
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
    let unit_col = position("unit");
    let category_col = position("scope3_category");
    let facility_col = position("facility_id");
    let quality_col = position("data_quality");
    let evidence_col = position("evidence");

    let mut rows = Vec::new();
    for next in numbered_rows(&mut reader) {
        let (row, record) = next.map_err(|TooManyRows| ImportError::TooManyRows)?;
        let record = match record {
            Ok(record) => record,
            Err(unreadable) => {
                rows.push(ImportRow {
                    row,
                    usage: None,
                    usage_type_id: None,
                    unit: None,
                    errors: vec![unreadable],
                });
                continue;
            }
        };
        let cell = |i: usize| record.get(i).unwrap_or("");
        let amount = separators
            .number_text(cell(amount_col))
            .parse::<f64>()
            .map_err(|_| FieldError::new("amount", NOT_A_NUMBER))
            .and_then(check_amount);
        let unit = check_unit_text(unit_col.map(cell));
        let type_id = UsageTypeId::parse_text("usage_type_id", cell(type_col));
        let usage_at = parse_usage_at_cell(cell(at_col));
        let category = match category_col.map(cell).unwrap_or("") {
            "" => Ok(None),
            raw => raw.parse::<i64>().map(Some).map_err(|_| {
                FieldError::new("scope3_category", "must be a scope 3 category number")
            }),
        };
        let facility = super::usage::parse_facility(facility_col.map(cell));
        let quality = super::usage::parse_data_quality(quality_col.map(cell));
        // A spreadsheet-safe export prefixes risky text with `'`: taken off.
        let evidence = super::usage::parse_evidence(evidence_col.map(|i| unneutralize(cell(i))));
        let usage_type_id = type_id.as_ref().ok().copied();
        let unit_text = unit.as_ref().ok().cloned().flatten();
        let optional = (quality, evidence);
        let (usage, errors) = match (
            amount, unit, type_id, usage_at, category, facility, optional,
        ) {
            (
                Ok(amount),
                Ok(unit),
                Ok(usage_type_id),
                Ok(usage_at),
                Ok(scope3_category),
                Ok(facility_id),
                (Ok(data_quality), Ok(evidence)),
            ) => (
                Some(NewUsage {
                    amount,
                    unit,
                    usage_type_id,
                    usage_at,
                    scope3_category,
                    facility_id,
                    data_quality,
                    evidence,
                }),
                Vec::new(),
            ),
            (a, n, t, u, c, f, (q, e)) => (
                None,
                [
                    a.err(),
                    n.err(),
                    t.err(),
                    u.err(),
                    c.err(),
                    f.err(),
                    q.err(),
                    e.err(),
                ]
                .into_iter()
                .flatten()
                .map(|e| e.in_row(row))
                .collect(),
            ),
        };
        rows.push(ImportRow {
            row,
            usage,
            usage_type_id,
            unit: unit_text,
            errors,
        });
    }
    if rows.is_empty() {
        return Err(invalid("body", "has no data rows"));
    }
    Ok(rows)
}

/// A `usage_at` cell: an RFC 3339 date-time with an offset, or a date
/// alone (`2026-11-01`, read as midnight UTC, so the usage counts in that
/// day and month), which is what a spreadsheet's date column saves as.
/// A spreadsheet's local format (`11/1/2026`) is refused: day and month
/// cannot be told apart.
fn parse_usage_at_cell(raw: &str) -> Result<DateTime<Utc>, FieldError> {
    if raw.is_empty() {
        return Err(FieldError::new("usage_at", "is required"));
    }
    let at = match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(day) => day.and_time(NaiveTime::MIN).and_utc(),
        Err(_) => DateTime::parse_from_rfc3339(raw)
            .map_err(|_| {
                FieldError::new(
                    "usage_at",
                    "must be a date (2026-11-01, read as midnight UTC) or an RFC 3339 \
                     date-time with an offset (2026-11-01T08:00:00Z); format a \
                     spreadsheet's date column as YYYY-MM-DD",
                )
            })?
            .with_timezone(&Utc),
    };
    check_usage_at(at)
}

fn invalid(field: &str, message: impl Into<String>) -> ImportError {
    ImportError::Invalid(vec![FieldError::new(field, message)])
}

/// The usages of an import's rows, each against the stored type it names
/// (`types`: the ones the importer may see), or every row's errors (the
/// first [`MAX_REPORTED_ERRORS`]): an unknown or retired type, or a unit
/// the type's cannot be converted from, a facility that is not one of the
/// organization's (`facilities`). The usages carry `import_id`.
pub fn resolve_rows(
    rows: Vec<ImportRow>,
    types: &HashMap<UsageTypeId, UsageType>,
    facilities: &HashSet<FacilityId>,
    owner: Actor,
    import_id: ObjectId,
) -> Result<Vec<Usage>, Vec<FieldError>> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut usages: Vec<Usage> = Vec::with_capacity(rows.len());
    for row in rows {
        let mut row_errors = row.errors;
        let checked = row.usage_type_id.and_then(|id| {
            let found = match types.get(&id) {
                None => Err(FieldError::new(
                    "usage_type_id",
                    format!("no usage type has id {id}"),
                )),
                Some(t) if t.retired => Err(FieldError::new(
                    "usage_type_id",
                    format!(
                        "usage type {id} belongs to the retired dataset {}",
                        t.dataset
                    ),
                )),
                Some(t) => check_unit(row.unit.as_deref().unwrap_or(&t.unit), &t.unit)
                    .map(|unit| (t, unit)),
            };
            found.map_err(|e| row_errors.push(e.in_row(row.row))).ok()
        });
        if let Some(facility) = row.usage.as_ref().and_then(|u| u.facility_id)
            && !facilities.contains(&facility)
        {
            row_errors.push(
                FieldError::new("facility_id", format!("no facility has id {facility}"))
                    .in_row(row.row),
            );
        }
        match (row.usage, checked) {
            (Some(new), Some((usage_type, unit))) if row_errors.is_empty() => {
                let mut usage = Usage::new(
                    UsageId::new(),
                    owner,
                    new.amount,
                    unit,
                    usage_type.clone(),
                    new.usage_at,
                );
                usage.import_id = Some(import_id);
                usage.facility_id = new.facility_id;
                usage.data_quality = new.data_quality;
                usage.evidence = new.evidence;
                match usage.choose_scope3_category(new.scope3_category) {
                    Ok(()) => usages.push(usage),
                    Err(e) => errors.push(e.in_row(row.row)),
                }
            }
            _ => errors.extend(row_errors),
        }
    }
    if errors.is_empty() {
        Ok(usages)
    } else {
        errors.truncate(MAX_REPORTED_ERRORS);
        Err(errors)
    }
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

    fn row_errors(rows: &[ImportRow]) -> Vec<(Option<u64>, String)> {
        rows.iter()
            .flat_map(|r| r.errors.iter().map(|e| (e.row, e.field.clone())))
            .collect()
    }

    #[test]
    fn rows_parse_in_any_column_order_with_a_bom_and_extra_columns() {
        let body = "\u{feff}Amount,note,usage_type_id,usage_at\n12.5,x,100,2026-01-02T03:04:05Z\n0,y,101,2026-02-01T00:00:00+01:00\n";
        let rows = parse_import(body.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        let first = rows[0].usage.as_ref().unwrap();
        assert_eq!(
            (
                first.amount,
                first.usage_type_id.get(),
                first.unit.as_deref()
            ),
            (12.5, 100, None)
        );
        let second = rows[1].usage.as_ref().unwrap();
        assert_eq!(second.usage_at.to_rfc3339(), "2026-01-31T23:00:00+00:00");
    }

    #[test]
    fn every_bad_row_is_reported_with_its_number_and_field() {
        let body = "usage_at,usage_type_id,amount\n2026-01-01T00:00:00Z,100,1\nyesterday,abc,-1\n2026-01-01T00:00:00Z,100,=1+2\n";
        let rows = parse_import(body.as_bytes()).unwrap();
        // The type of a row whose amount failed is still named, for its check.
        assert_eq!(rows[2].usage_type_id.map(|id| id.get()), Some(100));
        assert_eq!(
            row_errors(&rows),
            [
                (Some(2), "amount".to_owned()),
                (Some(2), "usage_type_id".to_owned()),
                (Some(2), "usage_at".to_owned()),
                (Some(3), "amount".to_owned()),
            ]
        );
    }

    #[test]
    fn a_unit_column_is_optional_and_blank_means_the_types_unit() {
        let body = "usage_at,usage_type_id,amount,unit\n2026-01-01T00:00:00Z,20000,12,MWh\n2026-01-01T00:00:00Z,20000,5,\n";
        let rows = parse_import(body.as_bytes()).unwrap();
        let units: Vec<Option<String>> = rows
            .iter()
            .map(|r| r.usage.as_ref().unwrap().unit.clone())
            .collect();
        assert_eq!(units, [Some("MWh".to_owned()), None]);
    }

    #[test]
    fn a_date_alone_is_midnight_utc_of_that_day() {
        let body = "usage_at,usage_type_id,amount\r\n2026-11-01,100,1\r\n";
        let rows = parse_import(body.as_bytes()).unwrap();
        let at = rows[0].usage.as_ref().unwrap().usage_at;
        assert_eq!(at.to_rfc3339(), "2026-11-01T00:00:00+00:00");
    }

    #[test]
    fn a_spreadsheets_local_date_or_a_time_without_offset_is_refused_saying_how_to_format_it() {
        for cell in [
            "11/1/2026",
            "01.11.2026",
            "2026-11-01 08:00:00",
            "2026-13-01",
        ] {
            let body = format!("usage_at,usage_type_id,amount\n{cell},100,1\n");
            let rows = parse_import(body.as_bytes()).unwrap();
            let error = &rows[0].errors[0];
            assert_eq!(
                (error.row, error.field.as_str()),
                (Some(1), "usage_at"),
                "{cell}"
            );
            assert!(
                error.message.contains("YYYY-MM-DD"),
                "{cell}: {}",
                error.message
            );
        }
    }

    #[test]
    fn a_date_alone_keeps_the_bounds_of_any_usage_at() {
        let tomorrow_but_one = (chrono::Utc::now() + chrono::Duration::days(2)).date_naive();
        for cell in ["1899-12-31".to_owned(), tomorrow_but_one.to_string()] {
            let body = format!("usage_at,usage_type_id,amount\n{cell},100,1\n");
            let rows = parse_import(body.as_bytes()).unwrap();
            assert_eq!(
                row_errors(&rows),
                [(Some(1), "usage_at".to_owned())],
                "{cell}"
            );
        }
    }

    #[test]
    fn a_semicolon_file_from_a_decimal_comma_spreadsheet_reads_its_amounts() {
        let body = "usage_at;usage_type_id;amount;evidence\r\n2026-11-01;100;1234,5;INV 7, page 2\r\n2026-11-02;100;3;\r\n";
        let rows = parse_import(body.as_bytes()).unwrap();
        let amounts: Vec<f64> = rows
            .iter()
            .map(|r| r.usage.as_ref().unwrap().amount)
            .collect();
        assert_eq!(amounts, [1234.5, 3.0]);
        // Only number cells change: text keeps its commas.
        let evidence = rows[0].usage.as_ref().unwrap().evidence.as_deref();
        assert_eq!(evidence, Some("INV 7, page 2"));
    }

    #[test]
    fn thousands_marks_are_refused_rather_than_guessed() {
        for (body, cell) in [
            (
                "usage_at;usage_type_id;amount\n2026-11-01;100;1.234,5\n",
                "1.234,5",
            ),
            (
                "usage_at,usage_type_id,amount\n2026-11-01,100,\"1,234.5\"\n",
                "1,234.5",
            ),
            (
                "usage_at,usage_type_id,amount\n2026-11-01,100,\"12,5\"\n",
                "12,5",
            ),
        ] {
            let rows = parse_import(body.as_bytes()).unwrap();
            assert_eq!(
                row_errors(&rows),
                [(Some(1), "amount".to_owned())],
                "{cell}"
            );
        }
    }

    #[test]
    fn a_spreadsheets_blank_rows_are_skipped_and_the_rows_after_keep_their_numbers() {
        let rows =
            parse_import(b"usage_at;usage_type_id;amount\r\n;;\r\n2026-11-01;100;x\r\n ; ; \r\n")
                .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(row_errors(&rows), [(Some(2), "amount".to_string())]);
        assert_eq!(
            fields(parse_import(b"usage_at,usage_type_id,amount\n,,\n,,\n").unwrap_err()),
            [(None, "body".to_string())]
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

    mod resolving {
        use super::*;

        fn types(retired: bool) -> HashMap<UsageTypeId, UsageType> {
            let mut t = crate::domain::usage::tests::electricity();
            t.retired = retired;
            HashMap::from([(t.id, t)])
        }

        fn rows(body: &str) -> Vec<ImportRow> {
            parse_import(body.as_bytes()).unwrap()
        }

        fn resolved(body: &str, retired: bool) -> Result<Vec<Usage>, Vec<(Option<u64>, String)>> {
            resolve_rows(
                rows(body),
                &types(retired),
                &HashSet::new(),
                Actor::personal(common::ids::UserId::new()),
                ObjectId::new(),
            )
            .map_err(|errors| errors.into_iter().map(|e| (e.row, e.message)).collect())
        }

        #[test]
        fn rows_of_a_known_type_become_usages_in_the_factors_unit_tagged_with_the_import() {
            let import_id = ObjectId::new();
            let usages = resolve_rows(
                rows("usage_at,usage_type_id,amount,unit\n2026-01-01T00:00:00Z,100,2,MWh\n2026-01-02T00:00:00Z,100,3,\n"),
                &types(false),
                &HashSet::new(),
                Actor::personal(common::ids::UserId::new()),
                import_id,
            )
            .unwrap();
            assert_eq!(usages.len(), 2);
            assert_eq!(usages[0].co2e, 2000.0 * 1.5);
            assert_eq!(usages[1].co2e, 3.0 * 1.5);
            assert!(usages.iter().all(|u| u.import_id == Some(import_id)));
        }

        #[test]
        fn an_unknown_type_a_retired_one_and_a_foreign_unit_are_named_by_row() {
            let body = "usage_at,usage_type_id,amount,unit\n2026-01-01T00:00:00Z,999,1,\n2026-01-01T00:00:00Z,100,1,kg\n";
            let errors = resolved(body, false).unwrap_err();
            assert_eq!(
                errors.iter().map(|e| e.0).collect::<Vec<_>>(),
                [Some(1), Some(2)]
            );
            assert!(
                errors[0].1.contains("no usage type has id 999"),
                "{errors:?}"
            );
            let retired = resolved(
                "usage_at,usage_type_id,amount\n2026-01-01T00:00:00Z,100,1\n",
                true,
            )
            .unwrap_err();
            assert!(retired[0].1.contains("retired"), "{retired:?}");
        }

        #[test]
        fn a_row_whose_cells_failed_also_gets_its_type_checked_and_at_most_a_hundred_errors_come_back()
         {
            let body = "usage_at,usage_type_id,amount\nnot-a-date,999,1\n";
            let errors = resolved(body, false).unwrap_err();
            assert_eq!(errors.len(), 2, "{errors:?}");
            let many: String = (0..150).map(|_| "2026-01-01T00:00:00Z,999,1\n").collect();
            let errors =
                resolved(&format!("usage_at,usage_type_id,amount\n{many}"), false).unwrap_err();
            assert_eq!(errors.len(), MAX_REPORTED_ERRORS);
        }
    }
}
