//! Campaigns: the model, the progress rule, the in-memory progress board, and the staff
//! pages (editing, tiers, embed codes, the overview and its figures).

pub(crate) mod articles;
pub mod attribution;
pub mod board;
pub mod calendar;
pub mod ledger;
pub mod overview;
pub mod progress;
pub mod staff;
pub mod stats;
pub mod stretch;
pub mod texts;
pub mod tier_texts;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::campaigns;
use crate::domain::Metric;

/// A campaign row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = campaigns)]
pub struct Campaign {
    /// Row id.
    pub id: i32,
    /// URL name, e.g. `members`.
    pub slug: String,
    /// "Help us reach 20,000 members".
    pub title: String,
    /// The appeal's copy.
    pub description: String,
    /// Stored metric text; see [`Campaign::metric`].
    pub metric: String,
    /// Target in the metric's unit.
    pub goal: i64,
    /// ISO currency, lower case.
    pub currency: String,
    /// Window start (amount and supporters metrics).
    pub starts_at: Option<NaiveDateTime>,
    /// Deadline.
    pub ends_at: Option<NaiveDateTime>,
    /// JSON array of milestone values.
    pub milestones: String,
    /// Days a one-time donor counts as a member (0: not counted).
    pub donation_member_days: i32,
    /// Smallest custom amount (minor units).
    pub min_amount: i64,
    /// Largest custom amount (minor units).
    pub max_amount: i64,
    /// JSON array of one-time amounts offered.
    pub donation_presets: String,
    /// Hidden from the public.
    pub archived: bool,
    /// The count from source rows, kept current by [`progress::refresh`].
    pub progress_count: i64,
    /// Bumped on every change the widget shows.
    pub progress_version: i64,
    /// When `progress_count` last changed.
    pub progress_updated_at: NaiveDateTime,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last edited.
    pub updated_at: NaiveDateTime,
    /// JSON array of the goals to move on to once the goal is reached; see
    /// [`Campaign::stretch_goals`].
    pub stretch_goals: String,
    /// A second title for the widget, shown instead of the title to half the readers (the
    /// appeal's variant b); empty: none.
    pub title_b: String,
    /// The IANA time zone its dates are days of; see [`calendar`].
    pub time_zone: String,
}

impl Campaign {
    /// The time zone its dates are days of.
    pub fn zone(&self) -> chrono_tz::Tz {
        calendar::zone(&self.time_zone)
    }

    /// Its first day, in its zone.
    pub fn first_day(&self) -> Option<chrono::NaiveDate> {
        self.starts_at.map(|t| calendar::first_day(t, self.zone()))
    }

    /// Its last day, in its zone.
    pub fn last_day(&self) -> Option<chrono::NaiveDate> {
        self.ends_at.map(|t| calendar::last_day(t, self.zone()))
    }

    /// The parsed metric (the column has a CHECK constraint, so unknown text is a bug).
    pub fn metric(&self) -> Metric {
        self.metric.parse().unwrap_or(Metric::Members)
    }

    /// The stretch goals still ahead: ascending, each above the goal.
    pub fn stretch_goals(&self) -> Vec<i64> {
        let mut ahead = serde_json::from_str::<Vec<i64>>(&self.stretch_goals).unwrap_or_default();
        ahead.retain(|g| *g > self.goal);
        ahead.sort_unstable();
        ahead.dedup();
        ahead
    }

    /// Milestones, ignoring any that are not positive numbers.
    pub fn milestones(&self) -> Vec<i64> {
        serde_json::from_str::<Vec<i64>>(&self.milestones)
            .unwrap_or_default()
            .into_iter()
            .filter(|m| *m > 0)
            .collect()
    }

    /// The count the widget shows: from the source rows and the ledger, never below 0.
    pub fn shown_count(&self) -> i64 {
        self.progress_count.max(0)
    }

    /// Loads one campaign by slug.
    pub fn by_slug(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<Campaign>> {
        campaigns::table
            .filter(campaigns::slug.eq(slug))
            .select(Campaign::as_select())
            .first(conn)
            .optional()
    }
}
