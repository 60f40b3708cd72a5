//! Where an edition stands while it goes out, and after: its status and what came of its
//! emails, counted from the outbox. The editions list shows it, and
//! `GET /admin/newsletters/{slug}/editions/{id}/progress` gives it as JSON to
//! `static/editions.js`, which keeps the list live until every edition on it has settled.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{audience, emails};
use crate::admin::lang_of;
use crate::auth::StaffSession;
use crate::db::schema::{editions, jobs, newsletters};
use crate::db::{self, DbConnection};
use crate::domain::EditionStatus;
use crate::email::worker::SKIPPED_RECEIPTS;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::error::AppError;

/// The controls staff have over an edition that has not gone out in full
/// ([`super::control`]), in the order the list shows them.
pub const CONTROLS: [&str; 3] = ["pause", "resume", "cancel"];

/// The columns of an edition that its progress reads.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = editions)]
pub struct Standing {
    /// Row id.
    pub id: i32,
    /// Its newsletter.
    pub newsletter_id: i32,
    /// Where it stands.
    pub status: EditionStatus,
    /// When sending started.
    pub started_at: Option<NaiveDateTime>,
    /// Emails its walk has queued so far.
    pub queued: i32,
}

/// What came of an edition's emails so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// The confirmed subscribers it goes to: those of when it started (before: of now).
    pub readers: i64,
    /// Emails its walk has queued.
    pub queued: i64,
    /// Of those, the ones still in the outbox: due, retrying, or held by a pause.
    pub waiting: i64,
    /// Handed to the mail server.
    pub sent: i64,
    /// Given up on after their retries (dead-lettered; staff may retry them in the outbox).
    pub failed: i64,
    /// Not sent at the last look before sending: the address is on the suppression list, or
    /// the reader left the newsletter.
    pub suppressed: i64,
}

/// An edition's status and counts.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Where it stands.
    pub status: EditionStatus,
    /// What came of its emails.
    pub counts: Counts,
}

/// The progress of `edition` at `now`.
pub fn of(
    conn: &mut DbConnection,
    edition: &Standing,
    now: NaiveDateTime,
) -> QueryResult<Progress> {
    let by_status: Vec<(String, i64)> = emails(edition.id)
        .group_by(jobs::status)
        .select((jobs::status, diesel::dsl::count_star()))
        .load(conn)?;
    let suppressed: i64 = emails(edition.id)
        .filter(jobs::status.eq("done"))
        .filter(jobs::payload.like(SKIPPED_RECEIPTS))
        .count()
        .get_result(conn)?;
    let with = |status: &str| {
        by_status
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n)
    };
    let readers = audience(
        conn,
        edition.newsletter_id,
        edition.started_at.unwrap_or(now),
    )?;
    Ok(Progress {
        status: edition.status,
        counts: Counts {
            readers,
            queued: edition.queued.into(),
            waiting: with("queued"),
            sent: with("done") - suppressed,
            failed: with("dead"),
            suppressed,
        },
    })
}

impl Progress {
    /// Whether nothing more will change: sent or cancelled, with none of its emails left in
    /// the outbox.
    pub fn settled(&self) -> bool {
        matches!(self.status, EditionStatus::Sent | EditionStatus::Cancelled)
            && self.counts.waiting == 0
    }

    /// The controls that apply now, of [`CONTROLS`].
    pub fn controls(&self) -> &'static [&'static str] {
        match self.status {
            EditionStatus::Paused => &["resume", "cancel"],
            EditionStatus::Cancelled => &[],
            _ if !self.settled() => &["pause", "cancel"],
            _ => &[],
        }
    }

    /// Its status, in `lang`.
    pub fn label(&self, lang: Lang) -> String {
        lang.tr(&format!("admin-editions-status-{}", self.status.as_str()))
    }

    /// Its counts in a line, in `lang`: "3 of 3 queued, 2 sent, 1 suppressed".
    pub fn text(&self, lang: Lang) -> String {
        let Counts {
            readers,
            queued,
            sent,
            failed,
            suppressed,
            ..
        } = self.counts;
        lang.t(
            "admin-editions-progress",
            &[
                ("queued", lang.number(queued).into()),
                ("readers", lang.number(readers).into()),
                ("sent", lang.number(sent).into()),
                ("failed", failed.into()),
                ("failed_text", lang.number(failed).into()),
                ("suppressed", suppressed.into()),
                ("suppressed_text", lang.number(suppressed).into()),
            ],
        )
    }
}

/// The progress as `static/editions.js` reads it.
#[derive(Serialize)]
struct Answer {
    edition: i32,
    status: &'static str,
    label: String,
    settled: bool,
    #[serde(flatten)]
    counts: Counts,
    text: String,
    controls: &'static [&'static str],
}

/// `GET /admin/newsletters/{slug}/editions/{id}/progress` (staff): the edition's status and
/// counts as JSON, with the list's texts in the page's language (`?lang=`).
pub(crate) async fn progress(
    req: HttpRequest,
    _staff: StaffSession,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let found = state
        .db
        .read(move |c| {
            let standing = editions::table
                .inner_join(newsletters::table)
                .filter(newsletters::slug.eq(slug))
                .filter(editions::id.eq(id))
                .select(Standing::as_select())
                .first(c)
                .optional()?;
            standing.map(|s| of(c, &s, db::now())).transpose()
        })
        .await
        .map_err(|e| AppError::from(e).json(true))?;
    let progress = found.ok_or_else(|| AppError::not_found("edition").json(true))?;
    let lang = lang_of(&req);
    Ok(HttpResponse::Ok().json(Answer {
        edition: id,
        status: progress.status.as_str(),
        label: progress.label(lang),
        settled: progress.settled(),
        counts: progress.counts,
        text: progress.text(lang),
        controls: progress.controls(),
    }))
}

/// `GET /static/editions.js`: keeps the editions list live ([`progress`]).
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../../static/editions.js"))
}

#[cfg(test)]
mod tests {
    use super::{Counts, Progress};
    use crate::domain::EditionStatus;
    use crate::i18n::Lang;

    fn progress(status: EditionStatus, waiting: i64, failed: i64, suppressed: i64) -> Progress {
        Progress {
            status,
            counts: Counts {
                readers: 1_500,
                queued: 1_200,
                waiting,
                sent: 1_000,
                failed,
                suppressed,
            },
        }
    }

    #[test]
    fn the_line_names_failures_and_suppressions_only_when_there_are_some() {
        let sending = EditionStatus::Sending;
        assert_eq!(
            progress(sending, 200, 0, 0).text(Lang::En),
            "1,200 of 1,500 queued, 1,000 sent"
        );
        assert_eq!(
            progress(sending, 195, 2, 3).text(Lang::En),
            "1,200 of 1,500 queued, 1,000 sent, 2 failed, 3 suppressed"
        );
        assert_eq!(
            progress(sending, 198, 0, 2).text(Lang::Uk),
            "У черзі 1\u{a0}200 з 1\u{a0}500, надіслано 1\u{a0}000, пропущено 2"
        );
        assert_eq!(
            progress(sending, 195, 2, 3).text(Lang::Uk),
            "У черзі 1\u{a0}200 з 1\u{a0}500, надіслано 1\u{a0}000, не вдалося надіслати 2, \
             пропущено 3"
        );
    }

    #[test]
    fn an_edition_settles_once_sent_or_cancelled_with_nothing_left_in_the_outbox() {
        use EditionStatus::{Cancelled, Paused, Scheduled, Sending, Sent};
        for (status, waiting, settled, controls) in [
            (Scheduled, 0, false, &["pause", "cancel"][..]),
            (Sending, 0, false, &["pause", "cancel"]),
            (Sent, 3, false, &["pause", "cancel"]),
            (Sent, 0, true, &[]),
            (Paused, 3, false, &["resume", "cancel"]),
            (Cancelled, 1, false, &[]),
            (Cancelled, 0, true, &[]),
        ] {
            let p = progress(status, waiting, 1, 0);
            assert_eq!(p.settled(), settled, "{status:?} with {waiting} waiting");
            assert_eq!(p.controls(), controls, "{status:?} with {waiting} waiting");
        }
    }
}
