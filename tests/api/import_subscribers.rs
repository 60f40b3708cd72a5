//! `memberdrive import-subscribers`, run as an operator runs it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use memberdrive::db::schema::{
    audit_log, jobs, newsletter_subscriptions, newsletters, subscribers,
};
use memberdrive::db::{self, Db};
use memberdrive::domain::OptIn;

use crate::both_backends;
use crate::helpers::{Backend, TestDatabase, memberdrive_command};
use crate::import_export::{connect, csv_file, memberdrive, stderr, stdout};

/// Every subscription with its subscriber, as text, to show what a run changed.
fn snapshot(db: &Db) -> Vec<String> {
    let conn = &mut *db.get().unwrap();
    subscribers::table
        .inner_join(newsletter_subscriptions::table)
        .order(subscribers::email)
        .select((
            subscribers::email,
            subscribers::locale,
            subscribers::name,
            newsletter_subscriptions::status,
            newsletter_subscriptions::confirmed_at,
            newsletter_subscriptions::source,
        ))
        .load::<(
            String,
            String,
            Option<String>,
            OptIn,
            Option<NaiveDateTime>,
            Option<String>,
        )>(conn)
        .unwrap()
        .into_iter()
        .map(|row| format!("{row:?}"))
        .collect()
}

/// A reader who signed up here, in `status`, for the seeded newsletter `news`.
fn signed_up_here(db: &Db, email: &str, locale: &str, status: OptIn) {
    let conn = &mut *db.get().unwrap();
    let news: i32 = newsletters::table
        .filter(newsletters::slug.eq("news"))
        .select(newsletters::id)
        .first(conn)
        .unwrap();
    let id: i32 = diesel::insert_into(subscribers::table)
        .values((subscribers::email.eq(email), subscribers::locale.eq(locale)))
        .returning(subscribers::id)
        .get_result(conn)
        .unwrap();
    diesel::insert_into(newsletter_subscriptions::table)
        .values((
            newsletter_subscriptions::subscriber_id.eq(id),
            newsletter_subscriptions::newsletter_id.eq(news),
            newsletter_subscriptions::status.eq(status),
        ))
        .execute(conn)
        .unwrap();
}

const FILE: &str = "\
Email,Name,Language,Source,Subscribed_At
olena@example.com,Olena Bondar,uk,mailchimp,2024-03-01T09:30:00+02:00
waiting@example.com,Wanda Waiting,en,print form,2025-06-01
gone@example.com,Gone Reader,uk,mailchimp,2024-01-01
not-an-address,Typo,,,
plain@example.com,,,,
";

both_backends!(consenting_readers_are_imported_confirmed_once_and_choices_made_here_stand);

async fn consenting_readers_are_imported_confirmed_once_and_choices_made_here_stand(
    backend: Backend,
) {
    let database = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let db = connect(&database);
    db::run_migrations(&mut db.get().unwrap()).unwrap();
    signed_up_here(&db, "waiting@example.com", "uk", OptIn::Pending);
    signed_up_here(&db, "gone@example.com", "en", OptIn::Unsubscribed);
    // One bad line and nothing is imported.
    let bad = csv_file(&dir, "bad.csv", FILE);
    let before = snapshot(&db);
    let out = memberdrive(
        &database,
        &["import-subscribers", &bad, "--newsletter", "news"],
    );
    assert!(!out.status.success());
    assert_eq!(
        stderr(&out).lines().collect::<Vec<_>>(),
        [
            r#"line 5: invalid email "not-an-address" (not an email address)"#,
            "memberdrive: 1 of 5 rows rejected; nothing was imported",
        ]
    );
    assert_eq!(snapshot(&db), before, "a rejected file changes nothing");

    let file = csv_file(
        &dir,
        "subscribers.csv",
        &FILE.replace("not-an-address,Typo,,,\n", ""),
    );
    let out = memberdrive(
        &database,
        &["import-subscribers", &file, "--newsletter", "news"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).ends_with(
            ": 4 rows; 2 subscribed, 1 confirmed (they were waiting for their confirmation), \
             0 already subscribed, 1 left unsubscribed (they unsubscribed here)\n"
        ),
        "{}",
        stdout(&out)
    );
    let at = |y, m, d, h, min| {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    };
    let conn = &mut *db.get().unwrap();
    let stored = |email: &str, conn: &mut db::DbConnection| {
        subscribers::table
            .inner_join(newsletter_subscriptions::table)
            .filter(subscribers::email.eq(email))
            .select((
                subscribers::locale,
                subscribers::name,
                newsletter_subscriptions::status,
                newsletter_subscriptions::confirmed_at,
                newsletter_subscriptions::source,
            ))
            .first::<(
                String,
                Option<String>,
                OptIn,
                Option<NaiveDateTime>,
                Option<String>,
            )>(conn)
            .unwrap()
    };
    assert_eq!(
        stored("olena@example.com", conn),
        (
            "uk".into(),
            Some("Olena Bondar".into()),
            OptIn::Confirmed,
            Some(at(2024, 3, 1, 7, 30)),
            Some("mailchimp".into())
        )
    );
    // Known addresses keep their language; a name fills an empty one.
    assert_eq!(
        stored("waiting@example.com", conn),
        (
            "uk".into(),
            Some("Wanda Waiting".into()),
            OptIn::Confirmed,
            Some(at(2025, 6, 1, 0, 0)),
            Some("print form".into())
        )
    );
    let gone = stored("gone@example.com", conn);
    assert_eq!((gone.0.as_str(), gone.2), ("en", OptIn::Unsubscribed));
    // No language given: the newsletter's; no time given: now.
    let plain = stored("plain@example.com", conn);
    assert_eq!((plain.0.as_str(), plain.2), ("en", OptIn::Confirmed));
    assert!(plain.3.is_some());
    // Consent was given elsewhere: nobody is emailed for it.
    let queued: i64 = jobs::table.count().get_result(conn).unwrap();
    assert_eq!(queued, 0);
    let audited: Vec<(String, String, String)> = audit_log::table
        .select((audit_log::actor, audit_log::action, audit_log::subject_id))
        .load(conn)
        .unwrap();
    assert_eq!(
        audited,
        [("cli".into(), "import_subscribers".into(), "news".into())]
    );

    // The same file again changes nothing.
    let imported = snapshot(&db);
    let out = memberdrive(
        &database,
        &["import-subscribers", &file, "--newsletter", "news"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("0 subscribed, 0 confirmed (they were waiting for their confirmation), 3 already subscribed, 1 left unsubscribed"),
        "{}",
        stdout(&out)
    );
    assert_eq!(snapshot(&db), imported);

    // An unknown newsletter is named, with the ones there are.
    let out = memberdrive(
        &database,
        &["import-subscribers", &file, "--newsletter", "daily"],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("nothing was imported: no newsletter daily (newsletters: news)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(&db), imported);
}

#[test]
fn import_subscribers_explains_its_file_with_help() {
    let out = memberdrive_command()
        .args(["import-subscribers", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = stdout(&out);
    for text in [
        "Usage: memberdrive import-subscribers --newsletter <SLUG> <FILE>",
        "subscribed_at",
        "stays unsubscribed",
        "line N: reason",
    ] {
        assert!(help.contains(text), "--help lacks {text:?}:\n{help}");
    }
}
