//! Editions from the dashboard: tests of an edition to the addresses an editor chooses, times
//! in the outlet's time zone, and the progress of an edition as JSON.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use memberdrive::db::schema::{editions, jobs};
use memberdrive::domain::OptIn;
use memberdrive::staff::Role;

use crate::both_backends;
use crate::editions::{EDITION, PREHEADER, readers, recipients};
use crate::helpers::{
    Backend, TestApp, add_staff, csrf_in, session_of, spawn_app, spawn_app_with, submit, text_as,
};

both_backends!(
    a_test_goes_to_each_address_chosen_once_and_a_bad_one_queues_nothing,
    an_edition_is_scheduled_on_the_outlets_clock,
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
