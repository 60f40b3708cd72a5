//! The editions page in headless Chromium: an editor writes an edition, previews it, sends a
//! test to themselves, sends it, and watches its progress reach "Sent"; each reader gets it
//! once, on both databases.

use std::time::Duration;

use memberdrive::domain::OptIn;
use memberdrive::staff::Role;

use crate::both_backends;
use crate::editions::{readers, recipients};
use crate::helpers::{Backend, PASSWORD, add_staff, spawn_app};
use crate::support::browser::{Browser, check_page};
use crate::support::wait::eventually;

both_backends!(an_editor_writes_previews_tests_and_sends_an_edition);

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

    // Write, then preview: the Markdown as the email shows it, pasted HTML as text.
    browser.type_into("#f-subject", SUBJECT).await;
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
    assert!(app.smtp.messages().is_empty(), "a preview sends nothing");

    // A test to the editor's own address, and to no reader; the form keeps the text.
    browser.click("button[value=test]").await;
    browser
        .wait_for(
            "const n = document.querySelector('.notice'); return n && n.textContent.includes('A test was sent to editor@news.example') ? true : null;",
            WAIT,
        )
        .await;
    let test = app.smtp.wait_for_messages(1, WAIT).await;
    assert_eq!(test[0].to, [EDITOR]);
    assert!(
        test[0].data.contains("Subject: [Test] Morning briefing"),
        "{}",
        test[0].data
    );
    let subject = browser
        .wait_for("return document.querySelector('#f-subject').value;", WAIT)
        .await;
    assert_eq!(subject, SUBJECT);

    // Send: the list follows it to "Sent", every confirmed reader's email delivered.
    browser.click("button[value=send]").await;
    browser
        .wait_for(
            "return location.search.startsWith('?scheduled=') ? true : null;",
            WAIT,
        )
        .await;
    let row = eventually("the edition sent and delivered", WAIT, || async {
        browser.client.refresh().await.unwrap();
        let row = browser
            .wait_for(
                "const r = document.querySelector('#editions tbody tr'); return r ? r.innerText : null;",
                WAIT,
            )
            .await;
        let row = row.as_str().unwrap().to_owned();
        if row.contains("Sent") && row.contains("3 of 3 queued, 3 sent") {
            Ok(row)
        } else {
            Err(row)
        }
    })
    .await;
    assert!(row.contains(SUBJECT), "{row}");
    check_page(&browser, "admin-editions-sent-1280").await;
    let mail = app.smtp.messages();
    let got = recipients(&mail[1..]);
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(confirmed.iter().all(|reader| got.get(reader) == Some(&1)));
    browser.close().await;
}
