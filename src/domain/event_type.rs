//! The events the outlet's other tools may subscribe to (outbound webhooks).

use super::stored::text_enum;

text_enum! {
    /// The type of an outbound webhook event, as its payload's `type` names it.
    pub enum EventType as "webhook event" {
        /// A reader confirmed a newsletter subscription.
        SubscriberConfirmed = "subscriber.confirmed",
        /// A reader left a newsletter.
        SubscriberUnsubscribed = "subscriber.unsubscribed",
        /// A membership's first payment went through.
        MemberJoined = "member.joined",
        /// A member cancelled (at the end of the period, or at once).
        MemberCancelled = "member.cancelled",
        /// A renewal could not be collected.
        MemberPaymentFailed = "member.payment_failed",
        /// A one-time donation was received.
        DonationReceived = "donation.received",
        /// Every recipient's email of a newsletter edition is queued.
        EditionSent = "edition.sent",
    }
}

#[cfg(test)]
mod tests {
    use super::EventType;

    #[test]
    fn they_print_and_parse_as_named_in_the_payloads() {
        for event in EventType::ALL {
            assert_eq!(event.as_str().parse::<EventType>(), Ok(event));
        }
        assert!("member.created".parse::<EventType>().is_err());
    }
}
