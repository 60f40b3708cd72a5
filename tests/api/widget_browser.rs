//! The widget as readers see it: embedded with `embed.js` and as an iframe in an article
//! served from another origin, in headless Chromium.

use std::time::Duration;

use diesel::prelude::*;
use memberdrive::db::schema::campaigns;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, set_ledger, spawn_app};
use crate::support::article::serve_article;
use crate::support::browser::Browser;

both_backends!(the_embedded_widget_renders_in_english_and_ukrainian_and_updates_live);

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
        framed["join"]
            .as_str()
            .unwrap()
            .ends_with("?ref=http%3A%2F%2Flocalhost%2Farticle"),
        "{framed}"
    );
    browser.client.enter_parent_frame().await.unwrap();
    browser.close().await;
}
