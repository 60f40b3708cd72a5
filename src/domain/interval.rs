//! How often a reader pays.

use super::stored::text_enum;

text_enum! {
    /// A sign-up's or membership's billing interval, stored as Stripe spells the recurring
    /// ones. Memberships are monthly or yearly; a sign-up may also be a one-time gift.
    pub enum BillingInterval as "billing interval" {
        /// Every month.
        Month = "month",
        /// Every year.
        Year = "year",
        /// A one-time donation.
        Once = "once",
    }
}

impl BillingInterval {
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
