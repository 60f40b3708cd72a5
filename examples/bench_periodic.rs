//! Times every query memberdrive runs on a timer, on the database of `DATABASE_URL`, and
//! explains each one; `scripts/bench-periodic` fills that database first.
//!
//! Each periodic task runs its own code from the library, `BENCH_RUNS` times (default 5)
//! after one warm-up run, in a transaction that is rolled back when the task writes. The
//! statements of the warm-up run are captured through diesel's instrumentation and
//! explained: `EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` with the captured values on
//! PostgreSQL. A plan that reads a large table whole (a sequential scan, or an index read
//! from end to end) is marked, and the program exits 1 if a periodic task has one. The
//! recount of a campaign counts its members whole by design: it is timed and explained, not
//! judged.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context;
use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};
use diesel::prelude::*;
use diesel::sql_types::Text;
use memberdrive::campaigns::attribution::{ArticleOrigins, ArticleStats, Hit};
use memberdrive::campaigns::board::ProgressBoard;
use memberdrive::campaigns::progress;
use memberdrive::config::{DatabaseUrl, Settings};
use memberdrive::db::schema::campaigns;
use memberdrive::db::{self, Db, DbConnection};
use memberdrive::email::worker::EmailHandler;
use memberdrive::jobs::worker::Handler;
use memberdrive::members::reminders;
use memberdrive::members::sign_in::SignInHandler;
use memberdrive::payments::events::StripeEventHandler;
use memberdrive::retention::{self, Mode, Purge};
use memberdrive::web::limits;

/// Tables that grow with readers, members or mail: a plan must not read them whole.
const LARGE: [&str; 10] = [
    "members",
    "memberships",
    "payments",
    "jobs",
    "tokens",
    "sessions",
    "stripe_events",
    "subscribers",
    "newsletter_subscriptions",
    "audit_log",
];

/// Statements sent while a task's warm-up runs (`None`: not recording).
static CAPTURED: Mutex<Option<Vec<String>>> = Mutex::new(None);

fn capture() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event
            && let Some(statements) = CAPTURED.lock().expect("capture lock").as_mut()
        {
            statements.push(query.to_string());
        }
    }))
}

/// One run of a periodic task.
type Run<'a> = Box<dyn FnMut(&mut DbConnection) -> anyhow::Result<()> + 'a>;

/// One periodic task: what it is, how often it runs, and one run of it.
struct Task<'a> {
    name: String,
    every: &'static str,
    /// Whether its plans must not read a large table whole.
    judged: bool,
    run: Run<'a>,
}

fn task<'a>(
    name: impl Into<String>,
    every: &'static str,
    run: impl FnMut(&mut DbConnection) -> anyhow::Result<()> + 'a,
) -> Task<'a> {
    Task {
        name: name.into(),
        every,
        judged: true,
        run: Box::new(run),
    }
}

/// Runs `f` in a transaction and rolls it back: a task that writes leaves the data as it was.
fn rolled_back(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> QueryResult<()>,
) -> anyhow::Result<()> {
    let outcome = conn.transaction(|c| {
        f(c)?;
        Err::<(), _>(diesel::result::Error::RollbackTransaction)
    });
    match outcome {
        Ok(()) | Err(diesel::result::Error::RollbackTransaction) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn main() -> anyhow::Result<()> {
    let raw_url = std::env::var("DATABASE_URL").context("DATABASE_URL is not set")?;
    let url = DatabaseUrl::parse(&raw_url).map_err(anyhow::Error::msg)?;
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    set_default_instrumentation(capture)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let pool = Db::connect(&url, db::DEFAULT_POOL_SIZE)?;
    let mut conn = db::connect_one(&url)?;
    let settings = Settings::from_map(&HashMap::from([("DATABASE_URL".into(), raw_url)]))?;
    let base = url::Url::parse("http://127.0.0.1:8080/")?;
    let board = ProgressBoard::new(base.as_str());
    runtime.block_on(board.reload(&pool))?;
    let stats = ArticleStats::new(ArticleOrigins::new("*", &base));
    let campaign: i32 = campaigns::table
        .filter(campaigns::slug.eq("members"))
        .select(campaigns::id)
        .first(&mut conn)?;
    // What earlier runs did already: queue the reminders due now, fold the tallies of the
    // sent emails, purge the rate limits that ran out. Each task then times its steady state.
    reminders::queue_due(&mut conn, &settings, db::now())?;
    conn.transaction(memberdrive::jobs::fold_tallies)?;
    limits::purge(&mut conn, limits::now_ms())?;

    let mut tasks = vec![
        task(
            "progress board: campaign versions",
            "every 0.5 s",
            |_: &mut DbConnection| Ok(runtime.block_on(board.reload(&pool))?),
        ),
        task(
            "widget statistics: flush",
            "every 5 s",
            |_: &mut DbConnection| {
                stats.record(
                    None,
                    campaign,
                    "http://127.0.0.1:8080/article",
                    Hit::View,
                    None,
                );
                runtime.block_on(stats.flush(&pool))?;
                Ok(())
            },
        ),
        task("recount: next expiry", "after a change, every 60 s", |c| {
            progress::next_expiry(c, db::now())?;
            Ok(())
        }),
        Task {
            judged: false,
            ..task("recount: every campaign", "every 60 s", |c| {
                rolled_back(c, |c| progress::refresh_all(c, db::now()).map(drop))
            })
        },
        task("outbox gauges (fold and count)", "every 2 s", |c| {
            rolled_back(c, |c| {
                memberdrive::jobs::fold_tallies(c)?;
                memberdrive::jobs::counts(c, memberdrive::email::JOB_KIND).map(drop)
            })
        }),
        task("rate limits: purge", "every 60 s", |c| {
            rolled_back(c, |c| limits::purge(c, limits::now_ms()).map(drop))
        }),
        task("renewal reminders", "every hour", |c| {
            rolled_back(c, |c| {
                reminders::queue_due(c, &settings, db::now()).map(drop)
            })
        }),
        task("purge: anything due?", "every 5 min", |c| {
            retention::due(c, db::now())?;
            Ok(())
        }),
    ];
    // Each worker claims its kind every half second when idle.
    for (kind, limit) in [
        (EmailHandler::KIND, EmailHandler::CONCURRENCY),
        (SignInHandler::KIND, SignInHandler::CONCURRENCY),
        (StripeEventHandler::KIND, StripeEventHandler::CONCURRENCY),
        (Purge::KIND, Purge::CONCURRENCY),
    ] {
        tasks.push(task(
            format!("job claim: {kind}"),
            "every 0.5 s",
            move |c| {
                rolled_back(c, |c| {
                    let lease = std::time::Duration::from_secs(60);
                    memberdrive::jobs::claim(
                        c,
                        kind,
                        limit as i64 * 4,
                        "bench",
                        lease,
                        &[],
                        db::now(),
                    )
                    .map(drop)
                })
            },
        ));
    }
    for (name, target) in retention::TARGETS {
        tasks.push(task(
            format!("purge: {name}, one batch"),
            "every 5 min, one instance",
            move |c| {
                rolled_back(c, |c| {
                    target(c, db::now(), retention::BATCH, Mode::Delete).map(drop)
                })
            },
        ));
    }

    let mut failed = Vec::new();
    let mut summary = Vec::new();
    for task in &mut tasks {
        *CAPTURED.lock().expect("capture lock") = Some(Vec::new());
        (task.run)(&mut conn).with_context(|| task.name.clone())?;
        let statements = CAPTURED
            .lock()
            .expect("capture lock")
            .take()
            .unwrap_or_default();
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            (task.run)(&mut conn)?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        println!(
            "\n== {} ({}): median {median:.2} ms of {runs} runs",
            task.name, task.every
        );
        let mut seen = Vec::new();
        for statement in statements {
            let (sql, binds) = statement
                .split_once(" -- binds: ")
                .unwrap_or((&statement, "[]"));
            if !is_query(sql) || seen.contains(&sql.to_owned()) {
                continue;
            }
            seen.push(sql.to_owned());
            println!("   {}", shorten(sql));
            for (line, whole) in plan(&mut conn, sql, binds)? {
                match whole {
                    Some(table) if task.judged => {
                        println!("     {line}   <-- reads {table} whole");
                        failed.push(format!("{}: {table}", task.name));
                    }
                    Some(table) => println!("     {line}   (reads {table} whole, by design)"),
                    None => println!("     {line}"),
                }
            }
        }
        summary.push(format!(
            "{:<40} {:<28} {median:>10.2}",
            task.name, task.every
        ));
    }
    println!("\n{:<40} {:<28} {:>10}", "task", "runs", "median ms");
    for line in summary {
        println!("{line}");
    }
    if failed.is_empty() {
        println!("\nno periodic task reads a large table whole");
        Ok(())
    } else {
        println!("\nperiodic tasks that read a large table whole: {failed:?}");
        std::process::exit(1)
    }
}

/// Whether a captured statement is a query worth explaining (not transaction control).
fn is_query(sql: &str) -> bool {
    let first = sql.split_whitespace().next().unwrap_or_default();
    ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"]
        .iter()
        .any(|k| first.eq_ignore_ascii_case(k))
        && !sql.eq_ignore_ascii_case("SELECT 1")
}

fn shorten(sql: &str) -> String {
    let sql = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if sql.chars().count() > 150 {
        format!("{}…", sql.chars().take(150).collect::<String>())
    } else {
        sql
    }
}

#[derive(QueryableByName)]
struct SqlitePlan {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlan {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The plan of `sql`, each line with the large table it reads whole, if it does.
fn plan(
    conn: &mut DbConnection,
    sql: &str,
    binds: &str,
) -> anyhow::Result<Vec<(String, Option<String>)>> {
    match conn {
        // Unbound parameters are NULL; SQLite's plan does not depend on them.
        DbConnection::Sqlite(_) => {
            let rows: Vec<SqlitePlan> =
                diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(conn)?;
            Ok(rows
                .into_iter()
                .map(|r| {
                    let whole = r
                        .detail
                        .strip_prefix("SCAN ")
                        .and_then(|rest| rest.split_whitespace().next())
                        .filter(|t| LARGE.contains(t))
                        .map(str::to_owned);
                    (r.detail, whole)
                })
                .collect())
        }
        // PostgreSQL plans with the values, as the application sends them.
        DbConnection::Pg(_) => {
            let Some(values) = literals(binds) else {
                return Ok(vec![(format!("(values not understood: {binds})"), None)]);
            };
            let mut sql = sql.to_owned();
            for (i, value) in values.iter().enumerate().rev() {
                sql = sql.replace(&format!("${}", i + 1), value);
            }
            let rows: Vec<PgPlan> = diesel::sql_query(format!("EXPLAIN {sql}")).load(conn)?;
            Ok(judge_pg(rows.into_iter().map(|r| r.line).collect()))
        }
    }
}

/// Marks the nodes of a PostgreSQL plan that read a large table whole: a sequential scan, or
/// an index scan without an index condition.
fn judge_pg(lines: Vec<String>) -> Vec<(String, Option<String>)> {
    let is_node = |i: usize, line: &str| i == 0 || line.contains("->");
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let node = line.trim_start().trim_start_matches("->").trim_start();
        let table = node
            .split(" on ")
            .nth(1)
            .and_then(|t| t.split_whitespace().next());
        let large = table.filter(|t| LARGE.contains(t)).map(str::to_owned);
        let whole = if !is_node(i, line) {
            None
        } else if node.starts_with("Seq Scan") {
            large
        } else if node.starts_with("Index Scan") || node.starts_with("Index Only Scan") {
            let conditioned = lines[i + 1..]
                .iter()
                .enumerate()
                .take_while(|(j, l)| !is_node(i + 1 + j, l))
                .any(|(_, l)| l.contains("Index Cond"));
            large.filter(|_| !conditioned)
        } else {
            None
        };
        out.push((line.clone(), whole));
    }
    out
}

/// The SQL literals of the bind values diesel prints (`["done", 2026-12-06T10:00:00, 5]`);
/// `None` for anything else.
fn literals(binds: &str) -> Option<Vec<String>> {
    let inner = binds.trim().strip_prefix('[')?.strip_suffix(']')?;
    split_top(inner).into_iter().map(literal).collect()
}

fn literal(value: &str) -> Option<String> {
    let value = value.trim();
    if let Some(text) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        let text = text.replace("\\\"", "\"").replace("\\\\", "\\");
        return Some(format!("'{}'", text.replace('\'', "''")));
    }
    if let Some(items) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        let items: Option<Vec<String>> = split_top(items).into_iter().map(literal).collect();
        let items = items?;
        // `ARRAY[]` has no type to take; an untyped `'{}'` takes the one its place asks for.
        if items.is_empty() {
            return Some("'{}'".into());
        }
        return Some(format!("ARRAY[{}]", items.join(", ")));
    }
    if let Some(inner) = value
        .strip_prefix("Some(")
        .and_then(|v| v.strip_suffix(')'))
    {
        return literal(inner);
    }
    match value {
        "None" => Some("NULL".into()),
        "true" | "false" => Some(value.into()),
        _ if value.parse::<f64>().is_ok() => Some(value.into()),
        // Timestamps and dates print as `2026-12-06T10:00:00.123`.
        _ if value
            .chars()
            .all(|c| c.is_ascii_digit() || "-:.T ".contains(c)) =>
        {
            Some(format!("'{value}'"))
        }
        // Domain enums print their variant (`PastDue`) and are stored in snake case.
        _ if value.chars().all(|c| c.is_ascii_alphanumeric()) => {
            let mut text = String::new();
            for (i, c) in value.char_indices() {
                if c.is_ascii_uppercase() && i > 0 {
                    text.push('_');
                }
                text.push(c.to_ascii_lowercase());
            }
            Some(format!("'{text}'"))
        }
        _ => None,
    }
}

/// Splits a printed list at the commas outside strings and brackets.
fn split_top(list: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut quoted, mut escaped, mut start) =
        (Vec::new(), 0, false, false, 0);
    for (i, c) in list.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' | '(' if !quoted => depth += 1,
            ']' | ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !list[start..].trim().is_empty() {
        parts.push(&list[start..]);
    }
    parts
}
