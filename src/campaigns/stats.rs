//! The dashboard's figures, computed from the source rows (memberships, payments, article
//! counters) each time a page asks, so they cannot drift from what happened.
//!
//! Definitions, all in UTC:
//!
//! - A membership *started* when it reached Stripe (its status is not `pending`, `incomplete`
//!   or `incomplete_expired`); it was active from `started_at` until `ended_at` (half-open).
//! - *Sign-ups* on a day: memberships started that day. *Cancellations*: memberships that
//!   ended that day.
//! - *Members* at the end of a day: distinct people with a membership active at midnight
//!   after it (the chart adds the ledger's entries dated up to then, as the widget did). *MRR* then: the sum of those memberships' monthly amounts (yearly ÷ 12) in the
//!   campaign's currency.
//! - *Churn* of a month: memberships that ended in it ÷ memberships active when it began.
//! - *Reasons*: what members answered on their way to cancelling over the period, per
//!   reason, and how many of them took the offer instead.
//! - *Tier mix*: memberships in good standing now, per tier.
//! - *Pace*: the change over the last [`PACE_DAYS`] days, per day: of members (members and
//!   supporters metrics) or of money received net of refunds (amount metric). The projection
//!   divides what is left to the goal (live count) by it.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::campaigns::Campaign;
use crate::db::DbConnection;
use crate::db::schema::{
    appeal_stats, article_stats, cancellations, gifts, memberships, payments, tiers,
};
use crate::domain::{AppealVariant, BillingInterval, CancelReason, MembershipStatus, Metric};

/// Answers to "why are you cancelling?" of one reason (`None`: no reason given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonCount {
    pub reason: Option<CancelReason>,
    /// Members who went on to cancel.
    pub cancelled: i64,
    /// Members who took the offer instead.
    pub kept: i64,
}

/// The cancellation answers given from `since` on, per reason in the list's order (reasons
/// nobody gave are left out), then those without a reason.
pub fn cancel_reasons(
    conn: &mut DbConnection,
    campaign_id: i32,
    since: NaiveDateTime,
) -> QueryResult<Vec<ReasonCount>> {
    let answers: Vec<(Option<String>, bool)> = cancellations::table
        .filter(cancellations::campaign_id.eq(campaign_id))
        .filter(cancellations::created_at.ge(since))
        .select((cancellations::reason, cancellations::offer_accepted))
        .load(conn)?;
    let order = CancelReason::ALL.map(Some).into_iter().chain([None]);
    Ok(order
        .filter_map(|reason| {
            let given = answers
                .iter()
                .filter(|(r, _)| r.as_deref() == reason.map(CancelReason::as_str));
            let (kept, cancelled): (Vec<_>, Vec<_>) = given.partition(|(_, kept)| *kept);
            (!kept.is_empty() || !cancelled.is_empty()).then_some(ReasonCount {
                reason,
                cancelled: cancelled.len() as i64,
                kept: kept.len() as i64,
            })
        })
        .collect())
}

/// Days the pace is measured over.
pub const PACE_DAYS: i64 = 28;

/// The facts about one started membership that the figures need.
#[derive(Debug, Clone, Queryable)]
pub struct Span {
    /// Whose.
    pub member_id: i32,
    /// Which tier (none for imported or custom amounts).
    pub tier_id: Option<i32>,
    /// Monthly or yearly.
    pub interval: BillingInterval,
    /// Minor units per interval.
    pub amount: i64,
    /// ISO currency.
    pub currency: String,
    /// Stripe's status now.
    pub status: MembershipStatus,
    /// Started.
    pub started_at: NaiveDateTime,
    /// Ended, if it has.
    pub ended_at: Option<NaiveDateTime>,
    /// The article that brought it.
    pub ref_url: Option<String>,
}

impl Span {
    /// Active at instant `t`.
    pub fn active_at(&self, t: NaiveDateTime) -> bool {
        self.started_at <= t && self.ended_at.is_none_or(|end| end > t)
    }

    /// Its amount per month in minor units (yearly ÷ 12, rounded down).
    pub fn monthly_amount(&self) -> i64 {
        self.interval.monthly(self.amount)
    }
}

/// Loads the campaign's started memberships.
pub fn spans(conn: &mut DbConnection, campaign_id: i32) -> QueryResult<Vec<Span>> {
    memberships::table
        .filter(memberships::campaign_id.eq(campaign_id))
        .filter(memberships::status.ne_all(MembershipStatus::all(|s| !s.has_started())))
        .filter(memberships::started_at.is_not_null())
        .select((
            memberships::member_id,
            memberships::tier_id,
            memberships::billing_interval,
            memberships::amount,
            memberships::currency,
            memberships::status,
            memberships::started_at.assume_not_null(),
            memberships::ended_at,
            memberships::ref_url,
        ))
        .load(conn)
}

/// Midnight at the start of `day`.
pub fn midnight(day: NaiveDate) -> NaiveDateTime {
    day.and_hms_opt(0, 0, 0).expect("midnight exists")
}

/// One day of the daily series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    /// The day.
    pub day: NaiveDate,
    /// Memberships started that day.
    pub signups: i64,
    /// Memberships ended that day.
    pub cancellations: i64,
    /// Distinct members at the end of the day.
    pub members: i64,
    /// Monthly recurring revenue at the end of the day, minor units.
    pub mrr: i64,
}

/// The daily series from `first` to `last` inclusive, in one sweep over start and end events.
pub fn daily(spans: &[Span], currency: &str, first: NaiveDate, last: NaiveDate) -> Vec<Day> {
    // (instant, +1 start / -1 end, span index), ordered by time, a start before an end at
    // the same instant (a membership that ended as it began adds and removes itself).
    let mut events: Vec<(NaiveDateTime, i8, usize)> = Vec::with_capacity(spans.len() * 2);
    for (i, s) in spans.iter().enumerate() {
        events.push((s.started_at, 1, i));
        if let Some(end) = s.ended_at {
            events.push((end, -1, i));
        }
    }
    events.sort_unstable_by_key(|(t, kind, _)| (*t, std::cmp::Reverse(*kind)));
    let mut active_per_member: HashMap<i32, u32> = HashMap::new();
    let mut mrr = 0i64;
    let mut next = 0;
    let mut days = Vec::new();
    let mut day = first;
    while day <= last {
        let start = midnight(day);
        let end = midnight(day + Duration::days(1));
        let (mut signups, mut cancellations) = (0, 0);
        while next < events.len() && events[next].0 < end {
            let (t, kind, i) = events[next];
            let span = &spans[i];
            let in_day = t >= start;
            let same_currency = span.currency.eq_ignore_ascii_case(currency);
            if kind > 0 {
                signups += i64::from(in_day);
                *active_per_member.entry(span.member_id).or_default() += 1;
                mrr += if same_currency {
                    span.monthly_amount()
                } else {
                    0
                };
            } else {
                cancellations += i64::from(in_day);
                if let Some(n) = active_per_member.get_mut(&span.member_id) {
                    *n -= 1;
                    if *n == 0 {
                        active_per_member.remove(&span.member_id);
                    }
                }
                mrr -= if same_currency {
                    span.monthly_amount()
                } else {
                    0
                };
            }
            next += 1;
        }
        days.push(Day {
            day,
            signups,
            cancellations,
            members: active_per_member.len() as i64,
            mrr,
        });
        day += Duration::days(1);
    }
    days
}

/// Distinct members active at instant `t`.
pub fn members_at(spans: &[Span], t: NaiveDateTime) -> i64 {
    let mut ids: Vec<i32> = spans
        .iter()
        .filter(|s| s.active_at(t))
        .map(|s| s.member_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len() as i64
}

/// Sign-ups in `[from, to)`.
pub fn signups_between(spans: &[Span], from: NaiveDateTime, to: NaiveDateTime) -> i64 {
    spans
        .iter()
        .filter(|s| s.started_at >= from && s.started_at < to)
        .count() as i64
}

/// One month of churn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChurnMonth {
    /// Its first day.
    pub month: NaiveDate,
    /// Memberships active when it began.
    pub active_at_start: i64,
    /// Memberships that ended in it.
    pub ended: i64,
}

impl ChurnMonth {
    /// Percent, one decimal; `None` when nothing was active at the start.
    pub fn rate(&self) -> Option<f64> {
        (self.active_at_start > 0)
            .then(|| (self.ended as f64 * 1000.0 / self.active_at_start as f64).round() / 10.0)
    }
}

/// The first day of the month `back` months before the month of `day`.
pub fn month_start(day: NaiveDate, back: u32) -> NaiveDate {
    let index = day.year() * 12 + day.month0() as i32 - back as i32;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
        .expect("first of a month")
}

/// Churn for the `months` months up to and including the month of `today`, oldest first.
pub fn churn(spans: &[Span], today: NaiveDate, months: u32) -> Vec<ChurnMonth> {
    (0..months)
        .rev()
        .map(|back| {
            let month = month_start(today, back);
            let start = midnight(month);
            let end = midnight(next_month(month));
            ChurnMonth {
                month,
                active_at_start: spans.iter().filter(|s| s.active_at(start)).count() as i64,
                ended: spans
                    .iter()
                    .filter(|s| s.ended_at.is_some_and(|e| e >= start && e < end))
                    .count() as i64,
            }
        })
        .collect()
}

fn next_month(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(chrono::Months::new(1))
        .expect("a next month")
}

/// Memberships in good standing now, per tier id (`None`: no tier), most first.
pub fn tier_mix(spans: &[Span], now: NaiveDateTime) -> Vec<(Option<i32>, i64)> {
    let mut counts: BTreeMap<Option<i32>, i64> = BTreeMap::new();
    for s in spans {
        if s.active_at(now) && s.status.in_good_standing() {
            *counts.entry(s.tier_id).or_default() += 1;
        }
    }
    let mut mix: Vec<_> = counts.into_iter().collect();
    mix.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    mix
}

/// Tier names of a campaign by id.
pub fn tier_names(conn: &mut DbConnection, campaign_id: i32) -> QueryResult<HashMap<i32, String>> {
    Ok(tiers::table
        .filter(tiers::campaign_id.eq(campaign_id))
        .select((tiers::id, tiers::name))
        .load::<(i32, String)>(conn)?
        .into_iter()
        .collect())
}

/// Money received in `[from, to)` in the campaign's currency, net of refunds and lost
/// disputes, minor units: payments and gifts, as an amount goal counts them.
pub fn net_received(
    conn: &mut DbConnection,
    campaign: &Campaign,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<i64> {
    let rows: Vec<(i64, i64, Option<String>)> = payments::table
        .filter(payments::campaign_id.eq(campaign.id))
        .filter(payments::currency.eq(&campaign.currency))
        .filter(payments::status.eq("succeeded"))
        .filter(payments::paid_at.ge(from))
        .filter(payments::paid_at.lt(to))
        .select((
            payments::amount,
            payments::amount_refunded,
            payments::dispute_status,
        ))
        .load(conn)?;
    let gifts: Vec<(i64, i64)> = gifts::table
        .filter(gifts::campaign_id.eq(campaign.id))
        .filter(gifts::currency.eq(&campaign.currency))
        .filter(gifts::paid_at.ge(from))
        .filter(gifts::paid_at.lt(to))
        .select((gifts::amount, gifts::amount_refunded))
        .load(conn)?;
    let payments: i64 = rows
        .into_iter()
        .filter(|(_, _, dispute)| dispute.as_deref() != Some("lost"))
        .map(|(amount, refunded, _)| amount - refunded)
        .sum();
    Ok(payments
        + gifts
            .into_iter()
            .map(|(amount, refunded)| amount - refunded)
            .sum::<i64>())
}

/// When the goal will be reached at the current pace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Projection {
    /// It already is.
    Reached,
    /// On this day.
    On(NaiveDate),
    /// Never: the count is not growing.
    NotGrowing,
}

/// The pace per day over the last [`PACE_DAYS`] days, in the campaign's metric.
pub fn pace(
    conn: &mut DbConnection,
    campaign: &Campaign,
    spans: &[Span],
    now: NaiveDateTime,
) -> QueryResult<f64> {
    let since = now - Duration::days(PACE_DAYS);
    let change = match campaign.metric() {
        Metric::Amount => net_received(conn, campaign, since, now)?,
        Metric::Members | Metric::Supporters => members_at(spans, now) - members_at(spans, since),
    };
    Ok(change as f64 / PACE_DAYS as f64)
}

/// The day the count reaches the goal at `pace` per day, counting from `today`.
pub fn project(count: i64, goal: i64, pace: f64, today: NaiveDate) -> Projection {
    if count >= goal {
        return Projection::Reached;
    }
    if pace <= 0.0 {
        return Projection::NotGrowing;
    }
    let days = ((goal - count) as f64 / pace).ceil();
    // Beyond a century is "not at this pace" for any campaign.
    if days > 36_500.0 {
        return Projection::NotGrowing;
    }
    Projection::On(today + Duration::days(days as i64))
}

/// One article's row of "articles that bring members".
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleRow {
    /// The article (normalized URL).
    pub url: String,
    /// Widget views.
    pub views: i64,
    /// Join clicks.
    pub clicks: i64,
    /// Memberships started from it.
    pub members: i64,
}

impl ArticleRow {
    /// Members per 100 views, two decimals; `None` without views.
    pub fn conversion(&self) -> Option<f64> {
        conversion(self.members, self.views)
    }
}

/// Members per 100 views, two decimals; `None` without views.
fn conversion(members: i64, views: i64) -> Option<f64> {
    (views > 0).then(|| (members as f64 * 10_000.0 / views as f64).round() / 100.0)
}

/// One variant of a campaign's appeal over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantRow {
    pub variant: AppealVariant,
    /// Widget views showing it.
    pub views: i64,
    /// Join clicks from it.
    pub clicks: i64,
    /// Memberships started by readers who saw it.
    pub members: i64,
}

impl VariantRow {
    /// Members per 100 views, two decimals; `None` without views.
    pub fn conversion(&self) -> Option<f64> {
        conversion(self.members, self.views)
    }
}

/// Both variants of the appeal for days `first..=last`: views and clicks from the counters,
/// memberships that started from each.
pub fn appeal_variants(
    conn: &mut DbConnection,
    campaign_id: i32,
    first: NaiveDate,
    last: NaiveDate,
) -> QueryResult<Vec<VariantRow>> {
    let counted: Vec<(AppealVariant, i64, i64)> = appeal_stats::table
        .filter(appeal_stats::campaign_id.eq(campaign_id))
        .filter(appeal_stats::day.ge(first.to_string()))
        .filter(appeal_stats::day.le(last.to_string()))
        .select((
            appeal_stats::variant,
            appeal_stats::views,
            appeal_stats::clicks,
        ))
        .load(conn)?;
    let joined: Vec<AppealVariant> = memberships::table
        .filter(memberships::campaign_id.eq(campaign_id))
        .filter(memberships::started_at.ge(midnight(first)))
        .filter(memberships::started_at.lt(midnight(last + Duration::days(1))))
        .filter(memberships::appeal_variant.is_not_null())
        .select(memberships::appeal_variant.assume_not_null())
        .load(conn)?;
    Ok(AppealVariant::ALL
        .into_iter()
        .map(|variant| {
            let of = counted.iter().filter(|(v, ..)| *v == variant);
            VariantRow {
                variant,
                views: of.clone().map(|(_, views, _)| views).sum(),
                clicks: of.map(|(.., clicks)| clicks).sum(),
                members: joined.iter().filter(|v| **v == variant).count() as i64,
            }
        })
        .collect())
}

/// Per article, for days `first..=last`: views and clicks from the counters, memberships
/// started from it.
pub fn articles(
    conn: &mut DbConnection,
    campaign_id: i32,
    spans: &[Span],
    first: NaiveDate,
    last: NaiveDate,
) -> QueryResult<Vec<ArticleRow>> {
    let counted: Vec<(String, i64, i64)> = article_stats::table
        .filter(article_stats::campaign_id.eq(campaign_id))
        .filter(article_stats::day.ge(first.to_string()))
        .filter(article_stats::day.le(last.to_string()))
        .select((
            article_stats::article_url,
            article_stats::views,
            article_stats::clicks,
        ))
        .load(conn)?;
    let mut rows: BTreeMap<String, ArticleRow> = BTreeMap::new();
    fn row<'a>(rows: &'a mut BTreeMap<String, ArticleRow>, url: &str) -> &'a mut ArticleRow {
        rows.entry(url.to_owned()).or_insert_with(|| ArticleRow {
            url: url.to_owned(),
            views: 0,
            clicks: 0,
            members: 0,
        })
    }
    for (url, views, clicks) in counted {
        let r = row(&mut rows, &url);
        r.views += views;
        r.clicks += clicks;
    }
    let (from, to) = (midnight(first), midnight(last + Duration::days(1)));
    for s in spans {
        if let Some(url) = &s.ref_url
            && s.started_at >= from
            && s.started_at < to
        {
            row(&mut rows, url).members += 1;
        }
    }
    Ok(rows.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: &str, hour: u32) -> NaiveDateTime {
        NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
    }

    fn span(member_id: i32, start: NaiveDateTime, end: Option<NaiveDateTime>) -> Span {
        Span {
            member_id,
            tier_id: None,
            interval: BillingInterval::Month,
            amount: 500,
            currency: "eur".into(),
            status: if end.is_some() {
                MembershipStatus::Canceled
            } else {
                MembershipStatus::Active
            },
            started_at: start,
            ended_at: end,
            ref_url: None,
        }
    }

    #[test]
    fn the_daily_sweep_matches_counting_each_day_on_its_own() {
        let spans = vec![
            span(1, at("2026-01-01", 10), Some(at("2026-01-03", 0))),
            span(1, at("2026-01-02", 9), None),
            span(2, at("2026-01-02", 23), Some(at("2026-01-02", 23))),
            span(3, at("2025-12-31", 0), None),
        ];
        let first = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let days = daily(&spans, "eur", first, first + Duration::days(3));
        for d in &days {
            let end = midnight(d.day + Duration::days(1));
            assert_eq!(
                d.members,
                members_at(&spans, end - Duration::nanoseconds(1))
            );
            assert_eq!(d.signups, signups_between(&spans, midnight(d.day), end));
        }
        assert_eq!(
            days.iter().map(|d| d.cancellations).collect::<Vec<_>>(),
            [0, 1, 1, 0]
        );
        assert_eq!(days[1].mrr, 1500, "two of member 1 and member 3");
    }

    #[test]
    fn months_step_back_across_years() {
        let day = NaiveDate::from_ymd_opt(2026, 2, 17).unwrap();
        assert_eq!(month_start(day, 0).to_string(), "2026-02-01");
        assert_eq!(month_start(day, 2).to_string(), "2025-12-01");
        assert_eq!(month_start(day, 14).to_string(), "2024-12-01");
        let churned = churn(
            &[span(1, at("2025-12-05", 0), Some(at("2026-01-31", 23)))],
            day,
            3,
        );
        assert_eq!(
            churned
                .iter()
                .map(|m| (m.active_at_start, m.ended))
                .collect::<Vec<_>>(),
            [(0, 0), (1, 1), (0, 0)]
        );
        assert_eq!(churned[1].rate(), Some(100.0));
        assert_eq!(churned[0].rate(), None);
    }

    #[test]
    fn projections_divide_what_is_left_by_the_pace() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert_eq!(project(100, 100, 0.0, today), Projection::Reached);
        assert_eq!(project(90, 100, 0.0, today), Projection::NotGrowing);
        assert_eq!(project(90, 100, -1.0, today), Projection::NotGrowing);
        assert_eq!(
            project(90, 100, 3.0, today),
            Projection::On(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        );
    }
}
