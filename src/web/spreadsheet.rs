//! CSV files staff give us and get from us.
//!
//! Reading ([`read`]): every record is checked and every problem reported by the physical
//! line it is on, so an import can refuse a whole file and say what to fix. Writing: cells
//! that spreadsheets would run as formulas ("CSV injection"): a reader's name such as
//! `=HYPERLINK("http://evil.example","Click")` must reach staff's spreadsheet as text.

use std::borrow::Cow;

use actix_web::HttpResponse;
use actix_web::http::header;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use indicatif::{ProgressBar, ProgressStyle};

use crate::web::error::AppError;

/// A spreadsheet starts a formula at these (tab and CR because some strip them first).
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn formula_like(cell: &str) -> bool {
    cell.starts_with(TRIGGERS) && cell.parse::<f64>().is_err()
}

/// `cell` as a spreadsheet shows it as text: a leading `'` before what would start a formula
/// (numbers such as `-12.50` stay numbers). OWASP's advice for CSV exports.
pub fn defuse(cell: &str) -> Cow<'_, str> {
    if formula_like(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The cell [`defuse`] was given: exports read back by the import are unchanged.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if formula_like(rest) => rest,
        _ => cell,
    }
}

/// A bad record: its physical line (the header is line 1) and what is wrong with it.
#[derive(Debug)]
pub struct Rejection {
    pub line: u64,
    pub reasons: Vec<String>,
}

impl Rejection {
    pub fn new(line: u64, reason: impl Into<String>) -> Rejection {
        Rejection {
            line,
            reasons: vec![reason.into()],
        }
    }
}

/// What [`read`] made of a file.
#[derive(Debug)]
pub struct Table<R> {
    /// The records that passed their checks.
    pub rows: Vec<R>,
    /// The others, in file order.
    pub rejected: Vec<Rejection>,
    /// Data records read (good and bad).
    pub records: usize,
    /// The header row itself is bad: nothing else was read.
    pub bad_header: bool,
}

impl<R> Table<R> {
    /// Prints every rejection as `line N: reason; reason` on stderr, in line order.
    pub fn report(&self) {
        let mut rejected: Vec<&Rejection> = self.rejected.iter().collect();
        rejected.sort_by_key(|r| r.line);
        for r in rejected {
            eprintln!("line {}: {}", r.line, r.reasons.join("; "));
        }
    }
}

/// One data record, its cells found by column (an index into the names given to [`read`]).
pub struct Record<'a> {
    record: &'a csv::StringRecord,
    fields: &'a [Option<usize>],
    names: &'a [&'a str],
    /// Its physical line.
    pub line: u64,
}

impl<'a> Record<'a> {
    /// The cell of `column`, as written before [`defuse`]; `None` when empty or absent.
    pub fn cell(&self, column: usize) -> Option<&'a str> {
        self.fields[column]
            .and_then(|field| self.record.get(field))
            .map(restore)
            .filter(|v| !v.is_empty())
    }

    /// The cell of `column` parsed, `None` when empty; a bad value adds its reason
    /// (`invalid COLUMN "value" (what parse expected)`).
    pub fn check<T>(
        &self,
        column: usize,
        reasons: &mut Vec<String>,
        parse: impl FnOnce(&'a str) -> Result<T, String>,
    ) -> Option<T> {
        let raw = self.cell(column)?;
        parse(raw)
            .map_err(|expected| {
                reasons.push(format!(
                    "invalid {} {raw:?} ({expected})",
                    self.names[column]
                ))
            })
            .ok()
    }
}

/// Reads a CSV file whose header row names its columns (any of `names`, in any order and
/// case; `names[required]` must be there) and checks each record with `row`, collecting all
/// problems rather than stopping at the first. `bar` follows the bytes read.
pub fn read<R>(
    bytes: &[u8],
    names: &[&str],
    required: usize,
    bar: &ProgressBar,
    mut row: impl FnMut(&Record<'_>) -> Result<R, Vec<String>>,
) -> Table<R> {
    let mut table = Table {
        rows: Vec::new(),
        rejected: Vec::new(),
        records: 0,
        bad_header: false,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let fields = match reader.headers() {
        Ok(header) if header.iter().all(str::is_empty) => Err(vec![
            "no header row (the first line names the columns)".to_owned(),
        ]),
        Ok(header) => header_fields(header, names, required),
        Err(e) => Err(vec![csv_error(&e)]),
    };
    let fields = match fields {
        Ok(fields) => fields,
        Err(reasons) => {
            table.bad_header = true;
            let line = Lines::new(bytes).at(0);
            table.rejected.push(Rejection { line, reasons });
            return table;
        }
    };
    let mut record = csv::StringRecord::new();
    let mut lines = Lines::new(bytes);
    loop {
        let start = reader.position().byte() as usize;
        let read = reader.read_record(&mut record);
        let end = reader.position().byte() as usize;
        if matches!(read, Ok(false)) {
            break;
        }
        let line = lines.at(start);
        table.records += 1;
        if table.records % 4096 == 0 {
            bar.set_position(end as u64);
        }
        // An opening quote that is never closed swallows the rest of the file into one field;
        // the csv crate accepts that silently when the field count still fits.
        let raw = &bytes[start.min(end)..end];
        if raw.iter().filter(|b| **b == b'"').count() % 2 == 1 {
            table
                .rejected
                .push(Rejection::new(line, "unbalanced quotes"));
            continue;
        }
        if let Err(e) = read {
            table.rejected.push(Rejection::new(line, csv_error(&e)));
            // Past a bad record the reader goes on; anything else (I/O) ends the file.
            match e.kind() {
                csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. } => continue,
                _ => break,
            }
        }
        let checked = row(&Record {
            record: &record,
            fields: &fields,
            names,
            line,
        });
        match checked {
            Ok(row) => table.rows.push(row),
            Err(reasons) => table.rejected.push(Rejection { line, reasons }),
        }
    }
    bar.set_position(bytes.len() as u64);
    table
}

/// Physical line numbers of records, from their byte offsets: the csv crate's own count is
/// one short for every CRLF line ending before the record.
struct Lines<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Lines<'a> {
        Lines {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the record that the reader starts reading at `byte`: past the previous
    /// record's line ending and any blank lines. Offsets must not go backwards.
    fn at(&mut self, byte: usize) -> u64 {
        let mut start = byte.max(self.offset);
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let newlines = self.bytes[self.offset..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.line += newlines as u64;
        self.offset = start;
        self.line
    }
}

fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8 (save the file as UTF-8)".to_owned(),
        _ => format!("unreadable CSV: {e}"),
    }
}

/// Which record field holds each of `names`.
fn header_fields(
    header: &csv::StringRecord,
    names: &[&str],
    required: usize,
) -> Result<Vec<Option<usize>>, Vec<String>> {
    let mut fields = vec![None; names.len()];
    let (mut unknown, mut repeated) = (Vec::new(), Vec::new());
    for (field, name) in header.iter().enumerate() {
        let name = name.to_ascii_lowercase();
        match names.iter().position(|c| *c == name) {
            Some(c) if fields[c].is_some() => repeated.push(name),
            Some(c) => fields[c] = Some(field),
            None if name.is_empty() => unknown.push("(unnamed)".to_owned()),
            None => unknown.push(name),
        }
    }
    let mut reasons = Vec::new();
    if !unknown.is_empty() {
        reasons.push(format!(
            "unknown column(s) {} (known: {})",
            unknown.join(", "),
            names.join(", ")
        ));
    }
    if !repeated.is_empty() {
        reasons.push(format!("repeated column(s) {}", repeated.join(", ")));
    }
    if fields[required].is_none() {
        reasons.push(format!("no {} column", names[required]));
    }
    if reasons.is_empty() {
        Ok(fields)
    } else {
        Err(reasons)
    }
}

/// A progress bar over the bytes of a file.
pub const BYTES_TEMPLATE: &str = "{prefix:>9} [{bar:40}] {bytes}/{total_bytes} ({eta})";
/// A progress bar over rows.
pub const ROWS_TEMPLATE: &str = "{prefix:>9} [{bar:40}] {human_pos}/{human_len} rows ({eta})";

/// A progress bar on stderr for a command that reads or writes a file; indicatif draws
/// nothing when stderr is not a terminal.
pub fn bar(len: u64, label: &'static str, template: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(template)
        .expect("a valid template")
        .progress_chars("=> ");
    ProgressBar::new(len).with_style(style).with_prefix(label)
}

/// RFC 3339 (any offset, stored as UTC) or a bare date (midnight UTC).
pub fn parse_time(raw: &str) -> Result<NaiveDateTime, String> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.naive_utc())
        .or_else(|_| NaiveDate::parse_from_str(raw, "%Y-%m-%d").map(|d| d.and_time(NaiveTime::MIN)))
        .map_err(|_| "expected RFC 3339, e.g. 2024-03-01T09:30:00Z, or YYYY-MM-DD".to_owned())
}

/// A CSV attachment (its cells defused for spreadsheets).
pub fn download(
    filename: &str,
    columns: &[String],
    rows: &[Vec<String>],
) -> Result<HttpResponse, AppError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(columns).map_err(AppError::internal)?;
    for row in rows {
        out.write_record(row.iter().map(|cell| defuse(cell).into_owned()))
            .map_err(AppError::internal)?;
    }
    let body = out.into_inner().map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Result<Vec<Option<usize>>, Vec<String>> {
        header_fields(
            &csv::StringRecord::from(names.to_vec()),
            &["email", "name", "status", "tier"],
            0,
        )
    }

    #[test]
    fn header_names_are_matched_in_any_order_and_case() {
        let fields = header(&["Name", "EMAIL", "status"]).unwrap();
        assert_eq!(fields, [Some(1), Some(0), Some(2), None]);
    }

    #[test]
    fn bad_headers_name_every_problem() {
        let reasons = header(&["name", "name", "colour", ""]).unwrap_err();
        assert!(
            reasons[0].starts_with("unknown column(s) colour, (unnamed)"),
            "{reasons:?}"
        );
        assert_eq!(reasons[1], "repeated column(s) name");
        assert_eq!(reasons[2], "no email column");
    }

    #[test]
    fn times_are_rfc_3339_or_dates_in_utc() {
        let t = |s: &str| parse_time(s).map(|t| t.to_string());
        assert_eq!(t("2024-03-01"), Ok("2024-03-01 00:00:00".into()));
        assert_eq!(t("2024-03-01T09:30:00Z"), Ok("2024-03-01 09:30:00".into()));
        assert_eq!(
            t("2024-03-01T11:30:00.5+02:00"),
            Ok("2024-03-01 09:30:00.500".into())
        );
        for bad in ["2024-13-01", "01/03/2024", "yesterday", "2024-03-01T09:30"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    /// Reads `file` with columns email and name, rejecting addresses without `@`.
    fn emails(file: &str) -> Table<String> {
        read(
            file.as_bytes(),
            &["email", "name"],
            0,
            &ProgressBar::hidden(),
            |r| {
                let mut reasons = Vec::new();
                let email = r.check(0, &mut reasons, |raw| {
                    if raw.contains('@') {
                        Ok(raw.to_owned())
                    } else {
                        Err("not an email address".into())
                    }
                });
                email.filter(|_| reasons.is_empty()).ok_or(reasons)
            },
        )
    }

    #[test]
    fn records_are_reported_by_their_physical_line() {
        let file = "email,name\n\
                    a@example.com,\"two\nlines\"\n\
                    not-an-email,x\n\
                    b@example.com,\"open\n";
        let table = emails(file);
        let lines: Vec<(u64, String)> = table
            .rejected
            .iter()
            .map(|r| (r.line, r.reasons.join("; ")))
            .collect();
        assert_eq!(
            lines,
            [
                (
                    4,
                    "invalid email \"not-an-email\" (not an email address)".to_owned()
                ),
                (5, "unbalanced quotes".to_owned()),
            ]
        );
        assert_eq!(table.rows, ["a@example.com"]);
        assert_eq!(table.records, 3);
    }

    #[test]
    fn line_numbers_count_crlf_endings_and_blank_lines() {
        let file = "\u{feff}\r\nemail\r\na@example.com\r\n\r\nb@example.com\r\nbad\r\n";
        let table = emails(file);
        let lines: Vec<u64> = table.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, [6]);
        assert_eq!(table.rows.len(), 2);
    }

    #[test]
    fn a_bad_header_stops_the_read() {
        let table = emails("mail,name\na@example.com,A\n");
        assert!(table.bad_header);
        assert_eq!(table.records, 0);
        assert_eq!(table.rejected[0].line, 1);
    }

    #[test]
    fn formulas_become_text_and_come_back() {
        for cell in [
            "=HYPERLINK(\"http://evil.example\",\"Click\")",
            "+1 555",
            "-x",
            "@SUM(A1)",
            "\tcmd",
            "=",
        ] {
            let defused = defuse(cell);
            assert_eq!(defused, format!("'{cell}"));
            assert_eq!(restore(&defused), cell);
        }
        for cell in [
            "Ann",
            "-12.50",
            "+3",
            "42",
            "",
            "ann@example.org",
            "'quoted",
            "it's",
        ] {
            assert_eq!(defuse(cell), cell);
            assert_eq!(restore(cell), cell);
        }
    }
}
