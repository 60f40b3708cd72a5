//! `/admin/branding` (admins): the outlet's name, site, logo, accent colour, email sender name
//! and footer, and the links to its privacy policy and terms. A save is audited (with what
//! changed) in its own transaction, and reaches the widget, pages and emails at once.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use diesel::prelude::*;

use super::Brand;
use crate::admin::{Frame, Nav, render_status};
use crate::audit;
use crate::auth::{StaffForm, StaffSession};
use crate::db::schema::branding;
use crate::db::{self, DbError};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::form::Form;
use crate::web::see_other;

const PATH: &str = "/admin/branding";
/// The longest name (outlet or sender), in characters.
const MAX_NAME: usize = 100;
/// The longest address, in characters.
const MAX_URL: usize = 2_000;
/// The longest email footer, in characters and lines.
const MAX_FOOTER: usize = 500;
const MAX_FOOTER_LINES: usize = 6;

#[derive(Template)]
#[template(path = "admin/branding.html")]
struct Page {
    frame: Frame,
    typed: Brand,
    errors: Vec<String>,
    saved: bool,
    preview: Brand,
}

#[derive(serde::Deserialize)]
pub(crate) struct Done {
    done: Option<String>,
}

/// `GET /admin/branding`
pub(crate) async fn page(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    done: web::Query<Done>,
) -> Result<HttpResponse, AppError> {
    let brand = state.db.read(super::load).await?;
    render_status(
        StatusCode::OK,
        &Page {
            frame: staff.frame(&req, Nav::Branding),
            preview: brand.clone(),
            typed: brand,
            errors: Vec::new(),
            saved: done.done.is_some(),
        },
    )
}

/// `POST /admin/branding`
pub(crate) async fn save(
    req: HttpRequest,
    StaffForm { staff, form }: StaffForm<Form>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_request(&req);
    let typed = typed(&form);
    let errors = check(&typed, lang);
    if !errors.is_empty() {
        let preview = state.db.read(super::load).await?;
        return render_status(
            StatusCode::BAD_REQUEST,
            &Page {
                frame: staff.frame(&req, Nav::Branding),
                typed,
                errors,
                saved: false,
                preview,
            },
        );
    }
    let actor = staff.actor();
    let saved = state
        .db
        .write(move |c| -> Result<Brand, DbError> {
            let before = super::load(c)?;
            diesel::update(branding::table.find(1))
                .set((
                    branding::version.eq(branding::version + 1),
                    branding::outlet_name.eq(&typed.outlet_name),
                    branding::site_url.eq(&typed.site_url),
                    branding::logo_url.eq(&typed.logo_url),
                    branding::accent_colour.eq(&typed.accent_colour),
                    branding::sender_name.eq(&typed.sender_name),
                    branding::email_footer.eq(&typed.email_footer),
                    branding::privacy_url.eq(&typed.privacy_url),
                    branding::terms_url.eq(&typed.terms_url),
                    branding::updated_at.eq(db::now()),
                ))
                .execute(c)?;
            let after = super::load(c)?;
            audit::record(
                c,
                &actor,
                "branding.update",
                "branding",
                "1",
                &changes(&before, &after),
            )?;
            Ok(after)
        })
        .await?;
    state.branding.set(saved);
    state.board.poke();
    Ok(see_other(&format!("{PATH}?done=saved")))
}

/// What the form says, trimmed, with the colour in lower case.
fn typed(form: &Form) -> Brand {
    let field = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    Brand {
        version: 0,
        outlet_name: field("outlet_name"),
        site_url: field("site_url"),
        logo_url: field("logo_url"),
        accent_colour: field("accent_colour").to_ascii_lowercase(),
        sender_name: field("sender_name"),
        email_footer: form
            .get("email_footer")
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_owned(),
        privacy_url: field("privacy_url"),
        terms_url: field("terms_url"),
    }
}

/// Every problem with `typed`, each said once.
fn check(typed: &Brand, lang: Lang) -> Vec<String> {
    let mut errors = Vec::new();
    for (value, label) in [
        (&typed.outlet_name, "admin-branding-outlet-name"),
        (&typed.sender_name, "admin-branding-sender-name"),
    ] {
        if value.chars().count() > MAX_NAME || value.chars().any(char::is_control) {
            errors.push(lang.t(
                "admin-branding-bad-name",
                &[("field", lang.tr(label).into()), ("max", MAX_NAME.into())],
            ));
        }
    }
    for (value, label) in [
        (&typed.site_url, "admin-branding-site-url"),
        (&typed.logo_url, "admin-branding-logo-url"),
        (&typed.privacy_url, "admin-branding-privacy-url"),
        (&typed.terms_url, "admin-branding-terms-url"),
    ] {
        if !value.is_empty() && !web_address(value) {
            errors.push(lang.t(
                "admin-branding-bad-url",
                &[("field", lang.tr(label).into())],
            ));
        }
    }
    if !typed.accent_colour.is_empty() && !hex_colour(&typed.accent_colour) {
        errors.push(lang.tr("admin-branding-bad-colour"));
    }
    if typed.email_footer.chars().count() > MAX_FOOTER
        || typed.email_footer.lines().count() > MAX_FOOTER_LINES
    {
        errors.push(lang.t(
            "admin-branding-long-footer",
            &[
                ("max", MAX_FOOTER.into()),
                ("lines", MAX_FOOTER_LINES.into()),
            ],
        ));
    }
    errors
}

/// An absolute `http(s)` address with a host.
fn web_address(value: &str) -> bool {
    value.chars().count() <= MAX_URL
        && url::Url::parse(value).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        })
}

/// `#rrggbb`.
fn hex_colour(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The fields that changed, before and after, for the audit log.
fn changes(before: &Brand, after: &Brand) -> serde_json::Value {
    let fields: [(&str, &String, &String); 8] = [
        ("outlet_name", &before.outlet_name, &after.outlet_name),
        ("site_url", &before.site_url, &after.site_url),
        ("logo_url", &before.logo_url, &after.logo_url),
        ("accent_colour", &before.accent_colour, &after.accent_colour),
        ("sender_name", &before.sender_name, &after.sender_name),
        ("email_footer", &before.email_footer, &after.email_footer),
        ("privacy_url", &before.privacy_url, &after.privacy_url),
        ("terms_url", &before.terms_url, &after.terms_url),
    ];
    let changed: serde_json::Map<String, serde_json::Value> = fields
        .into_iter()
        .filter(|(_, was, is)| was != is)
        .map(|(name, was, is)| {
            (
                name.to_owned(),
                serde_json::json!({ "from": was, "to": is }),
            )
        })
        .collect();
    serde_json::Value::Object(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_each_field() {
        let good = Brand {
            outlet_name: "Kyiv Courier".into(),
            site_url: "https://courier.example".into(),
            accent_colour: "#c8102e".into(),
            ..Brand::default()
        };
        assert!(check(&good, Lang::En).is_empty());
        let bad = Brand {
            site_url: "javascript:alert(1)".into(),
            logo_url: "/logo.png".into(),
            accent_colour: "red".into(),
            email_footer: "a\nb\nc\nd\ne\nf\ng".into(),
            sender_name: "Evil\r\nBcc: x@y".into(),
            ..Brand::default()
        };
        assert_eq!(check(&bad, Lang::En).len(), 5);
    }
}
