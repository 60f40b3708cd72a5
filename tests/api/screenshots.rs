//! The pages readers and staff see most (the join page, the thank-you after Checkout, the
//! overview and the members table) in headless Chromium at a phone's width (390 px) and a
//! desktop's (1280 px): each fits the screen, labels its controls, breaks no address or date
//! mid-word, and is saved as a screenshot (`scripts/screenshots` puts them in
//! `docs/screenshots/`).

use std::time::Duration;

use memberdrive::staff::Role;

use crate::admin_browser::seed_members;
use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, add_staff, spawn_app_for};
use crate::support::browser::{Browser, check_page};
use crate::support::stripe_server::StripeServer;
use crate::widget_browser::join_and_pay;

both_backends!(the_main_pages_fit_a_phone_and_a_desktop);

const WAIT: Duration = Duration::from_secs(10);
const EDITOR: &str = "editor@news.example";

/// Waits for `selector` on the page, then checks the page and saves it as `name`.
async fn shot(browser: &Browser, selector: &str, name: &str) {
    browser
        .wait_for(
            &format!(
                "return document.readyState === 'complete' && document.querySelector('{selector}') ? true : null;"
            ),
            WAIT,
        )
        .await;
    check_page(browser, name).await;
    // Addresses and dates stay whole: each runs on one line.
    let broken = browser
        .wait_for(
            "return [...document.querySelectorAll('.email, time')].filter(el => { \
               const r = document.createRange(); r.selectNodeContents(el); \
               return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1; \
             }).map(el => el.textContent);",
            WAIT,
        )
        .await;
    assert_eq!(broken, serde_json::json!([]), "{name}: broken mid-word");
}

async fn the_main_pages_fit_a_phone_and_a_desktop(backend: Backend) {
    let stripe = StripeServer::start().await;
    let app = spawn_app_for(backend, &stripe, &[]).await;
    add_staff(&app, EDITOR, Role::Admin).await;
    seed_members(&app).await;
    let db = format!("{backend:?}").to_lowercase();
    for width in [390, 1280] {
        let browser = match width {
            390 => Browser::phone().await,
            _ => Browser::start(width, 900).await,
        };
        let name = |page: &str| format!("{page}-{width}-{db}");

        browser
            .client
            .goto(&format!("{}/join/members", app.address))
            .await
            .unwrap();
        shot(&browser, "#email-member", &name("join")).await;
        // A new reader at each width: the thank-you page signs in only an address new to us.
        let reader = format!("reader-{width}@news.example");
        let session = join_and_pay(&browser, &stripe, &reader).await;
        let success = stripe.checkout_session(&session)["success_url"]
            .as_str()
            .unwrap()
            .to_owned();
        browser.client.goto(&success).await.unwrap();
        shot(&browser, "a.back-to-article, main", &name("thanks")).await;

        browser
            .client
            .goto(&format!("{}/admin/login?next=%2Fadmin", app.address))
            .await
            .unwrap();
        browser.type_into("#email", EDITOR).await;
        browser.type_into("#password", PASSWORD).await;
        browser.click("form.card button[type=submit]").await;
        shot(&browser, "svg.chart", &name("overview")).await;
        browser
            .client
            .goto(&format!("{}/admin/members", app.address))
            .await
            .unwrap();
        // The table, not the search form above it.
        browser
            .wait_for(
                "const t = document.querySelector('table.stack'); if (!t) return null; \
                 t.scrollIntoView({block: 'start'}); return true;",
                WAIT,
            )
            .await;
        shot(&browser, "td.email", &name("members")).await;
        browser.close().await;
    }
}
