//! The iframe embed code as outlets paste it: in an article on another origin it sizes itself
//! to the widget and credits the article with its views and join clicks; our own demo article
//! counts for nothing.

use std::time::Duration;

use fantoccini::Locator;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, add_staff, csv_of, session_of, spawn_app_with, text_as};
use crate::support::article::serve_article;
use crate::support::browser::Browser;
use crate::support::wait::eventually;
use memberdrive::staff::Role;

both_backends!(an_iframe_in_an_article_grows_to_its_content_and_credits_the_article);

const WAIT: Duration = Duration::from_secs(10);

/// The iframe embed code of campaign `members`, as the embed codes page offers it to copy.
async fn iframe_snippet(app: &TestApp, cookie: &str) -> String {
    let page = text_as(app, "/admin/campaigns/members/embed", cookie).await;
    let (_, rest) = page
        .split_once(r#"<textarea id="snippet-iframe""#)
        .expect("an iframe snippet");
    let (_, rest) = rest.split_once('>').unwrap();
    let (snippet, _) = rest.split_once("</textarea>").unwrap();
    snippet
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
}

/// Whether each window has sent the service a hit (a view or a click).
const HAS_HIT: &str = "const hit = w => w.performance.getEntriesByType('resource').some(e => e.name.includes('/hit'));";

/// In the iframe: the widget once `embed.js` has drawn it, with the page's height and join link.
const READ_FRAME: &str = r#"
    const host = document.querySelector('[data-memberdrive-campaign]');
    const root = host && host.shadowRoot;
    const bar = root && root.querySelector('[role=progressbar]');
    if (!bar || bar.getAttribute('aria-valuenow') === null) return null;
    const html = document.documentElement;
    return { scroll: html.scrollHeight, content: Math.ceil(html.getBoundingClientRect().height),
             join: root.querySelector('a').href };
"#;

/// The height of the article's iframe, as laid out.
const FRAME_HEIGHT: &str = "return document.querySelector('iframe').clientHeight;";

async fn an_iframe_in_an_article_grows_to_its_content_and_credits_the_article(backend: Backend) {
    // The outlet's articles are on localhost, on any port; 'self' lets our own demo article
    // and the staff preview frame the widget (and so would count them, were they articles).
    let app = spawn_app_with(
        backend,
        &[("MEMBERDRIVE_WIDGET_ANCESTORS", "http://localhost:* 'self'")],
    )
    .await;
    add_staff(&app, "editor@news.example", Role::Viewer).await;
    let cookie = session_of(&app, "editor@news.example").await;
    let snippet = iframe_snippet(&app, &cookie).await;
    let fixed = format!("height:{}px", memberdrive::widget::FRAME_HEIGHT_PX);
    let short = snippet.replacen(&fixed, "height:100px", 1);
    assert_ne!(short, snippet, "the snippet sets a height: {snippet}");
    let article = serve_article(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Council approves budget</title></head>
        <body><h1>Council approves new budget</h1><p>The council voted 7–4.</p>
        {short}
        <p>Reporting like this is paid for by our members.</p></body></html>"#
    ))
    .await;
    let browser = Browser::start(1000, 900).await;
    let c = &browser.client;
    let window = c.window().await.unwrap();

    // Our demo article: its script widget and its iframe (whose embed code names the demo)
    // both report their views (the frame is same-origin there, so the page can look into it),
    // and neither counts.
    c.goto(&format!("{}/widget/demo", app.address))
        .await
        .unwrap();
    browser
        .wait_for(
            &format!(
                "{HAS_HIT} const f = document.querySelector('iframe'); f.scrollIntoView(); \
                 return hit(window) && hit(f.contentWindow) && f.src.includes('ref=') ? true : null;"
            ),
            WAIT,
        )
        .await;

    // The article, on another origin: the iframe grows from 100 px to the widget's height,
    // neither clipping it nor leaving space below.
    c.goto(&article).await.unwrap();
    // The snippet names the article in the frame's address once the frame is in the page, so
    // the frame may load twice: wait for the one that names it.
    let named: String = url::form_urlencoded::byte_serialize(article.as_bytes()).collect();
    let framed = eventually("the iframe to fit the widget", WAIT, || async {
        let height = c.execute(FRAME_HEIGHT, vec![]).await.unwrap();
        c.enter_frame(0).await.unwrap();
        let framed = c.execute(READ_FRAME, vec![]).await.unwrap();
        c.enter_parent_frame().await.unwrap();
        let height = height.as_i64().unwrap_or_default();
        let fits = !framed.is_null()
            && framed["join"].as_str().is_some_and(|j| j.ends_with(&named))
            && height > 100
            && framed["scroll"].as_i64() <= Some(height)
            && framed["content"].as_i64() == Some(height);
        if fits {
            Ok(framed)
        } else {
            Err(format!("iframe {height} px, its page {framed}"))
        }
    })
    .await;
    browser
        .screenshot(&format!("widget-iframe-{backend:?}").to_lowercase())
        .await;

    // The join link names the article; clicking it leaves the article for the join page.
    let article_url = article.clone();
    let join = framed["join"].as_str().unwrap();
    let encoded: String = url::form_urlencoded::byte_serialize(article_url.as_bytes()).collect();
    assert_eq!(
        join,
        format!("{}/join/members?ref={encoded}", app.address),
        "{framed}"
    );
    // A real click (a script's would not count as the reader's, and a frame on another
    // origin may move the article's page only on the reader's gesture).
    c.enter_frame(0).await.unwrap();
    let host = c
        .find(Locator::Css("[data-memberdrive-campaign]"))
        .await
        .unwrap();
    let link = host.shadow_root().await.unwrap();
    link.find(Locator::Css("a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.switch_to_window(window).await.unwrap();
    eventually("the join page", WAIT, || async {
        let at = c.current_url().await.unwrap();
        (at.path() == "/join/members").then_some(())
    })
    .await;

    // Staff see the view and the click credited to the article, and nothing for our own
    // pages (written in batches every five seconds).
    let expected = [vec![
        article_url.clone(),
        "1".to_owned(),
        "1".into(),
        "0".into(),
        "0.00".into(),
    ]];
    let rows = eventually("the article's figures", Duration::from_secs(20), || async {
        let rows = csv_of(
            &app,
            &cookie,
            "/admin/campaigns/members/articles.csv?days=30",
        )
        .await;
        if rows[1..] == expected {
            Ok(rows)
        } else {
            Err(format!("{rows:?}"))
        }
    })
    .await;
    assert!(
        rows.iter().all(|r| !r[0].contains("/widget/")),
        "the demo is not an article: {rows:?}"
    );
    browser.close().await;
}
