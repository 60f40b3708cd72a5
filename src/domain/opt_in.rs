//! Where a reader stands with one newsletter (double opt-in).

use super::stored::text_enum;

text_enum! {
    /// A newsletter subscription's status.
    pub enum OptIn as "newsletter subscription status" {
        /// Asked for; the confirmation link has not been followed yet.
        Pending = "pending",
        /// Confirmed from the email: the reader receives the newsletter.
        Confirmed = "confirmed",
        /// Left (by a link, or from the preferences page).
        Unsubscribed = "unsubscribed",
    }
}

#[cfg(test)]
mod tests {
    use super::OptIn;

    #[test]
    fn they_print_and_parse_as_stored() {
        for status in OptIn::ALL {
            assert_eq!(status.as_str().parse::<OptIn>(), Ok(status));
        }
        let stored: Vec<&str> = OptIn::ALL.map(OptIn::as_str).into();
        assert_eq!(stored, ["pending", "confirmed", "unsubscribed"]);
        assert!("Confirmed".parse::<OptIn>().is_err());
    }
}
