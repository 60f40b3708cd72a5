//! The progress board: every campaign's current progress, held in memory and rendered once
//! per change, so widget requests never touch the database.
//!
//! A refresher task compares each campaign's `progress_version` with the board's copy every
//! half second (and at once when this instance wrote something), so a change made by any
//! instance shows within a second on all of them. When the database is down the board keeps
//! serving the last progress it knew.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use actix_web::http::header::HeaderValue;
use bytes::Bytes;
use diesel::prelude::*;
use serde::Serialize;
use tokio::sync::{Notify, watch};

use super::Campaign;
use super::progress::percent;
use super::stretch::{self, GoalReached};
use super::texts::Translations;
use crate::branding::{self, Brand, Branding};
use crate::db::schema::campaigns;
use crate::db::{Db, DbError};
use crate::i18n::Lang;

/// The public progress of one campaign, as the widget JSON shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Progress {
    /// Campaign slug.
    pub campaign: String,
    /// Title.
    pub title: String,
    /// `members`, `amount` or `supporters`.
    pub metric: String,
    /// Counted from source rows and the ledger.
    pub count: i64,
    /// Target.
    pub goal: i64,
    /// 0..=100, one decimal.
    pub percent: f64,
    /// `count >= goal`.
    pub reached: bool,
    /// When the count last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// ISO currency (lower case).
    pub currency: String,
    /// Milestones on the bar.
    pub milestones: Vec<i64>,
    /// Campaign start (RFC 3339) or null.
    pub starts_at: Option<String>,
    /// Deadline (RFC 3339) or null: the end of the campaign's last day in its time zone.
    pub ends_at: Option<String>,
    /// The IANA time zone the campaign's days are counted in.
    pub time_zone: String,
    /// The campaign's join page.
    pub join_url: String,
    /// Every goal reached so far, in order (the last one is where a stretch goal began).
    pub goals_reached: Vec<GoalReached>,
    /// The stretch goals after this one.
    pub next_goals: Vec<i64>,
    /// The appeal's second title (variant b), which the widget shows instead of `title` to
    /// half the readers; null when the campaign has none (or for a language with a title of
    /// its own).
    pub title_b: Option<String>,
    /// The outlet's accent colour (`#rrggbb`), for the bar and the join button.
    pub accent: String,
    /// The text colour on the accent (`#rrggbb`).
    pub accent_text: String,
}

impl Progress {
    fn new(
        campaign: &Campaign,
        goals_reached: Vec<GoalReached>,
        join_url: String,
        brand: &Brand,
    ) -> Progress {
        let count = campaign.shown_count();
        Progress {
            campaign: campaign.slug.clone(),
            title: campaign.title.clone(),
            metric: campaign.metric.clone(),
            count,
            goal: campaign.goal,
            percent: percent(count, campaign.goal),
            reached: count >= campaign.goal,
            updated_at: crate::db::rfc3339(campaign.progress_updated_at.max(campaign.updated_at)),
            currency: campaign.currency.clone(),
            milestones: campaign.milestones(),
            starts_at: campaign.starts_at.map(crate::db::rfc3339),
            ends_at: campaign.ends_at.map(crate::db::rfc3339),
            time_zone: campaign.time_zone.clone(),
            join_url,
            goals_reached,
            next_goals: campaign.stretch_goals(),
            title_b: Some(campaign.title_b.clone()).filter(|t| !t.is_empty()),
            accent: brand.accent().to_owned(),
            accent_text: brand.on_accent().to_owned(),
        }
    }

    /// The goal reached before this one, when the campaign moved on from it to a stretch goal.
    pub fn previous_goal(&self) -> Option<i64> {
        self.goals_reached
            .iter()
            .map(|g| g.goal)
            .rfind(|g| *g < self.goal)
    }
}

/// One campaign's progress, pre-rendered for the widget routes.
#[derive(Debug)]
pub struct Snapshot {
    /// The data.
    pub progress: Progress,
    /// The widget JSON body.
    pub json: Bytes,
    /// A strong validator for `ETag` / `If-None-Match` (quoted), ready to be a header.
    pub etag: HeaderValue,
    /// The same in each language that has a title of its own (`?lang=`).
    localized: [Option<Rendered>; Lang::ALL.len()],
    campaign_id: i32,
    version: i64,
}

/// The widget JSON in one language, ready to send.
#[derive(Debug)]
struct Rendered {
    title: String,
    json: Bytes,
    etag: HeaderValue,
}

impl Rendered {
    fn of(progress: &Progress) -> Rendered {
        let json = Bytes::from(serde_json::to_vec(progress).expect("progress serialises"));
        Rendered {
            title: progress.title.clone(),
            etag: crate::web::strong_etag(&json),
            json,
        }
    }
}

impl Snapshot {
    /// The campaign's row id.
    pub fn campaign_id(&self) -> i32 {
        self.campaign_id
    }

    fn localized(&self, lang: Option<Lang>) -> Option<&Rendered> {
        lang.and_then(|lang| self.localized[lang.index()].as_ref())
    }

    /// The widget JSON and its validator for a reader of `lang` (the campaign's own title
    /// where that language has none, or none was asked for).
    pub fn json_in(&self, lang: Option<Lang>) -> (&Bytes, &HeaderValue) {
        match self.localized(lang) {
            Some(r) => (&r.json, &r.etag),
            None => (&self.json, &self.etag),
        }
    }

    /// The title for a reader of `lang`.
    pub fn title_in(&self, lang: Option<Lang>) -> &str {
        match self.localized(lang) {
            Some(r) => &r.title,
            None => &self.progress.title,
        }
    }

    fn new(
        campaign: &Campaign,
        translations: &Translations,
        goals_reached: Vec<GoalReached>,
        join_url: String,
        brand: &Brand,
    ) -> Snapshot {
        let progress = Progress::new(campaign, goals_reached, join_url, brand);
        let Rendered { json, etag, .. } = Rendered::of(&progress);
        let localized = Lang::ALL.map(|lang| {
            translations.has_title(lang).then(|| {
                Rendered::of(&Progress {
                    title: translations.title(campaign, lang).to_owned(),
                    title_b: None,
                    ..progress.clone()
                })
            })
        });
        Snapshot {
            progress,
            json,
            etag,
            localized,
            campaign_id: campaign.id,
            version: campaign.progress_version,
        }
    }
}

/// All public campaigns' snapshots, each behind a watch channel that live streams follow.
pub struct ProgressBoard {
    campaigns: RwLock<HashMap<String, watch::Sender<Arc<Snapshot>>>>,
    wake: Notify,
    changed: Notify,
    base_url: String,
    branding: Arc<Branding>,
    /// The version of the brand the snapshots were rendered in.
    rendered_brand: AtomicI64,
}

impl ProgressBoard {
    /// An empty board; [`ProgressBoard::reload`] fills it.
    pub fn new(base_url: &str) -> ProgressBoard {
        ProgressBoard {
            campaigns: RwLock::default(),
            wake: Notify::new(),
            changed: Notify::new(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            branding: Arc::default(),
            rendered_brand: AtomicI64::new(0),
        }
    }

    /// The outlet's brand as this instance knows it (kept current with the campaigns).
    pub fn branding(&self) -> &Arc<Branding> {
        &self.branding
    }

    /// The current snapshot of a public campaign.
    pub fn get(&self, slug: &str) -> Option<Arc<Snapshot>> {
        let map = self.campaigns.read().expect("board lock");
        map.get(slug).map(|tx| tx.borrow().clone())
    }

    /// Follows a campaign's changes (the first value is the current one).
    pub fn subscribe(&self, slug: &str) -> Option<watch::Receiver<Arc<Snapshot>>> {
        let map = self.campaigns.read().expect("board lock");
        map.get(slug).map(|tx| tx.subscribe())
    }

    /// Resolves after the next change the board sees, from any instance. Create it before
    /// reading the state it guards, so that no change in between is missed.
    pub fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }

    /// Asks the refresher to look now (after this instance committed a change).
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    /// Reads the campaigns whose version moved and publishes their new snapshots; when the
    /// brand moved, reads it and renders every campaign again.
    pub async fn reload(&self, db: &Db) -> Result<(), DbError> {
        let known: HashMap<i32, i64> = {
            let map = self.campaigns.read().expect("board lock");
            map.values()
                .map(|tx| {
                    let snap = tx.borrow();
                    (snap.campaign_id, snap.version)
                })
                .collect()
        };
        let known_brand = self.rendered_brand.load(Ordering::Acquire);
        let (versions, brand) = db
            .read(move |conn| {
                let versions: Vec<(i32, i64)> = campaigns::table
                    .filter(campaigns::archived.eq(false))
                    .select((campaigns::id, campaigns::progress_version))
                    .load(conn)?;
                let brand = match branding::version(conn)? {
                    v if v == known_brand => None,
                    _ => Some(branding::load(conn)?),
                };
                Ok((versions, brand))
            })
            .await?;
        let rebrand = brand.as_ref().map(|b| b.version);
        if let Some(brand) = brand {
            self.branding.set(brand);
        }
        let live: HashSet<i32> = versions.iter().map(|(id, _)| *id).collect();
        let stale: Vec<i32> = versions
            .iter()
            .filter(|(id, version)| rebrand.is_some() || known.get(id) != Some(version))
            .map(|(id, _)| *id)
            .collect();
        let any_gone = known.keys().any(|id| !live.contains(id));
        if stale.is_empty() && !any_gone {
            if let Some(version) = rebrand {
                self.rendered_brand.store(version, Ordering::Release);
            }
            return Ok(());
        }
        self.changed.notify_waiters();
        let (fresh, mut translations, reached) = db
            .read(move |conn| {
                let fresh: Vec<Campaign> = campaigns::table
                    .filter(campaigns::id.eq_any(&stale))
                    .select(Campaign::as_select())
                    .load(conn)?;
                Ok((
                    fresh,
                    Translations::of_each(conn, &stale)?,
                    stretch::of_each(conn, &stale)?,
                ))
            })
            .await?;
        let brand = self.branding.get();
        let mut map = self.campaigns.write().expect("board lock");
        // Archived or deleted campaigns, and the old slug of a renamed one, leave the board
        // (dropping the sender ends their live streams).
        map.retain(|slug, tx| {
            let id = tx.borrow().campaign_id;
            live.contains(&id) && fresh.iter().all(|c| c.id != id || &c.slug == slug)
        });
        for campaign in &fresh {
            let join_url = format!("{}/join/{}", self.base_url, campaign.slug);
            let texts = translations
                .iter_mut()
                .find(|(id, _)| *id == campaign.id)
                .map(|(_, t)| std::mem::take(t))
                .unwrap_or_default();
            let goals_reached = reached
                .iter()
                .filter(|(id, _)| *id == campaign.id)
                .map(|(_, g)| g.clone())
                .collect();
            let snap = Arc::new(Snapshot::new(
                campaign,
                &texts,
                goals_reached,
                join_url,
                &brand,
            ));
            match map.get(&campaign.slug) {
                Some(tx) => {
                    tx.send_replace(snap);
                }
                None => {
                    map.insert(campaign.slug.clone(), watch::Sender::new(snap));
                }
            }
        }
        if let Some(version) = rebrand {
            self.rendered_brand.store(version, Ordering::Release);
        }
        Ok(())
    }

    /// Keeps the board current until `stop` turns true.
    pub async fn run_refresher(self: Arc<Self>, db: Db, mut stop: watch::Receiver<bool>) {
        let mut failing = false;
        loop {
            match self.reload(&db).await {
                Ok(()) if failing => {
                    tracing::info!("progress board reconnected to the database");
                    failing = false;
                }
                Ok(()) => {}
                Err(e) if !failing => {
                    tracing::warn!(error = %e, "progress board cannot reach the database; serving the last known progress");
                    failing = true;
                }
                Err(_) => {}
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = self.wake.notified() => {}
                _ = stop.wait_for(|stopped| *stopped) => return,
            }
        }
    }
}
