//! Reading the file: the CSV syntax and every check that needs no database.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use indicatif::ProgressBar;

use super::format::{
    AMOUNT, CAMPAIGN, CANCEL_AT_PERIOD_END, COLUMNS, CUSTOMER, EMAIL, INTERVAL, JOINED_AT,
    MemberStatus, NAME, NO_MEMBERSHIP, PERIOD_END, STATUS, SUBSCRIPTION, TIER,
};
use crate::domain::{BillingInterval, EmailAddress, MembershipStatus};
use crate::web::spreadsheet::{self, Record, Table, parse_time};

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

/// The member file read and checked, as far as that needs no database.
pub(super) type Parsed = Table<Row>;

/// Reads and checks every record, collecting all problems rather than stopping at the first.
pub(super) fn parse(bytes: &[u8], bar: &ProgressBar) -> Parsed {
    let mut first_seen: [HashMap<String, u64>; 3] = Default::default();
    spreadsheet::read(bytes, &COLUMNS, EMAIL, bar, |record| {
        parse_row(record, &mut first_seen)
    })
}

fn parse_row(
    record: &Record<'_>,
    first_seen: &mut [HashMap<String, u64>; 3],
) -> Result<Row, Vec<String>> {
    let mut reasons = Vec::new();
    let line = record.line;
    let cell = |c: usize| record.cell(c);
    let r = &mut reasons;
    let email = record.check(EMAIL, r, |raw| {
        EmailAddress::parse(raw).ok_or_else(|| "not an email address".into())
    });
    let status = record.check(STATUS, r, |raw| {
        MemberStatus::parse(&raw.to_ascii_lowercase()).ok_or_else(|| {
            let statuses: Vec<&str> = MembershipStatus::ALL.map(MembershipStatus::as_str).into();
            format!("expected one of {}, {NO_MEMBERSHIP}", statuses.join(", "))
        })
    });
    let joined_at = record.check(JOINED_AT, r, parse_time);
    let customer = record.check(CUSTOMER, r, |raw| stripe_id(raw, "cus_"));
    let subscription = record.check(SUBSCRIPTION, r, |raw| stripe_id(raw, "sub_"));
    let interval = record.check(INTERVAL, r, |raw| {
        raw.to_ascii_lowercase()
            .parse()
            .ok()
            .filter(|i: &BillingInterval| i.is_recurring())
            .ok_or_else(|| "expected month or year".into())
    });
    let amount = record.check(AMOUNT, r, |raw| {
        raw.parse::<i64>()
            .ok()
            .filter(|a| *a >= 0)
            .ok_or_else(|| "expected whole minor units, e.g. 500 for 5.00".into())
    });
    let period_end = record.check(PERIOD_END, r, parse_time);
    let cancel_at_period_end = record.check(CANCEL_AT_PERIOD_END, r, |raw| {
        match raw.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err("expected true or false".into()),
        }
    });
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
}
