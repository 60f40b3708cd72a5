//! Reading the file: the CSV syntax and every check that needs no database.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use indicatif::ProgressBar;

use super::format::{
    AMOUNT, CAMPAIGN, CANCEL_AT_PERIOD_END, COLUMNS, CUSTOMER, EMAIL, INTERVAL, JOINED_AT,
    MemberStatus, NAME, NO_MEMBERSHIP, PERIOD_END, STATUS, SUBSCRIPTION, TIER,
};
use crate::domain::{BillingInterval, EmailAddress, MembershipStatus};
use crate::web::spreadsheet;

/// A bad row: its physical line and what is wrong with it.
#[derive(Debug)]
pub(super) struct Rejection {
    pub(super) line: u64,
    pub(super) reasons: Vec<String>,
}

impl Rejection {
    pub(super) fn new(line: u64, reason: impl Into<String>) -> Rejection {
        Rejection {
            line,
            reasons: vec![reason.into()],
        }
    }
}

/// A row that passed the checks that need no database. `None` is an empty cell or a missing
/// column: "keep what is stored", or the default for a new row.
#[derive(Debug)]
pub(super) struct Row {
    pub(super) line: u64,
    pub(super) email: EmailAddress,
    pub(super) name: Option<String>,
    pub(super) status: Option<MemberStatus>,
    pub(super) tier: Option<String>,
    pub(super) joined_at: Option<NaiveDateTime>,
    pub(super) customer: Option<String>,
    pub(super) subscription: Option<String>,
    pub(super) campaign: Option<String>,
    pub(super) interval: Option<BillingInterval>,
    pub(super) amount: Option<i64>,
    pub(super) period_end: Option<NaiveDateTime>,
    pub(super) cancel_at_period_end: Option<bool>,
}

#[derive(Debug, Default)]
pub(super) struct Parsed {
    pub(super) rows: Vec<Row>,
    pub(super) rejected: Vec<Rejection>,
    /// Data records read (good and bad).
    pub(super) records: usize,
    pub(super) bad_header: bool,
}

/// Reads and checks every record, collecting all problems rather than stopping at the first.
pub(super) fn parse(bytes: &[u8], bar: &ProgressBar) -> Parsed {
    let mut parsed = Parsed::default();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let columns = match reader.headers() {
        Ok(header) if header.iter().all(str::is_empty) => Err(vec![
            "no header row (the first line names the columns)".to_owned(),
        ]),
        Ok(header) => header_columns(header),
        Err(e) => Err(vec![csv_error(&e)]),
    };
    let columns = match columns {
        Ok(columns) => columns,
        Err(reasons) => {
            parsed.bad_header = true;
            let line = Lines::new(bytes).at(0);
            parsed.rejected.push(Rejection { line, reasons });
            return parsed;
        }
    };
    let mut first_seen: [HashMap<String, u64>; 3] = Default::default();
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
        parsed.records += 1;
        if parsed.records % 4096 == 0 {
            bar.set_position(end as u64);
        }
        // An opening quote that is never closed swallows the rest of the file into one field;
        // the csv crate accepts that silently when the field count still fits.
        let raw = &bytes[start.min(end)..end];
        if raw.iter().filter(|b| **b == b'"').count() % 2 == 1 {
            parsed
                .rejected
                .push(Rejection::new(line, "unbalanced quotes"));
            continue;
        }
        if let Err(e) = read {
            parsed.rejected.push(Rejection::new(line, csv_error(&e)));
            // Past a bad record the reader goes on; anything else (I/O) ends the file.
            match e.kind() {
                csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. } => continue,
                _ => break,
            }
        }
        match parse_row(&record, &columns, line, &mut first_seen) {
            Ok(row) => parsed.rows.push(row),
            Err(reasons) => parsed.rejected.push(Rejection { line, reasons }),
        }
    }
    bar.set_position(bytes.len() as u64);
    parsed
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

/// Which record field holds each of [`COLUMNS`].
type Columns = [Option<usize>; COLUMNS.len()];

fn header_columns(header: &csv::StringRecord) -> Result<Columns, Vec<String>> {
    let mut columns: Columns = [None; COLUMNS.len()];
    let (mut unknown, mut repeated) = (Vec::new(), Vec::new());
    for (field, name) in header.iter().enumerate() {
        let name = name.to_ascii_lowercase();
        match COLUMNS.iter().position(|c| *c == name) {
            Some(c) if columns[c].is_some() => repeated.push(name),
            Some(c) => columns[c] = Some(field),
            None if name.is_empty() => unknown.push("(unnamed)".to_owned()),
            None => unknown.push(name),
        }
    }
    let mut reasons = Vec::new();
    if !unknown.is_empty() {
        reasons.push(format!(
            "unknown column(s) {} (known: {})",
            unknown.join(", "),
            COLUMNS.join(", ")
        ));
    }
    if !repeated.is_empty() {
        reasons.push(format!("repeated column(s) {}", repeated.join(", ")));
    }
    if columns[EMAIL].is_none() {
        reasons.push("no email column".to_owned());
    }
    if reasons.is_empty() {
        Ok(columns)
    } else {
        Err(reasons)
    }
}

fn parse_row(
    record: &csv::StringRecord,
    columns: &Columns,
    line: u64,
    first_seen: &mut [HashMap<String, u64>; 3],
) -> Result<Row, Vec<String>> {
    let mut reasons = Vec::new();
    let cell = |c: usize| {
        columns[c]
            .and_then(|field| record.get(field))
            .map(spreadsheet::restore)
            .filter(|v| !v.is_empty())
    };
    // A cell's value, `None` when empty; a bad value adds its reason.
    fn check<'a, T>(
        raw: Option<&'a str>,
        column: usize,
        reasons: &mut Vec<String>,
        parse: impl FnOnce(&'a str) -> Result<T, String>,
    ) -> Option<T> {
        let raw = raw?;
        parse(raw)
            .map_err(|expected| {
                reasons.push(format!("invalid {} {raw:?} ({expected})", COLUMNS[column]))
            })
            .ok()
    }
    let r = &mut reasons;
    let email = check(cell(EMAIL), EMAIL, r, |raw| {
        EmailAddress::parse(raw).ok_or_else(|| "not an email address".into())
    });
    let status = check(cell(STATUS), STATUS, r, |raw| {
        MemberStatus::parse(&raw.to_ascii_lowercase()).ok_or_else(|| {
            let statuses: Vec<&str> = MembershipStatus::ALL.map(MembershipStatus::as_str).into();
            format!("expected one of {}, {NO_MEMBERSHIP}", statuses.join(", "))
        })
    });
    let joined_at = check(cell(JOINED_AT), JOINED_AT, r, parse_time);
    let customer = check(cell(CUSTOMER), CUSTOMER, r, |raw| stripe_id(raw, "cus_"));
    let subscription = check(cell(SUBSCRIPTION), SUBSCRIPTION, r, |raw| {
        stripe_id(raw, "sub_")
    });
    let interval = check(cell(INTERVAL), INTERVAL, r, |raw| {
        raw.to_ascii_lowercase()
            .parse()
            .ok()
            .filter(|i: &BillingInterval| i.is_recurring())
            .ok_or_else(|| "expected month or year".into())
    });
    let amount = check(cell(AMOUNT), AMOUNT, r, |raw| {
        raw.parse::<i64>()
            .ok()
            .filter(|a| *a >= 0)
            .ok_or_else(|| "expected whole minor units, e.g. 500 for 5.00".into())
    });
    let period_end = check(cell(PERIOD_END), PERIOD_END, r, parse_time);
    let cancel_at_period_end =
        check(
            cell(CANCEL_AT_PERIOD_END),
            CANCEL_AT_PERIOD_END,
            r,
            |raw| match raw.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err("expected true or false".into()),
            },
        );
    let name = cell(NAME).map(str::to_owned);
    let tier = cell(TIER).map(str::to_ascii_lowercase);
    let campaign = cell(CAMPAIGN).map(str::to_ascii_lowercase);
    if cell(EMAIL).is_none() {
        reasons.push("email is missing".to_owned());
    }
    if status == Some(MemberStatus::NoMembership) {
        let stated: Vec<&str> = [
            TIER,
            SUBSCRIPTION,
            INTERVAL,
            AMOUNT,
            PERIOD_END,
            CANCEL_AT_PERIOD_END,
        ]
        .into_iter()
        .filter(|c| cell(*c).is_some())
        .map(|c| COLUMNS[c])
        .collect();
        if !stated.is_empty() {
            reasons.push(format!(
                "status none with membership columns: {}",
                stated.join(", ")
            ));
        }
    }
    // Each of these names one member or membership: twice in a file is a mistake.
    for (i, (what, value)) in [
        ("email", email.as_ref().map(EmailAddress::as_str)),
        ("stripe_customer_id", customer.as_deref()),
        ("stripe_subscription_id", subscription.as_deref()),
    ]
    .into_iter()
    .enumerate()
    {
        if let Some(value) = value {
            if let Some(first) = first_seen[i].get(value) {
                reasons.push(format!("duplicate {what} {value} (first on line {first})"));
            } else {
                first_seen[i].insert(value.to_owned(), line);
            }
        }
    }
    match email {
        Some(email) if reasons.is_empty() => Ok(Row {
            line,
            email,
            name,
            status,
            tier,
            joined_at,
            customer,
            subscription,
            campaign,
            interval,
            amount,
            period_end,
            cancel_at_period_end,
        }),
        _ => Err(reasons),
    }
}

/// RFC 3339 (any offset, stored as UTC) or a bare date (midnight UTC).
fn parse_time(raw: &str) -> Result<NaiveDateTime, String> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.naive_utc())
        .or_else(|_| NaiveDate::parse_from_str(raw, "%Y-%m-%d").map(|d| d.and_time(NaiveTime::MIN)))
        .map_err(|_| "expected RFC 3339, e.g. 2024-03-01T09:30:00Z, or YYYY-MM-DD".to_owned())
}

fn stripe_id(raw: &str, prefix: &str) -> Result<String, String> {
    let valid = raw.len() > prefix.len()
        && raw.starts_with(prefix)
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(format!("expected {prefix}..."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Result<Columns, Vec<String>> {
        header_columns(&csv::StringRecord::from(names.to_vec()))
    }

    #[test]
    fn header_names_are_matched_in_any_order_and_case() {
        let columns = header(&["Name", "EMAIL", "status"]).unwrap();
        assert_eq!(columns[EMAIL], Some(1));
        assert_eq!(columns[NAME], Some(0));
        assert_eq!(columns[STATUS], Some(2));
        assert_eq!(columns[TIER], None);
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

    #[test]
    fn the_help_and_the_errors_name_every_status() {
        let file = "email,status\na@example.com,Past_Due\nb@example.com,gone\n";
        let parsed = parse(file.as_bytes(), &ProgressBar::hidden());
        assert_eq!(
            parsed.rows[0].status,
            Some(MemberStatus::Membership(MembershipStatus::PastDue))
        );
        let reason = parsed.rejected[0].reasons.join("; ");
        for status in MemberStatus::all() {
            assert!(reason.contains(status.as_str()), "{reason}");
            assert!(super::super::FORMAT_HELP.contains(status.as_str()));
        }
    }

    #[test]
    fn stripe_ids_need_their_prefix() {
        assert!(stripe_id("cus_ABC123", "cus_").is_ok());
        for bad in ["cus_", "sub_ABC", "cus ABC", "cus_A-B"] {
            assert!(stripe_id(bad, "cus_").is_err(), "{bad}");
        }
    }

    #[test]
    fn records_are_reported_by_their_physical_line() {
        let file = "email,name\n\
                    a@example.com,\"two\nlines\"\n\
                    not-an-email,x\n\
                    b@example.com,\"open\n";
        let parsed = parse(file.as_bytes(), &ProgressBar::hidden());
        let lines: Vec<(u64, String)> = parsed
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
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.records, 3);
    }

    #[test]
    fn line_numbers_count_crlf_endings_and_blank_lines() {
        let file = "\u{feff}\r\nemail\r\na@example.com\r\n\r\nb@example.com\r\nbad\r\n";
        let parsed = parse(file.as_bytes(), &ProgressBar::hidden());
        let lines: Vec<u64> = parsed.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, [6]);
        assert_eq!(parsed.rows.len(), 2);
    }
}
