//! The widget as readers see it: embedded with `embed.js` and as an iframe in an article
//! served from another origin, in headless Chromium.

use std::time::Duration;

use diesel::prelude::*;
use memberdrive::campaigns::calendar;
use memberdrive::db::schema::campaigns;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, add_staff, csv_of, session_of, set_ledger, spawn_app, spawn_app_for, text_as,
};
use crate::support::article::serve_article;
use crate::support::browser::Browser;
use crate::support::stripe_server::{Delivery, StripeServer};
use crate::support::wait::eventually;
use memberdrive::staff::Role;

both_backends!(
    the_embedded_widget_renders_in_english_and_ukrainian_and_updates_live,
    a_reader_who_joined_from_an_article_is_thanked_there_instead_of_asked,
    both_appeals_are_shown_at_random_and_counted_apart,
);

/// Makes the count `count` through the ledger.
async fn set_count(app: &TestApp, count: i64) {
    app.write(move |c| {
        let id: i32 = campaigns::table
            .filter(campaigns::slug.eq("members"))
            .select(campaigns::id)
            .first(c)?;
        set_ledger(c, id, count)
    })
    .await;
    app.wait_for_count("members", count, Duration::from_secs(1))
        .await;
}

/// Reads the progress bar inside the `index`th widget's shadow root, once rendered.
const READ_WIDGET: &str = r#"
    const host = document.querySelectorAll('[data-memberdrive-campaign]')[arguments[0]];
    const root = host && host.shadowRoot;
    const bar = root && root.querySelector('[role=progressbar]');
    if (!bar) return null;
    const join = root.querySelector('a');
    return { now: bar.getAttribute('aria-valuenow'), min: bar.getAttribute('aria-valuemin'),
             max: bar.getAttribute('aria-valuemax'), text: bar.getAttribute('aria-valuetext'),
             shown: root.textContent, join: join && join.href, styled: getComputedStyle(bar).height };
"#;

async fn read_widget(browser: &Browser, index: usize) -> Value {
    let script = format!("return (function() {{ {READ_WIDGET} }}).apply(null, [{index}]);");
    browser.wait_for(&script, Duration::from_secs(10)).await
}

async fn the_embedded_widget_renders_in_english_and_ukrainian_and_updates_live(backend: Backend) {
    let app = spawn_app(backend).await;
    // The campaign's last day is tomorrow in Kiritimati (UTC+14), which is 38 to 62 hours
    // away: its days, not 24-hour spans from now, say how many are left.
    let zone = calendar::zone("Pacific/Kiritimati");
    let tomorrow = chrono::Utc::now().with_timezone(&zone).date_naive() + chrono::Days::new(1);
    app.write(move |c| {
        diesel::update(campaigns::table.filter(campaigns::slug.eq("members")))
            .set((
                campaigns::time_zone.eq("Pacific/Kiritimati"),
                campaigns::ends_at.eq(calendar::end_of(tomorrow, zone)),
            ))
            .execute(c)
    })
    .await;
    set_count(&app, 12_345).await;
    let article = serve_article(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Council approves budget</title>
        <style>div {{ color: red !important; font-size: 40px !important; }} [role=progressbar] {{ display: none !important; }}</style></head>
        <body><h1>Council approves new budget</h1>
        <div data-memberdrive-campaign="members"></div>
        <div data-memberdrive-campaign="members" data-lang="uk" data-theme="dark"></div>
        <iframe src="{app}/widget/members?lang=uk&ref=http%3A%2F%2Flocalhost%2Farticle" title="Campaign" style="border:0;width:100%;height:160px"></iframe>
        <script async src="{app}/widget/embed.js"></script></body></html>"#,
        app = app.address
    ))
    .await;

    let browser = Browser::start(1000, 900).await;
    browser.client.goto(&article).await.unwrap();

    let en = read_widget(&browser, 0).await;
    assert_eq!(
        (en["now"].as_str(), en["min"].as_str(), en["max"].as_str()),
        (Some("12345"), Some("0"), Some("20000"))
    );
    assert_eq!(en["text"], "12,345 of 20,000 members");
    let shown = en["shown"].as_str().unwrap();
    assert!(
        shown.contains("Help us reach 20,000 members")
            && shown.contains("61.7%")
            && shown.contains("1 day left")
            && shown.contains("Become a member"),
        "{shown}"
    );
    assert_ne!(
        en["styled"], "0px",
        "the article's CSS must not reach into the widget"
    );
    let join = en["join"].as_str().unwrap();
    assert!(
        join.starts_with(&format!("{}/join/members?ref=", app.address))
            && join.contains("council-budget"),
        "{join}"
    );

    let uk = read_widget(&browser, 1).await;
    assert_eq!(uk["text"], "12\u{a0}345 з 20\u{a0}000 учасників");
    let shown = uk["shown"].as_str().unwrap();
    assert!(
        shown.contains("61,7")
            && shown.contains("Залишився 1 день")
            && shown.contains("Стати учасником")
            && shown.contains("Допоможіть нам об'єднати 20 000 учасників"),
        "the campaign's Ukrainian title too, through data-lang: {shown}"
    );
    assert!(
        !en["shown"].as_str().unwrap().contains("Допоможіть"),
        "{en}"
    );
    browser
        .screenshot(&format!("widget-article-{backend:?}").to_lowercase())
        .await;

    // Live: a change reaches the open page through the event stream.
    set_count(&app, 12_346).await;
    let updated = browser
        .wait_for(
            "const r = document.querySelector('[data-memberdrive-campaign]').shadowRoot; \
             const b = r.querySelector('[role=progressbar]'); \
             return b.getAttribute('aria-valuenow') === '12346' ? b.getAttribute('aria-valuetext') : null;",
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(updated, "12,346 of 20,000 members");

    // The iframe, from our origin, renders the same numbers in Ukrainian.
    browser.client.enter_frame(0).await.unwrap();
    let framed = read_widget(&browser, 0).await;
    assert_eq!(framed["now"], "12346");
    assert_eq!(framed["text"], "12\u{a0}346 з 20\u{a0}000 учасників");
    assert!(
        framed["shown"]
            .as_str()
            .unwrap()
            .contains("Залишився 1 день"),
        "the page counts the same days as embed.js: {framed}"
    );
    assert!(
        framed["join"]
            .as_str()
            .unwrap()
            .ends_with("?ref=http%3A%2F%2Flocalhost%2Farticle"),
        "{framed}"
    );
    browser.client.enter_parent_frame().await.unwrap();
    browser.close().await;
}

/// On the join page the browser shows: joins as a member with `email`, reaches the test
/// Checkout, and pays there (webhooks delivered). The Checkout Session's id.
pub(crate) async fn join_and_pay(browser: &Browser, stripe: &StripeServer, email: &str) -> String {
    browser
        .wait_for(
            "return document.querySelector('#email-member') ? true : null;",
            Duration::from_secs(10),
        )
        .await;
    browser.type_into("#email-member", email).await;
    browser
        .click("form:first-of-type button[type=submit]")
        .await;
    let session = browser
        .wait_for(
            "const s = document.querySelector('#session'); return s ? s.textContent : null;",
            Duration::from_secs(10),
        )
        .await;
    let session = session.as_str().unwrap().to_owned();
    stripe.pay_checkout(&session);
    stripe.deliver(Delivery::InOrder).await;
    session
}

/// What the widget on the page shows: its text, its join link (if any) and its thank-you.
const READ_ASK: &str = r#"
    const host = document.querySelector('[data-memberdrive-campaign]');
    const root = host && host.shadowRoot;
    const bar = root && root.querySelector('[role=progressbar]');
    if (!bar || bar.getAttribute('aria-valuenow') === null) return null;
    const join = root.querySelector('a');
    const thanks = root.querySelector('.y');
    return { join: join && join.href, thanks: thanks && !thanks.closest('[hidden]') ? thanks.textContent : null,
             hash: location.hash, flag: localStorage.getItem('memberdrive:joined:members') };
"#;

async fn a_reader_who_joined_from_an_article_is_thanked_there_instead_of_asked(backend: Backend) {
    let stripe = StripeServer::start().await;
    // The article is on localhost, another origin than the service.
    let app = spawn_app_for(
        backend,
        &stripe,
        &[("MEMBERDRIVE_WIDGET_ANCESTORS", "localhost")],
    )
    .await;
    let article = serve_article(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Council approves budget</title></head>
        <body><h1>Council approves new budget</h1>
        <div data-memberdrive-campaign="members"></div>
        <script async src="{app}/widget/embed.js"></script></body></html>"#,
        app = app.address
    ))
    .await;
    let browser = Browser::start(1000, 900).await;
    let read = || browser.wait_for(READ_ASK, Duration::from_secs(10));

    // A reader who never joined is asked; the button leads to the join page with the article.
    browser.client.goto(&article).await.unwrap();
    let asked = read().await;
    assert_eq!(asked["thanks"], Value::Null, "{asked}");
    assert!(asked["join"].as_str().unwrap().contains("council-budget"));
    browser
        .client
        .goto(asked["join"].as_str().unwrap())
        .await
        .unwrap();
    let session = join_and_pay(&browser, &stripe, "reader@news.example").await;
    app.wait_for_count("members", 1, Duration::from_secs(30))
        .await;

    // Stripe sends the reader to the account page, which thanks them and links back.
    let success = stripe.checkout_session(&session)["success_url"]
        .as_str()
        .unwrap()
        .to_owned();
    browser.client.goto(&success).await.unwrap();
    browser.click("a.back-to-article").await;

    // The article's widget thanks them instead of asking; the flag is this site's own,
    // the address bar is clean, and a later visit is thanked too.
    let thanked = browser
        .wait_for(
            &format!("return (function() {{ const r = (function() {{ {READ_ASK} }})(); return r && r.thanks ? r : null; }})();"),
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(thanked["thanks"], "Thank you for being with us!");
    assert_eq!(thanked["join"], Value::Null, "{thanked}");
    assert_eq!(thanked["hash"], "");
    assert_eq!(thanked["flag"], "1");
    browser.client.goto(&article).await.unwrap();
    let again = read().await;
    assert_eq!(again["thanks"], "Thank you for being with us!", "{again}");
    browser.close().await;
}

/// The appeal the widget shows, once it has reported its view, and its join link.
const READ_APPEAL: &str = r#"
    const host = document.querySelector('[data-memberdrive-campaign]');
    const root = host && host.shadowRoot;
    const title = root && root.querySelector('.t');
    const reported = performance.getEntriesByType('resource').some(e => e.name.includes('/hit'));
    if (!title || !title.textContent || !reported) return null;
    return { title: title.textContent, join: root.querySelector('a').href };
"#;

async fn both_appeals_are_shown_at_random_and_counted_apart(backend: Backend) {
    const A: &str = "Help us reach 20,000 members";
    const B: &str = "Keep this newsroom independent";
    let stripe = StripeServer::start().await;
    let app = spawn_app_for(
        backend,
        &stripe,
        &[("MEMBERDRIVE_WIDGET_ANCESTORS", "localhost")],
    )
    .await;
    app.write(|c| {
        let id: i32 = campaigns::table
            .filter(campaigns::slug.eq("members"))
            .select(campaigns::id)
            .first(c)?;
        diesel::update(campaigns::table.find(id))
            .set(campaigns::title_b.eq(B))
            .execute(c)?;
        memberdrive::campaigns::progress::touch(c, id)
    })
    .await;
    eventually(
        "the second title in the widget",
        Duration::from_secs(5),
        || async {
            let json = app.widget_json("members").await;
            if json["title_b"] == B {
                Ok(())
            } else {
                Err(json)
            }
        },
    )
    .await;
    let article = serve_article(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Council approves budget</title></head>
        <body><div data-memberdrive-campaign="members"></div>
        <script async src="{app}/widget/embed.js"></script></body></html>"#,
        app = app.address
    ))
    .await;
    let browser = Browser::start(1000, 900).await;

    // Readers see either appeal at random; each view is reported with its variant. Readers
    // come until both were seen and the last one saw B.
    let (mut seen_a, mut seen_b) = (0, 0);
    let shown = loop {
        assert!(seen_a + seen_b < 60, "one appeal only in 60 views");
        browser.client.goto(&article).await.unwrap();
        let shown = browser.wait_for(READ_APPEAL, Duration::from_secs(10)).await;
        match shown["title"].as_str() {
            Some(A) => seen_a += 1,
            Some(B) if seen_a > 0 => break shown,
            Some(B) => seen_b += 1,
            other => panic!("neither appeal: {other:?}"),
        }
    };
    seen_b += 1;
    // That reader clicks and joins.
    assert!(
        shown["join"].as_str().unwrap().ends_with("&variant=b"),
        "{shown}"
    );
    browser
        .client
        .execute(
            "document.querySelector('[data-memberdrive-campaign]').shadowRoot.querySelector('a').click();",
            vec![],
        )
        .await
        .unwrap();
    join_and_pay(&browser, &stripe, "reader@news.example").await;
    app.wait_for_count("members", 1, Duration::from_secs(30))
        .await;
    browser.close().await;

    // The overview compares them: views, clicks and members of each.
    add_staff(&app, "editor@news.example", Role::Viewer).await;
    let cookie = session_of(&app, "editor@news.example").await;
    let expected = vec![
        vec![
            "Variant".to_owned(),
            "Widget views".into(),
            "Join clicks".into(),
            "Members gained".into(),
            "Conversion".into(),
        ],
        vec![
            format!("A: {A}"),
            seen_a.to_string(),
            "0".into(),
            "0".into(),
            "0.00".into(),
        ],
        vec![
            format!("B: {B}"),
            seen_b.to_string(),
            "1".into(),
            "1".into(),
            format!("{:.2}", (100.0 / seen_b as f64 * 100.0).round() / 100.0),
        ],
    ];
    // Hits are written in batches every five seconds.
    eventually(
        "both variants' figures",
        Duration::from_secs(20),
        || async {
            let rows = csv_of(
                &app,
                &cookie,
                "/admin/campaigns/members/charts/variants.csv?days=30",
            )
            .await;
            if rows == expected {
                Ok(())
            } else {
                Err(format!("{rows:?}"))
            }
        },
    )
    .await;
    let overview = text_as(&app, "/admin?campaign=members", &cookie).await;
    assert!(overview.contains("The appeal's two variants (A/B)"));
}
