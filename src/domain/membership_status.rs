//! A membership's status, and what each status means for counting, billing and the figures:
//! the one place that names them.

use super::stored::text_enum;

text_enum! {
    /// Stripe's subscription status, or our `pending` (a membership whose checkout has not
    /// completed, as an import may state it). Listed in the order staff see them in lists
    /// and the import's help.
    pub enum MembershipStatus as "membership status" {
        /// Paid up.
        Active = "active",
        /// In a free trial.
        Trialing = "trialing",
        /// A renewal failed and Stripe is retrying it.
        PastDue = "past_due",
        /// Ended (at once, or at the end of a period cancelled before).
        Canceled = "canceled",
        /// Stripe gave up collecting a renewal.
        Unpaid = "unpaid",
        /// The first payment has not succeeded yet.
        Incomplete = "incomplete",
        /// The first payment never succeeded.
        IncompleteExpired = "incomplete_expired",
        /// Paused by the member or by staff.
        Paused = "paused",
        /// Ours: checkout not completed.
        Pending = "pending",
    }
}

use MembershipStatus::*;

impl MembershipStatus {
    /// In good standing: the member counts toward a campaign's goal (while a period cancelled
    /// at its end lasts, and unless every payment was refunded), a new join for the campaign
    /// sends them to their account instead, and the membership stands for its member in
    /// staff lists.
    pub fn in_good_standing(self) -> bool {
        matches!(self, Active | Trialing | PastDue)
    }

    /// Stripe will not bill it again: the membership's `ended_at` is set when it first
    /// reaches such a status.
    pub fn has_ended(self) -> bool {
        matches!(self, Canceled | IncompleteExpired | Unpaid)
    }

    /// It reached Stripe (its first payment went through): a sign-up in the dashboard's
    /// figures.
    pub fn has_started(self) -> bool {
        !matches!(self, Pending | Incomplete | IncompleteExpired)
    }

    /// Stripe will charge it again at the end of its period, so a yearly one gets a renewal
    /// reminder (a past-due one is still retrying its last payment).
    pub fn renews(self) -> bool {
        matches!(self, Active | Trialing)
    }

    /// The statuses that have `property`, for an SQL `IN` list
    /// (`status.eq_any(MembershipStatus::all(MembershipStatus::in_good_standing))`).
    pub fn all(property: fn(MembershipStatus) -> bool) -> Vec<MembershipStatus> {
        Self::ALL.into_iter().filter(|s| property(*s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::MembershipStatus;
    use proptest::prelude::*;

    #[test]
    fn statuses_print_as_stripe_spells_them() {
        let printed: Vec<&str> = MembershipStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            printed,
            [
                "active",
                "trialing",
                "past_due",
                "canceled",
                "unpaid",
                "incomplete",
                "incomplete_expired",
                "paused",
                "pending"
            ]
        );
    }

    #[test]
    fn each_meaning_names_its_statuses() {
        let names = |property| -> Vec<&str> {
            MembershipStatus::all(property)
                .into_iter()
                .map(MembershipStatus::as_str)
                .collect()
        };
        assert_eq!(
            names(MembershipStatus::in_good_standing),
            ["active", "trialing", "past_due"]
        );
        assert_eq!(
            names(MembershipStatus::has_ended),
            ["canceled", "unpaid", "incomplete_expired"]
        );
        assert_eq!(
            names(|s| !s.has_started()),
            ["incomplete", "incomplete_expired", "pending"]
        );
        assert_eq!(names(MembershipStatus::renews), ["active", "trialing"]);
    }

    #[test]
    fn near_misses_are_not_statuses() {
        for text in [
            "",
            "Active",
            "ACTIVE",
            " active",
            "active ",
            "cancelled",
            "past-due",
            "none",
        ] {
            assert!(text.parse::<MembershipStatus>().is_err(), "{text:?}");
        }
    }

    fn any_status() -> impl Strategy<Value = MembershipStatus> {
        prop::sample::select(MembershipStatus::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn parsing_what_was_printed_gives_the_status_back(status in any_status()) {
            prop_assert_eq!(status.as_str().parse::<MembershipStatus>(), Ok(status));
            prop_assert_eq!(status.to_string(), status.as_str());
        }

        #[test]
        fn only_printed_text_parses(text in "[a-z_]{0,20}|\\PC{0,20}") {
            if let Ok(status) = text.parse::<MembershipStatus>() {
                prop_assert_eq!(status.as_str(), text);
            }
        }

        #[test]
        fn the_meanings_agree(status in any_status()) {
            // Counted members have started and not ended; renewing ones are counted.
            if status.in_good_standing() {
                prop_assert!(status.has_started() && !status.has_ended());
            }
            if status.renews() {
                prop_assert!(status.in_good_standing());
            }
        }
    }
}
