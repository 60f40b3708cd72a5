//! Editions from the dashboard: tests of an edition to the addresses an editor chooses, times
//! in the outlet's time zone, and the progress of an edition as JSON (sent, failed and
//! suppressed emails counted until each has gone).

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use memberdrive::bounces::{self, Report};
use memberdrive::db::schema::{editions, jobs};
use memberdrive::db::{self, DbError};
use memberdrive::domain::{OptIn, SuppressionReason};
use memberdrive::staff::Role;
use reqwest::header;
use serde_json::{Value, json};

use crate::both_backends;
use crate::editions::{EDITION, PREHEADER, ok, readers, recipients, send_on};
use crate::helpers::{
    Backend, TestApp, add_staff, csrf_in, request, session_of, spawn_app, spawn_app_with, submit,
    text_as,
};
use crate::support::smtp::SmtpMode;
use crate::support::wait::eventually;

both_backends!(
    a_test_goes_to_each_address_chosen_once_and_a_bad_one_queues_nothing,
    an_edition_is_scheduled_on_the_outlets_clock,
    the_progress_of_an_edition_counts_its_emails_until_each_has_gone,
);

const WAIT: Duration = Duration::from_secs(60);
const PAGE: &str = "/admin/newsletters/news/editions";
const EDITOR: &str = "editor@news.example";
const SUBJECT: &str = "Morning briefing: the budget";

/// Posts the edition form with `action` and `extra` fields, as the staff member whose session
/// is `cookie`.
async fn post_edition(
    app: &TestApp,
    cookie: &str,
    action: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let token = csrf_in(&text_as(app, PAGE, cookie).await);
    let mut fields = vec![
        ("subject", SUBJECT),
        ("preheader", PREHEADER),
        ("body", EDITION),
        ("action", action),
    ];
    fields.extend_from_slice(extra);
    submit(app, cookie, &token, PAGE, fields).await
}

async fn tests_queued(app: &TestApp) -> i64 {
    app.count(jobs::table.filter(jobs::dedupe_key.like("edition-test:%")))
        .await
}

async fn a_test_goes_to_each_address_chosen_once_and_a_bad_one_queues_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, EDITOR, Role::Admin).await;
    let cookie = session_of(&app, EDITOR).await;
    let everyone = readers(&app, "reader", 2, OptIn::Confirmed).await;

    // Typed as editors paste them: a comma, line breaks, one address twice in other case.
    let chosen = "desk@news.example,\r\nlegal@news.example\nDesk@News.example\n";
    let res = post_edition(&app, &cookie, "test", &[("test_to", chosen)]).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("A test was sent to desk@news.example, legal@news.example."),
        "{page}"
    );
    assert!(
        page.contains(&format!(">{chosen}</textarea>")),
        "the form keeps them"
    );
    let mail = app.smtp.wait_for_messages(2, WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    let got = recipients(&app.smtp.messages());
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got.get("desk@news.example"), Some(&1));
    assert_eq!(got.get("legal@news.example"), Some(&1));
    assert!(everyone.iter().all(|reader| !got.contains_key(reader)));
    for message in &mail {
        assert_eq!(
            message.decoded_header("Subject").as_deref(),
            Some(format!("[Test] {SUBJECT}").as_str())
        );
        let html = message.html_part();
        assert!(html.contains("<strong>approved</strong>"), "{html}");
        assert!(
            html.contains(&format!("mso-hide:all\">{PREHEADER}")),
            "{html}"
        );
        // Its personal links lead to the newsletters page: a test unsubscribes nobody.
        assert!(!html.contains("token="), "{html}");
        assert!(
            html.contains(&format!("href=\"{}/newsletters\"", app.base_url)),
            "{html}"
        );
    }

    // Refused with a message on the form, and nothing queued.
    let six = (0..6)
        .map(|i| format!("desk{i}@news.example"))
        .collect::<Vec<_>>()
        .join(", ");
    for (typed, message) in [
        (
            "desk@news.example, the desk",
            "“the desk” is not an email address.",
        ),
        (
            "editor@localhost",
            "“editor@localhost” is not an email address.",
        ),
        (six.as_str(), "A test goes to at most 5 addresses."),
    ] {
        let res = post_edition(&app, &cookie, "test", &[("test_to", typed)]).await;
        assert_eq!(res.status(), 400, "{typed}");
        let page = res.text().await.unwrap();
        assert!(page.contains(message), "{typed}: {page}");
        assert!(page.contains(&format!("value=\"{SUBJECT}\"")), "{typed}");
        assert_eq!(tests_queued(&app).await, 2, "{typed}: nothing queued");
    }

    // Left empty: the test goes to the editor.
    let res = post_edition(&app, &cookie, "test", &[("test_to", " ")]).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("A test was sent to editor@news.example.")
    );
    app.smtp.wait_for_messages(3, WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    let got = recipients(&app.smtp.messages());
    assert_eq!(got.get(EDITOR), Some(&1), "{got:?}");
    assert_eq!(app.smtp.messages().len(), 3);
}

async fn an_edition_is_scheduled_on_the_outlets_clock(backend: Backend) {
    let app = spawn_app_with(backend, &[("MEMBERDRIVE_TIME_ZONE", "Europe/Kyiv")]).await;
    add_staff(&app, EDITOR, Role::Admin).await;
    let cookie = session_of(&app, EDITOR).await;
    readers(&app, "reader", 2, OptIn::Confirmed).await;
    let page = text_as(&app, PAGE, &cookie).await;
    assert!(
        page.contains("Europe/Kyiv time."),
        "the hint names the zone"
    );

    // Nine in the morning in Kyiv, in winter (UTC+2).
    let res = post_edition(&app, &cookie, "send", &[("send_at", "2030-01-15T09:00")]).await;
    assert_eq!(res.status(), 303);
    let at = |text: &str| text.parse::<NaiveDateTime>().unwrap();
    let (send_at, run_at): (NaiveDateTime, NaiveDateTime) = app
        .read(|c| {
            let send_at = editions::table.select(editions::send_at).first(c)?;
            let run_at = jobs::table
                .filter(jobs::kind.eq("edition"))
                .select(jobs::run_at)
                .first(c)?;
            Ok((send_at, run_at))
        })
        .await;
    assert_eq!(send_at, at("2030-01-15T07:00:00"));
    assert_eq!(run_at, send_at, "no worker takes it before then");
    let page = text_as(&app, PAGE, &cookie).await;
    assert!(
        page.contains(r#"<time datetime="2030-01-15T07:00:00Z">2030-01-15 09:00 EET</time>"#),
        "the list shows it on the outlet's clock: {page}"
    );

    // Half past three on the night the clocks go from three to four: no such time.
    let res = post_edition(&app, &cookie, "send", &[("send_at", "2030-03-31T03:30")]).await;
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("That time does not exist in Europe/Kyiv"),
        "{page}"
    );
    assert!(
        page.contains(r#"value="2030-03-31T03:30""#),
        "the form keeps it"
    );
    // Half past three on the night they go back comes twice: the first, in summer time.
    let res = post_edition(&app, &cookie, "send", &[("send_at", "2030-10-27T03:30")]).await;
    assert_eq!(res.status(), 303);
    let stored: Vec<NaiveDateTime> = app
        .read(|c| {
            editions::table
                .order(editions::id)
                .select(editions::send_at)
                .load(c)
        })
        .await;
    assert_eq!(
        stored,
        [at("2030-01-15T07:00:00"), at("2030-10-27T00:30:00")]
    );
}

/// `GET path` as JSON, as the staff member whose session is `cookie`: (status, body).
async fn json_of(app: &TestApp, cookie: &str, path: &str) -> (u16, Value) {
    let res = request(app, reqwest::Method::GET, path, Some(cookie))
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// The newest edition's id.
async fn newest(app: &TestApp) -> i32 {
    app.read(|c| {
        editions::table
            .select(editions::id)
            .order(editions::id.desc())
            .first(c)
    })
    .await
}

/// Waits until the progress at `path` satisfies `done`; returns it.
async fn progress_until(
    app: &TestApp,
    cookie: &str,
    path: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    eventually(what, WAIT, || async {
        let (status, progress) = json_of(app, cookie, path).await;
        assert_eq!(status, 200, "{path}: {progress}");
        if done(&progress) {
            Ok(progress)
        } else {
            Err(progress.to_string())
        }
    })
    .await
}

async fn the_progress_of_an_edition_counts_its_emails_until_each_has_gone(backend: Backend) {
    let app = spawn_app(backend).await;
    // Progress is for every staff member to watch, viewers too.
    add_staff(&app, "viewer@news.example", Role::Viewer).await;
    let viewer = session_of(&app, "viewer@news.example").await;
    let everyone = readers(&app, "reader", 4, OptIn::Confirmed).await;
    // One reader's address bounced before: the last look before sending skips it.
    let bounced = everyone[3].clone();
    app.db
        .write(move |c| -> Result<usize, DbError> {
            let report = Report::new(
                &bounced,
                SuppressionReason::Bounce,
                "550 5.1.1 no such user",
            );
            Ok(bounces::record(c, "smtp", &[report.unwrap()], db::now())?)
        })
        .await
        .unwrap();

    // The relay is down: the edition's emails wait in the outbox.
    app.smtp.set_mode(SmtpMode::RefuseConnections);
    ok(&send_on(&app.database.url, EDITION, SUBJECT, &[]));
    let id = newest(&app).await;
    let path = format!("{PAGE}/{id}/progress");
    let waiting = progress_until(&app, &viewer, &path, "the walk and the skip", |p| {
        p["queued"] == 4 && p["suppressed"] == 1 && p["waiting"] == 3
    })
    .await;
    assert_eq!(
        waiting,
        json!({
            "edition": id, "status": "sent", "label": "Sent", "settled": false,
            "readers": 4, "queued": 4, "waiting": 3, "sent": 0, "failed": 0, "suppressed": 1,
            "text": "4 of 4 queued, 0 sent, 1 suppressed", "controls": ["pause", "cancel"],
        })
    );

    // The relay is back, and the emails waiting are retried at once: every one has gone.
    app.smtp.set_mode(SmtpMode::Accept);
    app.write(|c| {
        diesel::update(jobs::table.filter(jobs::kind.eq("email")))
            .set(jobs::run_at.eq(db::now()))
            .execute(c)
    })
    .await;
    let sent = progress_until(&app, &viewer, &path, "every email sent", |p| {
        p["settled"] == true
    })
    .await;
    assert_eq!(
        sent,
        json!({
            "edition": id, "status": "sent", "label": "Sent", "settled": true,
            "readers": 4, "queued": 4, "waiting": 0, "sent": 3, "failed": 0, "suppressed": 1,
            "text": "4 of 4 queued, 3 sent, 1 suppressed", "controls": [],
        })
    );
    assert_eq!(recipients(&app.smtp.messages()).len(), 3);
    let (_, uk) = json_of(&app, &viewer, &format!("{path}?lang=uk")).await;
    assert_eq!(uk["label"], "Надіслано");
    assert_eq!(uk["text"], "У черзі 4 з 4, надіслано 3, пропущено 1");

    // A relay that refuses every recipient: each email fails for good.
    app.smtp.set_mode(SmtpMode::PermFail);
    ok(&send_on(&app.database.url, EDITION, "Evening edition", &[]));
    let failed_id = newest(&app).await;
    let failed_path = format!("{PAGE}/{failed_id}/progress");
    let failed = progress_until(&app, &viewer, &failed_path, "every email failed", |p| {
        p["settled"] == true
    })
    .await;
    assert_eq!(
        (&failed["sent"], &failed["failed"], &failed["suppressed"]),
        (&json!(0), &json!(3), &json!(1)),
        "{failed}"
    );
    assert_eq!(
        failed["text"],
        "4 of 4 queued, 0 sent, 3 failed, 1 suppressed"
    );
    // The first edition's counts are its own.
    assert_eq!(json_of(&app, &viewer, &path).await.1, sent);

    // Another newsletter's path, or no such edition: not found, as JSON.
    for missing in [
        format!("/admin/newsletters/weekly/editions/{id}/progress"),
        format!("{PAGE}/{}/progress", failed_id + 1),
    ] {
        let (status, body) = json_of(&app, &viewer, &missing).await;
        assert_eq!(
            (status, &body["error"]),
            (404, &json!("not_found")),
            "{missing}"
        );
    }
    app.wait_for_jobs("email", WAIT).await;
}
