//! The outlet's brand: its name, site, logo, accent colour, the name emails come from, the
//! footer every email carries (the postal address bulk-mail rules ask for) and the links to
//! its privacy policy and terms. One row, edited by admins on `/admin/branding` ([`staff`]).
//!
//! Where it shows: every public page (the header, the accent, the footer links; each HTTP
//! worker thread knows its application's brand, [`serve_on_this_thread`]), the widget
//! (its bar and button take the accent; the board reads the brand with the campaigns, so a
//! change reaches the widget on every instance), and every email (rendered with the brand
//! read in the transaction that queues it). Nothing set means the neutral look memberdrive
//! has always had.

pub mod staff;

use std::cell::RefCell;
use std::sync::{Arc, RwLock};

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::branding;
use crate::i18n::Lang;

/// The accent when none is set.
pub const DEFAULT_ACCENT: &str = "#0a58ca";

/// The brand as saved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = branding)]
pub struct Brand {
    /// Moves on each save.
    pub version: i64,
    /// The outlet's name ("Kyiv Independent").
    pub outlet_name: String,
    /// The outlet's own site, that public pages link back to.
    pub site_url: String,
    /// The address of the logo image (https).
    pub logo_url: String,
    /// `#rrggbb`.
    pub accent_colour: String,
    /// The name emails come from (the address is `MAIL_FROM`'s).
    pub sender_name: String,
    /// The footer of every email: the outlet's postal address, as bulk-mail rules ask.
    pub email_footer: String,
    /// The outlet's privacy policy.
    pub privacy_url: String,
    /// The outlet's terms.
    pub terms_url: String,
}

impl Brand {
    /// The accent colour, `#rrggbb`.
    pub fn accent(&self) -> &str {
        if self.accent_colour.is_empty() {
            DEFAULT_ACCENT
        } else {
            &self.accent_colour
        }
    }

    /// The text colour that reads on the accent ([`text_on`]).
    pub fn on_accent(&self) -> &'static str {
        text_on(self.accent())
    }

    /// The outlet's name, when set.
    pub fn name(&self) -> Option<&str> {
        Some(self.outlet_name.as_str()).filter(|n| !n.is_empty())
    }

    /// The name emails come from: the sender name, or else the outlet's.
    pub fn from_name(&self) -> Option<&str> {
        Some(self.sender_name.as_str())
            .filter(|n| !n.is_empty())
            .or(self.name())
    }

    /// The lines of the email footer.
    pub fn footer_lines(&self) -> Vec<&str> {
        self.email_footer
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// The link back to the outlet's site, in `lang`.
    pub fn back_label(&self, lang: &Lang) -> String {
        match self.name() {
            Some(name) => lang.t("brand-back", &[("outlet", name.to_owned().into())]),
            None => lang.tr("brand-back-site"),
        }
    }

    /// Whether a public page has links to show at its foot.
    pub fn has_links(&self) -> bool {
        !(self.site_url.is_empty() && self.privacy_url.is_empty() && self.terms_url.is_empty())
    }
}

/// Pages render with the brand as askama's runtime value `"brand"`.
impl askama::Values for Brand {
    fn get_value<'a>(&'a self, key: &str) -> Option<&'a dyn std::any::Any> {
        (key == "brand").then_some(self as &dyn std::any::Any)
    }
}

/// The text colour that reads on `background` (`#rrggbb`): white, or near-black on a light
/// colour (whichever has the higher WCAG contrast).
pub fn text_on(background: &str) -> &'static str {
    let luminance = relative_luminance(background).unwrap_or(0.0);
    // Contrast with white is 1.05 / (L + 0.05); with #1b1d21 (L ≈ 0.0125) it is
    // (L + 0.05) / 0.0625: white wins while the first is larger.
    if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.0625 {
        "#ffffff"
    } else {
        "#1b1d21"
    }
}

/// WCAG relative luminance of `#rrggbb`.
fn relative_luminance(hex: &str) -> Option<f64> {
    let hex = hex.strip_prefix('#')?;
    if hex.len() != 6 {
        return None;
    }
    let channel = |i: usize| -> Option<f64> {
        let c = f64::from(u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()?) / 255.0;
        Some(if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        })
    };
    Some(0.2126 * channel(0)? + 0.7152 * channel(2)? + 0.0722 * channel(4)?)
}

/// The brand as saved (the neutral one if the row is missing).
pub fn load(conn: &mut DbConnection) -> QueryResult<Brand> {
    Ok(branding::table
        .find(1)
        .select(Brand::as_select())
        .first(conn)
        .optional()?
        .unwrap_or_default())
}

/// The saved brand's version, to see cheaply whether it changed.
pub fn version(conn: &mut DbConnection) -> QueryResult<i64> {
    Ok(branding::table
        .find(1)
        .select(branding::version)
        .first(conn)
        .optional()?
        .unwrap_or_default())
}

/// This instance's copy of the brand, for pages. The progress board keeps it current (it
/// looks at the brand's version each time it looks at the campaigns').
#[derive(Debug, Default)]
pub struct Branding {
    current: RwLock<Arc<Brand>>,
}

impl Branding {
    /// The brand now.
    pub fn get(&self) -> Arc<Brand> {
        self.current.read().expect("brand lock").clone()
    }

    /// Keeps `brand`, unless the copy held is as new.
    pub fn set(&self, brand: Brand) {
        let mut current = self.current.write().expect("brand lock");
        if current.version < brand.version {
            *current = Arc::new(brand);
        }
    }
}

thread_local! {
    /// The brand of the application this thread serves requests for (each HTTP worker thread
    /// belongs to one application), for pages and error pages rendered anywhere below a
    /// handler. Nothing is done per request: the widget's hot path does not pay for it.
    static WORKER_BRANDING: RefCell<Option<Arc<Branding>>> = const { RefCell::new(None) };
}

/// Makes this thread's pages wear `branding` (called as each HTTP worker starts).
pub fn serve_on_this_thread(branding: Arc<Branding>) {
    WORKER_BRANDING.with(|b| *b.borrow_mut() = Some(branding));
}

/// The brand of the application this thread serves, or the neutral one elsewhere.
pub fn of_request() -> Arc<Brand> {
    WORKER_BRANDING
        .with(|b| b.borrow().as_ref().map(|b| b.get()))
        .unwrap_or_default()
}

/// Renders a public page in the brand of the request being answered.
pub fn render(page: &impl askama::Template) -> askama::Result<String> {
    page.render_with_values(&*of_request())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_accent(accent: &str) -> Brand {
        Brand {
            accent_colour: accent.into(),
            ..Brand::default()
        }
    }

    #[test]
    fn text_on_the_accent_stays_legible() {
        assert_eq!(Brand::default().on_accent(), "#ffffff");
        assert_eq!(with_accent("#000000").on_accent(), "#ffffff");
        assert_eq!(with_accent("#ffd500").on_accent(), "#1b1d21");
        assert_eq!(with_accent("#ffffff").on_accent(), "#1b1d21");
        assert_eq!(with_accent("#c8102e").on_accent(), "#ffffff");
    }

    #[test]
    fn unset_values_fall_back() {
        let brand = Brand {
            outlet_name: "Kyiv Courier".into(),
            email_footer: " 1 Khreshchatyk St \n\n Kyiv 01001 ".into(),
            ..Brand::default()
        };
        assert_eq!(brand.accent(), DEFAULT_ACCENT);
        assert_eq!(brand.from_name(), Some("Kyiv Courier"));
        assert_eq!(brand.footer_lines(), ["1 Khreshchatyk St", "Kyiv 01001"]);
        assert!(!brand.has_links());
        assert_eq!(Brand::default().from_name(), None);
    }
}
