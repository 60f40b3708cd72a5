//! Running behind PgBouncer in transaction mode: consecutive transactions of one connection
//! land on different server connections, so nothing may depend on a session (named prepared
//! statements, a session's time zone, a session's advisory lock).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use memberdrive::db::schema::subscribers;

use crate::helpers::{Backend, TestDatabase, pg_admin_url, spawn_app_on};
use crate::support::postgres::PgBouncer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_runs_behind_pgbouncer_in_transaction_mode() {
    let (database, bouncer) = tokio::task::spawn_blocking(|| {
        let database = TestDatabase::new(Backend::Postgres);
        // A server whose sessions are not in UTC: timestamps must not depend on it.
        let name = database.url.rsplit('/').next().unwrap().to_owned();
        PgConnection::establish(&pg_admin_url())
            .unwrap()
            .batch_execute(&format!(
                "ALTER DATABASE {name} SET timezone TO 'Pacific/Kiritimati'"
            ))
            .unwrap();
        (database, PgBouncer::start(&pg_admin_url()))
    })
    .await
    .unwrap();
    let mut url = url::Url::parse(&database.url).unwrap();
    url.set_port(Some(bouncer.port)).unwrap();
    url.set_query(Some("pgbouncer=true"));
    let app = Arc::new(
        spawn_app_on(
            Arc::new(database),
            &[
                ("DATABASE_URL", url.as_str()),
                ("MEMBERDRIVE_TRUSTED_PROXIES", "127.0.0.1"),
            ],
        )
        .await,
    );

    let sign_ups: Vec<_> = (0..40)
        .map(|n| {
            let app = app.clone();
            tokio::spawn(async move {
                app.client
                    .post(format!("{}/newsletters/subscribe", app.address))
                    .header("x-forwarded-for", format!("10.0.0.{n}"))
                    .form(&[
                        ("email", format!("reader{n}@news.example").as_str()),
                        ("newsletter", "news"),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for sign_up in sign_ups {
        assert_eq!(sign_up.await.unwrap(), 200);
    }
    app.smtp
        .wait_for_messages(40, Duration::from_secs(30))
        .await;
    assert_eq!(app.count(subscribers::table).await, 40);

    // Written in UTC, whatever the server's sessions say.
    let created: Vec<chrono::NaiveDateTime> = app
        .read(|c| subscribers::table.select(subscribers::created_at).load(c))
        .await;
    let now = Utc::now().naive_utc();
    for at in created {
        let off = (now - at).num_minutes().abs();
        assert!(
            off < 10,
            "created_at {at} is {off} minutes from now ({now} UTC)"
        );
    }
    assert_eq!(app.get("/readyz").await.status(), 200);
}
