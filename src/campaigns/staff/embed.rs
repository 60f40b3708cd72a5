//! The embed codes page: the snippets to copy, and the widget itself as a preview.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::admin::{Frame, Nav, render};
use crate::auth::StaffSession;
use crate::campaigns::Campaign;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::widget;

use super::page::load;

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
        widget::iframe_snippet(&self.base_url, &self.campaign.slug, &self.alt())
    }

    /// The preview's height: the snippet's, until the widget reports its own.
    fn frame_height(&self) -> u32 {
        widget::FRAME_HEIGHT_PX
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
        crate::web::charts::escape(&self.campaign.title)
    }
}

/// `GET /admin/campaigns/{slug}/embed`: the snippets, and the widget itself as a preview.
pub(crate) async fn embed(
    req: HttpRequest,
    staff: StaffSession,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let campaign = load(&state, slug.into_inner()).await?.campaign;
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
