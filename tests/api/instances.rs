//! Several processes on one database: instances started together, and CLI commands run beside
//! `serve` while readers sign up.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use diesel::prelude::*;
use memberdrive::db::schema::{members, staff_users, subscribers};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, TestDatabase, memberdrive_command, spawn_app_with};
use crate::served::Served;

both_backends!(cli_commands_beside_serve_lose_no_sign_ups);

/// `memberdrive` with `DATABASE_URL` set to `database`.
fn memberdrive(database: &TestDatabase) -> Command {
    let mut cmd = memberdrive_command();
    cmd.env("DATABASE_URL", &database.url)
        .env("RUST_LOG", "warn");
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_started_together_on_an_empty_postgresql_database_all_serve() {
    let database = tokio::task::spawn_blocking(|| TestDatabase::new(Backend::Postgres))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let start = || {
        let mut cmd = memberdrive(&database);
        // The start-up summary, which names the port, is logged at `info`.
        cmd.current_dir(dir.path())
            .env("MEMBERDRIVE_BIND", "127.0.0.1:0")
            .env("RUST_LOG", "info");
        Served::start(cmd, Duration::from_secs(60))
    };
    // The three processes are spawned on the first poll of `join_all`, one right after another.
    let instances = futures_util::future::join_all([start(), start(), start()]).await;
    for instance in &instances {
        assert_eq!(instance.get("/readyz").map(|(status, _)| status), Some(200));
    }
    let steps = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count() as i64;
    let url = database.url.clone();
    let applied: i64 = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        diesel::sql_query("SELECT count(*) AS n FROM __diesel_schema_migrations")
            .get_result::<Applied>(&mut conn)
            .unwrap()
            .n
    })
    .await
    .unwrap();
    assert_eq!(applied, steps, "each migration applied once");
}

#[derive(QueryableByName)]
struct Applied {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Signs up readers with fresh addresses, each as a client of its own (named by the trusted
/// proxy), until `done`; counts the answers by status class.
async fn sign_up_until(app: &TestApp, done: &AtomicBool, next: &AtomicUsize) -> Vec<u16> {
    let mut statuses = Vec::new();
    while !done.load(Ordering::SeqCst) {
        let n = next.fetch_add(1, Ordering::SeqCst);
        let res = app
            .client
            .post(format!("{}/newsletters/subscribe", app.address))
            .header(
                "x-forwarded-for",
                format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255),
            )
            .form(&[
                ("email", format!("reader{n}@news.example").as_str()),
                ("newsletter", "news"),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    statuses
}

/// Runs a CLI command to its end; panics with its output unless it succeeds.
fn run_ok(mut cmd: Command, stdin: &str) {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd.get_args().collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn cli_commands_beside_serve_lose_no_sign_ups(backend: Backend) {
    let app = spawn_app_with(backend, &[("MEMBERDRIVE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("members.csv");
    let mut csv = String::from("email,name\n");
    for i in 0..20_000 {
        csv.push_str(&format!("imported{i}@example.org,Reader {i}\n"));
    }
    std::fs::write(&file, csv).unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let app = Arc::new(app);
    let clients: Vec<_> = (0..50)
        .map(|_| {
            let (app, done, next) = (app.clone(), done.clone(), next.clone());
            tokio::spawn(async move { sign_up_until(&app, &done, &next).await })
        })
        .collect();

    let database = app.database.clone();
    let commands = tokio::task::spawn_blocking(move || {
        let mut import = memberdrive(&database);
        import.arg("import-members").arg(&file);
        run_ok(import, "");
        std::thread::scope(|s| {
            for i in 0..5 {
                let database = &database;
                s.spawn(move || {
                    let mut add = memberdrive(database);
                    add.args([
                        "staff",
                        "add",
                        &format!("editor{i}@news.example"),
                        "--password-stdin",
                    ]);
                    run_ok(add, "a long enough passphrase\n");
                });
            }
            s.spawn(|| {
                let mut export = memberdrive(&database);
                export.arg("export-members");
                run_ok(export, "");
            });
        });
    });
    let cli = commands.await;
    done.store(true, Ordering::SeqCst);
    let mut answered = Vec::new();
    for client in clients {
        answered.extend(client.await.unwrap());
    }
    cli.expect("every CLI command succeeds");

    let refused: Vec<_> = answered.iter().filter(|s| **s != 200).collect();
    assert!(refused.is_empty(), "answers other than 200: {refused:?}");
    assert!(
        answered.len() >= 50,
        "only {} sign-ups were tried",
        answered.len()
    );
    let readers = app
        .count(subscribers::table.filter(subscribers::email.like("reader%@news.example")))
        .await;
    assert_eq!(
        readers,
        answered.len() as i64,
        "every sign-up answered 200 is stored"
    );
    assert_eq!(app.count(members::table).await, 20_000);
    assert_eq!(app.count(staff_users::table).await, 5);
}
