//! URL names of campaigns, tiers and newsletters.

use std::fmt;

/// The longest slug, in bytes (all ASCII).
pub const MAX_SLUG: usize = 40;

/// Words our routes use where a slug goes (`/admin/campaigns/new`, `/widget/demo`,
/// `/admin/campaigns/{slug}/embed`).
const RESERVED: [&str; 3] = ["new", "embed", "demo"];

/// A URL name: 1 to [`MAX_SLUG`] of `a-z`, `0-9` and `-`, not starting with `-`, and not a
/// word our routes use.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// Parses a slug as typed (surrounding spaces ignored); `None` if it is not one.
    pub fn parse(input: &str) -> Option<Slug> {
        let slug = input.trim();
        let valid = (1..=MAX_SLUG).contains(&slug.len())
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !slug.starts_with('-')
            && !RESERVED.contains(&slug);
        valid.then(|| Slug(slug.to_owned()))
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_SLUG, Slug};
    use proptest::prelude::*;

    #[test]
    fn slugs_are_short_lowercase_url_names() {
        let longest = "x".repeat(MAX_SLUG);
        for good in [
            "members",
            "spring-2027",
            "a",
            "news",
            "kyiv-daily-2",
            &longest,
        ] {
            assert_eq!(Slug::parse(good).map(|s| s.0), Some(good.to_owned()));
        }
        assert_eq!(Slug::parse(" news ").map(|s| s.0), Some("news".to_owned()));
    }

    #[test]
    fn other_text_and_route_words_are_not_slugs() {
        let too_long = "a".repeat(MAX_SLUG + 1);
        for bad in [
            "",
            " ",
            "New Campaign",
            "News",
            "new",
            "embed",
            "demo",
            "-x",
            "a b",
            "a_b",
            "über",
            "ünï",
            &too_long,
        ] {
            assert_eq!(Slug::parse(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn a_slug_is_what_it_was_parsed_from(input in "\\PC{0,45}") {
            if let Some(slug) = Slug::parse(&input) {
                prop_assert_eq!(slug.as_str(), input.trim());
                prop_assert!((1..=MAX_SLUG).contains(&slug.as_str().len()));
                prop_assert!(!slug.as_str().starts_with('-'));
                prop_assert_eq!(Slug::parse(slug.as_str()), Some(slug.clone()));
            }
        }

        #[test]
        fn url_safe_names_are_slugs(input in "[a-z0-9][a-z0-9-]{0,39}") {
            let reserved = ["new", "embed", "demo"].contains(&input.as_str());
            prop_assert_eq!(Slug::parse(&input).is_some(), !reserved);
        }
    }
}
