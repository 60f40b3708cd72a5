//! Managing campaigns: the list, create and edit (title, copy, metric, goal, currency, window,
//! milestones, donation settings), tiers, the manual offset with its required reason, and the
//! embed codes. Every change commits with its audit entry and a recount, then pokes the
//! progress board so the widget shows it at once.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;

use super::audit;
use super::{Frame, Nav, StaffForm, StaffSession, render, render_status};
use crate::campaigns::Campaign;
use crate::campaigns::progress;
use crate::db::schema::{campaigns, tiers};
use crate::db::{self, DbConnection};
use crate::domain::{Metric, major, parse_major};
use crate::error::AppError;
use crate::http::see_other;
use crate::i18n::Lang;
use crate::startup::AppState;

/// The most milestones or donation presets a campaign may have.
const MAX_LIST: usize = 12;

/// What a campaign form posts (all text, validated by [`CampaignForm::validate`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct CampaignForm {
    slug: String,
    title: String,
    description: String,
    metric: String,
    goal: String,
    currency: String,
    starts_on: String,
    ends_on: String,
    milestones: String,
    donation_member_days: String,
    min_amount: String,
    max_amount: String,
    donation_presets: String,
    archived: Option<String>,
}

/// A validated campaign.
#[derive(Debug, Clone, PartialEq)]
struct CampaignFields {
    title: String,
    description: String,
    metric: Metric,
    goal: i64,
    currency: String,
    starts_at: Option<NaiveDateTime>,
    ends_at: Option<NaiveDateTime>,
    milestones: Vec<i64>,
    donation_member_days: i32,
    min_amount: i64,
    max_amount: i64,
    donation_presets: Vec<i64>,
    archived: bool,
}

/// Field name → message id of what is wrong with it.
type Errors = BTreeMap<&'static str, &'static str>;

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

fn parse_day(input: &str) -> Result<Option<NaiveDateTime>, ()> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(input, "%Y-%m-%d")
        .map(|d| Some(d.and_hms_opt(0, 0, 0).expect("midnight")))
        .map_err(drop)
}

/// A URL name: lower-case letters, digits and dashes, not a word our routes use.
pub fn valid_slug(slug: &str) -> bool {
    (1..=40).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !["new", "embed", "demo"].contains(&slug)
}

impl CampaignForm {
    fn of(c: &Campaign) -> CampaignForm {
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
            description: c.description.clone(),
            metric: c.metric.clone(),
            goal: goal_text(c.goal, metric),
            currency: c.currency.clone(),
            starts_on: c
                .starts_at
                .map(|t| t.date().to_string())
                .unwrap_or_default(),
            ends_on: c.ends_at.map(|t| t.date().to_string()).unwrap_or_default(),
            milestones: list(&c.milestones, &|m| goal_text(m, metric)),
            donation_member_days: c.donation_member_days.to_string(),
            min_amount: major(c.min_amount),
            max_amount: major(c.max_amount),
            donation_presets: list(&c.donation_presets, &major),
            archived: c.archived.then(|| "on".to_owned()),
        }
    }

    fn validate(&self) -> Result<CampaignFields, Errors> {
        let mut errors = Errors::new();
        let title = self.title.trim().to_owned();
        if title.is_empty() || title.chars().count() > 200 {
            errors.insert("title", "admin-error-title");
        }
        let description = self.description.trim().to_owned();
        if description.chars().count() > 5000 {
            errors.insert("description", "admin-error-description");
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
        let starts_at = parse_day(&self.starts_on).unwrap_or_else(|()| {
            errors.insert("starts_on", "admin-error-date");
            None
        });
        let ends_at = parse_day(&self.ends_on).unwrap_or_else(|()| {
            errors.insert("ends_on", "admin-error-date");
            None
        });
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            errors.insert("ends_on", "admin-error-ends-before");
        }
        let milestones = parse_list(&self.milestones, |v| parse_goal(v, metric))
            .filter(|m| m.len() <= MAX_LIST && m.is_sorted() && m.iter().all(|v| *v <= goal))
            .unwrap_or_else(|| {
                errors.insert("milestones", "admin-error-milestones");
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
            description,
            metric,
            goal,
            currency,
            starts_at,
            ends_at,
            milestones,
            donation_member_days,
            min_amount,
            max_amount,
            donation_presets,
            archived: self.archived.is_some(),
        })
    }
}

impl CampaignFields {
    /// The audit entry's view of the fields.
    fn to_json(&self) -> serde_json::Value {
        json!({
            "title": self.title,
            "description": self.description,
            "metric": self.metric.as_str(),
            "goal": self.goal,
            "currency": self.currency,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "milestones": self.milestones,
            "donation_member_days": self.donation_member_days,
            "min_amount": self.min_amount,
            "max_amount": self.max_amount,
            "donation_presets": self.donation_presets,
            "archived": self.archived,
        })
    }

    fn of(c: &Campaign) -> CampaignFields {
        CampaignFields {
            title: c.title.clone(),
            description: c.description.clone(),
            metric: c.metric(),
            goal: c.goal,
            currency: c.currency.clone(),
            starts_at: c.starts_at,
            ends_at: c.ends_at,
            milestones: c.milestones(),
            donation_member_days: c.donation_member_days,
            min_amount: c.min_amount,
            max_amount: c.max_amount,
            donation_presets: serde_json::from_str(&c.donation_presets).unwrap_or_default(),
            archived: c.archived,
        }
    }

    /// Writes the fields to campaign `id`, recounts it (the metric or window may have
    /// changed) and marks it changed for the widget.
    fn save(&self, conn: &mut DbConnection, id: i32, now: NaiveDateTime) -> QueryResult<()> {
        diesel::update(campaigns::table.find(id))
            .set((
                campaigns::title.eq(&self.title),
                campaigns::description.eq(&self.description),
                campaigns::metric.eq(self.metric.as_str()),
                campaigns::goal.eq(self.goal),
                campaigns::currency.eq(&self.currency),
                campaigns::starts_at.eq(self.starts_at),
                campaigns::ends_at.eq(self.ends_at),
                campaigns::milestones.eq(json!(self.milestones).to_string()),
                campaigns::donation_member_days.eq(self.donation_member_days),
                campaigns::min_amount.eq(self.min_amount),
                campaigns::max_amount.eq(self.max_amount),
                campaigns::donation_presets.eq(json!(self.donation_presets).to_string()),
                campaigns::archived.eq(self.archived),
                campaigns::updated_at.eq(now),
            ))
            .execute(conn)?;
        progress::refresh(conn, id, now)?;
        progress::touch(conn, id)
    }
}

/// The campaign form page (new or edit).
#[derive(Template)]
#[template(path = "admin/campaign.html")]
struct CampaignPage {
    frame: Frame,
    /// `None` when creating.
    campaign: Option<Campaign>,
    form: CampaignForm,
    errors: Errors,
    tiers: Vec<TierLine>,
    notice: Option<String>,
    can_edit: bool,
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

/// A tier as its edit form shows it.
struct TierLine {
    id: i32,
    slug: String,
    name: String,
    monthly: String,
    yearly: String,
    position: i32,
    archived: bool,
}

/// A tier row as stored.
#[derive(Queryable)]
struct TierRow {
    id: i32,
    slug: String,
    name: String,
    monthly: Option<i64>,
    yearly: Option<i64>,
    position: i32,
    archived: bool,
}

fn tier_lines(conn: &mut DbConnection, campaign_id: i32) -> QueryResult<Vec<TierLine>> {
    let rows: Vec<TierRow> = tiers::table
        .filter(tiers::campaign_id.eq(campaign_id))
        .order((tiers::archived, tiers::position, tiers::id))
        .select((
            tiers::id,
            tiers::slug,
            tiers::name,
            tiers::monthly_amount,
            tiers::yearly_amount,
            tiers::position,
            tiers::archived,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|t| TierLine {
            id: t.id,
            slug: t.slug,
            name: t.name,
            monthly: t.monthly.map(major).unwrap_or_default(),
            yearly: t.yearly.map(major).unwrap_or_default(),
            position: t.position,
            archived: t.archived,
        })
        .collect())
}

/// `?saved=…`: what the last action did, shown once after its redirect.
#[derive(Debug, Deserialize)]
pub(super) struct Notice {
    saved: Option<String>,
}

impl Notice {
    fn text(&self, lang: Lang) -> Option<String> {
        let id = match self.saved.as_deref()? {
            "campaign" => "admin-saved-campaign",
            "offset" => "admin-saved-offset",
            "tier" => "admin-saved-tier",
            _ => return None,
        };
        Some(lang.tr(id))
    }
}

async fn load(state: &AppState, slug: String) -> Result<(Campaign, Vec<TierLine>), AppError> {
    state
        .db
        .read(move |conn| {
            let Some(campaign) = Campaign::by_slug(conn, &slug)? else {
                return Ok(None);
            };
            let tiers = tier_lines(conn, campaign.id)?;
            Ok(Some((campaign, tiers)))
        })
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))
}

/// One row of the campaigns list.
struct CampaignLine {
    slug: String,
    title: String,
    metric: String,
    progress: String,
    archived: bool,
}

#[derive(Template)]
#[template(path = "admin/campaigns.html")]
struct CampaignsPage {
    frame: Frame,
    campaigns: Vec<CampaignLine>,
    can_edit: bool,
}

/// `GET /admin/campaigns`
pub(super) async fn list(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let frame = staff.frame(&req, Nav::Campaigns);
    let lang = frame.lang;
    let rows = state
        .db
        .read(|conn| {
            campaigns::table
                .order((campaigns::archived, campaigns::id))
                .select(Campaign::as_select())
                .load(conn)
        })
        .await?;
    let campaigns = rows
        .into_iter()
        .map(|c| {
            let unit = |v| lang.in_metric(c.metric(), v, &c.currency);
            CampaignLine {
                progress: format!("{} / {}", unit(c.shown_count()), unit(c.goal)),
                metric: lang.tr(&format!("admin-metric-{}", c.metric)),
                slug: c.slug,
                title: c.title,
                archived: c.archived,
            }
        })
        .collect();
    render(&CampaignsPage {
        frame,
        campaigns,
        can_edit: staff.require_admin().is_ok(),
    })
}

/// `GET /admin/campaigns/new`
pub(super) async fn new_form(
    req: HttpRequest,
    staff: StaffSession,
) -> Result<HttpResponse, AppError> {
    render(&CampaignPage {
        frame: staff.frame(&req, Nav::Campaigns),
        campaign: None,
        form: CampaignForm {
            metric: "members".into(),
            currency: "eur".into(),
            donation_member_days: "0".into(),
            min_amount: major(100),
            max_amount: major(1_000_000),
            ..CampaignForm::default()
        },
        errors: Errors::new(),
        tiers: Vec::new(),
        notice: None,
        can_edit: true,
    })
}

/// `POST /admin/campaigns`
pub(super) async fn create(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<CampaignForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let slug = form.slug.trim().to_owned();
    let mut checked = form.validate();
    if !valid_slug(&slug) {
        let mut errors = checked.err().unwrap_or_default();
        errors.insert("slug", "admin-error-slug");
        checked = Err(errors);
    }
    let fields = match checked {
        Ok(fields) => fields,
        Err(errors) => return form_error(&req, &staff, None, form, errors, Vec::new()),
    };
    let actor = staff.actor();
    let key = slug.clone();
    let created = state
        .db
        .write(move |conn| -> Result<bool, AppError> {
            let now = db::now();
            let taken = campaigns::table
                .filter(campaigns::slug.eq(&key))
                .count()
                .get_result::<i64>(conn)?;
            if taken > 0 {
                return Ok(false);
            }
            diesel::insert_into(campaigns::table)
                .values((
                    campaigns::slug.eq(&key),
                    campaigns::title.eq(&fields.title),
                    campaigns::metric.eq(fields.metric.as_str()),
                    campaigns::goal.eq(fields.goal),
                    campaigns::currency.eq(&fields.currency),
                    campaigns::progress_updated_at.eq(now),
                    campaigns::created_at.eq(now),
                    campaigns::updated_at.eq(now),
                ))
                .execute(conn)?;
            let id = campaigns::table
                .filter(campaigns::slug.eq(&key))
                .select(campaigns::id)
                .first::<i32>(conn)?;
            fields.save(conn, id, now)?;
            audit::record(
                conn,
                &actor,
                "campaign.create",
                "campaign",
                &key,
                &fields.to_json(),
            )?;
            Ok(true)
        })
        .await?;
    if !created {
        let errors = Errors::from([("slug", "admin-error-slug-taken")]);
        return form_error(&req, &staff, None, form, errors, Vec::new());
    }
    state.board.poke();
    Ok(see_other(&format!(
        "/admin/campaigns/{slug}?saved=campaign"
    )))
}

fn form_error(
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
fn section_error(
    req: &HttpRequest,
    staff: &StaffSession,
    campaign: Campaign,
    errors: Errors,
    tiers: Vec<TierLine>,
) -> Result<HttpResponse, AppError> {
    let form = CampaignForm::of(&campaign);
    form_error(req, staff, Some(campaign), form, errors, tiers)
}

/// `GET /admin/campaigns/{slug}`
pub(super) async fn edit_form(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, AppError> {
    let (campaign, tiers) = load(&state, slug.into_inner()).await?;
    let frame = staff.frame(&req, Nav::Campaigns);
    render(&CampaignPage {
        notice: notice.text(frame.lang),
        frame,
        form: CampaignForm::of(&campaign),
        campaign: Some(campaign),
        errors: Errors::new(),
        tiers,
        can_edit: staff.require_admin().is_ok(),
    })
}

/// `POST /admin/campaigns/{slug}`
pub(super) async fn update(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<CampaignForm>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (campaign, tiers) = load(&state, slug.into_inner()).await?;
    let form = CampaignForm {
        slug: campaign.slug.clone(),
        ..form
    };
    let fields = match form.validate() {
        Ok(fields) => fields,
        Err(errors) => return form_error(&req, &staff, Some(campaign), form, errors, tiers),
    };
    let actor = staff.actor();
    let before = CampaignFields::of(&campaign);
    let slug = campaign.slug.clone();
    if before != fields {
        state
            .db
            .write(move |conn| -> Result<(), AppError> {
                fields.save(conn, campaign.id, db::now())?;
                let (old, new) = (before.to_json(), fields.to_json());
                let changed: serde_json::Map<String, serde_json::Value> = new
                    .as_object()
                    .expect("an object")
                    .iter()
                    .filter(|(k, v)| old.get(k.as_str()) != Some(v))
                    .map(|(k, v)| (k.clone(), json!({"from": old[k.as_str()], "to": v})))
                    .collect();
                audit::record(
                    conn,
                    &actor,
                    "campaign.update",
                    "campaign",
                    &campaign.slug,
                    &serde_json::Value::Object(changed),
                )?;
                Ok(())
            })
            .await?;
        state.board.poke();
    }
    Ok(see_other(&format!(
        "/admin/campaigns/{slug}?saved=campaign"
    )))
}

/// What the offset form posts.
#[derive(Debug, Deserialize)]
pub(super) struct OffsetForm {
    #[serde(default)]
    offset: String,
    #[serde(default)]
    reason: String,
}

/// `POST /admin/campaigns/{slug}/offset`: the manual offset, with a required reason.
pub(super) async fn set_offset(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<OffsetForm>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (campaign, tiers) = load(&state, slug.into_inner()).await?;
    let offset = match campaign.metric() {
        Metric::Amount => {
            let raw = form.offset.trim();
            let (negative, digits) = raw.strip_prefix('-').map_or((false, raw), |d| (true, d));
            parse_major(digits).map(|v| if negative { -v } else { v })
        }
        Metric::Members | Metric::Supporters => form.offset.trim().parse::<i64>().ok(),
    }
    .filter(|v| v.unsigned_abs() <= 1_000_000_000_000);
    let reason = form.reason.trim().to_owned();
    let mut errors = Errors::new();
    if offset.is_none() {
        errors.insert("offset", "admin-error-offset");
    }
    if reason.is_empty() || reason.chars().count() > 500 {
        errors.insert("reason", "admin-error-reason");
    }
    let Some(offset) = offset.filter(|_| errors.is_empty()) else {
        return section_error(&req, &staff, campaign, errors, tiers);
    };
    let actor = staff.actor();
    let slug = campaign.slug.clone();
    state
        .db
        .write(move |conn| -> Result<(), AppError> {
            let now = db::now();
            diesel::update(campaigns::table.find(campaign.id))
                .set((
                    campaigns::manual_offset.eq(offset),
                    campaigns::updated_at.eq(now),
                ))
                .execute(conn)?;
            progress::touch(conn, campaign.id)?;
            audit::record(
                conn,
                &actor,
                "campaign.offset",
                "campaign",
                &campaign.slug,
                &json!({"from": campaign.manual_offset, "to": offset, "reason": reason}),
            )?;
            Ok(())
        })
        .await?;
    state.board.poke();
    Ok(see_other(&format!("/admin/campaigns/{slug}?saved=offset")))
}

/// What a tier form posts.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct TierForm {
    slug: String,
    name: String,
    description: String,
    monthly: String,
    yearly: String,
    position: String,
    archived: Option<String>,
}

/// A validated tier.
#[derive(Debug)]
struct TierFields {
    name: String,
    monthly: Option<i64>,
    yearly: Option<i64>,
    position: i32,
    archived: bool,
}

impl TierForm {
    fn validate(&self, campaign: &Campaign) -> Result<TierFields, Errors> {
        let mut errors = Errors::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            errors.insert("tier_name", "admin-error-tier-name");
        }
        let mut amount = |raw: &str, field: &'static str| {
            if raw.trim().is_empty() {
                return None;
            }
            let parsed = parse_major(raw)
                .filter(|v| (campaign.min_amount..=campaign.max_amount).contains(v));
            if parsed.is_none() {
                errors.insert(field, "admin-error-tier-amount");
            }
            parsed
        };
        let monthly = amount(&self.monthly, "tier_monthly");
        let yearly = amount(&self.yearly, "tier_yearly");
        if monthly.is_none() && yearly.is_none() && !errors.contains_key("tier_monthly") {
            errors.insert("tier_monthly", "admin-error-tier-amounts");
        }
        let position = self.position.trim();
        let position = if position.is_empty() {
            0
        } else {
            position.parse::<i32>().unwrap_or_else(|_| {
                errors.insert("tier_position", "admin-error-tier-position");
                0
            })
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(TierFields {
            name,
            monthly,
            yearly,
            position,
            archived: self.archived.is_some(),
        })
    }
}

/// `POST /admin/campaigns/{slug}/tiers`: adds a tier.
pub(super) async fn add_tier(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<TierForm>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (campaign, tiers) = load(&state, slug.into_inner()).await?;
    let tier_slug = form.slug.trim().to_owned();
    let mut checked = form.validate(&campaign);
    if !valid_slug(&tier_slug) || tiers.iter().any(|t| t.slug == tier_slug) {
        let mut errors = checked.err().unwrap_or_default();
        errors.insert("tier_slug", "admin-error-slug");
        checked = Err(errors);
    }
    let fields = match checked {
        Ok(fields) => fields,
        Err(errors) => return section_error(&req, &staff, campaign, errors, tiers),
    };
    let actor = staff.actor();
    let description = form.description.trim().to_owned();
    let slug = campaign.slug.clone();
    state
        .db
        .write(move |conn| -> Result<(), AppError> {
            diesel::insert_into(tiers::table)
                .values((
                    tiers::campaign_id.eq(campaign.id),
                    tiers::slug.eq(&tier_slug),
                    tiers::name.eq(&fields.name),
                    tiers::description.eq(&description),
                    tiers::monthly_amount.eq(fields.monthly),
                    tiers::yearly_amount.eq(fields.yearly),
                    tiers::position.eq(fields.position),
                    tiers::archived.eq(fields.archived),
                    tiers::created_at.eq(db::now()),
                ))
                .execute(conn)?;
            audit::record(
                conn,
                &actor,
                "tier.create",
                "campaign",
                &campaign.slug,
                &json!({"tier": tier_slug, "name": fields.name, "monthly": fields.monthly,
                        "yearly": fields.yearly, "position": fields.position}),
            )?;
            Ok(())
        })
        .await?;
    Ok(see_other(&format!("/admin/campaigns/{slug}?saved=tier")))
}

/// `POST /admin/campaigns/{slug}/tiers/{id}`: edits or archives a tier.
pub(super) async fn update_tier(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<TierForm>,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, AppError> {
    let (slug, tier_id) = path.into_inner();
    let (campaign, tiers) = load(&state, slug).await?;
    let Some(tier_slug) = tiers
        .iter()
        .find(|t| t.id == tier_id)
        .map(|t| t.slug.clone())
    else {
        return Err(AppError::not_found("tier"));
    };
    let fields = match form.validate(&campaign) {
        Ok(fields) => fields,
        Err(errors) => return section_error(&req, &staff, campaign, errors, tiers),
    };
    let actor = staff.actor();
    let slug = campaign.slug.clone();
    state
        .db
        .write(move |conn| -> Result<(), AppError> {
            diesel::update(tiers::table.find(tier_id))
                .set((
                    tiers::name.eq(&fields.name),
                    tiers::monthly_amount.eq(fields.monthly),
                    tiers::yearly_amount.eq(fields.yearly),
                    tiers::position.eq(fields.position),
                    tiers::archived.eq(fields.archived),
                ))
                .execute(conn)?;
            audit::record(
                conn,
                &actor,
                "tier.update",
                "campaign",
                &campaign.slug,
                &json!({"tier": tier_slug, "name": fields.name, "monthly": fields.monthly,
                        "yearly": fields.yearly, "position": fields.position,
                        "archived": fields.archived}),
            )?;
            Ok(())
        })
        .await?;
    Ok(see_other(&format!("/admin/campaigns/{slug}?saved=tier")))
}

#[derive(Template)]
#[template(path = "admin/embed.html")]
struct EmbedPage {
    frame: Frame,
    campaign: Campaign,
    base_url: String,
}

impl EmbedPage {
    fn script_snippet(&self) -> String {
        let (base, slug) = (&self.base_url, &self.campaign.slug);
        format!(
            "<div data-memberdrive-campaign=\"{slug}\">\n  <a href=\"{base}/join/{slug}\"><img src=\"{base}/widget/{slug}.svg\" alt=\"{alt}\"></a>\n</div>\n<script async src=\"{base}/widget/embed.js\"></script>",
            alt = self.alt()
        )
    }

    fn iframe_snippet(&self) -> String {
        let (base, slug) = (&self.base_url, &self.campaign.slug);
        format!(
            "<iframe src=\"{base}/widget/{slug}\" title=\"{}\" style=\"border:0;width:100%;height:140px\" loading=\"lazy\"></iframe>",
            self.alt()
        )
    }

    fn image_snippet(&self) -> String {
        let (base, slug) = (&self.base_url, &self.campaign.slug);
        format!(
            "<a href=\"{base}/join/{slug}\"><img src=\"{base}/widget/{slug}.svg\" alt=\"{}\"></a>",
            self.alt()
        )
    }

    /// The title as an HTML attribute value.
    fn alt(&self) -> String {
        super::charts::escape(&self.campaign.title)
    }
}

/// `GET /admin/campaigns/{slug}/embed`: the snippets, and the widget itself as a preview.
pub(super) async fn embed(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (campaign, _) = load(&state, slug.into_inner()).await?;
    render(&EmbedPage {
        frame: staff.frame(&req, Nav::Campaigns),
        campaign,
        base_url: state
            .settings
            .base_url
            .as_str()
            .trim_end_matches('/')
            .to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> CampaignForm {
        CampaignForm {
            title: "Help us reach 500 members".into(),
            metric: "members".into(),
            goal: "500".into(),
            currency: "EUR".into(),
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
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: [(&str, CampaignForm); 9] = [
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
        ];
        for (field, form) in cases {
            let errors = form.validate().unwrap_err();
            assert!(errors.contains_key(field), "{field}: {errors:?}");
        }
    }

    #[test]
    fn slugs_are_url_names_that_routes_do_not_use() {
        for good in ["members", "spring-2027", "a"] {
            assert!(valid_slug(good), "{good}");
        }
        for bad in [
            "",
            "New Campaign",
            "new",
            "embed",
            "-x",
            "über",
            &"a".repeat(41),
        ] {
            assert!(!valid_slug(bad), "{bad}");
        }
    }
}
