//! The campaign form: what it posts, and its validation into fields a campaign row takes.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;

use crate::campaigns::progress;
use crate::campaigns::texts::{MAX_DESCRIPTION, MAX_TITLE, Texts, Translations};
use crate::campaigns::{Campaign, calendar};
use crate::db::DbConnection;
use crate::db::schema::campaigns;
use crate::domain::{Metric, major, parse_major};
use crate::i18n::Lang;

/// The most milestones or donation presets a campaign may have.
const MAX_LIST: usize = 12;

/// What a campaign form posts (all text, validated by [`CampaignForm::validate`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CampaignForm {
    pub(super) slug: String,
    pub(super) title: String,
    /// The appeal's second title (variant b); empty: no A/B test.
    pub(super) title_b: String,
    pub(super) description: String,
    pub(super) metric: String,
    pub(super) goal: String,
    pub(super) currency: String,
    pub(super) starts_on: String,
    pub(super) ends_on: String,
    /// The IANA time zone the two dates are days of.
    pub(super) time_zone: String,
    pub(super) milestones: String,
    pub(super) stretch_goals: String,
    pub(super) donation_member_days: String,
    pub(super) min_amount: String,
    pub(super) max_amount: String,
    pub(super) donation_presets: String,
    pub(super) archived: Option<String>,
    /// The title and appeal for readers who chose English or Ukrainian (empty: the above).
    pub(super) title_en: String,
    pub(super) description_en: String,
    pub(super) title_uk: String,
    pub(super) description_uk: String,
}

/// A validated campaign.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CampaignFields {
    pub(super) title: String,
    pub(super) title_b: String,
    pub(super) description: String,
    pub(super) metric: Metric,
    pub(super) goal: i64,
    pub(super) currency: String,
    pub(super) starts_at: Option<NaiveDateTime>,
    pub(super) ends_at: Option<NaiveDateTime>,
    pub(super) time_zone: Tz,
    pub(super) milestones: Vec<i64>,
    pub(super) stretch_goals: Vec<i64>,
    pub(super) donation_member_days: i32,
    pub(super) min_amount: i64,
    pub(super) max_amount: i64,
    pub(super) donation_presets: Vec<i64>,
    pub(super) archived: bool,
    pub(super) translations: Translations,
}

/// Field name → message id of what is wrong with it.
pub(super) type Errors = BTreeMap<&'static str, &'static str>;

impl CampaignFields {
    /// Whether a title (the campaign's own, its second one, or a language's) still names
    /// `goal` (in the metric's unit: "20,000", "20 000", "€5.000", "20k"). An editor who moves
    /// the goal is warned, so "Help us reach 20,000" does not stand over a goal of 25,000.
    pub(super) fn titles_name(&self, goal: i64) -> bool {
        let named = match self.metric {
            // Money goals are kept in minor units; titles name whole major units.
            Metric::Amount if goal % 100 == 0 => goal / 100,
            Metric::Amount => return false,
            Metric::Members | Metric::Supporters => goal,
        };
        [&self.title, &self.title_b]
            .into_iter()
            .chain(Lang::ALL.iter().map(|l| &self.translations.get(*l).title))
            .any(|title| numbers_in(title).contains(&named))
    }
}

/// The numbers a text names: digit groups joined by a thousands separator (`,` `.` `'`, a
/// space or a thin or no-break one) read as one number, and a trailing `k` as thousands.
fn numbers_in(text: &str) -> Vec<i64> {
    let chars: Vec<char> = text.chars().collect();
    let mut numbers = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut digits = String::new();
        loop {
            while i < chars.len() && chars[i].is_ascii_digit() {
                digits.push(chars[i]);
                i += 1;
            }
            // A separator followed by exactly three digits continues the number.
            let separated = i < chars.len()
                && matches!(
                    chars[i],
                    ',' | '.' | '\'' | ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}'
                )
                && chars[i + 1..]
                    .iter()
                    .take(3)
                    .filter(|c| c.is_ascii_digit())
                    .count()
                    == 3
                && chars.get(i + 4).is_none_or(|c| !c.is_ascii_digit());
            if !separated {
                break;
            }
            i += 1;
        }
        let Ok(mut number) = digits.parse::<i64>() else {
            continue;
        };
        if chars.get(i).is_some_and(|c| matches!(c, 'k' | 'K')) {
            number = number.saturating_mul(1000);
        }
        numbers.push(number);
    }
    numbers
}

/// A goal in the metric's unit: whole people, or money typed in major units.
fn parse_goal(input: &str, metric: Metric) -> Option<i64> {
    match metric {
        Metric::Amount => parse_major(input),
        Metric::Members | Metric::Supporters => input.trim().parse().ok(),
    }
    .filter(|g| *g > 0)
}

fn goal_text(goal: i64, metric: Metric) -> String {
    match metric {
        Metric::Amount => major(goal),
        Metric::Members | Metric::Supporters => goal.to_string(),
    }
}

/// "5000, 10000" → numbers, each parsed by `one`; `None` if any is not.
fn parse_list(input: &str, one: impl Fn(&str) -> Option<i64>) -> Option<Vec<i64>> {
    input
        .split([',', ';', ' '])
        .filter(|s| !s.trim().is_empty())
        .map(|s| one(s.trim()).filter(|v| *v > 0))
        .collect()
}

/// A day typed as `YYYY-MM-DD`; empty: none.
fn parse_day(input: &str) -> Result<Option<NaiveDate>, ()> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(input, "%Y-%m-%d")
        .map(Some)
        .map_err(drop)
}

impl CampaignForm {
    pub(super) fn of(c: &Campaign, translations: &Translations) -> CampaignForm {
        let list = |json: &str, fmt: &dyn Fn(i64) -> String| {
            serde_json::from_str::<Vec<i64>>(json)
                .unwrap_or_default()
                .into_iter()
                .map(fmt)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let metric = c.metric();
        CampaignForm {
            slug: c.slug.clone(),
            title: c.title.clone(),
            title_b: c.title_b.clone(),
            description: c.description.clone(),
            metric: c.metric.clone(),
            goal: goal_text(c.goal, metric),
            currency: c.currency.clone(),
            starts_on: c.first_day().map(|d| d.to_string()).unwrap_or_default(),
            ends_on: c.last_day().map(|d| d.to_string()).unwrap_or_default(),
            time_zone: c.time_zone.clone(),
            milestones: list(&c.milestones, &|m| goal_text(m, metric)),
            stretch_goals: c
                .stretch_goals()
                .into_iter()
                .map(|g| goal_text(g, metric))
                .collect::<Vec<_>>()
                .join(", "),
            donation_member_days: c.donation_member_days.to_string(),
            min_amount: major(c.min_amount),
            max_amount: major(c.max_amount),
            donation_presets: list(&c.donation_presets, &major),
            archived: c.archived.then(|| "on".to_owned()),
            title_en: translations.get(Lang::En).title.clone(),
            description_en: translations.get(Lang::En).description.clone(),
            title_uk: translations.get(Lang::Uk).title.clone(),
            description_uk: translations.get(Lang::Uk).description.clone(),
        }
    }

    /// The form with `zone` as its time zone when none was posted (an API client that leaves
    /// it out keeps the campaign's, or gets the default of a new one).
    pub(super) fn zone_or(self, zone: &str) -> CampaignForm {
        if self.time_zone.trim().is_empty() {
            return CampaignForm {
                time_zone: zone.to_owned(),
                ..self
            };
        }
        self
    }

    /// The posted title and appeal of one language, with their field names.
    pub(super) fn texts(&self, lang: Lang) -> [(&'static str, &str); 2] {
        match lang {
            Lang::En => [
                ("title_en", &self.title_en),
                ("description_en", &self.description_en),
            ],
            Lang::Uk => [
                ("title_uk", &self.title_uk),
                ("description_uk", &self.description_uk),
            ],
        }
    }

    pub(super) fn validate(&self) -> Result<CampaignFields, Errors> {
        let mut errors = Errors::new();
        let title = self.title.trim().to_owned();
        if title.is_empty() || title.chars().count() > MAX_TITLE {
            errors.insert("title", "admin-error-title");
        }
        let title_b = self.title_b.trim().to_owned();
        if title_b.chars().count() > MAX_TITLE {
            errors.insert("title_b", "admin-error-title-length");
        }
        let description = self.description.trim().to_owned();
        if description.chars().count() > MAX_DESCRIPTION {
            errors.insert("description", "admin-error-description");
        }
        let mut translations = Translations::default();
        for lang in Lang::ALL {
            let [(title_field, title), (description_field, description)] = self.texts(lang);
            let (title, description) = (title.trim(), description.trim());
            if title.chars().count() > MAX_TITLE {
                errors.insert(title_field, "admin-error-title-length");
            }
            if description.chars().count() > MAX_DESCRIPTION {
                errors.insert(description_field, "admin-error-description");
            }
            let texts = Texts {
                title: title.to_owned(),
                description: description.to_owned(),
            };
            translations.set(lang, texts);
        }
        let metric = self.metric.parse::<Metric>().unwrap_or_else(|_| {
            errors.insert("metric", "admin-error-metric");
            Metric::Members
        });
        let goal = parse_goal(&self.goal, metric).unwrap_or_else(|| {
            errors.insert("goal", "admin-error-goal");
            0
        });
        let currency = self.currency.trim().to_ascii_lowercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
            errors.insert("currency", "admin-error-currency");
        }
        let time_zone = self.time_zone.trim().parse::<Tz>().unwrap_or_else(|_| {
            errors.insert("time_zone", "admin-error-time-zone");
            Tz::UTC
        });
        let first_day = parse_day(&self.starts_on).unwrap_or_else(|()| {
            errors.insert("starts_on", "admin-error-date");
            None
        });
        let last_day = parse_day(&self.ends_on).unwrap_or_else(|()| {
            errors.insert("ends_on", "admin-error-date");
            None
        });
        if let (Some(first), Some(last)) = (first_day, last_day)
            && last < first
        {
            errors.insert("ends_on", "admin-error-ends-before");
        }
        let starts_at = first_day.map(|d| calendar::start_of(d, time_zone));
        let ends_at = last_day.map(|d| calendar::end_of(d, time_zone));
        let milestones = parse_list(&self.milestones, |v| parse_goal(v, metric))
            .filter(|m| m.len() <= MAX_LIST && m.is_sorted() && m.iter().all(|v| *v <= goal))
            .unwrap_or_else(|| {
                errors.insert("milestones", "admin-error-milestones");
                Vec::new()
            });
        let stretch_goals = parse_list(&self.stretch_goals, |v| parse_goal(v, metric))
            .filter(|s| {
                s.len() <= MAX_LIST
                    && s.windows(2).all(|w| w[0] < w[1])
                    && s.iter().all(|v| *v > goal)
            })
            .unwrap_or_else(|| {
                errors.insert("stretch_goals", "admin-error-stretch-goals");
                Vec::new()
            });
        let donation_member_days = self
            .donation_member_days
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|d| (0..=3650).contains(d))
            .unwrap_or_else(|| {
                errors.insert("donation_member_days", "admin-error-days");
                0
            });
        let min_amount = parse_major(&self.min_amount)
            .filter(|v| *v >= 100)
            .unwrap_or_else(|| {
                errors.insert("min_amount", "admin-error-min-amount");
                0
            });
        let max_amount = parse_major(&self.max_amount)
            .filter(|v| *v >= min_amount)
            .unwrap_or_else(|| {
                errors.insert("max_amount", "admin-error-max-amount");
                0
            });
        let donation_presets = parse_list(&self.donation_presets, parse_major)
            .filter(|p| {
                p.len() <= MAX_LIST && p.iter().all(|v| (min_amount..=max_amount).contains(v))
            })
            .unwrap_or_else(|| {
                errors.insert("donation_presets", "admin-error-presets");
                Vec::new()
            });
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CampaignFields {
            title,
            title_b,
            description,
            metric,
            goal,
            currency,
            starts_at,
            ends_at,
            time_zone,
            milestones,
            stretch_goals,
            donation_member_days,
            min_amount,
            max_amount,
            donation_presets,
            archived: self.archived.is_some(),
            translations,
        })
    }
}

impl CampaignFields {
    /// The audit entry's view of the fields.
    pub(super) fn to_json(&self) -> serde_json::Value {
        json!({
            "title": self.title,
            "title_b": self.title_b,
            "description": self.description,
            "metric": self.metric.as_str(),
            "goal": self.goal,
            "currency": self.currency,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "time_zone": self.time_zone.name(),
            "milestones": self.milestones,
            "stretch_goals": self.stretch_goals,
            "donation_member_days": self.donation_member_days,
            "min_amount": self.min_amount,
            "max_amount": self.max_amount,
            "donation_presets": self.donation_presets,
            "archived": self.archived,
            "translations": self.translations.to_json(),
        })
    }

    pub(super) fn of(c: &Campaign, translations: &Translations) -> CampaignFields {
        CampaignFields {
            title: c.title.clone(),
            title_b: c.title_b.clone(),
            description: c.description.clone(),
            metric: c.metric(),
            goal: c.goal,
            currency: c.currency.clone(),
            starts_at: c.starts_at,
            ends_at: c.ends_at,
            time_zone: c.zone(),
            milestones: c.milestones(),
            stretch_goals: c.stretch_goals(),
            donation_member_days: c.donation_member_days,
            min_amount: c.min_amount,
            max_amount: c.max_amount,
            donation_presets: serde_json::from_str(&c.donation_presets).unwrap_or_default(),
            archived: c.archived,
            translations: translations.clone(),
        }
    }

    /// Writes the fields to campaign `id`, recounts it (the metric or window may have
    /// changed) and marks it changed for the widget.
    pub(super) fn save(
        &self,
        conn: &mut DbConnection,
        id: i32,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        // The count's turn before the row, as every transaction that recounts takes them.
        progress::lock(conn, id)?;
        diesel::update(campaigns::table.find(id))
            .set((
                campaigns::title.eq(&self.title),
                campaigns::title_b.eq(&self.title_b),
                campaigns::description.eq(&self.description),
                campaigns::metric.eq(self.metric.as_str()),
                campaigns::goal.eq(self.goal),
                campaigns::currency.eq(&self.currency),
                campaigns::starts_at.eq(self.starts_at),
                campaigns::ends_at.eq(self.ends_at),
                campaigns::time_zone.eq(self.time_zone.name()),
                campaigns::milestones.eq(json!(self.milestones).to_string()),
                campaigns::stretch_goals.eq(json!(self.stretch_goals).to_string()),
                campaigns::donation_member_days.eq(self.donation_member_days),
                campaigns::min_amount.eq(self.min_amount),
                campaigns::max_amount.eq(self.max_amount),
                campaigns::donation_presets.eq(json!(self.donation_presets).to_string()),
                campaigns::archived.eq(self.archived),
                campaigns::updated_at.eq(now),
            ))
            .execute(conn)?;
        self.translations.save(conn, id)?;
        progress::refresh(conn, id, now)?;
        progress::touch(conn, id)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_read_as_people_write_them() {
        use super::numbers_in;
        assert_eq!(numbers_in("Help us reach 20,000 members"), [20_000]);
        assert_eq!(
            numbers_in("Допоможіть об'єднати 20 000 учасників"),
            [20_000]
        );
        assert_eq!(numbers_in("20\u{a0}000 members by 2027"), [20_000, 2027]);
        assert_eq!(numbers_in("Raise €5.000, then 10k"), [5_000, 10_000]);
        assert_eq!(numbers_in("1,2,3"), [1, 2, 3]);
        assert_eq!(numbers_in("no numbers"), Vec::<i64>::new());
        assert_eq!(numbers_in("12345 at the end 7"), [12_345, 7]);
    }

    use super::*;

    fn form() -> CampaignForm {
        CampaignForm {
            title: "Help us reach 500 members".into(),
            metric: "members".into(),
            goal: "500".into(),
            currency: "EUR".into(),
            time_zone: "UTC".into(),
            milestones: "100, 250".into(),
            donation_member_days: "0".into(),
            min_amount: "1".into(),
            max_amount: "1000".into(),
            donation_presets: "10, 25".into(),
            ..CampaignForm::default()
        }
    }

    #[test]
    fn a_good_form_becomes_fields() {
        let fields = form().validate().unwrap();
        assert_eq!(fields.goal, 500);
        assert_eq!(fields.currency, "eur");
        assert_eq!(fields.milestones, [100, 250]);
        assert_eq!(fields.donation_presets, [1000, 2500]);
        let amount = CampaignForm {
            metric: "amount".into(),
            goal: "20000.50".into(),
            milestones: "5000".into(),
            ..form()
        };
        assert_eq!(amount.validate().unwrap().goal, 2_000_050);
        let ukrainian = CampaignForm {
            title_uk: " Допоможіть нам ".into(),
            ..form()
        };
        let translations = ukrainian.validate().unwrap().translations;
        assert_eq!(translations.get(Lang::Uk).title, "Допоможіть нам");
        assert_eq!(*translations.get(Lang::En), Texts::default());
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: [(&str, CampaignForm); 10] = [
            (
                "title",
                CampaignForm {
                    title: " ".into(),
                    ..form()
                },
            ),
            (
                "metric",
                CampaignForm {
                    metric: "likes".into(),
                    ..form()
                },
            ),
            (
                "goal",
                CampaignForm {
                    goal: "0".into(),
                    ..form()
                },
            ),
            (
                "goal",
                CampaignForm {
                    goal: "12.5".into(),
                    ..form()
                },
            ),
            (
                "currency",
                CampaignForm {
                    currency: "euro".into(),
                    ..form()
                },
            ),
            (
                "ends_on",
                CampaignForm {
                    starts_on: "2026-12-01".into(),
                    ends_on: "2026-11-01".into(),
                    ..form()
                },
            ),
            (
                "milestones",
                CampaignForm {
                    milestones: "250, 100".into(),
                    ..form()
                },
            ),
            (
                "max_amount",
                CampaignForm {
                    max_amount: "0.50".into(),
                    ..form()
                },
            ),
            (
                "donation_presets",
                CampaignForm {
                    donation_presets: "5000".into(),
                    ..form()
                },
            ),
            (
                "title_uk",
                CampaignForm {
                    title_uk: "ї".repeat(MAX_TITLE + 1),
                    ..form()
                },
            ),
        ];
        for (field, form) in cases {
            let errors = form.validate().unwrap_err();
            assert!(errors.contains_key(field), "{field}: {errors:?}");
        }
    }
}
