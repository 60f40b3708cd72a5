//! A database that stops answering (a frozen server, a broken network) costs each request at
//! most `CALL_TIMEOUT`, the widget goes on from memory, and everything recovers once it answers
//! again, with nothing lost or doubled.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use memberdrive::db::CALL_TIMEOUT;
use memberdrive::db::schema::subscribers;

use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::support::postgres::PrivateCluster;
use crate::support::wait::eventually;

/// How long the database stays frozen.
const FROZEN: Duration = Duration::from_secs(20);

/// What a busy machine may add to a bound: scheduling, not waiting on the database.
const SLACK: Duration = Duration::from_secs(2);

/// Signs up `email`; the status and how long the answer took.
async fn timed_sign_up(app: &TestApp, email: &str) -> (u16, Duration) {
    let started = Instant::now();
    let res = app
        .post_form(
            "/newsletters/subscribe",
            &[("email", email), ("newsletter", "news")],
        )
        .await;
    let status = res.status().as_u16();
    if status == 503 {
        assert_eq!(res.headers()["retry-after"], "1");
    }
    (status, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_postgresql_costs_a_request_a_bounded_wait_and_loses_nothing() {
    let cluster = tokio::task::spawn_blocking(PrivateCluster::start)
        .await
        .unwrap();
    let app = Arc::new(
        spawn_app_with(Backend::Postgres, &[("DATABASE_URL", cluster.url.as_str())]).await,
    );
    for n in 0..5 {
        let (status, _) = timed_sign_up(&app, &format!("before{n}@news.example")).await;
        assert_eq!(status, 200);
    }

    cluster.freeze();
    let frozen_at = Instant::now();
    let signers: Vec<_> = (0..4)
        .map(|worker| {
            let app = app.clone();
            tokio::spawn(async move {
                let mut answers = Vec::new();
                while frozen_at.elapsed() < FROZEN - CALL_TIMEOUT {
                    let email = format!("frozen{worker}.{}@news.example", answers.len());
                    answers.push(timed_sign_up(&app, &email).await);
                }
                answers
            })
        })
        .collect();
    let mut widget = Vec::new();
    while frozen_at.elapsed() < FROZEN - CALL_TIMEOUT {
        let started = Instant::now();
        let res = app.get("/widget/members.json").await;
        widget.push((res.status().as_u16(), started.elapsed()));
    }
    let (readyz, took) = {
        let started = Instant::now();
        (
            app.get("/readyz").await.status().as_u16(),
            started.elapsed(),
        )
    };
    let mut answers = Vec::new();
    for signer in signers {
        answers.extend(signer.await.unwrap());
    }
    tokio::time::sleep(FROZEN.saturating_sub(frozen_at.elapsed())).await;
    cluster.thaw();

    assert_eq!(readyz, 503);
    assert!(took <= CALL_TIMEOUT + SLACK, "/readyz took {took:?}");
    let slowest = answers.iter().map(|(_, took)| *took).max().unwrap();
    assert!(
        slowest <= CALL_TIMEOUT + SLACK,
        "a sign-up took {slowest:?} with the database frozen (bound {CALL_TIMEOUT:?})"
    );
    assert!(
        answers.iter().all(|(status, _)| *status == 503),
        "with the database frozen every sign-up is answered 503: {answers:?}"
    );
    assert!(
        widget.len() > 10,
        "the widget answered {} times",
        widget.len()
    );
    assert!(
        widget
            .iter()
            .all(|(status, took)| *status == 200 && *took < Duration::from_secs(1)),
        "the widget answers from memory: {widget:?}"
    );

    // Back: readiness, sign-ups, and every stored address confirmed by exactly one email.
    app.wait_for_readyz(200, Duration::from_secs(30)).await;
    let (status, took) = timed_sign_up(&app, "after@news.example").await;
    assert_eq!(status, 200, "after {took:?}");
    let stored: Vec<String> = app
        .read(|c| subscribers::table.select(subscribers::email).load(c))
        .await;
    for n in 0..5 {
        assert!(
            stored.contains(&format!("before{n}@news.example")),
            "{stored:?}"
        );
    }
    assert!(stored.contains(&"after@news.example".to_owned()));
    // A sign-up whose commit was in flight when the database froze may land after the read
    // above: each look compares with what is stored then.
    let what = "one confirmation for every stored address";
    eventually(what, Duration::from_secs(30), || async {
        let stored: Vec<String> = app
            .read(|c| subscribers::table.select(subscribers::email).load(c))
            .await;
        let mut sent: Vec<String> = app
            .smtp
            .messages()
            .iter()
            .flat_map(|m| m.to.clone())
            .collect();
        sent.sort();
        let mut expected = stored.clone();
        expected.sort();
        if sent == expected {
            Ok(())
        } else {
            Err(format!("sent {sent:?}, stored {expected:?}"))
        }
    })
    .await;
}
