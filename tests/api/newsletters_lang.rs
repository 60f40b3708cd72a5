//! A Ukrainian reader stays in Ukrainian from the sign-up form through the emails' links:
//! confirm, manage, unsubscribe, and the pages their buttons lead to, whether the language
//! came from `?lang=uk` or only from the browser's `Accept-Language`.

use std::time::Duration;

use reqwest::header;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, spawn_app};
use crate::support::smtp::ReceivedMail;

both_backends!(
    a_reader_who_chose_ukrainian_stays_in_ukrainian_through_every_link,
    a_browser_that_asks_for_ukrainian_gets_it_on_every_page,
);

const WAIT: Duration = Duration::from_secs(10);

/// How the reader's language reaches us.
#[derive(Clone, Copy)]
enum Asked {
    /// `?lang=uk` on the first page (and the links we make after it).
    Query,
    /// Only the browser's `Accept-Language: uk-UA,uk;q=0.9,en;q=0.5`.
    Browser,
}

impl Asked {
    fn first_page(self) -> &'static str {
        match self {
            Asked::Query => "/newsletters?lang=uk",
            Asked::Browser => "/newsletters",
        }
    }

    fn request(self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Asked::Query => req,
            Asked::Browser => req.header(header::ACCEPT_LANGUAGE, "uk-UA,uk;q=0.9,en;q=0.5"),
        }
    }
}

/// Asserts a page is in Ukrainian: `lang="uk"` and `words` among its text.
async fn ukrainian(res: reqwest::Response, words: &str) -> String {
    assert_eq!(res.status(), 200, "{}", res.url());
    let url = res.url().clone();
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<html lang="uk""#), "{url}: {html}");
    assert!(html.contains(words), "{url}: no {words:?} in {html}");
    html
}

/// The value of `name`'s hidden field, and the action of the form around it.
fn form(html: &str) -> (String, Option<String>) {
    let action = html
        .split(r#"<form method="post" action=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let token = html
        .split(r#"name="token" value=""#)
        .nth(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned());
    (action, token)
}

/// The link in `mail`'s text that contains `part`.
fn link(mail: &ReceivedMail, part: &str) -> String {
    mail.text_part()
        .split_whitespace()
        .find(|w| w.contains(part))
        .unwrap_or_else(|| panic!("no {part} link in {}", mail.text_part()))
        .to_owned()
}

async fn walk(app: &TestApp, asked: Asked) {
    let client = &app.client;
    let get = |url: String| asked.request(client.get(url)).send();
    let post = |url: String, form: Vec<(&'static str, String)>| {
        asked.request(client.post(url)).form(&form).send()
    };
    let page = ukrainian(
        get(format!("{}{}", app.address, asked.first_page()))
            .await
            .unwrap(),
        "Підписатися",
    )
    .await;
    assert!(page.contains(r#"name="lang" value="uk""#));
    let subscribed = post(
        format!("{}/newsletters/subscribe", app.address),
        vec![
            ("email", "reader@readers.example".into()),
            ("newsletter", "news".into()),
            ("lang", "uk".into()),
        ],
    )
    .await
    .unwrap();
    ukrainian(subscribed, "лист").await;

    // The confirmation email is Ukrainian, and so is every page its link leads to.
    let mail = app.smtp.wait_for_messages(1, WAIT).await;
    let confirm = link(&mail[0], "/newsletters/confirm?token=");
    assert!(confirm.ends_with("&lang=uk"), "{confirm}");
    // A link opened without its language (a mail client that trims it) follows the browser.
    let opened = match asked {
        Asked::Query => confirm.clone(),
        Asked::Browser => confirm.replace("&lang=uk", ""),
    };
    let html = ukrainian(get(opened).await.unwrap(), "Підтвердити").await;
    let (action, token) = form(&html);
    let confirmed = post(
        format!("{}{action}", app.address),
        vec![("token", token.unwrap())],
    )
    .await
    .unwrap();
    ukrainian(confirmed, "Підписку підтверджено").await;

    // The welcome email's links: manage (and save), then unsubscribe.
    let mail = app.smtp.wait_for_messages(2, WAIT).await;
    let manage = link(&mail[1], "/newsletters/manage?token=");
    assert!(manage.ends_with("&lang=uk"), "{manage}");
    let html = ukrainian(get(manage).await.unwrap(), "Зберегти").await;
    let (action, token) = form(&html);
    let saved = post(
        format!("{}{action}", app.address),
        vec![
            ("token", token.unwrap()),
            ("lang", "uk".into()),
            ("newsletter", "news".into()),
        ],
    )
    .await
    .unwrap();
    ukrainian(saved, "Зберегти").await;
    let unsubscribe = link(&mail[1], "/unsubscribe?token=");
    assert!(unsubscribe.ends_with("&lang=uk"), "{unsubscribe}");
    let html = ukrainian(get(unsubscribe).await.unwrap(), "Відписатися").await;
    let (action, _) = form(&html);
    assert!(action.ends_with("&lang=uk"), "{action}");
    let done = post(format!("{}{action}", app.address), Vec::new())
        .await
        .unwrap();
    ukrainian(done, "Ви відписалися").await;
}

async fn a_reader_who_chose_ukrainian_stays_in_ukrainian_through_every_link(backend: Backend) {
    walk(&spawn_app(backend).await, Asked::Query).await;
}

async fn a_browser_that_asks_for_ukrainian_gets_it_on_every_page(backend: Backend) {
    walk(&spawn_app(backend).await, Asked::Browser).await;
}
