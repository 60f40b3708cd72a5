//! The outbox against a slow mail server and a crash: each email goes out once while the
//! server takes its time, and the emails of an instance killed mid-send go out from another
//! within seconds, doubling at most those that were on the wire.

use std::collections::{BTreeSet, HashMap};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use memberdrive::db::schema::jobs;
use memberdrive::db::{Db, DbError};
use memberdrive::email::transport::SMTP_CONNECTIONS;
use memberdrive::email::{self, OutgoingEmail};

use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, TestDatabase, memberdrive_command, migrated_db, spawn_app, spawn_app_on,
};
use crate::support::smtp::{ReceivedMail, SmtpServer};
use crate::support::wait::eventually;

both_backends!(
    a_mail_server_that_answers_late_gets_every_email_once,
    an_instance_killed_mid_send_doubles_at_most_the_emails_on_the_wire_and_strands_none,
);

const WAIT: Duration = Duration::from_secs(10);
/// As many emails as an edition to a small list: more than one claim (of four batches of
/// [`SMTP_CONNECTIONS`]) holds.
const EMAILS: usize = 5 * SMTP_CONNECTIONS;

fn addresses(label: &str) -> Vec<String> {
    (0..EMAILS)
        .map(|n| format!("{label}{n}@news.example"))
        .collect()
}

/// Queues an email to each of `addresses` in one transaction, as an edition does.
async fn queue_emails(db: &Db, addresses: &[String]) {
    let addresses = addresses.to_vec();
    db.write(move |c| -> Result<(), DbError> {
        for to in addresses {
            let email = OutgoingEmail {
                from_name: None,
                subject: "This week".into(),
                text: format!("Hello {to}"),
                html: format!("<p>Hello {to}</p>"),
                unsubscribe_url: None,
                newsletter: None,
                to,
            };
            email::queue(c, &format!("edition:1:{}", email.to), &email)?;
        }
        Ok(())
    })
    .await
    .expect("queue the emails");
}

/// How many copies of an email each address got.
fn copies(mails: &[ReceivedMail]) -> HashMap<String, usize> {
    let mut copies = HashMap::new();
    for to in mails.iter().flat_map(|m| &m.to) {
        *copies.entry(to.clone()).or_default() += 1;
    }
    copies
}

/// Whether each of `addresses` got at least one email.
fn all_reached(mails: &[ReceivedMail], addresses: &[String]) -> bool {
    let copies = copies(mails);
    addresses.iter().all(|a| copies.contains_key(a))
}

/// The attempts of every email job.
async fn attempts(app: &TestApp) -> Vec<i32> {
    app.read(|c| jobs::table.select(jobs::attempts).load(c))
        .await
}

async fn a_mail_server_that_answers_late_gets_every_email_once(backend: Backend) {
    let app = spawn_app(backend).await;
    // On PostgreSQL a second instance shares the outbox (SQLite serves one instance a file).
    let second = match backend {
        Backend::Postgres => {
            Some(spawn_app_on(app.database.clone(), &[("SMTP_URL", &app.smtp.url())]).await)
        }
        Backend::Sqlite => None,
    };
    // The first emails are stored at once and answered 25 s later: longer than a lease runs
    // unrenewed, and longer than a whole send was once given (the server had the message,
    // and got it again).
    let late = Duration::from_secs(25);
    app.smtp.answer_slowly(late, SMTP_CONNECTIONS);
    let started = Instant::now();
    let addresses = addresses("slow");
    queue_emails(&app.db, &addresses).await;

    app.smtp
        .wait_until("an email to every address", late + 3 * WAIT, |m| {
            all_reached(m, &addresses)
        })
        .await;
    app.wait_for_jobs("email", late + 3 * WAIT).await;
    let copies = copies(&app.smtp.messages());
    for address in &addresses {
        assert_eq!(copies.get(address), Some(&1), "emails to {address}");
    }
    assert_eq!(copies.len(), EMAILS, "{copies:?}");
    assert!(
        started.elapsed() >= late,
        "the slow answers were awaited ({:?})",
        started.elapsed()
    );
    assert!(
        attempts(&app).await.iter().all(|&a| a == 1),
        "each email was claimed once, by one worker of {} instance(s), and not retried",
        1 + usize::from(second.is_some())
    );
}

/// A `memberdrive serve` process, killed with SIGKILL when dropped (a failed test leaves
/// nothing running).
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The lease owner of the jobs being worked on, and when their leases end, latest first.
async fn leases(db: &Db) -> Vec<(String, NaiveDateTime)> {
    db.read(|c| {
        jobs::table
            .filter(jobs::status.eq("queued"))
            .filter(jobs::lease_owner.is_not_null())
            .order(jobs::locked_until.desc())
            .select((
                jobs::lease_owner.assume_not_null(),
                jobs::locked_until.assume_not_null(),
            ))
            .load(c)
    })
    .await
    .expect("read the leases")
}

async fn an_instance_killed_mid_send_doubles_at_most_the_emails_on_the_wire_and_strands_none(
    backend: Backend,
) {
    let database = Arc::new(
        tokio::task::spawn_blocking(move || TestDatabase::new(backend))
            .await
            .unwrap(),
    );
    let db = migrated_db(&database).await;
    let addresses = addresses("crash");
    queue_emails(&db, &addresses).await;
    // The server keeps the victim's first emails on the wire: stored, never answered.
    let smtp = SmtpServer::start().await;
    smtp.answer_slowly(Duration::from_secs(600), SMTP_CONNECTIONS);
    let dir = tempfile::tempdir().unwrap();
    let victim = memberdrive_command()
        .arg("serve")
        .current_dir(dir.path())
        .env("DATABASE_URL", &database.url)
        .env("MEMBERDRIVE_BIND", "127.0.0.1:0")
        .env("SMTP_URL", smtp.url())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start memberdrive serve");
    let mut victim = Process(victim);

    // Mid-send: as many emails on the wire as it has connections, more held in its claim.
    let on_the_wire: BTreeSet<String> = smtp
        .wait_for_messages(SMTP_CONNECTIONS, 3 * WAIT)
        .await
        .iter()
        .flat_map(|m| m.to.clone())
        .collect();
    let held = leases(&db).await;
    assert!(held.len() > SMTP_CONNECTIONS, "{held:?}");
    let (owner, first_term_end) = held[0].clone();

    let url = smtp.url();
    let survivor_settings = [("SMTP_URL", url.as_str())];
    let mut survivor = None;
    if backend == Backend::Postgres {
        // Another instance, running beside it: it sends the emails nobody holds, and leaves
        // the victim's alone while the victim renews its leases past their first term.
        let other = spawn_app_on(database.clone(), &survivor_settings).await;
        let free = EMAILS - held.len();
        smtp.wait_for_messages(SMTP_CONNECTIONS + free, WAIT).await;
        eventually(
            "the victim to renew its leases past their first term",
            3 * WAIT,
            || async {
                let now = chrono::Utc::now().naive_utc();
                let renewed = leases(&db)
                    .await
                    .iter()
                    .filter(|(o, until)| *o == owner && *until > first_term_end)
                    .count();
                now > first_term_end && renewed == held.len()
            },
        )
        .await;
        assert_eq!(
            smtp.accepted_count(),
            SMTP_CONNECTIONS + free,
            "nothing the victim holds goes out while it lives"
        );
        survivor = Some(other);
    }

    victim.0.kill().expect("SIGKILL");
    victim.0.wait().unwrap();
    let killed = Instant::now();
    // SQLite serves one instance a file: there, the survivor is the restart.
    let survivor = match survivor {
        Some(survivor) => survivor,
        None => spawn_app_on(database.clone(), &survivor_settings).await,
    };
    smtp.wait_until("an email to every address", 3 * WAIT, |m| {
        all_reached(m, &addresses)
    })
    .await;
    let took = killed.elapsed();
    assert!(
        took <= WAIT,
        "the killed instance's emails went out {took:?} after its death"
    );
    survivor.wait_for_jobs("email", WAIT).await;

    let copies = copies(&smtp.messages());
    for address in &addresses {
        let expected = if on_the_wire.contains(address) {
            1..=2
        } else {
            1..=1
        };
        let got = copies.get(address).copied().unwrap_or_default();
        assert!(
            expected.contains(&got),
            "{address} got {got} email(s); on the wire at the kill: {}",
            on_the_wire.contains(address)
        );
    }
    assert_eq!(copies.len(), EMAILS, "{copies:?}");
}
