//! The translation layer: every string a reader sees comes from `locales/{en,uk}.ftl`
//! (Fluent, so plurals follow each language's CLDR rules), and numbers are grouped the way
//! each language writes them.

use std::sync::LazyLock;

use actix_web::HttpRequest;
use actix_web::http::header;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use crate::domain::Metric;

/// A language we speak to readers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Ukrainian.
    Uk,
}

impl Lang {
    /// Every language we speak.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Uk];

    /// Its place in [`Lang::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// From a `lang` parameter or stored locale; anything unknown is English.
    pub fn from_code(code: &str) -> Lang {
        if code.trim().to_ascii_lowercase().starts_with("uk") {
            Lang::Uk
        } else {
            Lang::En
        }
    }

    /// A language we speak from a BCP 47 tag (`uk`, `uk-UA`, `EN_gb`); `None` for any other.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Lang::ALL
            .into_iter()
            .find(|lang| primary.eq_ignore_ascii_case(lang.code()))
    }

    /// The language of a request, decided here for every page: its `lang` query parameter
    /// when that names a language we speak, else the one of ours its `Accept-Language` likes
    /// best, else English.
    pub fn of_request(req: &HttpRequest) -> Lang {
        Lang::of_query(req.query_string())
            .or_else(|| {
                req.headers()
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or_default()
    }

    /// The language a query string's `lang` parameter names, if we speak it.
    pub fn of_query(query: &str) -> Option<Lang> {
        if query.is_empty() {
            return None;
        }
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "lang")
            .and_then(|(_, code)| Lang::parse(&code))
    }

    /// The language of a posted form or a page's query: its `lang` field (our own pages and
    /// links carry one) when that names a language we speak, else [`Lang::of_request`].
    pub fn of_form(req: &HttpRequest, posted: Option<&str>) -> Lang {
        posted
            .and_then(Lang::parse)
            .unwrap_or_else(|| Lang::of_request(req))
    }

    /// The language of ours an `Accept-Language` value ranks highest (RFC 9110 §12.5.4):
    /// the highest q-value wins, the earlier entry on a tie; `q=0` refuses a language, and
    /// `*` stands for our default, English.
    pub fn from_accept_language(value: &str) -> Option<Lang> {
        let mut best: Option<(Lang, f32)> = None;
        for entry in value.split(',') {
            let mut parts = entry.split(';');
            let range = parts.next().unwrap_or_default().trim();
            let mut q = Some(1.0);
            for param in parts {
                if let Some((name, weight)) = param.split_once('=')
                    && name.trim().eq_ignore_ascii_case("q")
                {
                    q = weight
                        .trim()
                        .parse::<f32>()
                        .ok()
                        .filter(|w| (0.0..=1.0).contains(w));
                }
            }
            let Some(q) = q.filter(|&q| q > 0.0) else {
                continue;
            };
            let lang = if range == "*" {
                Some(Lang::default())
            } else {
                Lang::parse(range)
            };
            if let Some(lang) = lang
                && best.is_none_or(|(_, top)| q > top)
            {
                best = Some((lang, q));
            }
        }
        best.map(|(lang, _)| lang)
    }

    /// The BCP 47 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Uk => "uk",
        }
    }

    /// Looks up message `id` with `args`; a missing message shows its id (and fails tests).
    pub fn t(self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let bundle = match self {
            Lang::En => &*EN,
            Lang::Uk => &*UK,
        };
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
        debug_assert!(errors.is_empty(), "{id}: {errors:?}");
        text.into_owned()
    }

    /// Message `id` without arguments (for templates).
    pub fn tr(self, id: &str) -> String {
        self.t(id, &[])
    }

    /// A value in a campaign metric's unit: money for `amount`, a number of people otherwise.
    pub fn in_metric(self, metric: Metric, value: i64, currency: &str) -> String {
        match metric {
            Metric::Amount => self.money(value, currency),
            Metric::Members | Metric::Supporters => self.number(value),
        }
    }

    /// An integer with this language's digit grouping: `12,345` or `12 345` (no-break space).
    pub fn number(self, n: i64) -> String {
        let sep = match self {
            Lang::En => ',',
            Lang::Uk => '\u{a0}',
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }

    /// An amount in minor units as money: `€1,234.50` / `1 234,50 €`.
    pub fn money(self, minor: i64, currency: &str) -> String {
        let exponent = if ZERO_DECIMAL.contains(&currency.to_ascii_lowercase().as_str()) {
            0
        } else {
            2
        };
        let (major, cents) = if exponent == 0 {
            (minor, 0)
        } else {
            (minor / 100, (minor % 100).abs())
        };
        let symbol = match currency.to_ascii_lowercase().as_str() {
            "eur" => "€".to_owned(),
            "usd" => "$".to_owned(),
            "gbp" => "£".to_owned(),
            "uah" => "₴".to_owned(),
            other => other.to_ascii_uppercase(),
        };
        let whole = self.number(major);
        let show_cents = exponent > 0 && cents != 0;
        match self {
            Lang::En if show_cents => format!("{symbol}{whole}.{cents:02}"),
            Lang::En => format!("{symbol}{whole}"),
            Lang::Uk if show_cents => format!("{whole},{cents:02}\u{a0}{symbol}"),
            Lang::Uk => format!("{whole}\u{a0}{symbol}"),
        }
    }
}

/// Stripe's zero-decimal currencies that newsrooms plausibly use.
const ZERO_DECIMAL: [&str; 5] = ["jpy", "krw", "clp", "vnd", "huf"];

fn bundle(lang: &str, source: &'static str) -> FluentBundle<FluentResource> {
    let resource = FluentResource::try_new(source.to_owned()).expect("locale file parses");
    let mut bundle = FluentBundle::new_concurrent(vec![lang.parse().expect("language id")]);
    // Unicode isolation marks would end up inside SVG text and aria-valuetext.
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .expect("no duplicate messages");
    bundle
}

static EN: LazyLock<FluentBundle<FluentResource>> =
    LazyLock::new(|| bundle("en", include_str!("../locales/en.ftl")));
static UK: LazyLock<FluentBundle<FluentResource>> =
    LazyLock::new(|| bundle("uk", include_str!("../locales/uk.ftl")));

#[cfg(test)]
mod tests {
    use super::*;

    fn count(lang: Lang, metric: &str, count: i64, goal: i64) -> String {
        lang.t(
            "widget-count",
            &[
                ("count_text", lang.number(count).into()),
                ("goal_text", lang.number(goal).into()),
                ("goal", goal.into()),
                ("metric", metric.into()),
            ],
        )
    }

    #[test]
    fn counts_read_naturally_in_both_languages() {
        assert_eq!(
            count(Lang::En, "members", 12_345, 20_000),
            "12,345 of 20,000 members"
        );
        assert_eq!(count(Lang::En, "members", 0, 1), "0 of 1 member");
        assert_eq!(
            count(Lang::Uk, "members", 12_345, 20_000),
            "12\u{a0}345 з 20\u{a0}000 учасників"
        );
        assert_eq!(count(Lang::Uk, "members", 5, 21), "5 з 21 учасника");
        assert_eq!(count(Lang::Uk, "supporters", 5, 22), "5 з 22 прихильників");
    }

    #[test]
    fn ukrainian_plurals_follow_cldr() {
        for (n, expected) in [
            (1, "Залишився 1 день"),
            (2, "Залишилося 2 дні"),
            (5, "Залишилося 5 днів"),
            (11, "Залишилося 11 днів"),
            (21, "Залишився 21 день"),
            (24, "Залишилося 24 дні"),
        ] {
            assert_eq!(Lang::Uk.t("widget-days-left", &[("n", n.into())]), expected);
        }
    }

    #[test]
    fn accept_language_picks_the_best_language_we_speak() {
        for (header, expected) in [
            ("uk", Some(Lang::Uk)),
            ("uk-UA", Some(Lang::Uk)),
            ("UK", Some(Lang::Uk)),
            ("en-GB", Some(Lang::En)),
            ("uk;q=0.9, en;q=0.8", Some(Lang::Uk)),
            ("en;q=0.8, uk;q=0.9", Some(Lang::Uk)),
            ("en-GB,uk;q=0.5", Some(Lang::En)),
            ("uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7", Some(Lang::Uk)),
            ("fr-FR, fr;q=0.9, uk;q=0.5", Some(Lang::Uk)),
            ("de, en;q=0.1", Some(Lang::En)),
            ("en;q=0.5, uk;q=0.5", Some(Lang::En)),
            ("uk ; Q=0.7 , en;q=0.3", Some(Lang::Uk)),
            ("uk;q=0, en;q=0.1", Some(Lang::En)),
            ("uk;q=0.000", None),
            ("uk;q=2, en;q=0.5", Some(Lang::En)),
            ("uk;q=high", None),
            ("*", Some(Lang::En)),
            ("*;q=0.1, uk;q=0.5", Some(Lang::Uk)),
            ("fr, de", None),
            ("ukr", None),
            ("", None),
            (",;,", None),
        ] {
            assert_eq!(Lang::from_accept_language(header), expected, "{header:?}");
        }
    }

    #[test]
    fn a_request_speaks_its_lang_parameter_then_its_accept_language_then_english() {
        use actix_web::test::TestRequest;
        for (uri, accept, expected) in [
            ("/join?lang=uk", None, Lang::Uk),
            ("/join?lang=uk", Some("en"), Lang::Uk),
            ("/join?lang=en", Some("uk"), Lang::En),
            ("/join?lang=uk-UA&ref=x", None, Lang::Uk),
            ("/join?lang=fr", Some("uk"), Lang::Uk),
            ("/join?lang=", Some("uk;q=0.9, en;q=0.8"), Lang::Uk),
            ("/join", Some("en-GB,uk;q=0.5"), Lang::En),
            ("/join", Some("fr"), Lang::En),
            ("/join?lang=fr", None, Lang::En),
            ("/join", None, Lang::En),
        ] {
            let mut req = TestRequest::get().uri(uri);
            if let Some(accept) = accept {
                req = req.insert_header((header::ACCEPT_LANGUAGE, accept));
            }
            let req = req.to_http_request();
            assert_eq!(Lang::of_request(&req), expected, "{uri} {accept:?}");
            assert_eq!(
                Lang::of_form(&req, Some("uk")),
                Lang::Uk,
                "{uri} {accept:?}"
            );
            assert_eq!(
                Lang::of_form(&req, Some("xx")),
                expected,
                "{uri} {accept:?}"
            );
            assert_eq!(Lang::of_form(&req, None), expected, "{uri} {accept:?}");
        }
    }

    #[test]
    fn numbers_and_money_are_grouped_per_language() {
        assert_eq!(Lang::En.number(1_000_000), "1,000,000");
        assert_eq!(Lang::En.number(999), "999");
        assert_eq!(Lang::Uk.number(-12_345), "-12\u{a0}345");
        assert_eq!(Lang::En.money(123_450, "eur"), "€1,234.50");
        assert_eq!(Lang::En.money(500_000, "usd"), "$5,000");
        assert_eq!(Lang::Uk.money(123_450, "uah"), "1\u{a0}234,50\u{a0}₴");
    }
}
