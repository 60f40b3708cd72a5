//! The dashboard in headless Chromium on a phone-sized viewport (390 px): sign in, the overview
//! with its charts and live count, a member search, a goal change that the widget follows,
//! the keyboard, dark mode, and sign-out; on both databases.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use fantoccini::Locator;
use memberdrive::admin::Role;
use memberdrive::campaigns::{Campaign, progress};
use memberdrive::db;
use memberdrive::db::schema::sessions;

use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, TestApp, add_staff, set_ledger, spawn_app};
use crate::support::browser::{Browser, cdp, check_page};

both_backends!(a_phone_signs_in_watches_the_campaign_finds_a_member_and_moves_the_goal);

const WAIT: Duration = Duration::from_secs(10);

/// Forty members with an active membership each, joined over the last forty days.
pub(crate) async fn seed_members(app: &TestApp) {
    app.write(|c| {
            let campaign = Campaign::by_slug(c, "members")?.unwrap();
            let now = db::now();
            let mut people = vec![("ada.lovelace@members.example".to_owned(), "Ada Lovelace".to_owned())];
            people.extend((1..40).map(|i| (format!("reader{i}@members.example"), format!("Reader {i}"))));
            for (day, (email, name)) in people.iter().enumerate() {
                let joined = (now - chrono::Duration::days(day as i64)).format("'%Y-%m-%d %H:%M:%S'");
                c.batch_execute(&format!(
                    "INSERT INTO members (email, name, created_at, updated_at) VALUES ('{email}', '{name}', {joined}, {joined})"
                ))?;
                c.batch_execute(&format!(
                    "INSERT INTO memberships (member_id, campaign_id, billing_interval, amount, currency, status, \
                     started_at, created_at, updated_at) SELECT id, {}, 'month', 500, 'eur', 'active', {joined}, \
                     {joined}, {joined} FROM members WHERE email = '{email}'",
                    campaign.id
                ))?;
            }
            progress::refresh(c, campaign.id, now)?;
            Ok(())
        }).await;
}

async fn wait_for_path(browser: &Browser, path: &str) {
    browser
        .wait_for(
            &format!(
                "return location.pathname === '{path}' && document.readyState === 'complete' ? true : null;"
            ),
            WAIT,
        )
        .await;
}

async fn a_phone_signs_in_watches_the_campaign_finds_a_member_and_moves_the_goal(backend: Backend) {
    let app = spawn_app(backend).await;
    add_staff(&app, "editor@news.example", Role::Admin).await;
    seed_members(&app).await;
    let browser = Browser::phone().await;
    let c = &browser.client;

    // Anonymous: sent to the sign-in form, which comes back to the page asked for.
    c.goto(&format!("{}/admin/campaigns", app.address))
        .await
        .unwrap();
    let url = c.current_url().await.unwrap();
    assert_eq!(url.path(), "/admin/login");
    assert_eq!(url.query(), Some("next=%2Fadmin%2Fcampaigns"));
    let width = browser.wait_for("return window.innerWidth;", WAIT).await;
    assert_eq!(width, 390);
    check_page(&browser, "admin-login-390").await;
    browser.type_into("#email", "editor@news.example").await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("form.card button[type=submit]").await;
    wait_for_path(&browser, "/admin/campaigns").await;
    check_page(&browser, "admin-campaigns-390").await;

    // The overview: the count, the figures and five charts drawn on the page.
    browser.click_link("Overview").await;
    wait_for_path(&browser, "/admin").await;
    let heading = browser
        .wait_for("return document.querySelector('h1').textContent;", WAIT)
        .await;
    assert_eq!(heading, "Help us reach 20,000 members");
    assert_eq!(
        browser
            .wait_for(
                "return document.querySelector('[data-figure=count]').textContent;",
                WAIT
            )
            .await,
        "40"
    );
    let charts = browser
        .wait_for(
            "const s = [...document.querySelectorAll('svg.chart')]; \
             return s.filter(x => x.getBoundingClientRect().height > 30 && x.querySelector('title')).length;",
            WAIT,
        )
        .await;
    let sizes = browser
        .wait_for(
            "return [...document.querySelectorAll('svg.chart')].map(x => x.getBoundingClientRect().height);",
            WAIT,
        )
        .await;
    assert_eq!(
        charts, 6,
        "six charts, each with a title, drawn at a readable size: {sizes}"
    );
    let bars = browser
        .wait_for(
            "return document.querySelectorAll('#signups rect.bar-up').length;",
            WAIT,
        )
        .await;
    assert!(
        bars.as_u64().unwrap() >= 30,
        "a bar per day with sign-ups: {bars}"
    );
    check_page(&browser, "admin-overview-390").await;
    c.execute("window.scrollTo(0, 1200);", vec![])
        .await
        .unwrap();
    browser.screenshot("admin-overview-390-charts").await;

    // The count updates by itself when memberships change elsewhere.
    app.write(|c| {
        let id = Campaign::by_slug(c, "members")?.unwrap().id;
        set_ledger(c, id, 2)
    })
    .await;
    browser
        .wait_for(
            "return document.querySelector('[data-figure=count]').textContent === '42' ? true : null;",
            WAIT,
        )
        .await;

    // The keyboard reaches the skip link first, and focus shows.
    c.active_element()
        .await
        .unwrap()
        .send_keys("\u{E004}")
        .await
        .unwrap();
    let focus = browser
        .wait_for(
            "const a = document.activeElement; if (!a || a === document.body) return null; \
             const s = getComputedStyle(a); return [a.className, s.outlineStyle, s.outlineWidth];",
            WAIT,
        )
        .await;
    assert_eq!(
        focus,
        serde_json::json!(["skip", "solid", "3px"]),
        "visible focus"
    );

    // Dark mode: the page and the charts follow.
    cdp(
        c,
        "Emulation.setEmulatedMedia",
        serde_json::json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}),
    )
    .await;
    let colours = browser
        .wait_for(
            "return [getComputedStyle(document.body).backgroundColor, \
                     getComputedStyle(document.querySelector('svg.chart text')).fill];",
            WAIT,
        )
        .await;
    assert_eq!(
        colours,
        serde_json::json!(["rgb(18, 20, 23)", "rgb(169, 177, 188)"])
    );
    browser.screenshot("admin-overview-390-dark").await;
    cdp(
        c,
        "Emulation.setEmulatedMedia",
        serde_json::json!({"features": [{"name": "prefers-color-scheme", "value": "light"}]}),
    )
    .await;

    // Search a member by name and open their page.
    browser.click_link("Members").await;
    wait_for_path(&browser, "/admin/members").await;
    check_page(&browser, "admin-members-390").await;
    browser.type_into("#q", "lovelace\u{E007}").await;
    browser
        .wait_for(
            "return location.search.includes('q=lovelace') && document.readyState === 'complete' ? true : null;",
            WAIT,
        )
        .await;
    let found = browser
        .wait_for(
            "return [...document.querySelectorAll('main table a')].map(a => a.textContent.trim());",
            WAIT,
        )
        .await;
    assert_eq!(found, serde_json::json!(["ada.lovelace@members.example"]));
    browser.click_link("ada.lovelace@members.example").await;
    let heading = browser
        .wait_for(
            "return location.pathname.startsWith('/admin/members/') ? document.querySelector('h1').textContent : null;",
            WAIT,
        )
        .await;
    assert!(
        heading
            .as_str()
            .unwrap()
            .contains("ada.lovelace@members.example")
            || heading.as_str().unwrap().contains("Ada Lovelace"),
        "{heading}"
    );
    check_page(&browser, "admin-member-390").await;

    // Move the goal; the widget on the embed page follows.
    c.goto(&format!("{}/admin/campaigns/members", app.address))
        .await
        .unwrap();
    wait_for_path(&browser, "/admin/campaigns/members").await;
    check_page(&browser, "admin-campaign-390").await;
    let goal = c.find(Locator::Css("#f-goal")).await.unwrap();
    goal.clear().await.unwrap();
    goal.send_keys("30000").await.unwrap();
    browser.click("#campaign-form button[type=submit]").await;
    browser
        .wait_for(
            "const n = document.querySelector('.notice'); return n ? n.textContent : null;",
            WAIT,
        )
        .await;
    browser.click_link("Embed codes").await;
    wait_for_path(&browser, "/admin/campaigns/members/embed").await;
    let shown = browser
        .wait_for(
            "const host = document.querySelector('div.preview[data-memberdrive-campaign]'); \
             const text = host && host.shadowRoot ? host.shadowRoot.textContent : ''; \
             return text.includes('30,000') ? text : null;",
            WAIT,
        )
        .await;
    assert!(shown.as_str().unwrap().contains("42"), "{shown}");
    check_page(&browser, "admin-embed-390").await;

    // Sign out: the session ends on the server.
    browser.click("form.signout button").await;
    wait_for_path(&browser, "/admin/login").await;
    let left: i64 = app
        .count(sessions::table.filter(sessions::staff_user_id.is_not_null()))
        .await;
    assert_eq!(left, 0, "signed out on the server");
    c.goto(&format!("{}/admin", app.address)).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/admin/login");
    browser.close().await;
}
