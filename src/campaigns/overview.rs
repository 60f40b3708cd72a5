//! `GET /admin`: a campaign's overview (live count, pace, projection, charts) and the numbers
//! behind each chart as CSV. Every figure comes from [`super::stats`], computed from the
//! source rows.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;

use super::stats::{self, Projection, Span};
use super::{calendar, ledger};
use crate::admin::{Frame, Nav, render};
use crate::auth::StaffSession;
use crate::campaigns::Campaign;
use crate::campaigns::progress::percent;
use crate::db::DbConnection;
use crate::db::schema::campaigns;
use crate::domain::{AppealVariant, Metric, major};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::charts;
use crate::web::error::AppError;
use crate::web::spreadsheet;

/// Periods (days) the charts and the articles table offer.
pub const PERIODS: [i64; 4] = [30, 90, 180, 365];
/// The charts' default period.
const DEFAULT_DAYS: i64 = 90;
/// Months of churn shown.
const CHURN_MONTHS: u32 = 12;

/// `?campaign=slug&days=90`
#[derive(Debug, Deserialize)]
pub(crate) struct OverviewQuery {
    campaign: Option<String>,
    days: Option<i64>,
}

pub(super) fn period(days: Option<i64>, default: i64) -> i64 {
    days.filter(|d| PERIODS.contains(d)).unwrap_or(default)
}

/// One choice of the period menu.
pub(super) struct PeriodOption {
    pub(super) days: i64,
    pub(super) label: String,
    pub(super) selected: bool,
}

pub(super) fn period_options(selected: i64, lang: Lang) -> Vec<PeriodOption> {
    PERIODS
        .iter()
        .map(|&days| PeriodOption {
            days,
            label: lang.t("admin-last-days", &[("days", days.into())]),
            selected: days == selected,
        })
        .collect()
}

/// The overview's headline figures.
pub struct Figures {
    /// Count shown by the widget: from source rows and the ledger.
    pub count: i64,
    /// The goal.
    pub goal: i64,
    /// Percent of the goal, one decimal.
    pub percent: f64,
    /// Sign-ups since midnight.
    pub gained_today: i64,
    /// Sign-ups since Monday's midnight.
    pub gained_week: i64,
    /// Change per day over the last [`stats::PACE_DAYS`] days.
    pub pace: f64,
    /// When the goal is reached at that pace.
    pub projection: Projection,
    /// The campaign's last day, in its time zone.
    pub deadline: Option<NaiveDate>,
    /// Days before the last day, seen now in the campaign's time zone (0 on the last day).
    pub days_left: Option<i64>,
}

impl Figures {
    fn compute(
        conn: &mut DbConnection,
        campaign: &Campaign,
        spans: &[Span],
        now: NaiveDateTime,
    ) -> QueryResult<Figures> {
        let today = now.date();
        let monday = today - Duration::days(today.weekday().num_days_from_monday().into());
        let count = campaign.shown_count();
        let pace = stats::pace(conn, campaign, spans, now)?;
        Ok(Figures {
            count,
            goal: campaign.goal,
            percent: percent(count, campaign.goal),
            gained_today: stats::signups_between(spans, stats::midnight(today), now),
            gained_week: stats::signups_between(spans, stats::midnight(monday), now),
            pace,
            projection: stats::project(count, campaign.goal, pace, today),
            deadline: campaign.last_day(),
            days_left: campaign.ends_at.map(|end| {
                calendar::days_before_last(end.and_utc(), campaign.zone(), now.and_utc())
            }),
        })
    }

    /// The projected date (ISO), if any.
    pub fn projected_on(&self) -> Option<NaiveDate> {
        match self.projection {
            Projection::On(day) => Some(day),
            Projection::Reached | Projection::NotGrowing => None,
        }
    }
}

/// One chart: its picture, and its numbers for the table and the CSV.
pub struct Chart {
    /// `signups`, `members`, `mrr`, `churn`, `reasons`, `variants` or `tiers`.
    pub id: &'static str,
    /// Heading.
    pub title: String,
    /// The inline SVG.
    pub svg: String,
    /// Column headings.
    pub columns: Vec<String>,
    /// Rows of plain values (ISO dates, whole numbers, decimal money).
    pub rows: Vec<Vec<String>>,
}

/// Every chart of a campaign for the `days` days up to today.
pub fn charts(
    conn: &mut DbConnection,
    campaign: &Campaign,
    spans: &[Span],
    figures: &Figures,
    now: NaiveDateTime,
    days: i64,
    lang: Lang,
) -> QueryResult<Vec<Chart>> {
    let today = now.date();
    let first = today - Duration::days(days - 1);
    let series = stats::daily(spans, &campaign.currency, first, today);
    let labels: Vec<String> = series.iter().map(|d| d.day.to_string()).collect();
    let t = |id: &str| lang.tr(id);

    let signups = Chart {
        id: "signups",
        title: t("admin-chart-signups"),
        svg: charts::up_down_bars(
            &t("admin-chart-signups"),
            "chart-signups",
            &labels,
            &series.iter().map(|d| d.signups).collect::<Vec<_>>(),
            &series.iter().map(|d| d.cancellations).collect::<Vec<_>>(),
        ),
        columns: vec![
            t("admin-col-day"),
            t("admin-col-signups"),
            t("admin-col-cancellations"),
        ],
        rows: series
            .iter()
            .map(|d| {
                vec![
                    d.day.to_string(),
                    d.signups.to_string(),
                    d.cancellations.to_string(),
                ]
            })
            .collect(),
    };

    // For a campaign that counts people, the line includes the ledger's entries dated up to
    // each day, so that it meets the goal line where the widget did (an amount campaign's
    // entries are money, not members); the projection runs a quarter of the period past
    // today.
    let counts_people = campaign.metric() != Metric::Amount;
    let outside = if counts_people {
        let days_shown: Vec<NaiveDate> = series.iter().map(|d| d.day).collect();
        ledger::at_end_of(conn, campaign.id, &days_shown)?
    } else {
        vec![0; series.len()]
    };
    let cumulative: Vec<i64> = series
        .iter()
        .zip(&outside)
        .map(|(d, entries)| d.members + entries)
        .collect();
    let members = Chart {
        id: "members",
        title: t("admin-chart-members"),
        svg: charts::Line {
            title: &t("admin-chart-members"),
            id: "chart-members",
            labels: &labels,
            values: &cumulative,
            goal: counts_people.then_some(campaign.goal),
            projection: (counts_people && figures.pace > 0.0)
                .then_some(((days / 4) as usize, figures.pace)),
            format: &|v| lang.number(v),
        }
        .render(),
        columns: vec![t("admin-col-day"), t("admin-col-members")],
        rows: series
            .iter()
            .zip(&cumulative)
            .map(|(d, m)| vec![d.day.to_string(), m.to_string()])
            .collect(),
    };

    let mrr_values: Vec<i64> = series.iter().map(|d| d.mrr).collect();
    let mrr = Chart {
        id: "mrr",
        title: t("admin-chart-mrr"),
        svg: charts::Line {
            title: &t("admin-chart-mrr"),
            id: "chart-mrr",
            labels: &labels,
            values: &mrr_values,
            goal: None,
            projection: None,
            // Whole currency units on the axis; the table has the cents.
            format: &|v| {
                format!(
                    "{} {}",
                    lang.number(v / 100),
                    campaign.currency.to_uppercase()
                )
            },
        }
        .render(),
        columns: vec![
            t("admin-col-day"),
            format!(
                "{} ({})",
                t("admin-col-mrr"),
                campaign.currency.to_uppercase()
            ),
        ],
        rows: series
            .iter()
            .map(|d| vec![d.day.to_string(), major(d.mrr)])
            .collect(),
    };

    let months = stats::churn(spans, today, CHURN_MONTHS);
    let month_labels: Vec<String> = months
        .iter()
        .map(|m| m.month.format("%Y-%m").to_string())
        .collect();
    let churn = Chart {
        id: "churn",
        title: t("admin-chart-churn"),
        svg: charts::bars(
            &t("admin-chart-churn"),
            "chart-churn",
            &month_labels,
            &months.iter().map(|m| m.rate()).collect::<Vec<_>>(),
            &|v| format!("{v:.1} %"),
        ),
        columns: vec![
            t("admin-col-month"),
            t("admin-col-active-at-start"),
            t("admin-col-ended"),
            t("admin-col-churn"),
        ],
        rows: months
            .iter()
            .zip(&month_labels)
            .map(|(m, label)| {
                vec![
                    label.clone(),
                    m.active_at_start.to_string(),
                    m.ended.to_string(),
                    m.rate().map(|r| format!("{r:.1}")).unwrap_or_default(),
                ]
            })
            .collect(),
    };

    let answers = stats::cancel_reasons(conn, campaign.id, stats::midnight(first))?;
    let reason_of = |r: &stats::ReasonCount| match r.reason {
        Some(reason) => t(&format!("cancel-reason-{reason}")),
        None => t("admin-no-reason"),
    };
    let reasons = Chart {
        id: "reasons",
        title: t("admin-chart-reasons"),
        svg: charts::horizontal_bars(
            &t("admin-chart-reasons"),
            "chart-reasons",
            &answers
                .iter()
                .map(|r| (reason_of(r), r.cancelled + r.kept))
                .collect::<Vec<_>>(),
        ),
        columns: vec![
            t("admin-col-reason"),
            t("admin-col-cancelled"),
            t("admin-col-kept"),
        ],
        rows: answers
            .iter()
            .map(|r| vec![reason_of(r), r.cancelled.to_string(), r.kept.to_string()])
            .collect(),
    };

    let mut shown = vec![signups, members, mrr, churn, reasons];
    if !campaign.title_b.is_empty() {
        shown.push(variants_chart(conn, campaign, first, today, lang)?);
    }

    let names = stats::tier_names(conn, campaign.id)?;
    let no_tier = t("admin-no-tier");
    let mix: Vec<(String, i64)> = stats::tier_mix(spans, now)
        .into_iter()
        .map(|(tier, n)| {
            let name = tier.and_then(|id| names.get(&id).cloned());
            (name.unwrap_or_else(|| no_tier.clone()), n)
        })
        .collect();
    let tiers = Chart {
        id: "tiers",
        title: t("admin-chart-tiers"),
        svg: charts::horizontal_bars(&t("admin-chart-tiers"), "chart-tiers", &mix),
        columns: vec![t("admin-col-tier"), t("admin-col-memberships")],
        rows: mix
            .iter()
            .map(|(name, n)| vec![name.clone(), n.to_string()])
            .collect(),
    };
    shown.push(tiers);
    Ok(shown)
}

/// The two variants of the appeal side by side: what each says, its views, clicks, members
/// and conversion over the period.
fn variants_chart(
    conn: &mut DbConnection,
    campaign: &Campaign,
    first: NaiveDate,
    last: NaiveDate,
    lang: Lang,
) -> QueryResult<Chart> {
    let t = |id: &str| lang.tr(id);
    let rows = stats::appeal_variants(conn, campaign.id, first, last)?;
    let label = |v: AppealVariant| {
        let text = match v {
            AppealVariant::A => &campaign.title,
            AppealVariant::B => &campaign.title_b,
        };
        format!("{}: {text}", v.as_str().to_uppercase())
    };
    Ok(Chart {
        id: "variants",
        title: t("admin-chart-variants"),
        svg: charts::horizontal_bars(
            &t("admin-chart-variants"),
            "chart-variants",
            &rows
                .iter()
                .map(|r| (label(r.variant), r.members))
                .collect::<Vec<_>>(),
        ),
        columns: vec![
            t("admin-col-variant"),
            t("admin-col-views"),
            t("admin-col-clicks"),
            t("admin-col-members-gained"),
            t("admin-col-conversion"),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    label(r.variant),
                    r.views.to_string(),
                    r.clicks.to_string(),
                    r.members.to_string(),
                    r.conversion()
                        .map(|c| format!("{c:.2}"))
                        .unwrap_or_default(),
                ]
            })
            .collect(),
    })
}

/// A campaign picked by slug, else `members`, else the first one.
fn pick_campaign(conn: &mut DbConnection, slug: Option<&str>) -> QueryResult<Option<Campaign>> {
    if let Some(slug) = slug {
        return Campaign::by_slug(conn, slug);
    }
    if let Some(c) = Campaign::by_slug(conn, "members")? {
        return Ok(Some(c));
    }
    campaigns::table
        .order(campaigns::id)
        .select(Campaign::as_select())
        .first(conn)
        .optional()
}

/// The headline figures as the page shows them.
struct Headline {
    count: String,
    goal: String,
    gained_today: String,
    gained_week: String,
    pace: String,
    projection: String,
    deadline: String,
}

impl Headline {
    fn new(f: &Figures, campaign: &Campaign, lang: Lang) -> Headline {
        let unit = |v: i64| lang.in_metric(campaign.metric(), v, &campaign.currency);
        let per_week = (f.pace * 7.0).round() as i64;
        Headline {
            count: unit(f.count),
            goal: unit(f.goal),
            gained_today: lang.number(f.gained_today),
            gained_week: lang.number(f.gained_week),
            pace: lang.t("admin-pace", &[("amount", unit(per_week).into())]),
            projection: match f.projection {
                Projection::Reached => lang.tr("admin-projection-reached"),
                Projection::NotGrowing => lang.tr("admin-projection-none"),
                Projection::On(day) => day.to_string(),
            },
            deadline: match (f.deadline, f.days_left) {
                (Some(day), Some(left)) => lang.t(
                    "admin-deadline",
                    &[("date", day.to_string().into()), ("days", left.into())],
                ),
                _ => lang.tr("admin-deadline-none"),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct OverviewPage {
    frame: Frame,
    campaigns: Vec<(String, String)>,
    campaign: Campaign,
    figures: Figures,
    text: Headline,
    charts: Vec<Chart>,
    days: i64,
    periods: Vec<PeriodOption>,
}

/// `GET /admin`
pub(crate) async fn page(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    query: web::Query<OverviewQuery>,
) -> Result<HttpResponse, AppError> {
    let frame = staff.frame(&req, Nav::Overview);
    let lang = frame.lang;
    let days = period(query.days, DEFAULT_DAYS);
    let slug = query.campaign.clone();
    let loaded = state
        .db
        .read(move |conn| {
            let Some(campaign) = pick_campaign(conn, slug.as_deref())? else {
                return Ok(None);
            };
            let now = crate::db::now();
            let spans = stats::spans(conn, campaign.id)?;
            let figures = Figures::compute(conn, &campaign, &spans, now)?;
            let charts = charts(conn, &campaign, &spans, &figures, now, days, lang)?;
            let all = campaigns::table
                .order((campaigns::archived, campaigns::id))
                .select((campaigns::slug, campaigns::title))
                .load(conn)?;
            Ok(Some((campaign, figures, charts, all)))
        })
        .await?;
    let (campaign, figures, charts, campaigns) =
        loaded.ok_or_else(|| AppError::not_found("campaign"))?;
    render(&OverviewPage {
        text: Headline::new(&figures, &campaign, lang),
        frame,
        campaigns,
        campaign,
        figures,
        charts,
        days,
        periods: period_options(days, lang),
    })
}

/// `?days=90`
#[derive(Debug, Deserialize)]
pub(crate) struct DaysQuery {
    days: Option<i64>,
}

/// `GET /admin/campaigns/{slug}/charts/{chart}.csv`: one chart's numbers.
pub(crate) async fn chart_csv(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<DaysQuery>,
) -> Result<HttpResponse, AppError> {
    let lang = staff.frame(&req, Nav::Overview).lang;
    let (slug, chart) = path.into_inner();
    let days = period(query.days, DEFAULT_DAYS);
    let lookup = slug.clone();
    let all = state
        .db
        .read(move |conn| {
            let Some(campaign) = Campaign::by_slug(conn, &lookup)? else {
                return Ok(None);
            };
            let now = crate::db::now();
            let spans = stats::spans(conn, campaign.id)?;
            let figures = Figures::compute(conn, &campaign, &spans, now)?;
            charts(conn, &campaign, &spans, &figures, now, days, lang).map(Some)
        })
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))?;
    let chart = all
        .into_iter()
        .find(|c| c.id == chart)
        .ok_or_else(|| AppError::not_found("chart"))?;
    spreadsheet::download(
        &format!("{slug}-{}-{days}d.csv", chart.id),
        &chart.columns,
        &chart.rows,
    )
}
