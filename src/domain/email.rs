//! Email addresses as readers type them, normalised for uniqueness.

use std::fmt;

/// A syntactically valid address, trimmed and lower-cased (one member per normalised address).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses user input; `None` for anything the mailer could not deliver to. That is what
    /// lettre accepts both as an address and as the `To` mailbox the mailer builds from it
    /// (`"a,b"@example.com` is an address but reads as two mailboxes), without the forms no
    /// reader types and no relay delivers: a quoted local part and an IP literal for a domain.
    pub fn parse(input: &str) -> Option<EmailAddress> {
        let trimmed = input.trim();
        if trimmed.len() > 254
            || trimmed
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '[' | ']'))
        {
            return None;
        }
        let address: lettre::Address = trimmed.parse().ok()?;
        // A public newsroom's readers have a dot in their domain; `user@localhost` is a typo here.
        if !address.domain().contains('.') || address.domain().ends_with('.') {
            return None;
        }
        let mailbox: lettre::message::Mailbox = trimmed.parse().ok()?;
        if mailbox.name.is_some() || mailbox.email != address {
            return None;
        }
        Some(EmailAddress(trimmed.to_lowercase()))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::EmailAddress;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_normalises_real_addresses() {
        for (input, normal) in [
            ("reader@example.com", "reader@example.com"),
            (
                "  Reader.Name+news@Example.COM ",
                "reader.name+news@example.com",
            ),
            ("олена@приклад.укр", "олена@приклад.укр"),
        ] {
            assert_eq!(
                EmailAddress::parse(input).map(|e| e.0),
                Some(normal.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_malformed_addresses() {
        for input in [
            "",
            "reader",
            "reader@",
            "@example.com",
            "reader@localhost",
            "a b@example.com",
            "reader@example.com\r\nBcc: x@y.z",
            "reader@@example.com",
            "reader@example.",
            "\"a,b\"@example.com",
            "\"reader\"@example.com",
            "a@[127.0.0.1]",
            "a@[IPv6:::1]",
            "Reader <reader@example.com>",
            "a,b@example.com",
        ] {
            assert!(
                EmailAddress::parse(input).is_none(),
                "{input:?} was accepted"
            );
        }
    }

    proptest! {
        /// Whatever is accepted is an address the mailer builds a message to.
        #[test]
        fn every_accepted_address_is_a_deliverable_mailbox(
            local in "[a-z0-9.+_\"\\[\\],<>@ -]{1,12}",
            domain in "[a-z0-9.\\[\\]:-]{1,12}\\.[a-z]{2,3}",
        ) {
            let input = format!("{local}@{domain}");
            if let Some(address) = EmailAddress::parse(&input) {
                let to: lettre::message::Mailbox = address.as_str().parse().unwrap();
                let message = lettre::Message::builder()
                    .from("members@example.org".parse().unwrap())
                    .to(to)
                    .subject("x")
                    .body(String::from("x"));
                prop_assert!(message.is_ok(), "{input:?}");
            }
        }
    }
}
