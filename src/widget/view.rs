//! What the server-rendered widget shows (the iframe page and the SVG), in the reader's
//! language. `static/embed.js` renders the same texts in the browser from the JSON.

use askama::Template;
use chrono::{DateTime, Utc};

use super::Options;
use crate::campaigns::attribution::normalize_article;
use crate::campaigns::board::{Progress, Snapshot};
use crate::campaigns::calendar;
use crate::domain::Metric;
use crate::i18n::Lang;

/// The widget's content for one request.
#[derive(Debug)]
pub struct WidgetView {
    pub lang: Lang,
    pub title: String,
    pub count: i64,
    pub goal: i64,
    pub percent: f64,
    /// "12,345 of 20,000 members"
    pub count_text: String,
    /// "61.7%"
    pub percent_text: String,
    /// Goal reached, campaign ended, or time left; empty when none applies.
    pub status_text: String,
    pub reached: bool,
    pub join_text: String,
    pub join_url: String,
    /// The article that embeds the widget, when the embed code names it.
    pub article: Option<String>,
    pub show_join: bool,
    pub compact: bool,
    /// `light`, `dark` or `auto`.
    pub theme: &'static str,
    /// Milestones as positions along the bar, in percent.
    pub milestones: Vec<f64>,
    /// The outlet's accent (`#rrggbb`).
    pub accent: String,
    /// The text colour on the accent.
    pub accent_text: String,
}

/// What is left of a campaign that ends at `end`, seen at `now`, counted in the campaign's
/// days (`zone`): "1 day left" on the day before its last day, hours on the last day.
fn time_left(end: DateTime<Utc>, zone: chrono_tz::Tz, lang: Lang, now: DateTime<Utc>) -> String {
    let left = end - now;
    let days = calendar::days_before_last(end, zone, now);
    if left.num_seconds() <= 0 {
        lang.t("widget-ended", &[])
    } else if days >= 1 {
        lang.t("widget-days-left", &[("n", days.into())])
    } else {
        lang.t(
            "widget-hours-left",
            &[("n", left.num_hours().max(1).into())],
        )
    }
}

impl WidgetView {
    /// Builds the view of a campaign's snapshot at time `now`.
    pub fn new(snap: &Snapshot, options: &Options, now: DateTime<Utc>) -> WidgetView {
        let progress = &snap.progress;
        let lang = options.lang();
        let count_text = count_text(progress, lang);
        let ends_at = progress
            .ends_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        let metric = progress.metric.parse().unwrap_or(Metric::Members);
        let fmt = |n: i64| lang.in_metric(metric, n, &progress.currency);
        let status_text = if progress.reached {
            lang.t("widget-reached", &[])
        } else if let Some(previous) = progress.previous_goal() {
            lang.t(
                "widget-stretch",
                &[
                    ("reached", fmt(previous).into()),
                    ("next", fmt(progress.goal).into()),
                ],
            )
        } else if let Some(end) = ends_at {
            time_left(
                end.with_timezone(&Utc),
                calendar::zone(&progress.time_zone),
                lang,
                now,
            )
        } else {
            String::new()
        };
        let article = options.r#ref.as_deref().and_then(normalize_article);
        let join_url = match &article {
            Some(article) => format!(
                "{}?ref={}",
                progress.join_url,
                url::form_urlencoded::byte_serialize(article.as_bytes()).collect::<String>()
            ),
            None => progress.join_url.clone(),
        };
        let percent_text = match lang {
            Lang::En => format!("{}%", progress.percent),
            Lang::Uk => format!("{}%", progress.percent).replace('.', ","),
        };
        WidgetView {
            lang,
            title: snap.title_in(options.chosen()).to_owned(),
            count: progress.count,
            goal: progress.goal,
            percent: progress.percent,
            count_text,
            percent_text,
            status_text,
            reached: progress.reached,
            join_text: lang.t(
                "widget-join",
                &[("metric", progress.metric.as_str().into())],
            ),
            join_url,
            article,
            show_join: options.join.as_deref() != Some("false"),
            compact: options.compact.as_deref().is_some_and(|v| v != "false"),
            theme: match options.theme.as_deref() {
                Some("dark") => "dark",
                Some("auto") => "auto",
                _ => "light",
            },
            milestones: progress
                .milestones
                .iter()
                .filter(|m| **m < progress.goal)
                .map(|m| (*m as f64 / progress.goal as f64 * 1000.0).round() / 10.0)
                .collect(),
            accent: progress.accent.clone(),
            accent_text: progress.accent_text.clone(),
        }
    }
}

/// "12,345 of 20,000 members", in the reader's language and the metric's unit.
pub fn count_text(progress: &Progress, lang: Lang) -> String {
    let metric = progress.metric.parse().unwrap_or(Metric::Members);
    let fmt = |n: i64| lang.in_metric(metric, n, &progress.currency);
    lang.t(
        "widget-count",
        &[
            ("count_text", fmt(progress.count).into()),
            ("goal_text", fmt(progress.goal).into()),
            ("goal", progress.goal.into()),
            ("metric", progress.metric.as_str().into()),
        ],
    )
}

/// The iframe page.
#[derive(Template)]
#[template(path = "widget/frame.html")]
pub struct FramePage<'a> {
    pub view: &'a WidgetView,
    pub slug: &'a str,
}

/// The standalone SVG (for email and AMP).
#[derive(Template)]
#[template(path = "widget/progress.svg")]
pub struct SvgImage<'a> {
    pub view: &'a WidgetView,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_campaign_ending_on_new_years_eve_in_kyiv_counts_kyiv_days() {
        let kyiv = calendar::zone("Europe/Kyiv");
        let last_day = "2026-12-31".parse().unwrap();
        let end = calendar::end_of(last_day, kyiv).and_utc();
        let at = |y, m, d, h| kyiv.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().to_utc();
        assert_eq!(
            time_left(end, kyiv, Lang::En, at(2026, 12, 29, 23)),
            "2 days left"
        );
        assert_eq!(
            time_left(end, kyiv, Lang::En, at(2026, 12, 30, 12)),
            "1 day left"
        );
        assert_eq!(
            time_left(end, kyiv, Lang::En, at(2026, 12, 31, 10)),
            "14 hours left"
        );
        assert_eq!(
            time_left(end, kyiv, Lang::En, at(2026, 12, 31, 23)),
            "1 hour left"
        );
        let over = time_left(end, kyiv, Lang::En, at(2027, 1, 1, 0));
        assert_eq!(over, Lang::En.t("widget-ended", &[]));
        // Still 30 December in UTC, but the last day in Kyiv: the campaign's zone decides.
        let late = Utc.with_ymd_and_hms(2026, 12, 30, 23, 30, 0).unwrap();
        assert_eq!(time_left(end, kyiv, Lang::En, late), "22 hours left");
    }
}
