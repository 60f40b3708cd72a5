//! A test of an edition before it is sent: the email as readers will get it, to up to
//! [`MAX_ADDRESSES`] addresses staff choose (their own when they choose none), under the
//! subject `[Test] …`. The links that are personal in a reader's email (preferences,
//! unsubscribe) lead to the newsletter page instead: a test subscribes and unsubscribes nobody.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::{Draft, Letter};
use crate::config::Settings;
use crate::db::DbConnection;
use crate::domain::EmailAddress;
use crate::email;
use crate::i18n::Lang;
use crate::newsletters::Newsletter;

/// The most addresses one test goes to.
pub const MAX_ADDRESSES: usize = 5;

/// Why the addresses typed for a test cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub enum BadAddresses {
    /// This one is not an address mail can be sent to.
    Invalid(String),
    /// More than [`MAX_ADDRESSES`].
    TooMany,
}

/// The addresses a test goes to: those in `typed`, separated by commas or line breaks, each
/// once; `own` when `typed` has none.
pub fn addresses(typed: &str, own: &str) -> Result<Vec<EmailAddress>, BadAddresses> {
    let mut chosen: Vec<EmailAddress> = Vec::new();
    for part in typed.split([',', '\n']).map(str::trim) {
        if part.is_empty() {
            continue;
        }
        let address =
            EmailAddress::parse(part).ok_or_else(|| BadAddresses::Invalid(part.to_owned()))?;
        if !chosen.contains(&address) {
            chosen.push(address);
        }
    }
    if chosen.len() > MAX_ADDRESSES {
        return Err(BadAddresses::TooMany);
    }
    if chosen.is_empty() {
        let own = EmailAddress::parse(own).ok_or_else(|| BadAddresses::Invalid(own.to_owned()))?;
        chosen.push(own);
    }
    Ok(chosen)
}

/// Queues a test of `draft`, an edition of `newsletter`, to each of `to`, in the caller's
/// transaction. `subject` is the test's subject line (`[Test] …`, in the staff member's
/// language).
pub fn queue(
    conn: &mut DbConnection,
    settings: &Settings,
    newsletter: &Newsletter,
    draft: &Draft,
    subject: &str,
    to: &[EmailAddress],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let page = settings.public_url("/newsletters");
    let letter = Letter::new(
        Lang::from_code(&newsletter.language),
        &newsletter.name,
        subject,
        &draft.preheader,
        &draft.body,
    );
    let message = letter.to(page.clone(), page);
    let at = now.and_utc().timestamp_millis();
    for address in to {
        let email = email::render(conn, &message, address.as_str())?;
        let key = format!("edition-test:{}:{address}:{at}", newsletter.id);
        email::queue(conn, &key, &email)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{BadAddresses, MAX_ADDRESSES, addresses};

    const OWN: &str = "editor@news.example";

    fn typed(text: &str) -> Result<Vec<String>, BadAddresses> {
        addresses(text, OWN).map(|all| all.iter().map(|a| a.as_str().to_owned()).collect())
    }

    #[test]
    fn a_test_goes_to_the_addresses_typed_each_once_or_to_your_own() {
        assert_eq!(typed("").unwrap(), [OWN]);
        assert_eq!(typed(" ,\n ").unwrap(), [OWN]);
        assert_eq!(
            typed(
                "desk@news.example, Copy@Mail.example\r\ndesk@news.example\n\nlegal@news.example,"
            )
            .unwrap(),
            [
                "desk@news.example",
                "copy@mail.example",
                "legal@news.example"
            ]
        );
        let five: Vec<String> = (0..MAX_ADDRESSES)
            .map(|i| format!("r{i}@news.example"))
            .collect();
        assert_eq!(typed(&five.join(",")).unwrap(), five);
    }

    #[test]
    fn a_bad_address_or_too_many_refuse_the_test() {
        for (text, refused) in [
            (
                "desk@news.example, not an address",
                BadAddresses::Invalid("not an address".into()),
            ),
            (
                "desk@news.example; legal@news.example",
                BadAddresses::Invalid("desk@news.example; legal@news.example".into()),
            ),
            (
                "editor@localhost",
                BadAddresses::Invalid("editor@localhost".into()),
            ),
            (
                "a@news.example,b@news.example,c@news.example,d@news.example,e@news.example,f@news.example",
                BadAddresses::TooMany,
            ),
        ] {
            assert_eq!(typed(text).unwrap_err(), refused, "{text}");
        }
    }
}
