//! Readers never reach a dead end: the start page and every error page link only to pages
//! that answer, in the reader's language.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, spawn_app_with_stripe};

both_backends!(the_start_page_and_every_error_page_link_to_pages_that_answer);

/// The `href`, `src` and form `action` values of a page that point at this service (relative,
/// or under its address), without fragments. Every form of ours also answers `GET` with a
/// page.
fn own_links(app: &TestApp, html: &str) -> Vec<String> {
    let mut links = Vec::new();
    for attribute in ["href=\"", "src=\"", "action=\""] {
        for (at, _) in html.match_indices(attribute) {
            let value = html[at + attribute.len()..].split('"').next().unwrap();
            let value = value.replace("&amp;", "&");
            let value = value.split('#').next().unwrap();
            if let Some(path) = value.strip_prefix(&app.address) {
                links.push(format!("/{}", path.trim_start_matches('/')));
            } else if value.starts_with('/') && !value.starts_with("//") {
                links.push(value.to_owned());
            }
        }
    }
    links
}

/// Fetches each link (following redirects, as a browser would) and expects a page.
async fn every_link_answers(app: &TestApp, html: &str, page: &str) -> usize {
    let browser = reqwest::Client::new();
    let links = own_links(app, html);
    for link in &links {
        let res = browser
            .get(format!("{}{link}", app.address))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{link} on {page}");
    }
    links.len()
}

async fn the_start_page_and_every_error_page_link_to_pages_that_answer(backend: Backend) {
    let (app, _stripe) = spawn_app_with_stripe(backend).await;
    let page = |path: &'static str, language: &'static str| {
        app.client
            .get(format!("{}{path}", app.address))
            .header("accept", "text/html")
            .header("accept-language", language)
            .send()
    };

    // The start page: the default campaign, with the way to join, newsletters and account.
    let res = page("/", "en").await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    for link in ["/join", "/newsletters", "/account"] {
        assert!(
            own_links(&app, &html).iter().any(|l| l == link
                || l.starts_with(&format!("{link}?"))
                || l.starts_with(&format!("{link}/"))),
            "no link to {link} on /: {html}"
        );
    }
    every_link_answers(&app, &html, "/").await;

    // Error pages of every kind, in English and in Ukrainian.
    for (path, status, language, text) in [
        (
            "/no-such-page",
            404,
            "en",
            "There is no page at this address",
        ),
        ("/no-such-page", 404, "uk", "За цією адресою сторінки немає"),
        (
            "/admin/no-such-page",
            404,
            "en",
            "There is no page at this address",
        ),
        ("/join/no-such-campaign", 404, "en", "Not found"),
        ("/widget/no-such-campaign", 404, "en", "Not found"),
    ] {
        let res = page(path, language).await.unwrap();
        assert_eq!(res.status(), status, "{path}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains(&format!("lang=\"{language}\"")) && html.contains(text),
            "{path} in {language}: {html}"
        );
        let links = every_link_answers(&app, &html, path).await;
        assert!(links > 0, "{path} links nowhere: {html}");
    }

    // A script that asks for JSON gets the contract's error object.
    let res = app
        .client
        .get(format!("{}/no-such-page", app.address))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let error: serde_json::Value = res.json().await.unwrap();
    assert_eq!(error["error"], "not_found");
}
