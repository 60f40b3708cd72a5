//! Which articles bring members: widget views and join clicks per article, counted in memory
//! and flushed in batches (never a write per view). No cookie, no personal data: the key is
//! the campaign, the article URL without its query, and the day; with the appeal's variant
//! the widget showed, the same hits are also counted per variant and day (`appeal_stats`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::watch;

use crate::db::schema::{appeal_stats, article_stats};
use crate::db::{Db, DbError};
use crate::domain::AppealVariant;

/// What a widget reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    /// The widget was seen.
    View,
    /// The join button was clicked.
    Click,
}

/// Most distinct (campaign, article, day) keys held between two flushes; beyond it new keys
/// are dropped, so a flood of made-up URLs cannot grow memory without bound.
const MAX_PENDING_KEYS: usize = 50_000;

/// Campaign, article, day and the appeal's variant.
type Key = (i32, String, String, Option<AppealVariant>);

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    views: i64,
    clicks: i64,
}

/// Hits one client address may report per minute; more are dropped. A reader's browser
/// reports one view per widget on a page and a click per join, far below this even for an
/// office behind one address; a script posting forged hits is held to it.
pub const HITS_PER_MINUTE: u32 = 120;

/// Counters waiting to be flushed, and what decides which hits count.
pub struct ArticleStats {
    origins: ArticleOrigins,
    /// Keyed by client address; clients of unknown address share one key.
    per_client: DefaultKeyedRateLimiter<Option<IpAddr>>,
    pending: Mutex<HashMap<Key, Tally>>,
}

/// The article a hit or sign-up came from: an http(s) URL without query or fragment, at most
/// 500 characters; anything else is not an article.
pub fn normalize_article(raw: &str) -> Option<String> {
    let mut url = url::Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    url.set_query(None);
    url.set_fragment(None);
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let s = url.to_string();
    (s.len() <= 500).then_some(s)
}

/// The sites whose articles count, from `MEMBERDRIVE_WIDGET_ANCESTORS` (the origins allowed to
/// frame the widget are the outlet's own): anyone can post a hit or a `ref`, so a URL on
/// another site is not an article of ours, however often it is reported.
///
/// Each source of the setting is read as CSP reads it: `https://news.example` (that origin),
/// `news.example` (that host, any scheme and port), `*.news.example` (its subdomains),
/// `'self'` (the base URL's origin). The default `*`, or a bare scheme such as `https:`,
/// names no site: then articles count on the base URL's own site (its registrable domain,
/// e.g. `news.example` and every `*.news.example` for `https://members.news.example`).
///
/// Our own pages that show the widget (the demo article under `/widget/`, the iframe's page
/// itself, the staff preview under `/admin/`) are never articles, on whichever site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleOrigins {
    sources: Vec<Source>,
    /// URL prefixes of our own pages that show the widget.
    own_pages: [String; 2],
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A host (or, with `subdomains`, the hosts below it), with an optional scheme and port.
    Host {
        scheme: Option<String>,
        host: String,
        subdomains: bool,
        port: Option<u16>,
    },
    /// A registrable domain and every host below it.
    Site(String),
}

impl ArticleOrigins {
    /// The sources of `ancestors` (space-separated), for a service at `base_url`.
    pub fn new(ancestors: &str, base_url: &url::Url) -> ArticleOrigins {
        let base_host = base_url.host_str().unwrap_or_default().to_ascii_lowercase();
        let mut sources = Vec::new();
        let mut anywhere = false;
        for source in ancestors.split_whitespace() {
            if source == "'self'" {
                sources.push(Source::Host {
                    scheme: Some(base_url.scheme().to_owned()),
                    host: base_host.clone(),
                    subdomains: false,
                    port: base_url.port_or_known_default(),
                });
            } else if source == "*" || (source.ends_with(':') && !source.contains('/')) {
                anywhere = true;
            } else if !source.starts_with('\'') {
                sources.extend(Source::parse(source));
            }
        }
        if anywhere {
            // An address is its own site: `127.0.0.1` has no registrable domain.
            let site = match base_url.host() {
                Some(url::Host::Domain(domain)) => psl::domain_str(domain).unwrap_or(domain),
                _ => &base_host,
            };
            sources.push(Source::Site(site.to_owned()));
        }
        let base = base_url.as_str().trim_end_matches('/');
        ArticleOrigins {
            sources,
            own_pages: [format!("{base}/widget/"), format!("{base}/admin/")],
        }
    }

    /// The article `raw` names ([`normalize_article`]), if it is on one of our sites.
    pub fn article(&self, raw: &str) -> Option<String> {
        let article = normalize_article(raw)?;
        if self.own_pages.iter().any(|own| article.starts_with(own)) {
            return None;
        }
        let url = url::Url::parse(&article).ok()?;
        let host = url.host_str()?;
        let port = url.port_or_known_default();
        let ours = self.sources.iter().any(|source| match source {
            Source::Site(site) => host == site || host.ends_with(&format!(".{site}")),
            Source::Host {
                scheme,
                host: h,
                subdomains,
                port: p,
            } => {
                scheme.as_deref().is_none_or(|s| s == url.scheme())
                    && p.is_none_or(|p| Some(p) == port)
                    && if *subdomains {
                        host.ends_with(&format!(".{h}"))
                    } else {
                        host == h
                    }
            }
        });
        ours.then_some(article)
    }
}

/// The port a CSP source names.
enum Port {
    /// `:8443`
    Is(u16),
    /// `:*`, every port.
    Any,
    /// None written: the scheme's, or any without a scheme.
    Default,
}

impl Source {
    /// A CSP host source (`[scheme://]host[:port]`, host possibly `*.`-prefixed, port possibly
    /// `*`); `None` for what is not one.
    fn parse(source: &str) -> Option<Source> {
        let (scheme, rest) = match source.split_once("://") {
            Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
            None => (None, source),
        };
        let authority = rest.split('/').next()?.to_ascii_lowercase();
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, "*")) => (host.to_owned(), Port::Any),
            Some((host, port)) => (host.to_owned(), Port::Is(port.parse().ok()?)),
            None => (authority, Port::Default),
        };
        let (host, subdomains) = match host.strip_prefix("*.") {
            Some(parent) => (parent.to_owned(), true),
            None => (host, false),
        };
        let port = match (port, scheme.as_deref()) {
            (Port::Is(port), _) => Some(port),
            (Port::Default, Some("https")) => Some(443),
            (Port::Default, Some("http")) => Some(80),
            _ => None,
        };
        (!host.is_empty()).then_some(Source::Host {
            scheme,
            host,
            subdomains,
            port,
        })
    }
}

impl ArticleStats {
    /// Counts articles on `origins` only.
    pub fn new(origins: ArticleOrigins) -> ArticleStats {
        let quota = Quota::per_minute(NonZeroU32::new(HITS_PER_MINUTE).expect("non-zero"));
        ArticleStats {
            origins,
            per_client: RateLimiter::keyed(quota),
            pending: Mutex::default(),
        }
    }

    /// Which articles count.
    pub fn origins(&self) -> &ArticleOrigins {
        &self.origins
    }

    /// Counts one hit that `client` reported for the article `raw`, if it is one of ours and
    /// the client is within [`HITS_PER_MINUTE`]; says whether it counted.
    pub fn record(
        &self,
        client: Option<IpAddr>,
        campaign_id: i32,
        raw: &str,
        hit: Hit,
        variant: Option<AppealVariant>,
    ) -> bool {
        let Some(article) = self.origins.article(raw) else {
            return false;
        };
        if self.per_client.check_key(&client).is_err() {
            return false;
        }
        let day = Utc::now().date_naive().to_string();
        let mut pending = self.pending.lock().expect("stats lock");
        let len = pending.len();
        let key = (campaign_id, article, day, variant);
        let tally = match pending.get_mut(&key) {
            Some(tally) => tally,
            None if len >= MAX_PENDING_KEYS => return false,
            None => pending.entry(key).or_default(),
        };
        match hit {
            Hit::View => tally.views += 1,
            Hit::Click => tally.clicks += 1,
        }
        true
    }

    /// Writes the pending counters in one transaction; on failure they are kept for next time.
    pub async fn flush(&self, db: &Db) -> Result<usize, DbError> {
        let batch: Vec<_> = std::mem::take(&mut *self.pending.lock().expect("stats lock"))
            .into_iter()
            .collect();
        if batch.is_empty() {
            return Ok(0);
        }
        let rows = batch.clone();
        let result = db
            .write(move |conn| -> Result<(), DbError> {
                let mut per_variant: HashMap<(i32, AppealVariant, String), Tally> = HashMap::new();
                for ((campaign_id, article, day, variant), t) in rows {
                    if let Some(variant) = variant {
                        let sum = per_variant
                            .entry((campaign_id, variant, day.clone()))
                            .or_default();
                        sum.views += t.views;
                        sum.clicks += t.clicks;
                    }
                    // UPDATE, then INSERT when there was no row yet (diesel's upsert does not
                    // span both backends). Two instances racing on a new key make one flush
                    // fail on the primary key; it keeps its counters and retries.
                    let key = article_stats::table
                        .filter(article_stats::campaign_id.eq(campaign_id))
                        .filter(article_stats::article_url.eq(&article))
                        .filter(article_stats::day.eq(&day));
                    let updated = diesel::update(key)
                        .set((
                            article_stats::views.eq(article_stats::views + t.views),
                            article_stats::clicks.eq(article_stats::clicks + t.clicks),
                        ))
                        .execute(conn)?;
                    if updated == 0 {
                        diesel::insert_into(article_stats::table)
                            .values((
                                article_stats::campaign_id.eq(campaign_id),
                                article_stats::article_url.eq(&article),
                                article_stats::day.eq(&day),
                                article_stats::views.eq(t.views),
                                article_stats::clicks.eq(t.clicks),
                            ))
                            .execute(conn)?;
                    }
                }
                for ((campaign_id, variant, day), t) in per_variant {
                    let key = appeal_stats::table
                        .filter(appeal_stats::campaign_id.eq(campaign_id))
                        .filter(appeal_stats::variant.eq(variant))
                        .filter(appeal_stats::day.eq(&day));
                    let updated = diesel::update(key)
                        .set((
                            appeal_stats::views.eq(appeal_stats::views + t.views),
                            appeal_stats::clicks.eq(appeal_stats::clicks + t.clicks),
                        ))
                        .execute(conn)?;
                    if updated == 0 {
                        diesel::insert_into(appeal_stats::table)
                            .values((
                                appeal_stats::campaign_id.eq(campaign_id),
                                appeal_stats::variant.eq(variant),
                                appeal_stats::day.eq(&day),
                                appeal_stats::views.eq(t.views),
                                appeal_stats::clicks.eq(t.clicks),
                            ))
                            .execute(conn)?;
                    }
                }
                Ok(())
            })
            .await;
        if let Err(e) = result {
            let mut pending = self.pending.lock().expect("stats lock");
            for (key, t) in batch {
                let tally = pending.entry(key).or_default();
                tally.views += t.views;
                tally.clicks += t.clicks;
            }
            return Err(e);
        }
        Ok(batch.len())
    }

    /// Flushes every few seconds, and once more when `stop` turns true.
    pub async fn run_flusher(&self, db: Db, mut stop: watch::Receiver<bool>) {
        loop {
            let stopping = tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(5)) => false,
                _ = stop.wait_for(|s| *s) => true,
            };
            // Clients quiet for a minute are forgotten, so the limiter's memory stays bounded.
            self.per_client.retain_recent();
            if let Err(e) = self.flush(&db).await {
                tracing::warn!(error = %e, "cannot flush article statistics; keeping them for the next try");
            }
            if stopping {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ArticleOrigins, normalize_article};

    fn counted(ancestors: &str, base: &str, article: &str) -> bool {
        ArticleOrigins::new(ancestors, &url::Url::parse(base).unwrap())
            .article(article)
            .is_some()
    }

    #[test]
    fn only_articles_on_our_own_sites_count() {
        let base = "https://members.news.example";
        // The default names no site: the base URL's registrable domain is ours.
        for (article, ours) in [
            ("https://news.example/2026/budget", true),
            ("https://www.news.example/a", true),
            ("http://members.news.example/a", true),
            ("https://attacker.example/x", false),
            ("https://news.example.attacker.example/x", false),
            ("https://evilnews.example/x", false),
        ] {
            assert_eq!(counted("*", base, article), ours, "{article}");
        }
        // A public suffix is not a site: outlet.co.uk's sibling is not ours.
        assert!(counted(
            "*",
            "https://members.outlet.co.uk",
            "https://outlet.co.uk/a"
        ));
        assert!(!counted(
            "*",
            "https://members.outlet.co.uk",
            "https://other.co.uk/a"
        ));
        // Listed origins, as CSP reads them.
        let listed = "https://news.example https://*.partner.example 'self' archive.example:8443";
        for (article, ours) in [
            ("https://news.example/a", true),
            ("http://news.example/a", false),
            ("https://www.news.example/a", false),
            ("https://blog.partner.example/a", true),
            ("https://partner.example/a", false),
            ("https://members.news.example/a", true),
            ("https://archive.example:8443/a", true),
            ("https://archive.example/a", false),
            ("https://attacker.example/x", false),
        ] {
            assert_eq!(counted(listed, base, article), ours, "{article}");
        }
        assert!(!counted("'none'", base, "https://news.example/a"));
        // Any port, as frame-ancestors reads `:*`.
        for (article, ours) in [
            ("http://localhost:8081/a", true),
            ("http://localhost/a", true),
            ("https://localhost:8081/a", false),
        ] {
            assert_eq!(
                counted("http://localhost:*", base, article),
                ours,
                "{article}"
            );
        }
        // A base URL on an address counts that address only, not its numeric "subdomains".
        assert!(counted(
            "*",
            "http://127.0.0.1:8080",
            "http://127.0.0.1:9000/a"
        ));
        assert!(!counted("*", "http://127.0.0.1:8080", "http://10.0.0.1/a"));
    }

    #[test]
    fn our_own_pages_that_show_the_widget_are_not_articles() {
        let base = "https://members.news.example";
        for (ancestors, article, ours) in [
            ("*", "https://members.news.example/widget/demo", false),
            ("'self'", "https://members.news.example/widget/demo", false),
            (
                "'self'",
                "https://members.news.example/widget/members",
                false,
            ),
            (
                "'self'",
                "https://members.news.example/admin/x/embed",
                false,
            ),
            // Another page of the same origin is still one (an outlet may list 'self').
            ("'self'", "https://members.news.example/a", true),
        ] {
            assert_eq!(counted(ancestors, base, article), ours, "{article}");
        }
        // A base URL with a path: only the pages below it are ours.
        let base = "https://news.example/members/";
        assert!(!counted(
            "'self'",
            base,
            "https://news.example/members/widget/demo"
        ));
        assert!(counted("'self'", base, "https://news.example/widget/demo"));
    }

    #[test]
    fn articles_lose_query_fragment_and_credentials() {
        assert_eq!(
            normalize_article("https://news.example/2026/budget?utm_source=x#comments").as_deref(),
            Some("https://news.example/2026/budget")
        );
        assert_eq!(
            normalize_article("https://u:p@news.example/a").as_deref(),
            Some("https://news.example/a")
        );
        for bad in ["", "javascript:alert(1)", "/relative", "ftp://x/y"] {
            assert_eq!(normalize_article(bad), None, "{bad}");
        }
        assert_eq!(
            normalize_article(&format!("https://x.example/{}", "a".repeat(600))),
            None
        );
    }
}
