//! An edition to 2,000 readers whose sending process is killed (SIGKILL) while its emails are
//! on the wire: the instance that takes over leaves no reader without the edition, and only
//! the emails that were on the wire can arrive twice.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use memberdrive::db::DbError;
use memberdrive::db::schema::editions;
use memberdrive::domain::OptIn;
use memberdrive::email::transport::SMTP_CONNECTIONS;

use crate::both_backends;
use crate::editions::{EDITION, add_readers, ok, recipients, send_on};
use crate::helpers::{Backend, TestDatabase, memberdrive_command, migrated_db, spawn_app_on};
use crate::served::{Served, signal};
use crate::support::smtp::SmtpServer;

both_backends!(a_sender_killed_mid_edition_leaves_no_reader_without_it);

const READERS: usize = 2_000;
const WAIT: Duration = Duration::from_secs(60);

async fn a_sender_killed_mid_edition_leaves_no_reader_without_it(backend: Backend) {
    let database = Arc::new(TestDatabase::new(backend));
    // Seeded through a pool that closes at once: the processes below need the connections.
    let readers = migrated_db(&database)
        .await
        .write(|c| -> Result<_, DbError> {
            Ok(add_readers(c, "reader", READERS, OptIn::Confirmed)?)
        })
        .await
        .unwrap();
    let printed = ok(&send_on(&database.url, EDITION, "The budget, in full", &[]));
    assert!(
        printed.contains("2000 confirmed subscriber(s)"),
        "{printed}"
    );

    // The mail server keeps the victim's first emails on the wire: stored, never answered.
    let smtp = SmtpServer::start().await;
    smtp.answer_slowly(Duration::from_secs(600), SMTP_CONNECTIONS);
    let dir = tempfile::tempdir().unwrap();
    let mut victim = memberdrive_command();
    victim
        .current_dir(dir.path())
        .env("DATABASE_URL", &database.url)
        .env("MEMBERDRIVE_BIND", "127.0.0.1:0")
        .env("SMTP_URL", smtp.url())
        .env("MEMBERDRIVE_DB_POOL_SIZE", "4")
        .env("RUST_LOG", "info");
    let victim = Served::start(victim, WAIT).await;
    let on_the_wire: BTreeSet<String> = smtp
        .wait_for_messages(SMTP_CONNECTIONS, WAIT)
        .await
        .iter()
        .flat_map(|m| m.to.clone())
        .collect();
    signal("-KILL", victim.pid());
    let (_, log) = victim.wait();
    assert!(log.iter().all(|l| !l.contains("panicked")), "{log:?}");

    // Restarted: everyone gets it, and only those on the wire may get it twice.
    let url = smtp.url();
    let survivor = spawn_app_on(database.clone(), &[("SMTP_URL", url.as_str())]).await;
    smtp.wait_until("the edition for every reader", WAIT, |m| {
        recipients(m).len() >= READERS
    })
    .await;
    survivor.wait_for_jobs("edition", WAIT).await;
    survivor.wait_for_jobs("email", WAIT).await;
    let got = recipients(&smtp.messages());
    assert_eq!(
        got.keys().cloned().collect::<BTreeSet<_>>(),
        readers.iter().cloned().collect::<BTreeSet<_>>(),
        "every reader, no one else"
    );
    let mut doubled = 0;
    for (reader, copies) in &got {
        let most = if on_the_wire.contains(reader) { 2 } else { 1 };
        assert!(
            (1..=most).contains(copies),
            "{reader} got {copies}; on the wire at the kill: {}",
            on_the_wire.contains(reader)
        );
        doubled += copies - 1;
    }
    assert!(doubled <= SMTP_CONNECTIONS, "{doubled} duplicates");
    let (status, queued): (String, i32) = survivor
        .read(|c| {
            editions::table
                .select((editions::status, editions::queued))
                .first(c)
        })
        .await;
    assert_eq!((status.as_str(), queued), ("sent", READERS as i32));
}
