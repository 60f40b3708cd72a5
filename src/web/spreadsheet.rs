//! CSV cells that spreadsheets would run as formulas ("CSV injection"): a reader's name
//! such as `=HYPERLINK("http://evil.example","Click")` must reach staff's spreadsheet as text.

use std::borrow::Cow;

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

#[cfg(test)]
mod tests {
    use super::*;

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
