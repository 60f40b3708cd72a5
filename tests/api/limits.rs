//! Rate limits live in the database: instances on one database share one quota per client,
//! and a restart forgets nothing.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use futures_util::StreamExt;
use memberdrive::admin::Role;
use memberdrive::admin::throttle::{
    ACCOUNT_CEILING, CEILING_ACTION, CEILING_DELAY, FREE_FAILURES, delay_after,
};
use memberdrive::db::schema::audit_log;
use memberdrive::state::{CHECKOUT_ADDRESS_RATE, CHECKOUT_RATE, SIGNUP_RATE};
use reqwest::header;

use crate::both_backends;
use crate::helpers::{
    Backend, PASSWORD, TestApp, add_staff, post_from, set_cookie, sign_in_from, spawn_app_on,
    spawn_app_with,
};
use crate::support::stripe_server::StripeServer;
use crate::support::wait::eventually;

both_backends!(
    one_sign_up_quota_per_client_across_instances_and_restarts,
    a_guessing_client_waits_longer_after_each_failure_and_no_one_else_is_locked_out,
    the_right_password_from_a_fresh_client_signs_in_after_100_failures_from_others,
    two_instances_on_one_database_share_one_sign_in_throttle,
    checkouts_are_limited_per_client_and_per_address_against_card_testing,
);

const EDITOR: &str = "editor@news.example";

const BEHIND_PROXY: &[(&str, &str)] = &[("MEMBERDRIVE_TRUSTED_PROXIES", "127.0.0.1")];

/// POSTs `form` to `path` as the client `ip` (named by the trusted proxy); the status.
async fn status_from(app: &TestApp, path: &str, ip: &str, form: &[(&str, &str)]) -> u16 {
    post_from(app, path, ip, form).await.status().as_u16()
}

/// Sends `n` sign-up requests from `client` as fast as it can, turn about to each of `apps`
/// and, every third, to the member sign-in form (the same quota); how many were let through.
async fn burst(apps: &[&TestApp], client: &str, n: usize) -> usize {
    let mut accepted = 0;
    for i in 0..n {
        let app = apps[i % apps.len()];
        let email = format!("reader{i}@news.example");
        let status = if i % 3 == 2 {
            status_from(app, "/account/sign-in", client, &[("email", &email)]).await
        } else {
            let form = [("email", email.as_str()), ("newsletter", "news")];
            status_from(app, "/newsletters/subscribe", client, &form).await
        };
        match status {
            200 => accepted += 1,
            429 => {}
            other => panic!("request {i} answered {other}"),
        }
    }
    accepted
}

/// The most a bucket of [`SIGNUP_RATE`] lets through in `elapsed`, from full.
fn at_most(elapsed: Duration) -> usize {
    SIGNUP_RATE.burst as usize + (elapsed.as_millis() / SIGNUP_RATE.per.as_millis()) as usize + 1
}

async fn one_sign_up_quota_per_client_across_instances_and_restarts(backend: Backend) {
    let first = spawn_app_with(backend, BEHIND_PROXY).await;
    // SQLite serves one instance per file (a second one's sign-ups, which read before they
    // write, could find the file changed under them): there, one instance and a restart.
    let second = match backend {
        Backend::Postgres => Some(spawn_app_on(first.database.clone(), BEHIND_PROXY).await),
        Backend::Sqlite => None,
    };
    let apps: Vec<&TestApp> = std::iter::once(&first).chain(second.as_ref()).collect();
    let (client, quota) = ("203.0.113.7", SIGNUP_RATE.burst as usize);
    // Two instances see half the requests each: a limit per process would let every one
    // through.
    let started = Instant::now();
    let accepted = burst(&apps, client, 2 * quota).await;
    let limit = at_most(started.elapsed());
    assert!(
        (quota..=limit).contains(&accepted) && accepted < 2 * quota,
        "{} instance(s) let {accepted} of {} through; one quota is {quota}, at most {limit} by now",
        apps.len(),
        2 * quota
    );
    // Another client keeps its own quota.
    assert_eq!(burst(&apps, "203.0.113.8", 1).await, 1);

    // A restart forgets nothing: a new instance, once the others stopped, goes on counting.
    for app in &apps {
        app.stop();
    }
    let restarted = spawn_app_on(first.database.clone(), BEHIND_PROXY).await;
    let after_restart = burst(&[&restarted], client, quota).await;
    let limit = at_most(started.elapsed());
    assert!(
        accepted + after_restart <= limit,
        "{accepted} before and {after_restart} after a restart; at most {limit} by now"
    );
}

/// The `Retry-After` of a refused sign-in, in seconds.
fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get(header::RETRY_AFTER)
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn fail_from(app: &TestApp, client: &str, what: &str) {
    let res = sign_in_from(app, EDITOR, "not the password", Some(client)).await;
    assert_eq!(res.status(), 401, "{what}");
}

async fn a_guessing_client_waits_longer_after_each_failure_and_no_one_else_is_locked_out(
    backend: Backend,
) {
    let app = spawn_app_with(backend, BEHIND_PROXY).await;
    add_staff(&app, EDITOR, Role::Admin).await;
    let guesser = "198.51.100.7";
    for i in 1..=FREE_FAILURES {
        fail_from(&app, guesser, &format!("free failure {i}")).await;
    }
    // Now the guesser has to wait, even with the right password, and the wait is announced.
    let res = sign_in_from(&app, EDITOR, PASSWORD, Some(guesser)).await;
    assert_eq!(
        res.status(),
        429,
        "the right password too soon after failures"
    );
    assert!(set_cookie(&res).is_none());
    let first_wait = retry_after(&res);
    assert_eq!(first_wait, delay_after(FREE_FAILURES).as_secs());
    let body = res.text().await.unwrap();
    assert!(body.contains("Too many failed sign-in attempts"), "{body}");
    // Case and spaces do not make another account.
    let res = sign_in_from(&app, " EDITOR@News.example", PASSWORD, Some(guesser)).await;
    assert_eq!(res.status(), 429);

    // Anyone else signs in at once: five failures no longer lock the account.
    let res = sign_in_from(&app, EDITOR, PASSWORD, Some("198.51.100.8")).await;
    assert_eq!(res.status(), 303, "another client with the right password");

    // Once the wait is over the guesser may try again; the next wait is longer.
    let limit = Duration::from_secs(first_wait + 10);
    eventually("the guesser to be let in again", limit, || async {
        let res = sign_in_from(&app, EDITOR, "still not it", Some(guesser)).await;
        match res.status().as_u16() {
            401 => Ok(()),
            other => Err(format!("answered {other}")),
        }
    })
    .await;
    let res = sign_in_from(&app, EDITOR, PASSWORD, Some(guesser)).await;
    assert_eq!(res.status(), 429);
    let second_wait = retry_after(&res);
    assert!(
        second_wait > first_wait,
        "waits grow: {first_wait} s, then {second_wait} s"
    );
}

async fn the_right_password_from_a_fresh_client_signs_in_after_100_failures_from_others(
    backend: Backend,
) {
    let app = spawn_app_with(backend, BEHIND_PROXY).await;
    let editor = add_staff(&app, EDITOR, Role::Admin).await;
    // 50 clients fail twice each, four at a time.
    let clients: Vec<String> = (1..=50).map(|i| format!("203.0.113.{i}")).collect();
    let attempts = clients.iter().flat_map(|c| [c, c]).enumerate();
    futures_util::stream::iter(attempts)
        .for_each_concurrent(4, |(i, client)| {
            let app = &app;
            async move { fail_from(app, client, &format!("failure {i} from {client}")).await }
        })
        .await;
    const { assert!(100 > ACCOUNT_CEILING, "the test crosses the ceiling") };

    // The ceiling was crossed once, and the audit log says so.
    let entries = app
        .read(|c| {
            audit_log::table
                .filter(audit_log::action.eq(CEILING_ACTION))
                .select((audit_log::subject_id, audit_log::actor))
                .load::<(String, String)>(c)
        })
        .await;
    assert_eq!(entries, vec![(editor.to_string(), "system".to_owned())]);

    // A fresh client is slowed, never refused: the right password gets in.
    let started = Instant::now();
    let res = sign_in_from(&app, EDITOR, PASSWORD, Some("198.51.100.99")).await;
    assert_eq!(res.status(), 303, "the right password from a fresh client");
    assert!(set_cookie(&res).is_some());
    assert!(
        started.elapsed() >= CEILING_DELAY,
        "over the ceiling a fresh client waits {CEILING_DELAY:?}; it took {:?}",
        started.elapsed()
    );

    // A client that keeps guessing is held back, the right password or not.
    let guesser = "198.51.100.7";
    for i in 1..=FREE_FAILURES {
        fail_from(&app, guesser, &format!("free failure {i} of the guesser")).await;
    }
    let res = sign_in_from(&app, EDITOR, PASSWORD, Some(guesser)).await;
    assert_eq!(res.status(), 429, "the guesser, over the ceiling");
    assert!(retry_after(&res) >= 1);
}

async fn two_instances_on_one_database_share_one_sign_in_throttle(backend: Backend) {
    let first = spawn_app_with(backend, BEHIND_PROXY).await;
    let second = spawn_app_on(first.database.clone(), BEHIND_PROXY).await;
    add_staff(&first, EDITOR, Role::Admin).await;
    let guesser = "198.51.100.7";
    // Turn about: each instance alone sees fewer than the free failures.
    for i in 1..=FREE_FAILURES {
        let app = if i % 2 == 0 { &second } else { &first };
        fail_from(app, guesser, &format!("free failure {i}")).await;
    }
    for (name, app) in [("first", &first), ("second", &second)] {
        let res = sign_in_from(app, EDITOR, PASSWORD, Some(guesser)).await;
        assert_eq!(res.status(), 429, "the {name} instance counts both");
    }
}

/// A monthly join of the supporter tier for `email`.
fn join_form(email: &str) -> [(&str, &str); 3] {
    [
        ("tier", "supporter"),
        ("interval", "month"),
        ("email", email),
    ]
}

/// The Checkout Sessions memberdrive asked the test Stripe server for.
fn sessions_created(stripe: &StripeServer) -> Vec<crate::support::stripe_server::RecordedRequest> {
    stripe
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/checkout/sessions")
        .collect()
}

async fn checkouts_are_limited_per_client_and_per_address_against_card_testing(backend: Backend) {
    let stripe = StripeServer::start().await;
    let stripe_url = stripe.url();
    let app = spawn_app_with(
        backend,
        &[
            ("STRIPE_SECRET_KEY", StripeServer::SECRET_KEY),
            ("STRIPE_WEBHOOK_SECRET", StripeServer::WEBHOOK_SECRET),
            ("STRIPE_API_BASE", &stripe_url),
            ("MEMBERDRIVE_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .await;
    // A card tester: one client, a new address each time. The first refusal comes right
    // after the burst (a later one only if the machine is so slow the bucket refilled).
    let (tester, quota) = ("203.0.113.30", CHECKOUT_RATE.burst as usize);
    let started = Instant::now();
    let mut accepted = 0;
    loop {
        let email = format!("card{accepted}@tester.example");
        match status_from(&app, "/join", tester, &join_form(&email)).await {
            303 => accepted += 1,
            429 => break,
            other => panic!("join {accepted} answered {other}"),
        }
        assert!(accepted <= 4 * quota, "never refused");
    }
    let refill = (started.elapsed().as_millis() / CHECKOUT_RATE.per.as_millis()) as usize;
    assert!(
        (quota..=quota + refill).contains(&accepted),
        "{accepted} Checkouts before the first refusal; the quota is {quota}"
    );
    assert!(quota <= 10, "the 11th Checkout in a minute is refused");
    // Giving counts in the same quota.
    let gift = [
        ("tier", "supporter"),
        ("months", "3"),
        ("recipient_email", "friend@readers.example"),
        ("email", "card-gift@tester.example"),
    ];
    assert_eq!(status_from(&app, "/gift", tester, &gift).await, 429);
    // A reader of the Ukrainian join page is refused in Ukrainian.
    let mut ukrainian = join_form("card-uk@tester.example").to_vec();
    ukrainian.push(("lang", "uk"));
    let res = post_from(&app, "/join", tester, &ukrainian).await;
    assert_eq!(res.status(), 429);
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"<html lang="uk">"#), "{page}");
    assert!(page.contains("Забагато спроб із вашої мережі"), "{page}");
    let created = sessions_created(&stripe);
    assert_eq!(
        created.len(),
        accepted,
        "a refused join never reaches Stripe"
    );
    // The payment methods are the ones the outlet enabled in Stripe's dashboard.
    for session in &created {
        assert!(
            session
                .form
                .iter()
                .all(|(k, _)| !k.starts_with("payment_method_types")),
            "{:?}",
            session.form
        );
    }

    // One address, from many clients: five an hour.
    let per_address = CHECKOUT_ADDRESS_RATE.burst as usize;
    for i in 0..per_address {
        let client = format!("198.51.100.{}", 40 + i);
        let status =
            status_from(&app, "/join", &client, &join_form("Victim@Readers.example")).await;
        assert_eq!(status, 303, "Checkout {i} for the address");
    }
    let res = app
        .client
        .post(format!("{}/join", app.address))
        .header("x-forwarded-for", "198.51.100.99")
        .form(&join_form("victim@readers.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429, "case does not make another address");
    assert!(res.text().await.unwrap().contains("this email address"));

    // A bot that fills the hidden field is sent back to the form; Stripe hears nothing.
    let before = sessions_created(&stripe).len();
    let mut form = join_form("bot@spam.example").to_vec();
    form.push(("website", "http://spam.example"));
    assert_eq!(status_from(&app, "/join", "192.0.2.5", &form).await, 303);
    let mut gift = gift.to_vec();
    gift.push(("website", "http://spam.example"));
    assert_eq!(status_from(&app, "/gift", "192.0.2.5", &gift).await, 303);
    assert_eq!(sessions_created(&stripe).len(), before);
}
