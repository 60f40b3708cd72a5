//! Which articles bring members: widget views and join clicks per article, counted in memory
//! and flushed in batches (never a write per view). No cookie, no personal data: the key is
//! the campaign, the article URL without its query, and the day.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use tokio::sync::watch;

use crate::db::schema::article_stats;
use crate::db::{Db, DbError};

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

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    views: i64,
    clicks: i64,
}

/// Counters waiting to be flushed.
#[derive(Debug, Default)]
pub struct ArticleStats {
    pending: Mutex<HashMap<(i32, String, String), Tally>>,
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

impl ArticleStats {
    /// Counts one hit.
    pub fn record(&self, campaign_id: i32, article: String, hit: Hit) {
        let day = Utc::now().date_naive().to_string();
        let mut pending = self.pending.lock().expect("stats lock");
        let len = pending.len();
        let key = (campaign_id, article, day);
        let tally = match pending.get_mut(&key) {
            Some(tally) => tally,
            None if len >= MAX_PENDING_KEYS => return,
            None => pending.entry(key).or_default(),
        };
        match hit {
            Hit::View => tally.views += 1,
            Hit::Click => tally.clicks += 1,
        }
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
                for ((campaign_id, article, day), t) in rows {
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
    use super::normalize_article;

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
