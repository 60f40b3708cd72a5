//! Settings of paid membership: when members are told about money (the notice before a
//! yearly renewal, and the emails after a renewal could not be collected: at once, a
//! reminder, a last notice before Stripe stops retrying), how long they may pause, and what
//! they are offered when they cancel.

use chrono::Duration;

/// The variables read here.
pub const KEYS: [&str; 5] = [
    "MEMBERDRIVE_RENEWAL_NOTICE_DAYS",
    "MEMBERDRIVE_PAYMENT_REMINDER_DAYS",
    "MEMBERDRIVE_PAYMENT_LAST_NOTICE_DAYS",
    "MEMBERDRIVE_PAUSE_MAX_MONTHS",
    "MEMBERDRIVE_CANCEL_OFFER_COUPON",
];

/// The days of each notice, the longest pause and the offer to members who cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSettings {
    /// How long before a yearly renewal its notice goes out (US state automatic-renewal laws
    /// ask for 15 to 45 days).
    pub renewal_ahead: Duration,
    /// How long after a failed payment the member is reminded, if it is still unpaid.
    pub payment_reminder_after: Duration,
    /// How long after a failed payment the last notice goes out, if it is still unpaid: a
    /// few days before the end of the retry schedule set in Stripe.
    pub payment_last_notice_after: Duration,
    /// The most months a member may pause their payments for at once (0: they cannot).
    pub pause_max_months: u32,
    /// A Stripe coupon (made in the outlet's Stripe dashboard, e.g. 50 % off for 3 months)
    /// offered to a member on their way to cancelling, applied to their subscription if they
    /// take it; none: no offer.
    pub cancel_offer_coupon: Option<String>,
}

impl Default for MemberSettings {
    fn default() -> MemberSettings {
        MemberSettings {
            renewal_ahead: Duration::days(30),
            payment_reminder_after: Duration::days(3),
            payment_last_notice_after: Duration::days(10),
            pause_max_months: 3,
            cancel_offer_coupon: None,
        }
    }
}

/// A variable and what is wrong with its value.
type Invalid = (&'static str, String);

/// Reads them with `get` (a variable's trimmed, non-empty value).
pub fn parse<'a>(get: impl Fn(&'static str) -> Option<&'a str>) -> Result<MemberSettings, Invalid> {
    let defaults = MemberSettings::default();
    let days = |key: &'static str, default: Duration, most: i64| -> Result<Duration, Invalid> {
        match get(key) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|d| (1..=most).contains(d))
                .map(Duration::days)
                .ok_or_else(|| {
                    (
                        key,
                        format!("{raw:?}: a whole number of days from 1 to {most}"),
                    )
                }),
        }
    };
    let notices = MemberSettings {
        renewal_ahead: days(KEYS[0], defaults.renewal_ahead, 60)?,
        payment_reminder_after: days(KEYS[1], defaults.payment_reminder_after, 30)?,
        payment_last_notice_after: days(KEYS[2], defaults.payment_last_notice_after, 60)?,
        pause_max_months: match get(KEYS[3]) {
            None => defaults.pause_max_months,
            Some(raw) => raw.parse().ok().filter(|m| *m <= 3).ok_or_else(|| {
                (
                    KEYS[3],
                    format!("{raw:?}: a whole number of months from 0 to 3"),
                )
            })?,
        },
        cancel_offer_coupon: match get(KEYS[4]) {
            None => None,
            Some(id) if id.len() <= 200 && id.bytes().all(|b| b.is_ascii_graphic()) => {
                Some(id.to_owned())
            }
            Some(raw) => {
                return Err((
                    KEYS[4],
                    format!("{raw:?}: a Stripe coupon id (printable ASCII, no spaces)"),
                ));
            }
        },
    };
    if notices.payment_last_notice_after <= notices.payment_reminder_after {
        return Err((
            KEYS[2],
            format!(
                "must be later than MEMBERDRIVE_PAYMENT_REMINDER_DAYS ({} days)",
                notices.payment_reminder_after.num_days()
            ),
        ));
    }
    Ok(notices)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_of(pairs: &[(&'static str, &'static str)]) -> Result<MemberSettings, Invalid> {
        parse(|key| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v))
    }

    #[test]
    fn days_have_defaults_bounds_and_an_order() {
        assert_eq!(parse_of(&[]), Ok(MemberSettings::default()));
        let set = parse_of(&[("MEMBERDRIVE_RENEWAL_NOTICE_DAYS", "45")]).unwrap();
        assert_eq!(set.renewal_ahead, Duration::days(45));
        for bad in ["0", "61", "thirty", "2.5"] {
            let err = parse_of(&[("MEMBERDRIVE_RENEWAL_NOTICE_DAYS", bad)]).unwrap_err();
            assert_eq!(err.0, "MEMBERDRIVE_RENEWAL_NOTICE_DAYS", "{bad}");
        }
        let err = parse_of(&[
            ("MEMBERDRIVE_PAYMENT_REMINDER_DAYS", "7"),
            ("MEMBERDRIVE_PAYMENT_LAST_NOTICE_DAYS", "7"),
        ])
        .unwrap_err();
        assert_eq!(err.0, "MEMBERDRIVE_PAYMENT_LAST_NOTICE_DAYS");
        assert_eq!(
            parse_of(&[("MEMBERDRIVE_PAUSE_MAX_MONTHS", "0")])
                .unwrap()
                .pause_max_months,
            0
        );
        let err = parse_of(&[("MEMBERDRIVE_PAUSE_MAX_MONTHS", "4")]).unwrap_err();
        assert_eq!(err.0, "MEMBERDRIVE_PAUSE_MAX_MONTHS");
    }
}
