//! What the server-rendered widget shows (the iframe page and the SVG), in the reader's
//! language. `static/embed.js` renders the same texts in the browser from the JSON.

use askama::Template;
use chrono::{DateTime, Utc};

use super::Options;
use crate::campaigns::attribution::normalize_article;
use crate::campaigns::board::{Progress, Snapshot};
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
            let left = end.with_timezone(&Utc) - now;
            if left.num_seconds() <= 0 {
                lang.t("widget-ended", &[])
            } else if left.num_hours() >= 48 {
                lang.t("widget-days-left", &[("n", left.num_days().into())])
            } else {
                lang.t(
                    "widget-hours-left",
                    &[("n", left.num_hours().max(1).into())],
                )
            }
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
