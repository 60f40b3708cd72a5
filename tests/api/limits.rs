//! Rate limits live in the database: instances on one database share one quota per client,
//! and a restart forgets nothing.

use std::time::{Duration, Instant};

use memberdrive::state::SIGNUP_RATE;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, spawn_app_on, spawn_app_with};

both_backends!(two_instances_on_one_database_share_one_sign_up_quota_per_client);

const BEHIND_PROXY: &[(&str, &str)] = &[("MEMBERDRIVE_TRUSTED_PROXIES", "127.0.0.1")];

/// POSTs `form` to `path` as the client `ip` (named by the trusted proxy); the status.
async fn post_from(app: &TestApp, path: &str, ip: &str, form: &[(&str, &str)]) -> u16 {
    app.client
        .post(format!("{}{path}", app.address))
        .header("x-forwarded-for", ip)
        .form(form)
        .send()
        .await
        .expect("POST")
        .status()
        .as_u16()
}

/// Sends `n` sign-up requests from `client` as fast as it can, turn about to each of `apps`
/// and, every third, to the member sign-in form (the same quota); how many were let through.
async fn burst(apps: &[&TestApp], client: &str, n: usize) -> usize {
    let mut accepted = 0;
    for i in 0..n {
        let app = apps[i % apps.len()];
        let email = format!("reader{i}@news.example");
        let status = if i % 3 == 2 {
            post_from(app, "/account/sign-in", client, &[("email", &email)]).await
        } else {
            let form = [("email", email.as_str()), ("newsletter", "news")];
            post_from(app, "/newsletters/subscribe", client, &form).await
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

async fn two_instances_on_one_database_share_one_sign_up_quota_per_client(backend: Backend) {
    let first = spawn_app_with(backend, BEHIND_PROXY).await;
    let second = spawn_app_on(first.database.clone(), BEHIND_PROXY).await;
    let (client, quota) = ("203.0.113.7", SIGNUP_RATE.burst as usize);
    // Each instance sees half the requests: a limit per process would let every one through.
    let started = Instant::now();
    let accepted = burst(&[&first, &second], client, 2 * quota).await;
    let limit = at_most(started.elapsed());
    assert!(
        (quota..=limit).contains(&accepted) && accepted < 2 * quota,
        "two instances let {accepted} of {} through; one quota is {quota}, at most {limit} by now",
        2 * quota
    );
    // Another client keeps its own quota.
    assert_eq!(burst(&[&second], "203.0.113.8", 1).await, 1);

    // A restart forgets nothing: a new instance, once the others stopped, goes on counting.
    first.stop();
    second.stop();
    let restarted = spawn_app_on(first.database.clone(), BEHIND_PROXY).await;
    let after_restart = burst(&[&restarted], client, quota).await;
    let limit = at_most(started.elapsed());
    assert!(
        accepted + after_restart <= limit,
        "{accepted} before and {after_restart} after a restart; at most {limit} by now"
    );
}
