//! Newsletters end to end: the form, the emails as an SMTP server receives them, the links
//! they carry, and every way a request can go wrong.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use memberdrive::db::schema::{jobs, newsletter_subscriptions, subscribers, tokens};
use memberdrive::domain::EmailAddress;
use memberdrive::email::transport::SMTP_CONNECTIONS;
use memberdrive::members::Member;

use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, post_raw_form, spawn_app, spawn_app_with, text_of, token_of,
};
use crate::support::smtp::{ReceivedMail, SmtpMode};
use crate::support::wait::eventually;

both_backends!(
    a_reader_subscribes_confirms_and_unsubscribes_by_email,
    every_well_formed_address_gets_the_same_answer,
    links_followed_with_get_change_nothing,
    expired_reused_and_forged_links_change_nothing,
    bad_input_is_rejected_and_stores_nothing,
    an_address_gets_a_few_confirmations_a_day_at_most,
    repeated_sign_ups_write_one_token_per_email_sent,
    a_stalled_or_refusing_mail_server_delays_but_never_loses_or_doubles,
    a_crashed_worker_loses_no_email,
    smtp_connections_are_reused_and_closed_with_quit_on_stop,
    a_connection_the_server_closed_while_idle_is_not_used,
    permanent_failures_are_dead_lettered_and_counted,
    readers_change_their_newsletters_on_the_preference_page,
    without_smtp_every_email_is_written_as_an_eml_file,
    dkim_signatures_cover_the_unsubscribe_headers,
);

const WAIT: Duration = Duration::from_secs(10);

async fn subscribe(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_form(
        "/newsletters/subscribe",
        &[("email", email), ("newsletter", "news")],
    )
    .await
}

/// The first link in `text` that starts with `prefix`.
fn link(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '>' || c == '<')
        .next()
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

async fn statuses(app: &TestApp, email: &str) -> Vec<String> {
    let email = email.to_owned();
    app.read(move |c| {
        newsletter_subscriptions::table
            .inner_join(subscribers::table)
            .filter(subscribers::email.eq(email))
            .select(newsletter_subscriptions::status)
            .load(c)
    })
    .await
}

fn mails_to<'a>(mails: &'a [ReceivedMail], to: &str) -> Vec<&'a ReceivedMail> {
    mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t == to))
        .collect()
}

async fn a_reader_subscribes_confirms_and_unsubscribes_by_email(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = subscribe(&app, "Reader@News.Example").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("We&#39;ve sent you a confirmation email")
    );
    assert_eq!(statuses(&app, "reader@news.example").await, ["pending"]);

    let mail = app.smtp.wait_for_messages(1, WAIT).await.remove(0);
    assert_eq!(mail.to, ["reader@news.example"]);
    assert_eq!(
        mail.header("From").unwrap(),
        "\"Newsroom Members\" <members@news.example>"
    );
    assert_eq!(
        mail.header("Subject").unwrap(),
        "Please confirm your subscription"
    );
    assert!(
        mail.header("Message-ID")
            .unwrap()
            .ends_with("@news.example>")
    );
    assert_eq!(
        mail.header("List-Unsubscribe-Post").unwrap(),
        "List-Unsubscribe=One-Click"
    );
    let list_unsubscribe = mail.header("List-Unsubscribe").unwrap();
    assert!(
        list_unsubscribe.contains("<mailto:members@news.example?subject=unsubscribe>"),
        "{list_unsubscribe}"
    );
    let (text, html) = (mail.text_part(), mail.html_part());
    let confirm_url = link(
        &text,
        &format!("{}/newsletters/confirm?token=", app.base_url),
    );
    assert_eq!(
        link(
            &html,
            &format!("{}/newsletters/confirm?token=", app.base_url)
        ),
        confirm_url,
        "both parts carry the same link"
    );
    assert!(text.contains("The Briefing") && html.contains("The Briefing"));

    // The link points at the configured base URL; follow it on the app.
    let path = confirm_url.strip_prefix(&app.base_url).unwrap();
    let page = app.get(path).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Confirm subscription"));
    assert_eq!(
        statuses(&app, "reader@news.example").await,
        ["pending"],
        "a GET changes nothing"
    );
    let confirmed = app
        .post_form(
            "/newsletters/confirm",
            &[("token", &token_of(&confirm_url))],
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    assert!(
        confirmed
            .text()
            .await
            .unwrap()
            .contains("You&#39;re subscribed")
    );
    assert_eq!(statuses(&app, "reader@news.example").await, ["confirmed"]);

    let welcome = app.smtp.wait_for_messages(2, WAIT).await.remove(1);
    assert_eq!(
        welcome.decoded_header("Subject").unwrap(),
        "Welcome — your subscription is confirmed"
    );
    let unsubscribe_url = link(
        &welcome.header("List-Unsubscribe").unwrap(),
        &format!("{}/unsubscribe?token=", app.base_url),
    );
    // RFC 8058: a POST of `List-Unsubscribe=One-Click`, no cookie, no form token.
    let one_click = post_raw_form(
        app.client.post(&unsubscribe_url),
        "List-Unsubscribe=One-Click",
    )
    .await;
    assert_eq!(one_click.status(), 200);
    assert!(one_click.headers().get("set-cookie").is_none());
    assert_eq!(
        statuses(&app, "reader@news.example").await,
        ["unsubscribed"]
    );
    assert_eq!(app.smtp.messages().len(), 2, "no further email");
}

/// Five addresses in five states get byte-identical answers, as HTML and as JSON.
async fn every_well_formed_address_gets_the_same_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    // pending
    subscribe(&app, "pending@news.example").await;
    // confirmed, then unsubscribed
    for address in ["confirmed@news.example", "gone@news.example"] {
        subscribe(&app, address).await;
    }
    let mails = app.smtp.wait_for_messages(3, WAIT).await;
    for address in ["confirmed@news.example", "gone@news.example"] {
        let url = link(&mails_to(&mails, address)[0].text_part(), &app.base_url);
        assert_eq!(
            app.post_form("/newsletters/confirm", &[("token", &token_of(&url))])
                .await
                .status(),
            200
        );
    }
    let mails = app.smtp.wait_for_messages(5, WAIT).await;
    let gone = mails_to(&mails, "gone@news.example");
    let unsubscribe_url = link(&gone[1].header("List-Unsubscribe").unwrap(), &app.base_url);
    app.client
        .post(&unsubscribe_url)
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(statuses(&app, "gone@news.example").await, ["unsubscribed"]);
    // a paying member who never subscribed
    app.write(|c| {
        Member::find_or_create(
            c,
            &EmailAddress::parse("member@news.example").unwrap(),
            "en",
        )
    })
    .await;

    let addresses = [
        "new@news.example",
        "pending@news.example",
        "confirmed@news.example",
        "gone@news.example",
        "member@news.example",
    ];
    for accept in ["text/html", "application/json"] {
        let mut answers = Vec::new();
        for address in addresses {
            let res = app
                .client
                .post(format!("{}/newsletters/subscribe", app.address))
                .header("accept", accept)
                .form(&[("email", address), ("newsletter", "news")])
                .send()
                .await
                .unwrap();
            let mut headers: Vec<(String, String)> = res
                .headers()
                .iter()
                .filter(|(k, _)| *k != "date")
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
                .collect();
            headers.sort();
            answers.push((res.status(), headers, res.bytes().await.unwrap()));
        }
        for (address, answer) in addresses.iter().zip(&answers) {
            assert_eq!(
                answer, &answers[0],
                "{address} ({accept}) answered differently from {}",
                addresses[0]
            );
        }
    }
    // The already-confirmed reader is told so (with a manage link) instead of a new confirmation.
    let mails = app
        .smtp
        .wait_until("three mails to confirmed@", WAIT, |m| {
            mails_to(m, "confirmed@news.example").len() >= 3
        })
        .await;
    let confirmed = mails_to(&mails, "confirmed@news.example");
    // Its confirmation, its welcome and now the notice, in whatever order the outbox's
    // connections delivered them; no second confirmation.
    let mut subjects: Vec<String> = confirmed
        .iter()
        .map(|m| m.decoded_header("Subject").unwrap())
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "Please confirm your subscription",
            "Welcome — your subscription is confirmed",
            "You are already subscribed",
        ]
    );
    let notice = confirmed
        .iter()
        .find(|m| m.decoded_header("Subject").as_deref() == Some("You are already subscribed"))
        .unwrap();
    assert!(notice.text_part().contains("/newsletters/manage?token="));
}

async fn links_followed_with_get_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    subscribe(&app, "reader@news.example").await;
    let mail = app.smtp.wait_for_messages(1, WAIT).await.remove(0);
    let confirm = link(&mail.text_part(), &app.base_url);
    let unsubscribe = link(&mail.header("List-Unsubscribe").unwrap(), &app.base_url);
    for url in [&confirm, &unsubscribe, &confirm] {
        let res = app.client.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        assert!(
            res.text().await.unwrap().contains("<form method=\"post\""),
            "{url} shows a button"
        );
    }
    assert_eq!(statuses(&app, "reader@news.example").await, ["pending"]);
    let used: i64 = app
        .count(tokens::table.filter(tokens::used_at.is_not_null()))
        .await;
    assert_eq!(used, 0);
}

async fn expired_reused_and_forged_links_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    for address in ["a@news.example", "b@news.example"] {
        subscribe(&app, address).await;
    }
    let mails = app.smtp.wait_for_messages(2, WAIT).await;
    let token_a = token_of(&link(
        &mails_to(&mails, "a@news.example")[0].text_part(),
        &app.base_url,
    ));
    let token_b = token_of(&link(
        &mails_to(&mails, "b@news.example")[0].text_part(),
        &app.base_url,
    ));

    // Reused: the first POST confirms, the second shows a clear page and changes nothing.
    assert_eq!(
        app.post_form("/newsletters/confirm", &[("token", &token_a)])
            .await
            .status(),
        200
    );
    // Expired: age b's token past 48 hours.
    app.write(|c| {
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::hours(49);
        diesel::update(tokens::table.filter(tokens::purpose.eq("confirm")))
            .set(tokens::expires_at.eq(past))
            .execute(c)
    })
    .await;
    // Same length and alphabet as b's token, one character different.
    let flipped = if token_b.as_bytes()[20] == b'x' {
        'y'
    } else {
        'x'
    };
    let forged = format!("{}{flipped}{}", &token_b[..20], &token_b[21..]);
    assert_ne!(forged, token_b);
    let cases = [
        (token_a.as_str(), 410, "already used", "reused"),
        (token_b.as_str(), 410, "expired", "expired"),
        (forged.as_str(), 400, "not valid", "forged"),
        ("x", 400, "not valid", "malformed"),
        ("", 400, "not valid", "empty"),
    ];
    for (token, status, text, case) in cases {
        for res in [
            app.get(&format!("/newsletters/confirm?token={token}"))
                .await,
            app.post_form("/newsletters/confirm", &[("token", token)])
                .await,
        ] {
            assert_eq!(res.status(), status, "{case}");
            assert!(res.text().await.unwrap().contains(text), "{case}");
        }
    }
    assert_eq!(statuses(&app, "b@news.example").await, ["pending"]);
    let forged_unsub = app
        .client
        .post(format!("{}/unsubscribe?token={forged}", app.address))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(forged_unsub.status(), 400);
    assert_eq!(statuses(&app, "a@news.example").await, ["confirmed"]);
}

async fn count_rows(app: &TestApp) -> (i64, i64, i64) {
    app.read(|c| {
        Ok((
            subscribers::table.count().get_result(c)?,
            newsletter_subscriptions::table.count().get_result(c)?,
            jobs::table.count().get_result(c)?,
        ))
    })
    .await
}

async fn bad_input_is_rejected_and_stores_nothing(backend: Backend) {
    let app = spawn_app_with(backend, &[("MEMBERDRIVE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    type Form<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Form, u16, &str); 4] = [
        (
            &[("email", "not-an-address"), ("newsletter", "news")],
            400,
            "invalid_email",
        ),
        (
            &[("email", ""), ("newsletter", "news")],
            400,
            "invalid_email",
        ),
        (
            &[("email", "a@news.example\r\nBcc: x@y.example")],
            400,
            "invalid_email",
        ),
        (
            &[("email", "a@news.example"), ("newsletter", "nope")],
            400,
            "unknown_newsletter",
        ),
    ];
    for (form, status, code) in cases {
        let res = app
            .client
            .post(format!("{}/newsletters/subscribe", app.address))
            .header("accept", "application/json")
            .header("x-forwarded-for", "198.51.100.1")
            .form(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{form:?}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], code, "{form:?}");
        assert!(body["message"].as_str().unwrap().len() > 10);
    }
    // A bot fills the honeypot: the usual answer, nothing stored or sent.
    let bot = app
        .post_form(
            "/newsletters/subscribe",
            &[
                ("email", "bot@news.example"),
                ("website", "http://spam.example"),
            ],
        )
        .await;
    assert_eq!(bot.status(), 200);
    assert_eq!(count_rows(&app).await, (0, 0, 0));

    // Per client address: the proxy's X-Forwarded-For names the client; others are ignored.
    let from = |ip: &'static str, n: usize| {
        let app = &app;
        async move {
            app.client
                .post(format!("{}/newsletters/subscribe", app.address))
                .header("x-forwarded-for", ip)
                .form(&[
                    ("email", format!("r{n}@news.example").as_str()),
                    ("newsletter", "news"),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // The burst, then one more per refill interval that passed meanwhile (a busy machine may
    // take seconds over the burst): the first refusal comes right after those.
    let limit = memberdrive::state::SUBSCRIBES_PER_MINUTE as usize;
    let started = Instant::now();
    let mut accepted = 0;
    loop {
        let status = from("203.0.113.7", accepted).await;
        if status == 429 {
            break;
        }
        assert_eq!(status, 200);
        accepted += 1;
        let refills = (started.elapsed().as_secs_f64()
            / memberdrive::state::SIGNUP_RATE.per.as_secs_f64()) as usize;
        assert!(
            accepted <= limit + refills,
            "{accepted} sign-ups accepted in {:?} from one client",
            started.elapsed()
        );
    }
    assert!(accepted >= limit, "refused after {accepted} sign-ups");
    assert_eq!(
        from("203.0.113.8", limit + 1).await,
        200,
        "another client behind the same proxy"
    );
}

async fn an_address_gets_a_few_confirmations_a_day_at_most(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..6 {
        assert_eq!(subscribe(&app, "target@news.example").await.status(), 200);
    }
    app.smtp.wait_for_messages(3, WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    assert_eq!(
        mails_to(&app.smtp.messages(), "target@news.example").len(),
        3
    );
}

/// Every token in the links of `mails` (text parts), hashed as they are stored.
fn token_hashes_in(mails: &[&ReceivedMail]) -> std::collections::BTreeSet<String> {
    mails
        .iter()
        .flat_map(|m| {
            let text = m.text_part();
            text.split("token=")
                .skip(1)
                .map(|rest| {
                    let end = rest
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                        .unwrap_or(rest.len());
                    memberdrive::tokens::hash_of(&rest[..end])
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn stored_tokens(app: &TestApp) -> Vec<(String, String)> {
    app.read(|c| {
        tokens::table
            .order(tokens::id)
            .select((tokens::purpose, tokens::token_hash))
            .load(c)
    })
    .await
}

/// Waits for `n` emails to `address`; checks that the stored tokens are exactly those in
/// their links, and returns the emails' text parts and the tokens' purposes.
async fn sent_and_stored(app: &TestApp, address: &str, n: usize) -> (Vec<String>, Vec<String>) {
    app.smtp.wait_for_messages(n, WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    let received = app.smtp.messages();
    let mails = mails_to(&received, address);
    assert_eq!(mails.len(), n, "emails to {address}");
    let stored = stored_tokens(app).await;
    let hashes: std::collections::BTreeSet<String> =
        stored.iter().map(|(_, h)| h.clone()).collect();
    assert_eq!(
        hashes,
        token_hashes_in(&mails),
        "every stored token was sent"
    );
    let texts = mails.iter().map(|m| m.text_part()).collect();
    (
        texts,
        stored.into_iter().map(|(purpose, _)| purpose).collect(),
    )
}

async fn repeated_sign_ups_write_one_token_per_email_sent(backend: Backend) {
    let app = spawn_app(backend).await;
    let address = "repeat@news.example";
    for _ in 0..25 {
        assert_eq!(subscribe(&app, address).await.status(), 200);
    }
    // Three confirmations a day, each with one confirm and one unsubscribe link.
    let (texts, purposes) = sent_and_stored(&app, address, 3).await;
    let of = |purpose: &str| purposes.iter().filter(|p| *p == purpose).count();
    assert_eq!((of("confirm"), of("unsubscribe")), (3, 3), "{purposes:?}");

    // Confirmed (a welcome with two links), then asked again three times: one "already
    // subscribed" email a day, and only its two tokens.
    let confirm = link(
        &texts[0],
        &format!("{}/newsletters/confirm?token=", app.base_url),
    );
    let res = app
        .post_form("/newsletters/confirm", &[("token", &token_of(&confirm))])
        .await;
    assert_eq!(res.status(), 200);
    for _ in 0..3 {
        assert_eq!(subscribe(&app, address).await.status(), 200);
    }
    let (_, purposes) = sent_and_stored(&app, address, 5).await;
    assert_eq!(purposes.len(), 6 + 2 + 2, "{purposes:?}");
}

async fn a_stalled_or_refusing_mail_server_delays_but_never_loses_or_doubles(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut addresses = Vec::new();
    for (mode, label) in [
        (SmtpMode::RefuseConnections, "refused"),
        (SmtpMode::Stall, "stalled"),
    ] {
        app.smtp.set_mode(mode);
        for n in 0..5 {
            let address = format!("{label}{n}@news.example");
            let started = Instant::now();
            assert_eq!(subscribe(&app, &address).await.status(), 200);
            // A sign-up that waited on the mail server would wait out an SMTP timeout
            // (minutes); seconds tell them apart even on a busy machine.
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "subscribe took {:?} with the mail server {label}",
                started.elapsed()
            );
            addresses.push(address);
        }
        // The worker meets the failure: every refused email fails once; with the server
        // stalled, a send hangs (its row stays leased).
        let what = match mode {
            SmtpMode::RefuseConnections => "every email to fail once",
            _ => "a send to hang on the stalled server",
        };
        eventually(what, WAIT, || async {
            match mode {
                SmtpMode::RefuseConnections => {
                    let not_failed = jobs::table.filter(jobs::last_error.is_null());
                    app.count(not_failed).await == 0
                }
                _ => {
                    app.count(jobs::table.filter(jobs::locked_until.is_not_null()))
                        .await
                        > 0
                }
            }
        })
        .await;
    }
    assert_eq!(app.smtp.accepted_count(), 0);
    app.smtp.set_mode(SmtpMode::Accept);
    // The recovered server closes the stalled connections; those sends fail, back off and go
    // again: everything arrives, once.
    app.smtp
        .wait_for_messages(10, Duration::from_secs(60))
        .await;
    app.wait_for_jobs("email", WAIT).await;
    let mails = app.smtp.messages();
    for address in &addresses {
        assert_eq!(mails_to(&mails, address).len(), 1, "{address}");
    }
    assert_eq!(mails.len(), 10);
}

async fn smtp_connections_are_reused_and_closed_with_quit_on_stop(backend: Backend) {
    let app = spawn_app(backend).await;
    let addresses: Vec<String> = (0..3 * SMTP_CONNECTIONS)
        .map(|n| format!("pooled{n}@news.example"))
        .collect();
    let (last, first) = addresses.split_last().unwrap();
    for address in first {
        assert_eq!(subscribe(&app, address).await.status(), 200);
    }
    app.smtp.wait_for_messages(first.len(), WAIT).await;
    // The last email is answered late, so the app stops while its connection is in use: the
    // connection that could miss its QUIT, however long stopping takes (each background task
    // gets up to 5 s). It says QUIT as its send ends.
    let late = Duration::from_secs(8);
    app.smtp.answer_slowly(late, 1);
    assert_eq!(subscribe(&app, last).await.status(), 200);
    app.smtp.wait_for_messages(addresses.len(), WAIT).await;
    let sessions = app.smtp.sessions();
    assert!(
        (1..=SMTP_CONNECTIONS).contains(&sessions.opened),
        "{} emails on {sessions:?}",
        addresses.len()
    );
    assert_eq!(
        sessions.quit, 0,
        "pooled connections stay open while in use"
    );
    app.stop();
    let sessions = app.smtp.wait_for_every_session_to_quit(late + WAIT).await;
    assert_eq!(app.smtp.messages().len(), addresses.len(), "{sessions:?}");
    app.wait_for_jobs("email", WAIT).await;
}

async fn a_connection_the_server_closed_while_idle_is_not_used(backend: Backend) {
    let app = spawn_app(backend).await;
    subscribe(&app, "first@news.example").await;
    app.smtp.wait_for_messages(1, WAIT).await;
    // The relay drops its idle clients (as Postfix does under stress after 10 s), then
    // takes new ones again; the app's pooled connection is gone without a word.
    app.smtp.set_mode(SmtpMode::RefuseConnections);
    app.smtp.wait_for_every_session_to_close(WAIT).await;
    app.smtp.set_mode(SmtpMode::Accept);
    // Time passes: the pool checks a connection idle for more than five seconds before using
    // it again (the thing under test), so this is a sleep, not a wait.
    tokio::time::sleep(Duration::from_secs(6)).await;
    subscribe(&app, "second@news.example").await;
    let mails = app.smtp.wait_for_messages(2, WAIT).await;
    assert_eq!(mails_to(&mails, "second@news.example").len(), 1);
    let attempts: Vec<(i32, Option<String>)> = app
        .read(|c| {
            jobs::table
                .order(jobs::id)
                .select((jobs::attempts, jobs::last_error))
                .load(c)
        })
        .await;
    assert_eq!(
        attempts,
        [(1, None), (1, None)],
        "the idle check found the closed connection before a send did"
    );
    assert_eq!(app.smtp.sessions().opened, 2);
}

async fn a_crashed_worker_loses_no_email(backend: Backend) {
    let app = spawn_app(backend).await;
    app.smtp.set_mode(SmtpMode::RefuseConnections);
    subscribe(&app, "reader@news.example").await;
    // Once the real worker's first attempt has failed and released the row, a "worker"
    // claims it and dies mid-send: its lease runs for two more seconds.
    eventually("the first attempt to fail", WAIT, || async {
        let lease_end = chrono::Utc::now().naive_utc() + chrono::Duration::seconds(2);
        let claimed = app
            .write(move |c| {
                diesel::update(
                    jobs::table
                        .filter(jobs::attempts.eq(1))
                        .filter(jobs::locked_until.is_null()),
                )
                .set((
                    jobs::locked_until.eq(lease_end),
                    jobs::attempts.eq(2),
                    jobs::run_at.eq(chrono::Utc::now().naive_utc()),
                ))
                .execute(c)
            })
            .await;
        claimed == 1
    })
    .await;
    app.smtp.set_mode(SmtpMode::Accept);
    // An interval inside the two-second lease in which the worker looks for work twice (it
    // polls every half second): a sleep by design, as nothing is to happen in it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        app.smtp.accepted_count(),
        0,
        "nobody else touches a leased row"
    );
    let mails = app.smtp.wait_for_messages(1, WAIT).await;
    app.wait_for_jobs("email", WAIT).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        app.smtp.messages().len(),
        1,
        "delivered exactly once after the lease expired"
    );
}

async fn permanent_failures_are_dead_lettered_and_counted(backend: Backend) {
    let app = spawn_app(backend).await;
    app.smtp.set_mode(SmtpMode::PermFail);
    subscribe(&app, "nobody@news.example").await;
    let attempts = eventually("the email to be dead-lettered", WAIT, || async {
        let (status, attempts): (String, i32) = app
            .read(|c| jobs::table.select((jobs::status, jobs::attempts)).first(c))
            .await;
        (status == "dead").then_some(attempts)
    })
    .await;
    assert_eq!(attempts, 1, "a 5xx is not retried");
    let metrics = eventually("the dead email on /metrics", WAIT, || async {
        let metrics = app.get("/metrics").await.text().await.unwrap();
        if metrics.contains("memberdrive_outbox_emails{state=\"dead\"} 1") {
            Ok(metrics)
        } else {
            Err(metrics)
        }
    })
    .await;
    assert!(
        metrics.contains("memberdrive_outbox_emails{state=\"queued\"} 0"),
        "{metrics}"
    );
}

async fn readers_change_their_newsletters_on_the_preference_page(backend: Backend) {
    let app = spawn_app(backend).await;
    app.write(|c| {
        use memberdrive::db::schema::newsletters;
        diesel::insert_into(newsletters::table)
            .values((
                newsletters::slug.eq("weekly"),
                newsletters::name.eq("The Weekly Explainer"),
                newsletters::position.eq(2),
            ))
            .execute(c)
    })
    .await;
    subscribe(&app, "reader@news.example").await;
    let confirm = link(
        &app.smtp.wait_for_messages(1, WAIT).await[0].text_part(),
        &app.base_url,
    );
    app.post_form("/newsletters/confirm", &[("token", &token_of(&confirm))])
        .await;
    let welcome = app.smtp.wait_for_messages(2, WAIT).await.remove(1);
    let manage = link(
        &welcome.text_part(),
        &format!("{}/newsletters/manage?token=", app.base_url),
    );
    let page = text_of(app.client.get(&manage)).await;
    assert!(
        page.contains("value=\"news\" checked") && page.contains("value=\"weekly\">"),
        "{page}"
    );
    let saved = app
        .post_form(
            "/newsletters/manage",
            &[("token", &token_of(&manage)), ("newsletter", "weekly")],
        )
        .await;
    assert_eq!(saved.status(), 200);
    let page = saved.text().await.unwrap();
    assert!(
        page.contains("Your choices are saved") && page.contains("value=\"weekly\" checked"),
        "{page}"
    );
    let mut now = statuses(&app, "reader@news.example").await;
    now.sort();
    assert_eq!(now, ["confirmed", "unsubscribed"]);
}

async fn without_smtp_every_email_is_written_as_an_eml_file(backend: Backend) {
    let app = spawn_app_with(backend, &[("SMTP_URL", "")]).await;
    subscribe(&app, "reader@news.example").await;
    let what = format!("one .eml file in {:?}", app.mail_dir.path());
    let file = eventually(&what, WAIT, || async {
        let files: Vec<_> = std::fs::read_dir(app.mail_dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        match files.as_slice() {
            [file] => Some(file.clone()),
            _ => None,
        }
    })
    .await;
    let eml = std::fs::read_to_string(file).unwrap();
    assert!(eml.contains("To: reader@news.example\r\n"), "{eml}");
    assert!(
        eml.contains("Subject: Please confirm your subscription\r\n"),
        "{eml}"
    );
    assert!(
        eml.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{eml}"
    );
    assert_eq!(app.smtp.accepted_count(), 0);
}

async fn dkim_signatures_cover_the_unsubscribe_headers(backend: Backend) {
    // A key made for this test only (tests/fixtures/dkim-test-key.pem).
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dkim-test-key.pem"
    );
    let app = spawn_app_with(
        backend,
        &[
            ("MEMBERDRIVE_DKIM_SELECTOR", "md2026"),
            ("MEMBERDRIVE_DKIM_KEY_FILE", key),
        ],
    )
    .await;
    subscribe(&app, "reader@news.example").await;
    let mail = app.smtp.wait_for_messages(1, WAIT).await.remove(0);
    let signature = mail.header("DKIM-Signature").expect("signed");
    let tags: std::collections::HashMap<&str, &str> = signature
        .split(';')
        .filter_map(|t| t.trim().split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect();
    assert_eq!(
        (tags["d"], tags["s"], tags["a"]),
        ("news.example", "md2026", "rsa-sha256"),
        "{signature}"
    );
    let signed: Vec<String> = tags["h"]
        .split(':')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for header in [
        "from",
        "subject",
        "list-unsubscribe",
        "list-unsubscribe-post",
    ] {
        assert!(
            signed.iter().any(|h| h == header),
            "{header} not signed: {signature}"
        );
    }
}
