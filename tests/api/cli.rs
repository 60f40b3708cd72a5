//! The binary as an operator runs it.

use std::time::{Duration, Instant};

use crate::both_backends;
use crate::helpers::{Backend, TestDatabase, memberdrive_command};
use crate::served::Served;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

both_backends!(migrate_applies_once_then_nothing);

async fn migrate_applies_once_then_nothing(backend: Backend) {
    let db = TestDatabase::new(backend);
    let run = || {
        memberdrive_command()
            .arg("migrate")
            .env("DATABASE_URL", &db.url)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let steps = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count();
    assert_eq!(
        String::from_utf8_lossy(&first.stdout).trim(),
        format!("applied {steps} migration(s)")
    );
    let second = run();
    assert!(second.status.success());
    assert_eq!(
        String::from_utf8_lossy(&second.stdout).trim(),
        "applied 0 migration(s)"
    );
}

#[test]
fn bad_settings_stop_serve_with_one_line_naming_the_variable() {
    let unreachable = format!("postgres://postgres@127.0.0.1:{}/nope", free_port());
    let cases = [
        (
            "DATABASE_URL",
            "mysql://localhost/db",
            "invalid DATABASE_URL",
        ),
        (
            "DATABASE_URL",
            unreachable.as_str(),
            "cannot connect to postgres://",
        ),
        (
            "MEMBERDRIVE_BIND",
            "not-an-address",
            "invalid MEMBERDRIVE_BIND",
        ),
        (
            "MEMBERDRIVE_BIND",
            "203.0.113.1:80",
            "cannot listen on 203.0.113.1:80",
        ),
        (
            "MEMBERDRIVE_BASE_URL",
            "example.org",
            "invalid MEMBERDRIVE_BASE_URL",
        ),
        // Half a Stripe set-up: payments nobody would count.
        (
            "STRIPE_SECRET_KEY",
            "sk_test_half",
            "invalid STRIPE_WEBHOOK_SECRET: required with STRIPE_SECRET_KEY",
        ),
        (
            "STRIPE_SECRET_KEY",
            "pk_test_publishable",
            "invalid STRIPE_SECRET_KEY: this is a publishable key",
        ),
        (
            "STRIPE_WEBHOOK_SECRET",
            "whsec_half",
            "invalid STRIPE_SECRET_KEY: required with STRIPE_WEBHOOK_SECRET",
        ),
        (
            "MEMBERDRIVE_CONFIG",
            "/nonexistent/memberdrive.toml",
            "invalid MEMBERDRIVE_CONFIG: /nonexistent/memberdrive.toml",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (var, value, expected) in cases {
        let out = memberdrive_command()
            .arg("serve")
            .current_dir(dir.path())
            .env(var, value)
            .env(
                "MEMBERDRIVE_BIND",
                if var == "MEMBERDRIVE_BIND" {
                    value.to_owned()
                } else {
                    format!("127.0.0.1:{}", free_port())
                },
            )
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{var}={value} was accepted");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("memberdrive: ") && last.contains(expected),
            "{var}={value}: {stderr}"
        );
        assert!(!stderr.contains("\n\n"), "one line, got {stderr:?}");
    }
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
    ] {
        let out = memberdrive_command().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage: memberdrive"),
            "{args:?}"
        );
    }
}

/// The README's first command on a fresh directory: a new database with the default campaign
/// and newsletter, health and readiness, and a clean stop on SIGTERM.
#[tokio::test]
async fn serve_on_a_fresh_directory_creates_the_database_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    // Port 0: the system picks a free port, and the log says which.
    let mut cmd = memberdrive_command();
    cmd.current_dir(dir.path())
        .env("MEMBERDRIVE_BIND", "127.0.0.1:0")
        .env("MEMBERDRIVE_SESSION_KEY", "left over from an old set-up");
    let served = Served::start(cmd, Duration::from_secs(20)).await;
    assert_eq!(served.get("/healthz").unwrap().0, 200);
    assert_eq!(served.get("/readyz").unwrap().0, 200);
    let (status, body) = served.get("/widget/members.json").unwrap();
    assert_eq!(status, 200);
    assert!(
        body.contains("\"title\":\"Help us reach 20,000 members\"")
            && body.contains("\"goal\":20000"),
        "{body}"
    );
    assert!(dir.path().join("memberdrive.db").exists());
    {
        use diesel::prelude::*;
        let mut conn =
            SqliteConnection::establish(dir.path().join("memberdrive.db").to_str().unwrap())
                .unwrap();
        use memberdrive::db::schema::newsletters;
        let slugs: Vec<String> = newsletters::table
            .select(newsletters::slug)
            .load(&mut conn)
            .unwrap();
        assert_eq!(slugs, ["news"]);
    }

    let stopping = Instant::now();
    served.sigterm();
    let (status, log) = served.wait();
    assert!(status.success(), "exit status {status}");
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "took {:?} to stop",
        stopping.elapsed()
    );
    assert!(log.iter().any(|l| l.contains("stopping")), "{log:?}");
    assert!(
        log.iter()
            .any(|l| l.contains("WARN") && l.contains("MEMBERDRIVE_SESSION_KEY is deprecated")),
        "{log:?}"
    );
    // One summary line says what runs, with no secret, and a pipe gets no colour codes.
    let summary = log.iter().find(|l| l.contains(" listening ")).unwrap();
    for part in [
        "database=\"sqlite\"",
        "mail=files in ./mail",
        "stripe=\"off\"",
        "base_url=http://127.0.0.1:8080/",
    ] {
        assert!(summary.contains(part), "{part} missing from {summary}");
    }
    assert!(
        log.iter().all(|l| !l.contains('\u{1b}')),
        "colour codes in a pipe: {log:?}"
    );
}
