//! A campaign's tiers: the lines its edit page shows, and adding, editing and archiving one.

use actix_web::{HttpRequest, HttpResponse, web};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;

use crate::audit;
use crate::auth::StaffForm;
use crate::campaigns::Campaign;
use crate::campaigns::tier_texts::{self, TierText};
use crate::db::schema::tiers;
use crate::db::{self, DbConnection, on_backend};
use crate::domain::{Slug, major, parse_major};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::see_other;

use super::form::Errors;
use super::page::{load, section_error};

/// The longest tier name, in characters.
const MAX_NAME: usize = 100;
/// The longest tier description, in characters.
const MAX_DESCRIPTION: usize = 300;

/// A tier as its edit form shows it.
pub(super) struct TierLine {
    pub(super) id: i32,
    pub(super) slug: String,
    pub(super) name: String,
    pub(super) description: String,
    /// Its name and description as written in each language.
    pub(super) texts: Vec<(Lang, TierText)>,
    pub(super) monthly: String,
    pub(super) yearly: String,
    pub(super) position: i32,
    pub(super) archived: bool,
}

/// A tier row as stored.
#[derive(Queryable)]
struct TierRow {
    id: i32,
    slug: String,
    name: String,
    description: String,
    monthly: Option<i64>,
    yearly: Option<i64>,
    position: i32,
    archived: bool,
}

pub(super) fn tier_lines(conn: &mut DbConnection, campaign_id: i32) -> QueryResult<Vec<TierLine>> {
    let rows: Vec<TierRow> = tiers::table
        .filter(tiers::campaign_id.eq(campaign_id))
        .order((tiers::archived, tiers::position, tiers::id))
        .select((
            tiers::id,
            tiers::slug,
            tiers::name,
            tiers::description,
            tiers::monthly_amount,
            tiers::yearly_amount,
            tiers::position,
            tiers::archived,
        ))
        .load(conn)?;
    let ids: Vec<i32> = rows.iter().map(|t| t.id).collect();
    let mut written = Lang::ALL
        .into_iter()
        .map(|lang| Ok((lang, tier_texts::written(conn, &ids, lang)?)))
        .collect::<QueryResult<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .map(|t| TierLine {
            texts: written
                .iter_mut()
                .map(|(lang, texts)| (*lang, texts.remove(&t.id).unwrap_or_default()))
                .collect(),
            id: t.id,
            slug: t.slug,
            name: t.name,
            description: t.description,
            monthly: t.monthly.map(major).unwrap_or_default(),
            yearly: t.yearly.map(major).unwrap_or_default(),
            position: t.position,
            archived: t.archived,
        })
        .collect())
}

/// What a tier form posts.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct TierForm {
    slug: String,
    name: String,
    description: String,
    name_en: String,
    description_en: String,
    name_uk: String,
    description_uk: String,
    monthly: String,
    yearly: String,
    position: String,
    archived: Option<String>,
}

/// A validated tier.
#[derive(Debug)]
struct TierFields {
    name: String,
    description: String,
    texts: Vec<(Lang, TierText)>,
    monthly: Option<i64>,
    yearly: Option<i64>,
    position: i32,
    archived: bool,
}

impl TierForm {
    fn validate(&self, campaign: &Campaign) -> Result<TierFields, Errors> {
        let mut errors = Errors::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            errors.insert("tier_name", "admin-error-tier-name");
        }
        let description = self.description.trim().to_owned();
        let texts: Vec<(Lang, TierText)> = Lang::ALL
            .into_iter()
            .map(|lang| {
                let (name, description) = match lang {
                    Lang::En => (&self.name_en, &self.description_en),
                    Lang::Uk => (&self.name_uk, &self.description_uk),
                };
                let text = TierText {
                    name: name.trim().to_owned(),
                    description: description.trim().to_owned(),
                };
                (lang, text)
            })
            .collect();
        let too_long = |t: &TierText| {
            t.name.chars().count() > MAX_NAME || t.description.chars().count() > MAX_DESCRIPTION
        };
        if description.chars().count() > MAX_DESCRIPTION || texts.iter().any(|(_, t)| too_long(t)) {
            errors.insert("tier_description", "admin-error-tier-description");
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
            description,
            texts,
            monthly,
            yearly,
            position,
            archived: self.archived.is_some(),
        })
    }
}

impl TierFields {
    /// What the audit log keeps of a tier's save.
    fn audit(&self, tier: &str) -> serde_json::Value {
        let texts: serde_json::Map<String, serde_json::Value> = self
            .texts
            .iter()
            .map(|(lang, t)| {
                let text = json!({"name": t.name, "description": t.description});
                (lang.code().to_owned(), text)
            })
            .collect();
        json!({"tier": tier, "name": self.name, "description": self.description,
               "monthly": self.monthly, "yearly": self.yearly, "position": self.position,
               "archived": self.archived, "texts": texts})
    }
}

/// `POST /admin/campaigns/{slug}/tiers`: adds a tier.
pub(crate) async fn add_tier(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<TierForm>,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let loaded = load(&state, slug.into_inner()).await?;
    let (campaign, tiers) = (&loaded.campaign, &loaded.tiers);
    let tier_slug = form.slug.trim().to_owned();
    let mut checked = form.validate(campaign);
    if Slug::parse(&tier_slug).is_none() || tiers.iter().any(|t| t.slug == tier_slug) {
        let mut errors = checked.err().unwrap_or_default();
        errors.insert("tier_slug", "admin-error-slug");
        checked = Err(errors);
    }
    let fields = match checked {
        Ok(fields) => fields,
        Err(errors) => return section_error(&req, &staff, loaded, errors),
    };
    let actor = staff.actor();
    let slug = campaign.slug.clone();
    let (campaign_id, campaign_slug) = (campaign.id, campaign.slug.clone());
    let added = state
        .db
        .write(move |conn| -> Result<bool, AppError> {
            // The slug was free when the tiers were loaded; the insert itself decides
            // (`tiers_campaign_slug_key`), so a concurrent addition of it is not a 500.
            let insert = diesel::insert_into(tiers::table)
                .values((
                    tiers::campaign_id.eq(campaign_id),
                    tiers::slug.eq(&tier_slug),
                    tiers::name.eq(&fields.name),
                    tiers::description.eq(&fields.description),
                    tiers::monthly_amount.eq(fields.monthly),
                    tiers::yearly_amount.eq(fields.yearly),
                    tiers::position.eq(fields.position),
                    tiers::archived.eq(fields.archived),
                    tiers::created_at.eq(db::now()),
                ))
                .on_conflict((tiers::campaign_id, tiers::slug))
                .do_nothing()
                .returning(tiers::id);
            let Some(tier_id) = on_backend!(conn, |c| insert.get_result::<i32>(c).optional()?)
            else {
                return Ok(false);
            };
            for (lang, text) in &fields.texts {
                tier_texts::save(conn, tier_id, *lang, text)?;
            }
            audit::record(
                conn,
                &actor,
                "tier.create",
                "campaign",
                &campaign_slug,
                &fields.audit(&tier_slug),
            )?;
            Ok(true)
        })
        .await?;
    if !added {
        let errors = Errors::from([("tier_slug", "admin-error-slug")]);
        return section_error(&req, &staff, loaded, errors);
    }
    Ok(see_other(&format!("/admin/campaigns/{slug}?saved=tier")))
}

/// `POST /admin/campaigns/{slug}/tiers/{id}`: edits or archives a tier.
pub(crate) async fn update_tier(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<TierForm>,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, AppError> {
    let (slug, tier_id) = path.into_inner();
    let loaded = load(&state, slug).await?;
    let (campaign, tiers) = (&loaded.campaign, &loaded.tiers);
    let Some(tier_slug) = tiers
        .iter()
        .find(|t| t.id == tier_id)
        .map(|t| t.slug.clone())
    else {
        return Err(AppError::not_found("tier"));
    };
    let fields = match form.validate(campaign) {
        Ok(fields) => fields,
        Err(errors) => return section_error(&req, &staff, loaded, errors),
    };
    let actor = staff.actor();
    let slug = campaign.slug.clone();
    let campaign_slug = slug.clone();
    state
        .db
        .write(move |conn| -> Result<(), AppError> {
            diesel::update(tiers::table.find(tier_id))
                .set((
                    tiers::name.eq(&fields.name),
                    tiers::description.eq(&fields.description),
                    tiers::monthly_amount.eq(fields.monthly),
                    tiers::yearly_amount.eq(fields.yearly),
                    tiers::position.eq(fields.position),
                    tiers::archived.eq(fields.archived),
                ))
                .execute(conn)?;
            for (lang, text) in &fields.texts {
                tier_texts::save(conn, tier_id, *lang, text)?;
            }
            audit::record(
                conn,
                &actor,
                "tier.update",
                "campaign",
                &campaign_slug,
                &fields.audit(&tier_slug),
            )?;
            Ok(())
        })
        .await?;
    Ok(see_other(&format!("/admin/campaigns/{slug}?saved=tier")))
}
