use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, request, spawn_app};
use crate::support::wait::eventually;

both_backends!(
    health_and_readiness_answer,
    metrics_keep_their_series_after_a_thousand_requests_to_unknown_paths
);

async fn health_and_readiness_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/healthz", "/readyz"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
    }
}

/// A server outage exists only on PostgreSQL (SQLite is a file inside the process).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_postgresql_going_away_and_coming_back() {
    let app = spawn_app(Backend::Postgres).await;
    assert_eq!(app.get("/readyz").await.status(), 200);

    app.database.stop().await;
    app.wait_for_readyz(503, Duration::from_secs(5)).await;
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "liveness does not depend on the database"
    );

    app.database.start();
    app.wait_for_readyz(200, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app(Backend::Sqlite).await;
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/widget/members.json",
        "/no/such/page",
    ] {
        let res = app.get(path).await;
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(
            h["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src"),
            "{path}"
        );
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(h.get("server").is_none(), "{path} names the server");
    }
}

#[tokio::test]
async fn metrics_are_in_prometheus_text_format() {
    let app = spawn_app(Backend::Sqlite).await;
    for _ in 0..2 {
        app.get("/widget/members.json").await;
    }
    request(&app, Method::HEAD, "/widget/members.json", None)
        .send()
        .await
        .unwrap();
    app.get("/widget/no-such-campaign.json").await;
    app.get("/healthz").await;
    let body = eventually("the requests counted", Duration::from_secs(10), || async {
        let body = app.get("/metrics").await.text().await.unwrap();
        let counted = body.contains(r#"endpoint="/healthz",method="GET",status="200"}"#);
        if counted { Ok(body) } else { Err(body) }
    })
    .await;
    let widget = r#"memberdrive_widget_http_requests_total{endpoint="/widget/{campaign}.json""#;
    for line in [
        "# TYPE memberdrive_http_requests_total counter",
        "# TYPE memberdrive_http_requests_duration_seconds histogram",
        "# TYPE memberdrive_widget_http_requests_total counter",
        "# TYPE memberdrive_widget_http_requests_duration_seconds histogram",
        &format!(r#"{widget},method="GET",status="200"}} 2"#),
        &format!(r#"{widget},method="HEAD",status="200"}} 1"#),
        &format!(r#"{widget},method="GET",status="404"}} 1"#),
    ] {
        assert!(body.contains(line), "{line} in {body}");
    }
}

/// The series `/metrics` shows (name and labels), and the value of each; not the outbox
/// gauges, which a background task fills in its own time after start-up.
async fn series(app: &TestApp) -> Vec<(String, f64)> {
    let body = app.get("/metrics").await.text().await.unwrap();
    body.lines()
        .filter(|line| {
            !line.starts_with('#') && !line.is_empty() && !line.starts_with("memberdrive_outbox_")
        })
        .map(|line| {
            let (key, value) = line.rsplit_once(' ').expect("a sample line");
            (key.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}

/// The series once `/metrics` counts `want` GETs to unknown paths (a request is counted once
/// its answer is sent, just after the client has it).
async fn counted_unmatched_gets(app: &TestApp, want: usize) -> Vec<(String, f64)> {
    let key = r#"memberdrive_http_requests_total{endpoint="unmatched",method="GET",status="404"}"#;
    eventually(
        &format!("{want} GETs to unknown paths counted"),
        Duration::from_secs(10),
        || async {
            let now = series(app).await;
            match now.iter().find(|(k, _)| k == key) {
                Some((_, n)) if *n == want as f64 => Ok(now),
                seen => Err(format!("{seen:?}")),
            }
        },
    )
    .await
}

async fn metrics_keep_their_series_after_a_thousand_requests_to_unknown_paths(backend: Backend) {
    const SCANS: usize = 1000;
    const METHODS: [Method; 3] = [Method::GET, Method::HEAD, Method::POST];
    let app = spawn_app(backend).await;
    let scan = |i: usize| {
        let method = METHODS[i % METHODS.len()].clone();
        let path = format!(
            "/{:x}/{i}.php?q={}",
            rand::random::<u64>(),
            rand::random::<u32>()
        );
        let app = &app;
        async move {
            let res = request(app, method.clone(), &path, None)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 404, "{method} {path}");
        }
    };
    // Each method once, and `/metrics` twice, so every series the scan may touch exists.
    for i in 0..METHODS.len() {
        scan(i).await;
    }
    series(&app).await;
    let before = counted_unmatched_gets(&app, 1).await;

    let scans = METHODS.len()..METHODS.len() + SCANS;
    let gets = scans.clone().filter(|i| i % METHODS.len() == 0).count();
    futures_util::stream::iter(scans)
        .for_each_concurrent(16, scan)
        .await;
    let after = counted_unmatched_gets(&app, 1 + gets).await;
    let keys = |s: &[(String, f64)]| s.iter().map(|(k, _)| k.clone()).collect::<BTreeSet<_>>();
    assert_eq!(keys(&after), keys(&before), "the same series");
}

/// Bodies worth compressing are compressed for a client that asks; the widget's few hundred
/// bytes of JSON and SVG, asked for on every article view, are sent as they are.
#[tokio::test]
async fn compression_where_it_pays() {
    let app = spawn_app(Backend::Sqlite).await;
    for (path, compressed) in [
        ("/widget/embed.js", true),
        ("/widget/members", true),
        ("/static/site.css", true),
        ("/widget/members.json", false),
        ("/widget/members.svg", false),
    ] {
        let res = request(&app, Method::GET, path, None)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let encoding = res
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            encoding.as_deref() == Some("gzip"),
            compressed,
            "{path}: {encoding:?}"
        );
    }
}
