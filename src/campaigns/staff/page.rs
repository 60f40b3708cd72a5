//! The campaign edit page: what it shows, the notice after a save, and the page again with
//! a form's errors.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::form::{CampaignForm, Errors};
use super::tier::{TierLine, tier_lines};
use crate::admin::{Frame, Nav, render_status};
use crate::auth::StaffSession;
use crate::campaigns::Campaign;
use crate::campaigns::ledger::{self, Entry, LedgerLine};
use crate::campaigns::stretch::{self, GoalReached};
use crate::campaigns::texts::Translations;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::error::AppError;

/// The campaign form page (new or edit).
#[derive(Template)]
#[template(path = "admin/campaign.html")]
pub(super) struct CampaignPage {
    pub(super) frame: Frame,
    /// `None` when creating.
    pub(super) campaign: Option<Campaign>,
    pub(super) form: CampaignForm,
    pub(super) errors: Errors,
    pub(super) tiers: Vec<TierLine>,
    /// The ledger's entries, newest first.
    pub(super) ledger: Vec<Entry>,
    pub(super) notice: Option<String>,
    /// A title that names a goal no longer the campaign's.
    pub(super) warning: Option<String>,
    pub(super) can_edit: bool,
    /// The goals the campaign reached, with when.
    pub(super) goals_reached: Vec<GoalReached>,
}

/// One field of a campaign's texts in a language.
pub(super) struct TextField<'a> {
    name: &'static str,
    label: String,
    value: &'a str,
}

impl CampaignPage {
    /// A goal in the campaign's unit ("20,000", "€5,000").
    fn goal_text(&self, goal: i64) -> String {
        match &self.campaign {
            Some(c) => self.frame.lang.in_metric(c.metric(), goal, &c.currency),
            None => goal.to_string(),
        }
    }

    /// "Now going for 25,000", once the campaign moved on to a stretch goal.
    fn stretch_note(&self) -> Option<String> {
        let c = self.campaign.as_ref()?;
        let last = self.goals_reached.last()?;
        (last.goal < c.goal).then(|| {
            self.frame.lang.t(
                "admin-goals-next",
                &[("goal", self.goal_text(c.goal).into())],
            )
        })
    }

    /// The translated error of a field, if any.
    fn error(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|id| self.frame.tr(id))
    }

    /// Every time zone's name, for the time zone field's suggestions.
    fn time_zones(&self) -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }

    /// The metric menu: value, label, selected.
    fn metrics(&self) -> Vec<(&'static str, String, bool)> {
        ["members", "supporters", "amount"]
            .into_iter()
            .map(|m| {
                let label = self.frame.tr(&format!("admin-metric-{m}"));
                (m, label, self.form.metric == m)
            })
            .collect()
    }

    /// The translation fields: per language, a legend and its title and appeal fields.
    fn translations(&self) -> Vec<(String, [TextField<'_>; 2])> {
        Lang::ALL
            .into_iter()
            .map(|lang| {
                let [(title, title_value), (description, description_value)] =
                    self.form.texts(lang);
                let field = |name, label: &str, value| TextField {
                    name,
                    label: self.frame.tr(label),
                    value,
                };
                (
                    self.frame
                        .tr(&format!("admin-campaign-texts-{}", lang.code())),
                    [
                        field(title, "admin-field-title", title_value),
                        field(description, "admin-field-description", description_value),
                    ],
                )
            })
            .collect()
    }

    /// The ledger's entries as the page shows them.
    fn ledger_lines(&self) -> Vec<LedgerLine> {
        let Some(campaign) = &self.campaign else {
            return Vec::new();
        };
        self.ledger
            .iter()
            .map(|e| LedgerLine::new(e.clone(), campaign, self.frame.lang))
            .collect()
    }

    /// The ledger's total, in the campaign's unit.
    fn ledger_total(&self) -> String {
        let total = self.ledger.iter().map(|e| e.amount).sum();
        match &self.campaign {
            Some(c) => self.frame.lang.in_metric(c.metric(), total, &c.currency),
            None => total.to_string(),
        }
    }

    /// The first error of the ledger form.
    fn ledger_error(&self) -> Option<String> {
        [
            "ledger_date",
            "ledger_amount",
            "ledger_source",
            "ledger_note",
        ]
        .into_iter()
        .find_map(|field| self.error(field))
    }

    /// The first error of the tier forms.
    fn tier_error(&self) -> Option<String> {
        [
            "tier_slug",
            "tier_name",
            "tier_description",
            "tier_monthly",
            "tier_yearly",
            "tier_position",
        ]
        .into_iter()
        .find_map(|field| self.error(field))
    }
}

/// `?saved=…`: what the last action did, shown once after its redirect.
#[derive(Debug, Deserialize)]
pub(crate) struct Notice {
    saved: Option<String>,
    /// The goal before the save, when a title still names it.
    title_goal: Option<i64>,
}

impl Notice {
    pub(super) fn text(&self, lang: Lang) -> Option<String> {
        let id = match self.saved.as_deref()? {
            "campaign" => "admin-saved-campaign",
            "ledger" => "admin-saved-ledger",
            "tier" => "admin-saved-tier",
            _ => return None,
        };
        Some(lang.tr(id))
    }

    /// The warning after a goal moved while a title still names the old one.
    pub(super) fn warning(&self, lang: Lang, campaign: &Campaign) -> Option<String> {
        let old = self.title_goal?;
        let unit = |goal| lang.in_metric(campaign.metric(), goal, &campaign.currency);
        Some(lang.t(
            "admin-goal-in-title",
            &[
                ("old", unit(old).into()),
                ("new", unit(campaign.goal).into()),
            ],
        ))
    }
}

/// A campaign with what its page shows besides the row.
pub(super) struct Loaded {
    pub(super) campaign: Campaign,
    pub(super) translations: Translations,
    pub(super) tiers: Vec<TierLine>,
    pub(super) ledger: Vec<Entry>,
    pub(super) goals_reached: Vec<GoalReached>,
}

pub(super) async fn load(state: &AppState, slug: String) -> Result<Loaded, AppError> {
    state
        .db
        .read(move |conn| {
            let Some(campaign) = Campaign::by_slug(conn, &slug)? else {
                return Ok(None);
            };
            let tiers = tier_lines(conn, campaign.id)?;
            let ledger = ledger::entries(conn, campaign.id)?;
            let translations = Translations::of(conn, campaign.id)?;
            let goals_reached = stretch::of_each(conn, &[campaign.id])?
                .into_iter()
                .map(|(_, g)| g)
                .collect();
            Ok(Some(Loaded {
                campaign,
                translations,
                tiers,
                ledger,
                goals_reached,
            }))
        })
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))
}

pub(super) fn form_error(
    req: &HttpRequest,
    staff: &StaffSession,
    campaign: Option<Campaign>,
    form: CampaignForm,
    errors: Errors,
    tiers: Vec<TierLine>,
    ledger: Vec<Entry>,
) -> Result<HttpResponse, AppError> {
    render_status(
        StatusCode::BAD_REQUEST,
        &CampaignPage {
            frame: staff.frame(req, Nav::Campaigns),
            campaign,
            form,
            errors,
            tiers,
            ledger,
            notice: None,
            warning: None,
            can_edit: true,
            goals_reached: Vec::new(),
        },
    )
}

/// The edit page again, showing what is wrong with a form of one of its sections (ledger,
/// tiers) and the campaign's stored settings.
pub(super) fn section_error(
    req: &HttpRequest,
    staff: &StaffSession,
    loaded: Loaded,
    errors: Errors,
) -> Result<HttpResponse, AppError> {
    let form = CampaignForm::of(&loaded.campaign, &loaded.translations);
    form_error(
        req,
        staff,
        Some(loaded.campaign),
        form,
        errors,
        loaded.tiers,
        loaded.ledger,
    )
}
