//! How often a reader pays.

use std::fmt;
use std::str::FromStr;

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;

use super::stored::{Unknown, stored_as_text};

/// A sign-up's or membership's billing interval, stored as text (`"month"`). Memberships are
/// monthly or yearly; a sign-up may also be a one-time gift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum BillingInterval {
    /// Every month.
    Month,
    /// Every year.
    Year,
    /// A one-time donation.
    Once,
}

impl BillingInterval {
    /// Every interval.
    pub const ALL: [BillingInterval; 3] = [Self::Month, Self::Year, Self::Once];

    /// The stored text, as Stripe spells the recurring ones.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::Year => "year",
            Self::Once => "once",
        }
    }

    /// Paid again every interval (a subscription in Stripe), not once.
    pub fn is_recurring(self) -> bool {
        self != Self::Once
    }

    /// An amount per interval as an amount per month (a year's ÷ 12, rounded down), for
    /// recurring revenue; a one-time amount as is.
    pub fn monthly(self, amount: i64) -> i64 {
        match self {
            Self::Year => amount / 12,
            Self::Month | Self::Once => amount,
        }
    }
}

impl FromStr for BillingInterval {
    type Err = Unknown;

    /// The interval a stored text (or a form field) names, exactly as printed.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|interval| interval.as_str() == s)
            .ok_or_else(|| Unknown {
                kind: "billing interval",
                value: s.to_owned(),
            })
    }
}

impl fmt::Display for BillingInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

stored_as_text!(BillingInterval);

#[cfg(test)]
mod tests {
    use super::BillingInterval;
    use proptest::prelude::*;

    #[test]
    fn intervals_print_as_stored() {
        let printed: Vec<&str> = BillingInterval::ALL.iter().map(|i| i.as_str()).collect();
        assert_eq!(printed, ["month", "year", "once"]);
        for text in ["", "Month", "monthly", "yearly", "week"] {
            assert!(text.parse::<BillingInterval>().is_err(), "{text:?}");
        }
        assert_eq!(BillingInterval::Year.monthly(10_000), 833);
    }

    fn any_interval() -> impl Strategy<Value = BillingInterval> {
        prop::sample::select(BillingInterval::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn parsing_what_was_printed_gives_the_interval_back(interval in any_interval()) {
            prop_assert_eq!(interval.as_str().parse::<BillingInterval>(), Ok(interval));
        }

        #[test]
        fn a_monthly_amount_is_never_more_than_the_amount(
            interval in any_interval(),
            amount in 0..=i64::MAX,
        ) {
            let monthly = interval.monthly(amount);
            prop_assert!((0..=amount).contains(&monthly));
        }
    }
}
