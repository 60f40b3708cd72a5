//! Times a storm of Stripe webhooks on SQLite and on PostgreSQL: `BENCH_JOINS` readers join
//! and pay (default 50), then every event Stripe made for them arrives `BENCH_TIMES` times
//! (default 3), shuffled, `BENCH_AT_ONCE` at a time (default 8), at `memberdrive serve` running
//! as its own process with the test Stripe server in front of it. The time counted runs from the
//! first delivery until every event is processed and the widget shows every join.
//!
//! Each database runs `BENCH_RUNS` storms (default 3, each on a fresh database and server);
//! the median settle time of each is printed, with PostgreSQL's as a ratio of SQLite's. The
//! program exits 1 if a storm leaves anything wrong (a count, a payment, an email, a log line
//! reporting a deadlock or a unique violation) or PostgreSQL takes more than 1.5 times as long.
//! `scripts/bench-webhooks` builds it and runs it; see there for the environment.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};

// The suite's peers; this program uses the Stripe test server and the storm.
#[allow(dead_code, unused_imports)]
#[path = "../tests/support/mod.rs"]
mod support;

use support::stripe_server::StripeServer;
use support::webhook_storm::{self, Server, Storm};

/// PostgreSQL may take at most this many times SQLite's settle time.
const RATIO_LIMIT: f64 = 1.5;

#[derive(Clone, Copy, PartialEq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

fn number(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(value) => value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            anyhow::anyhow!("{name} must be a positive whole number, not {value:?}")
        }),
        Err(_) => Ok(default),
    }
}

/// The `memberdrive` binary beside this example's directory (`target/PROFILE/memberdrive`).
fn server_binary() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let bin = me
        .parent()
        .and_then(|examples| examples.parent())
        .map(|profile| profile.join("memberdrive"))
        .filter(|bin| bin.is_file())
        .ok_or_else(|| anyhow::anyhow!("no memberdrive binary beside {}", me.display()))?;
    Ok(bin)
}

/// A fresh database for one storm: a file in `dir`, or `md_bench_webhooks` made anew on the
/// PostgreSQL server of `MEMBERDRIVE_TEST_PG_URL`.
fn fresh_database(backend: Backend, dir: &std::path::Path) -> anyhow::Result<String> {
    match backend {
        Backend::Sqlite => Ok(format!("sqlite://{}", dir.join("bench.db").display())),
        Backend::Postgres => {
            let admin = pg_admin_url();
            let mut conn = PgConnection::establish(&admin)
                .map_err(|e| anyhow::anyhow!("PostgreSQL is not reachable at {admin}: {e}"))?;
            diesel::sql_query("DROP DATABASE IF EXISTS md_bench_webhooks WITH (FORCE)")
                .execute(&mut conn)?;
            diesel::sql_query("CREATE DATABASE md_bench_webhooks").execute(&mut conn)?;
            let mut url = url::Url::parse(&admin)?;
            url.set_path("/md_bench_webhooks");
            Ok(url.to_string())
        }
    }
}

fn pg_admin_url() -> String {
    std::env::var("MEMBERDRIVE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn drop_pg_database() {
    if let Ok(mut conn) = PgConnection::establish(&pg_admin_url()) {
        let _ = diesel::sql_query("DROP DATABASE IF EXISTS md_bench_webhooks WITH (FORCE)")
            .execute(&mut conn);
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let joins = number("BENCH_JOINS", 50)?;
    let times = number("BENCH_TIMES", 3)?;
    let at_once = number("BENCH_AT_ONCE", 8)?;
    let runs = number("BENCH_RUNS", 3)?;
    let databases = std::env::var("BENCH_DATABASES").unwrap_or_else(|_| "sqlite postgres".into());
    let mut backends = Vec::new();
    for name in databases.split_whitespace() {
        backends.push(match name {
            "sqlite" => Backend::Sqlite,
            "postgres" => Backend::Postgres,
            other => anyhow::bail!("BENCH_DATABASES lists sqlite and postgres, not {other:?}"),
        });
    }
    let bin = server_binary()?;
    println!(
        "{joins} paid joins, each event delivered {times} times, shuffled, {at_once} at a time; \
         {runs} storms per database"
    );

    let mut ok = true;
    let mut medians = Vec::new();
    for backend in backends {
        let mut settled = Vec::new();
        for run in 0..runs {
            let dir = tempfile::tempdir()?;
            let url = fresh_database(backend, dir.path())?;
            let stripe = StripeServer::start().await;
            let server = Server::start(&bin, &url, &stripe, dir.path()).await;
            let storm = Storm {
                joins,
                times,
                at_once,
                seed: 7 + run as u64,
            };
            let outcome = webhook_storm::run(&server, &stripe, storm).await;
            drop(server);
            if backend == Backend::Postgres {
                drop_pg_database();
            }
            let faults = outcome.faults();
            println!(
                "{:<10} storm {}: delivered in {:>5.2} s, settled in {:>5.2} s; {} events, \
                 {} deliveries refused, {} event jobs retried, {} deadlocks and {} unique \
                 violations logged",
                backend.name(),
                run + 1,
                outcome.delivered.as_secs_f64(),
                outcome.settled.as_secs_f64(),
                outcome.events.0,
                outcome.refused,
                outcome.retried,
                outcome.lock_failures.len(),
                outcome.unique_violations.len(),
            );
            for fault in &faults {
                println!("           fault: {fault}");
            }
            ok &= faults.is_empty();
            settled.push(outcome.settled);
        }
        let median = median(settled);
        println!(
            "{:<10} median settle time {:.2} s",
            backend.name(),
            median.as_secs_f64()
        );
        medians.push((backend, median));
    }

    if let [(Backend::Sqlite, sqlite), (Backend::Postgres, postgres)] = medians[..] {
        let ratio = postgres.as_secs_f64() / sqlite.as_secs_f64();
        let verdict = if ratio <= RATIO_LIMIT {
            "met"
        } else {
            "MISSED"
        };
        println!("PostgreSQL / SQLite: {ratio:.2}x (target at most {RATIO_LIMIT}x: {verdict})");
        ok &= ratio <= RATIO_LIMIT;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
