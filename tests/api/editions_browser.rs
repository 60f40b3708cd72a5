//! The editions page in headless Chromium: an editor writes an edition with a preheader,
//! previews it, sends a test to the desk's addresses, sends it, and watches its progress reach
//! "Sent" live, without reloading the page; each reader gets it once, on both databases.

use std::time::Duration;

use diesel::prelude::*;
use memberdrive::db;
use memberdrive::db::schema::jobs;
use memberdrive::domain::OptIn;
use memberdrive::staff::Role;

use crate::both_backends;
use crate::editions::{PREHEADER, readers, recipients};
use crate::helpers::{Backend, PASSWORD, add_staff, spawn_app};
use crate::support::browser::{Browser, check_page};
use crate::support::smtp::SmtpMode;

both_backends!(an_editor_writes_previews_tests_and_sends_an_edition);

/// A script that returns the first row of the editions list as the editor sees it, once
/// `condition` (JavaScript, of the row `r`) holds: its status badge, its progress (and whether
/// that is a polite live region), whether it has settled, the controls shown, and whether the
/// page is still the one `window.sameDocument` was set on.
fn row_once(condition: &str) -> String {
    format!(
        "const row = document.querySelector('#editions tbody tr'); if (!row) return null; \
         const cell = row.querySelector('[data-progress-text]'); \
         const r = {{ status: row.querySelector('.badge').textContent, progress: cell.textContent, \
           live: cell.getAttribute('aria-live'), settled: row.hasAttribute('data-settled'), \
           controls: [...row.querySelectorAll('form[data-control]')].filter(f => !f.hidden) \
             .map(f => f.dataset.control), \
           sameDocument: window.sameDocument === true }}; \
         return ({condition}) ? r : null;"
    )
}

const WAIT: Duration = Duration::from_secs(30);
const EDITOR: &str = "editor@news.example";
const SUBJECT: &str = "Morning briefing: the budget";

async fn an_editor_writes_previews_tests_and_sends_an_edition(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, EDITOR, Role::Admin).await;
    let confirmed = readers(&app, "reader", 3, OptIn::Confirmed).await;
    readers(&app, "pending", 2, OptIn::Pending).await;
    let browser = Browser::start(1280, 900).await;
    let page = format!("{}/admin/newsletters/news/editions", app.address);
    browser.client.goto(&page).await.unwrap();
    browser.type_into("#email", EDITOR).await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("form.card button[type=submit]").await;
    let shown = browser
        .wait_for(
            "return location.pathname === '/admin/newsletters/news/editions' \
             && document.readyState === 'complete' ? document.body.innerText : null;",
            WAIT,
        )
        .await;
    assert!(
        shown
            .as_str()
            .unwrap()
            .contains("3 confirmed subscribers today."),
        "{shown}"
    );
    check_page(&browser, "admin-editions-1280").await;

    // Write, then preview: the inbox line (subject, then preheader), and the Markdown as the
    // email shows it, pasted HTML as text.
    browser.type_into("#f-subject", SUBJECT).await;
    browser.type_into("#f-preheader", PREHEADER).await;
    browser
        .type_into(
            "#f-body",
            "# Morning briefing\n\nThe council **approved** the budget.\n\n<script>alert(1)</script>\n",
        )
        .await;
    browser.click("button[value=preview]").await;
    let preview = browser
        .wait_for(
            "const p = document.querySelector('#preview .edition-preview'); return p ? p.innerHTML : null;",
            WAIT,
        )
        .await;
    let preview = preview.as_str().unwrap();
    assert!(preview.contains("<h1>Morning briefing</h1>"), "{preview}");
    assert!(preview.contains("<strong>approved</strong>"), "{preview}");
    assert!(preview.contains("&lt;script&gt;"), "{preview}");
    let inbox = browser
        .wait_for(
            "return document.querySelector('#preview .inbox-line').textContent;",
            WAIT,
        )
        .await;
    assert_eq!(inbox, format!("{SUBJECT} {PREHEADER}"));
    assert!(app.smtp.messages().is_empty(), "a preview sends nothing");

    // A test to two of the desk's addresses, and to no reader; the form keeps what was typed.
    browser
        .type_into("#f-test_to", "desk@news.example,\nlegal@news.example")
        .await;
    browser.click("button[value=test]").await;
    browser
        .wait_for(
            "const n = document.querySelector('.notice'); return n && n.textContent.includes('A test was sent to desk@news.example, legal@news.example') ? true : null;",
            WAIT,
        )
        .await;
    let tests = app.smtp.wait_for_messages(2, WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    let tested = recipients(&tests);
    assert_eq!(tested.len(), 2, "{tested:?}");
    assert!(
        ["desk@news.example", "legal@news.example"]
            .iter()
            .all(|a| tested.get(*a) == Some(&1))
    );
    for test in &tests {
        assert!(
            test.data.contains("Subject: [Test] Morning briefing"),
            "{}",
            test.data
        );
        assert!(test.html_part().contains(PREHEADER), "{}", test.data);
    }
    let kept = browser
        .wait_for(
            "return ['#f-subject', '#f-preheader'].map(s => document.querySelector(s).value);",
            WAIT,
        )
        .await;
    assert_eq!(kept, serde_json::json!([SUBJECT, PREHEADER]));

    // Send, while the relay is down: the list shows the edition with its emails waiting.
    app.smtp.set_mode(SmtpMode::RefuseConnections);
    browser.click("button[value=send]").await;
    browser
        .wait_for(
            "if (!location.search.startsWith('?scheduled=') || document.readyState !== 'complete') return null; \
             window.sameDocument = true; return true;",
            WAIT,
        )
        .await;
    let waiting = browser
        .wait_for(&row_once("r.progress === '3 of 3 queued, 0 sent'"), WAIT)
        .await;
    assert_eq!(waiting["live"], "polite", "{waiting}");
    assert_eq!(waiting["settled"], false, "{waiting}");
    assert_eq!(waiting["controls"], serde_json::json!(["pause", "cancel"]));

    // The relay comes back: the row follows the edition to "Sent", the page never reloaded.
    app.smtp.set_mode(SmtpMode::Accept);
    app.write(|c| {
        diesel::update(jobs::table.filter(jobs::kind.eq("email")))
            .set(jobs::run_at.eq(db::now()))
            .execute(c)
    })
    .await;
    let row = browser.wait_for(&row_once("r.settled"), WAIT).await;
    assert_eq!(
        row,
        serde_json::json!({
            "status": "Sent", "progress": "3 of 3 queued, 3 sent", "live": "polite",
            "settled": true, "controls": [], "sameDocument": true,
        })
    );
    check_page(&browser, "admin-editions-sent-1280").await;
    app.wait_for_jobs("email", WAIT).await;
    let got = recipients(&app.smtp.messages());
    assert_eq!(got.len(), 5, "{got:?}");
    assert!(confirmed.iter().all(|reader| got.get(reader) == Some(&1)));
    browser.close().await;
}
