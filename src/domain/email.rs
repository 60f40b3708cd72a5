//! Email addresses as readers type them, normalised for uniqueness.

use std::fmt;

/// A syntactically valid address, trimmed and lower-cased (one member per normalised address).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses user input; `None` for anything lettre would not accept as a mailbox address.
    pub fn parse(input: &str) -> Option<EmailAddress> {
        let trimmed = input.trim();
        if trimmed.len() > 254 || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return None;
        }
        let address: lettre::Address = trimmed.parse().ok()?;
        // A public newsroom's readers have a dot in their domain; `user@localhost` is a typo here.
        if !address.domain().contains('.') || address.domain().ends_with('.') {
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
        ] {
            assert!(
                EmailAddress::parse(input).is_none(),
                "{input:?} was accepted"
            );
        }
    }
}
