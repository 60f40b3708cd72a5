//! Managing campaigns: the list, create and edit (title, copy, metric, goal, currency, window,
//! milestones, donation settings), tiers, the ledger of outside contributions, and the
//! embed codes. Every change commits with its audit entry and a recount, then pokes the
//! progress board so the widget shows it at once.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use diesel::prelude::*;
use serde_json::json;

use crate::admin::{Frame, Nav, render};
use crate::audit;
use crate::auth::{StaffForm, StaffSession};
use crate::campaigns::Campaign;
use crate::db::schema::campaigns;
use crate::db::{self, on_backend};
use crate::domain::{Slug, major};
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::see_other;

mod embed;
mod form;
mod ledger;
mod page;
mod tier;

pub(crate) use embed::embed;
use form::{CampaignFields, CampaignForm, Errors};
pub(crate) use ledger::{add_entry, remove_entry};
use page::{CampaignPage, Loaded, Notice, form_error, load};
pub(crate) use tier::{add_tier, update_tier};

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
pub(crate) async fn list(
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
pub(crate) async fn new_form(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    render(&CampaignPage {
        frame: staff.frame(&req, Nav::Campaigns),
        campaign: None,
        form: CampaignForm {
            metric: "members".into(),
            currency: "eur".into(),
            time_zone: state.settings.time_zone.name().to_owned(),
            donation_member_days: "0".into(),
            min_amount: major(100),
            max_amount: major(1_000_000),
            ..CampaignForm::default()
        },
        errors: Errors::new(),
        tiers: Vec::new(),
        ledger: Vec::new(),
        notice: None,
        warning: None,
        can_edit: true,
        goals_reached: Vec::new(),
    })
}

/// `POST /admin/campaigns`
pub(crate) async fn create(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<CampaignForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let form = form.zone_or(state.settings.time_zone.name());
    let (fields, slug) = match (form.validate(), Slug::parse(&form.slug)) {
        (Ok(fields), Some(slug)) => (fields, slug),
        (checked, slug) => {
            let mut errors = checked.err().unwrap_or_default();
            if slug.is_none() {
                errors.insert("slug", "admin-error-slug");
            }
            return form_error(&req, &staff, None, form, errors, Vec::new(), Vec::new());
        }
    };
    let actor = staff.actor();
    let key = slug.clone();
    let created = state
        .db
        .write(move |conn| -> Result<bool, AppError> {
            let now = db::now();
            // The insert itself decides whether the slug is free (`campaigns_slug_key`): a
            // look first would let two creations of one slug both pass it.
            let insert = diesel::insert_into(campaigns::table)
                .values((
                    campaigns::slug.eq(key.as_str()),
                    campaigns::title.eq(&fields.title),
                    campaigns::metric.eq(fields.metric.as_str()),
                    campaigns::goal.eq(fields.goal),
                    campaigns::currency.eq(&fields.currency),
                    campaigns::progress_updated_at.eq(now),
                    campaigns::created_at.eq(now),
                    campaigns::updated_at.eq(now),
                ))
                .on_conflict(campaigns::slug)
                .do_nothing()
                .returning(campaigns::id);
            let inserted = on_backend!(conn, |c| insert.get_result::<i32>(c).optional()?);
            let Some(id) = inserted else {
                return Ok(false);
            };
            fields.save(conn, id, now)?;
            audit::record(
                conn,
                &actor,
                "campaign.create",
                "campaign",
                key.as_str(),
                &fields.to_json(),
            )?;
            Ok(true)
        })
        .await?;
    if !created {
        let errors = Errors::from([("slug", "admin-error-slug-taken")]);
        return form_error(&req, &staff, None, form, errors, Vec::new(), Vec::new());
    }
    state.board.poke();
    Ok(see_other(&format!(
        "/admin/campaigns/{slug}?saved=campaign"
    )))
}

/// `GET /admin/campaigns/{slug}`
pub(crate) async fn edit_form(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, AppError> {
    let Loaded {
        campaign,
        translations,
        tiers,
        ledger,
        goals_reached,
    } = load(&state, slug.into_inner()).await?;
    let frame = staff.frame(&req, Nav::Campaigns);
    render(&CampaignPage {
        goals_reached,
        notice: notice.text(frame.lang),
        warning: notice.warning(frame.lang, &campaign),
        frame,
        form: CampaignForm::of(&campaign, &translations),
        campaign: Some(campaign),
        errors: Errors::new(),
        tiers,
        ledger,
        can_edit: staff.require_admin().is_ok(),
    })
}

/// `POST /admin/campaigns/{slug}`
pub(crate) async fn update(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<CampaignForm>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Loaded {
        campaign,
        translations,
        tiers,
        ledger,
        ..
    } = load(&state, slug.into_inner()).await?;
    let form = CampaignForm {
        slug: campaign.slug.clone(),
        ..form.zone_or(&campaign.time_zone)
    };
    let fields = match form.validate() {
        Ok(fields) => fields,
        Err(errors) => {
            return form_error(&req, &staff, Some(campaign), form, errors, tiers, ledger);
        }
    };
    let actor = staff.actor();
    let before = CampaignFields::of(&campaign, &translations);
    let slug = campaign.slug.clone();
    let stale_title = if fields.goal != before.goal && fields.titles_name(before.goal) {
        format!("&title_goal={}", before.goal)
    } else {
        String::new()
    };
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
        "/admin/campaigns/{slug}?saved=campaign{stale_title}"
    )))
}
