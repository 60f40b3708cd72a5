//! A Ukrainian reader whose browser asks for Ukrainian (`Accept-Language` only, never
//! `?lang=`), in a real Chromium: from an article's widget through the join page, the test
//! Checkout and back to their signed-in account, and from the newsletter sign-up through the
//! email's link to the confirmation. Every page of ours says `lang="uk"` and speaks
//! Ukrainian, the outlet's words (campaign, tiers) included. Stripe has no Ukrainian Checkout:
//! it gets `locale=auto` (the browser's language where Stripe has one) and `?lang=uk` on the
//! way back.

use std::time::Duration;

use serde_json::Value;

use crate::both_backends;
use crate::helpers::{Backend, spawn_app_for};
use crate::support::article::serve_article;
use crate::support::browser::{Browser, cdp};
use crate::support::stripe_server::StripeServer;
use crate::widget_browser::join_and_pay;

both_backends!(a_browser_that_asks_for_ukrainian_is_answered_in_ukrainian_throughout);

const WAIT: Duration = Duration::from_secs(15);
const TITLE_UK: &str = "Допоможіть нам об'єднати 20 000 учасників";

/// The page's language and text once `ready` (a CSS selector) is on it.
async fn page(browser: &Browser, ready: &str) -> (String, String) {
    let seen = browser
        .wait_for(
            &format!(
                "return document.readyState === 'complete' && document.querySelector('{ready}') \
                 ? [document.documentElement.lang, document.body.innerText] : null;"
            ),
            WAIT,
        )
        .await;
    (
        seen[0].as_str().unwrap().to_owned(),
        seen[1].as_str().unwrap().to_owned(),
    )
}

async fn a_browser_that_asks_for_ukrainian_is_answered_in_ukrainian_throughout(backend: Backend) {
    let stripe = StripeServer::start().await;
    let app = spawn_app_for(
        backend,
        &stripe,
        &[("MEMBERDRIVE_WIDGET_ANCESTORS", "localhost")],
    )
    .await;
    let article = serve_article(format!(
        r#"<!doctype html><html lang="uk"><head><meta charset="utf-8"><title>Бюджет</title></head>
        <body><h1>Міськрада ухвалила бюджет</h1>
        <div data-memberdrive-campaign="members"></div>
        <script async src="{app}/widget/embed.js"></script></body></html>"#,
        app = app.address
    ))
    .await;
    let browser = Browser::start(1000, 900).await;
    cdp(&browser.client, "Network.enable", serde_json::json!({})).await;
    cdp(
        &browser.client,
        "Network.setExtraHTTPHeaders",
        serde_json::json!({"headers": {"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.3"}}),
    )
    .await;

    // The article's widget: the campaign's Ukrainian title, and a join link.
    browser.client.goto(&article).await.unwrap();
    let widget = browser
        .wait_for(
            "const r = document.querySelector('[data-memberdrive-campaign]').shadowRoot; \
             const t = r && r.querySelector('.t'); const a = r && r.querySelector('a'); \
             return t && t.textContent && a ? [t.textContent, a.href] : null;",
            WAIT,
        )
        .await;
    assert_eq!(widget[0], TITLE_UK);
    let join = widget[1].as_str().unwrap().replace("lang=uk", "");
    // The join page, opened without `?lang=`: the browser's language decides.
    browser.client.goto(&join).await.unwrap();
    let (lang, text) = page(&browser, "#email-member").await;
    assert_eq!(lang, "uk");
    for words in [
        TITLE_UK,
        "Прихильник",
        "Тримайте редакцію на плаву.",
        "Опора",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
    let session = join_and_pay(&browser, &stripe, "reader@readers.example").await;
    let sent = stripe.checkout_session(&session);
    assert_eq!(sent["locale"], "auto", "Stripe has no Ukrainian Checkout");
    let back = sent["success_url"].as_str().unwrap().to_owned();
    assert!(back.contains("lang=uk"), "{back}");

    // Back from Checkout: signed in, in Ukrainian, the tier and the campaign in Ukrainian.
    browser.client.goto(&back).await.unwrap();
    let (lang, text) = page(&browser, ".memberships li").await;
    assert_eq!(lang, "uk");
    for words in [
        "Дякуємо, що долучилися! Ось ваше членство.",
        TITLE_UK,
        "Наступний платіж",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
    assert!(
        text.contains("Прихильник") || text.contains("Опора") || text.contains("Меценат"),
        "{text}"
    );

    // The newsletters: sign-up page, the answer, the email's link, its button.
    browser
        .client
        .goto(&format!("{}/newsletters", app.address))
        .await
        .unwrap();
    let (lang, text) = page(&browser, "#email").await;
    assert_eq!(lang, "uk");
    assert!(text.contains("Підписатися"), "{text}");
    browser.type_into("#email", "reader@readers.example").await;
    browser.click("form.card button[type=submit]").await;
    let (lang, _) = page(&browser, "main h1").await;
    assert_eq!(lang, "uk");
    let mail = app
        .smtp
        .wait_until("the confirmation email", WAIT, |m| {
            m.iter()
                .any(|m| m.text_part().contains("/newsletters/confirm?token="))
        })
        .await;
    let text = mail
        .iter()
        .find(|m| m.text_part().contains("/newsletters/confirm?token="))
        .unwrap()
        .text_part();
    let confirm = text
        .split_whitespace()
        .find(|w| w.contains("/newsletters/confirm?token="))
        .unwrap()
        .replace("&lang=uk", "");
    browser.client.goto(&confirm).await.unwrap();
    let (lang, text) = page(&browser, "main form button").await;
    assert_eq!(lang, "uk");
    assert!(text.contains("Підтвердити"), "{text}");
    browser.click("main form button").await;
    let seen: Value = browser
        .wait_for(
            "return location.pathname === '/newsletters/confirm' && document.readyState === 'complete' \
             && !document.querySelector('main form button') ? document.documentElement.lang : null;",
            WAIT,
        )
        .await;
    assert_eq!(seen, "uk");
    browser.close().await;
}
