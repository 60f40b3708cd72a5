//! Many paid joins at once against the built binary as its own process: readers join and
//! pay, then Stripe's events for them arrive several times each, shuffled, many at a time
//! ([`Delivery::Storm`]). The suite runs a small storm on each database; the example
//! `bench_webhooks` (`scripts/bench-webhooks`) times a large one. The server's log is a file,
//! so what it reports (a deadlock, a unique violation) is read from where an operator would
//! read it.

// Each test binary compiles this module separately and uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use memberdrive::config::DatabaseUrl;
use memberdrive::db::schema::{jobs, memberships, payments, stripe_events};
use memberdrive::db::{Db, DbConnection};

use super::stripe_server::{Delivery, StripeServer};
use super::wait::eventually;

/// How long a storm may take to settle before it counts as stuck.
const SETTLE_LIMIT: Duration = Duration::from_secs(300);

/// A storm to run.
#[derive(Debug, Clone, Copy)]
pub struct Storm {
    /// Readers who join and pay, each for a monthly membership of the `supporter` tier.
    pub joins: usize,
    /// Deliveries of each event.
    pub times: usize,
    /// Webhook POSTs in flight at a time.
    pub at_once: usize,
    /// Seed of the delivery order.
    pub seed: u64,
}

/// `memberdrive serve` as its own process, talking to a Stripe test server, with its log in a
/// file. Killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub address: String,
    /// Where its standard output and error go.
    pub log: PathBuf,
    database_url: String,
}

impl Server {
    /// Starts `bin serve` on `database_url` in `dir` (its log and mail go there), with
    /// `stripe` as its Stripe, and waits until it answers `/healthz`. Nothing of the caller's
    /// environment reaches it; the log level is the default (`info`).
    pub async fn start(
        bin: &Path,
        database_url: &str,
        stripe: &StripeServer,
        dir: &Path,
    ) -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("its address").port();
        drop(listener);
        let address = format!("http://127.0.0.1:{port}");
        let log = dir.join("server.log");
        let out = std::fs::File::create(&log).expect("the server's log file");
        let child = Command::new(bin)
            .arg("serve")
            .current_dir(dir)
            .env_clear()
            .env("DATABASE_URL", database_url)
            .env("MEMBERDRIVE_BIND", format!("127.0.0.1:{port}"))
            .env("MEMBERDRIVE_BASE_URL", &address)
            .env("MEMBERDRIVE_MAIL_DIR", dir.join("mail"))
            // Each join comes from an address of its own (X-Forwarded-For), so the sign-up
            // limit per client is not what a storm measures.
            .env("MEMBERDRIVE_TRUSTED_PROXIES", "127.0.0.1")
            .env("STRIPE_SECRET_KEY", StripeServer::SECRET_KEY)
            .env("STRIPE_WEBHOOK_SECRET", StripeServer::WEBHOOK_SECRET)
            .env("STRIPE_API_BASE", stripe.url())
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("the log file again"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        stripe.set_webhook_url(&format!("{address}/webhooks/stripe"));
        let server = Server {
            child,
            address,
            log,
            database_url: database_url.to_owned(),
        };
        let client = reqwest::Client::new();
        let healthz = format!("{}/healthz", server.address);
        eventually(
            "the server to answer /healthz",
            Duration::from_secs(60),
            || {
                let request = client.get(&healthz).send();
                async move { request.await.is_ok_and(|r| r.status() == 200) }
            },
        )
        .await;
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a storm left behind, and how long it took to settle.
#[derive(Debug)]
pub struct Outcome {
    /// The storm that ran.
    pub storm: Storm,
    /// From the first delivery until every delivery was answered.
    pub delivered: Duration,
    /// From the first delivery until every event was processed and the widget showed every
    /// join.
    pub settled: Duration,
    /// Distinct events Stripe queued, and those the server stored.
    pub events: (usize, i64),
    /// Deliveries the server did not acknowledge with 200.
    pub refused: usize,
    /// What the widget shows.
    pub count: i64,
    /// Active memberships.
    pub active: i64,
    /// Payments recorded, their sum, and the sum Stripe collected.
    pub payments: (i64, i64, i64),
    /// Receipts and welcome emails queued.
    pub emails: (i64, i64),
    /// Event jobs that needed more than one attempt.
    pub retried: i64,
    /// Event jobs dead-lettered.
    pub dead: i64,
    /// Lines of the server's log reporting a deadlock (or, on SQLite, a lock not had).
    pub lock_failures: Vec<String>,
    /// Lines of the server's log reporting a unique violation.
    pub unique_violations: Vec<String>,
}

impl Outcome {
    /// Everything that is not as a storm must leave it, one line each; empty when all is.
    pub fn faults(&self) -> Vec<String> {
        let joins = self.storm.joins as i64;
        let mut faults = Vec::new();
        let mut expect = |what: &str, seen: i64, wanted: i64| {
            if seen != wanted {
                faults.push(format!("{what}: {seen}, not {wanted}"));
            }
        };
        expect("refused deliveries", self.refused as i64, 0);
        expect("events stored", self.events.1, self.events.0 as i64);
        expect("the widget's count", self.count, joins);
        expect("active memberships", self.active, joins);
        expect("payments", self.payments.0, joins);
        expect("revenue", self.payments.1, self.payments.2);
        expect("receipts", self.emails.0, joins);
        expect("welcome emails", self.emails.1, joins);
        expect("dead-lettered events", self.dead, 0);
        expect("deadlocks logged", self.lock_failures.len() as i64, 0);
        expect(
            "unique violations logged",
            self.unique_violations.len() as i64,
            0,
        );
        for line in self.lock_failures.iter().chain(&self.unique_violations) {
            faults.push(format!("log: {line}"));
        }
        faults
    }
}

/// Runs `storm` against `server`: the joins and their payments, then every event delivered as
/// the storm says, timed until it settled; then what the database holds and what the log says.
pub async fn run(server: &Server, stripe: &StripeServer, storm: Storm) -> Outcome {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let mut collected = 0;
    for n in 0..storm.joins {
        let session = join(server, stripe, &client, n).await;
        collected += stripe.pay_checkout(&session).amount;
    }
    let events = stripe.pending_events().len();
    let url = DatabaseUrl::parse(&server.database_url).expect("a database URL");
    let db = Db::connect(&url, memberdrive::db::DEFAULT_POOL_SIZE).expect("the storm's database");

    let started = Instant::now();
    let statuses = stripe
        .deliver(Delivery::Storm {
            times: storm.times,
            seed: storm.seed,
            at_once: storm.at_once,
        })
        .await;
    let delivered = started.elapsed();
    let what = format!("{} joins to settle", storm.joins);
    eventually(&what, SETTLE_LIMIT, || async {
        let open = event_jobs(&db, "queued").await;
        let dead = event_jobs(&db, "dead").await;
        let count = widget_count(server, &client).await;
        if (open == 0 && count == storm.joins as i64) || dead > 0 {
            Ok(())
        } else {
            Err(format!(
                "{open} events to process, the widget shows {count}"
            ))
        }
    })
    .await;
    let settled = started.elapsed();

    let (stored, active, payments, emails, retried) = db
        .read(|c| {
            let stored: i64 = stripe_events::table.count().get_result(c)?;
            let active: i64 = memberships::table
                .filter(memberships::status.eq("active"))
                .count()
                .get_result(c)?;
            // SUM(BIGINT) is NUMERIC on PostgreSQL; the cast gives both backends one type.
            let (paid, revenue): (i64, Option<i64>) = payments::table
                .select((
                    count_star(),
                    sql::<Nullable<BigInt>>("CAST(SUM(payments.amount) AS BIGINT)"),
                ))
                .first(c)?;
            let emails = (keyed(c, "receipt")?, keyed(c, "welcome")?);
            let retried: i64 = jobs::table
                .filter(jobs::kind.eq("stripe_event"))
                .filter(jobs::attempts.gt(1))
                .count()
                .get_result(c)?;
            Ok((
                stored,
                active,
                (paid, revenue.unwrap_or(0)),
                emails,
                retried,
            ))
        })
        .await
        .expect("read what the storm left");
    let log = std::fs::read_to_string(&server.log).expect("the server's log");
    let lines_with = |needles: &[&str]| -> Vec<String> {
        log.lines()
            .filter(|line| needles.iter().any(|n| line.contains(n)))
            .map(str::to_owned)
            .collect()
    };
    Outcome {
        storm,
        delivered,
        settled,
        events: (events, stored),
        refused: statuses.iter().filter(|s| **s != 200).count(),
        count: widget_count(server, &client).await,
        active,
        payments: (payments.0, payments.1, collected),
        emails,
        retried,
        dead: event_jobs(&db, "dead").await,
        lock_failures: lines_with(&["deadlock detected", "database is locked"]),
        unique_violations: lines_with(&["duplicate key", "UNIQUE constraint failed"]),
    }
}

/// Reader `n` joins from an address of their own; returns the Checkout Session's id.
async fn join(
    server: &Server,
    stripe: &StripeServer,
    client: &reqwest::Client,
    n: usize,
) -> String {
    let email = format!("storm{n}@news.example");
    let res = client
        .post(format!("{}/join", server.address))
        .header(
            "x-forwarded-for",
            format!("198.18.{}.{}", n / 250, n % 250 + 1),
        )
        .form(&[
            ("email", email.as_str()),
            ("tier", "supporter"),
            ("interval", "month"),
        ])
        .send()
        .await
        .expect("POST /join");
    assert_eq!(res.status(), 303, "join {n}: {:?}", res.text().await);
    let location = res.headers()["location"].to_str().expect("a location");
    let checkout = format!("{}checkout/", stripe.url());
    location
        .strip_prefix(&checkout)
        .unwrap_or_else(|| panic!("{location} is not a checkout URL"))
        .to_owned()
}

/// Jobs whose key starts with `prefix:` (`receipt`, `welcome`).
fn keyed(conn: &mut DbConnection, prefix: &str) -> QueryResult<i64> {
    jobs::table
        .filter(jobs::dedupe_key.like(format!("{prefix}:%")))
        .count()
        .get_result(conn)
}

async fn event_jobs(db: &Db, status: &'static str) -> i64 {
    db.read(move |c| {
        jobs::table
            .filter(jobs::kind.eq("stripe_event"))
            .filter(jobs::status.eq(status))
            .count()
            .get_result(c)
    })
    .await
    .expect("count event jobs")
}

async fn widget_count(server: &Server, client: &reqwest::Client) -> i64 {
    let url = format!("{}/widget/members.json", server.address);
    let res = client.get(url).send().await.expect("GET the widget");
    let body: serde_json::Value = res.json().await.expect("the widget's JSON");
    body["count"].as_i64().expect("a count")
}
