use std::time::Duration;

use crate::both_backends;
use crate::helpers::{Backend, spawn_app};

both_backends!(health_and_readiness_answer);

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
    app.get("/widget/members.json").await;
    let body = app.get("/metrics").await.text().await.unwrap();
    assert!(
        body.contains("# TYPE memberdrive_http_requests_total counter"),
        "{body}"
    );
    assert!(
        body.contains("endpoint=\"/widget/{campaign}.json\""),
        "{body}"
    );
}
