//! Money typed by people: major units ("12.50") to and from minor units (1250).

/// "12.50" or "12,50" in major units → minor units (for currencies with cents).
pub fn parse_major(input: &str) -> Option<i64> {
    let normalized = input.trim().replace(',', ".");
    let (whole, cents) = normalized.split_once('.').unwrap_or((&normalized, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || cents.len() > 2
        || !cents.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let cents = format!("{cents:0<2}");
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents.parse::<i64>().ok()?)
}

/// Minor units as a plain decimal in major units, for forms, tables and CSV (`1234.50`).
pub fn major(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", (minor / 100).abs(), (minor % 100).abs())
}

#[cfg(test)]
mod tests {
    use super::{major, parse_major};

    #[test]
    fn major_amounts_parse_to_cents() {
        for (input, cents) in [
            ("12", Some(1200)),
            ("12.5", Some(1250)),
            ("12,50", Some(1250)),
            (" 7.05 ", Some(705)),
            ("0.99", Some(99)),
            ("12.", Some(1200)),
        ] {
            assert_eq!(parse_major(input), cents, "{input}");
        }
        for input in [
            "",
            "abc",
            "1.234",
            "-5",
            "1e3",
            ".5",
            "99999999999999999999",
        ] {
            assert_eq!(parse_major(input), None, "{input}");
        }
    }

    #[test]
    fn minor_amounts_print_as_plain_decimals() {
        assert_eq!(major(123_450), "1234.50");
        assert_eq!(major(5), "0.05");
        assert_eq!(major(-250), "-2.50");
        assert_eq!(parse_major(&major(98_765)), Some(98_765));
    }
}
