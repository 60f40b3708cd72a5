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
    pub(super) notice: Option<String>,
    pub(super) can_edit: bool,
}

/// One field of a campaign's texts in a language.
pub(super) struct TextField<'a> {
    name: &'static str,
    label: String,
    value: &'a str,
}

impl CampaignPage {
    /// The translated error of a field, if any.
    fn error(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|id| self.frame.tr(id))
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

    /// The first error of the tier forms.
    fn tier_error(&self) -> Option<String> {
        [
            "tier_slug",
            "tier_name",
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
}

impl Notice {
    pub(super) fn text(&self, lang: Lang) -> Option<String> {
        let id = match self.saved.as_deref()? {
            "campaign" => "admin-saved-campaign",
            "offset" => "admin-saved-offset",
            "tier" => "admin-saved-tier",
            _ => return None,
        };
        Some(lang.tr(id))
    }
}

/// A campaign with what its page shows besides the row.
pub(super) struct Loaded {
    pub(super) campaign: Campaign,
    pub(super) translations: Translations,
    pub(super) tiers: Vec<TierLine>,
}

pub(super) async fn load(state: &AppState, slug: String) -> Result<Loaded, AppError> {
    state
        .db
        .read(move |conn| {
            let Some(campaign) = Campaign::by_slug(conn, &slug)? else {
                return Ok(None);
            };
            let tiers = tier_lines(conn, campaign.id)?;
            let translations = Translations::of(conn, campaign.id)?;
            Ok(Some(Loaded {
                campaign,
                translations,
                tiers,
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
) -> Result<HttpResponse, AppError> {
    render_status(
        StatusCode::BAD_REQUEST,
        &CampaignPage {
            frame: staff.frame(req, Nav::Campaigns),
            campaign,
            form,
            errors,
            tiers,
            notice: None,
            can_edit: true,
        },
    )
}

/// The edit page again, showing what is wrong with a form of one of its sections (offset,
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
    )
}
