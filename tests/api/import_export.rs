//! `memberdrive import-members` and `export-members`, run as an operator runs them.

use std::process::Output;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use memberdrive::campaigns::{Campaign, progress};
use memberdrive::config::DatabaseUrl;
use memberdrive::db::schema::{audit_log, campaigns, members, memberships};
use memberdrive::db::{self, Db};

use crate::both_backends;
use crate::helpers::{Backend, TestDatabase, memberdrive_command};

pub(crate) fn memberdrive(db: &TestDatabase, args: &[&str]) -> Output {
    memberdrive_command()
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes `contents` to a file in the test database's temporary directory.
pub(crate) fn csv_file(dir: &tempfile::TempDir, name: &str, contents: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

/// Imports `file`, asserting success; returns what it printed.
fn import_ok(db: &TestDatabase, file: &str) -> String {
    let out = memberdrive(db, &["import-members", file]);
    assert!(out.status.success(), "import failed: {}", stderr(&out));
    stdout(&out)
}

pub(crate) fn connect(db: &TestDatabase) -> Db {
    Db::connect(
        &DatabaseUrl::parse(&db.url).unwrap(),
        memberdrive::db::DEFAULT_POOL_SIZE,
    )
    .unwrap()
}

type StoredMember = (
    i32,
    String,
    Option<String>,
    Option<String>,
    NaiveDateTime,
    NaiveDateTime,
);
type StoredMembership = (
    (i32, i32, i32, Option<i32>, String, i64, String, String),
    (
        bool,
        Option<NaiveDateTime>,
        Option<String>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        NaiveDateTime,
    ),
);

/// Every row the import may touch, as text, to show that a run changed nothing.
fn snapshot(db: &Db) -> String {
    let conn = &mut *db.get().unwrap();
    let members: Vec<StoredMember> = members::table
        .order(members::id)
        .select((
            members::id,
            members::email,
            members::name,
            members::stripe_customer_id,
            members::created_at,
            members::updated_at,
        ))
        .load(conn)
        .unwrap();
    let memberships: Vec<_> = memberships::table
        .order(memberships::id)
        .select((
            (
                memberships::id,
                memberships::member_id,
                memberships::campaign_id,
                memberships::tier_id,
                memberships::billing_interval,
                memberships::amount,
                memberships::currency,
                memberships::status,
            ),
            (
                memberships::cancel_at_period_end,
                memberships::current_period_end,
                memberships::stripe_subscription_id,
                memberships::started_at,
                memberships::ended_at,
                memberships::updated_at,
            ),
        ))
        .load::<StoredMembership>(conn)
        .unwrap();
    let campaigns: Vec<(String, i64, i64)> = campaigns::table
        .order(campaigns::id)
        .select((
            campaigns::slug,
            campaigns::progress_count,
            campaigns::progress_version,
        ))
        .load(conn)
        .unwrap();
    let audit: i64 = audit_log::table.count().get_result(conn).unwrap();
    format!("{members:#?}\n{memberships:#?}\n{campaigns:?}\naudit entries: {audit}")
}

/// The stored count of a campaign, after checking it against a recount from source rows.
fn checked_count(db: &Db, slug: &str) -> i64 {
    let conn = &mut *db.get().unwrap();
    let campaign = Campaign::by_slug(conn, slug).unwrap().expect("campaign");
    let recount = progress::count_from_sources(conn, &campaign, db::now()).unwrap();
    assert_eq!(
        campaign.progress_count, recount,
        "the stored count of {slug} differs from a recount"
    );
    recount
}

/// Columns in an unusual order and case; a quoted name with a comma and quotes; a name that a
/// spreadsheet would run as a formula; an address with spaces and capitals; an RFC 3339 time
/// with an offset; a member who exists already.
const GOOD_FILE: &str = "\
Name,EMAIL,status,tier,interval,amount,joined_at,stripe_customer_id,stripe_subscription_id,current_period_end,cancel_at_period_end,Campaign
Ana Kovalenko,ana@example.com,active,supporter,month,,2024-01-05,cus_Ana1,sub_Ana1,2030-01-01T00:00:00Z,false,
\"Bohdan \"\"Bo\"\" Shevchenko, Jr.\",  Bohdan@Example.COM ,trialing,Patron,year,,2024-02-01T10:00:00+02:00,,,,,members
Chloé Martin,chloe@example.com,past_due,,month,750,2023-05-05,cus_Chloe,sub_Chloe,2030-02-01T00:00:00Z,true,
Dmytro,dmytro@example.com,canceled,sustainer,,,2022-09-10,,,,,
\"=HYPERLINK(\"\"http://evil.example\"\",\"\"Emma\"\")\",emma@example.com,none,,,,2025-03-01,,,,,
Existing Reader,EXISTING@example.com,,,,,,,,,,
";

/// What `export-members` writes for [`GOOD_FILE`]: sorted by address, every column filled in,
/// the formula defused (a leading `'`, which the import takes off again).
const GOOD_EXPORT: &str = "\
email,name,status,tier,joined_at,stripe_customer_id,stripe_subscription_id,campaign,interval,amount,current_period_end,cancel_at_period_end
ana@example.com,Ana Kovalenko,active,supporter,2024-01-05T00:00:00Z,cus_Ana1,sub_Ana1,members,month,500,2030-01-01T00:00:00Z,false
bohdan@example.com,\"Bohdan \"\"Bo\"\" Shevchenko, Jr.\",trialing,patron,2024-02-01T08:00:00Z,,,members,year,25000,,false
chloe@example.com,Chloé Martin,past_due,,2023-05-05T00:00:00Z,cus_Chloe,sub_Chloe,members,month,750,2030-02-01T00:00:00Z,true
dmytro@example.com,Dmytro,canceled,sustainer,2022-09-10T00:00:00Z,,,members,month,1000,,false
emma@example.com,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Emma\"\")\",none,,2025-03-01T00:00:00Z,,,,,,,
existing@example.com,Existing Reader,active,,2020-01-01T00:00:00Z,,,members,month,0,,false
";

both_backends!(a_good_file_imports_once_and_exports_to_the_same_rows);

async fn a_good_file_imports_once_and_exports_to_the_same_rows(backend: Backend) {
    let database = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let db = connect(&database);
    db::run_migrations(&mut db.get().unwrap()).unwrap();
    let joined = NaiveDate::from_ymd_opt(2020, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    diesel::insert_into(members::table)
        .values((
            members::email.eq("existing@example.com"),
            members::created_at.eq(joined),
        ))
        .execute(&mut *db.get().unwrap())
        .unwrap();
    let file = csv_file(&dir, "members.csv", GOOD_FILE);

    let printed = import_ok(&database, &file);
    assert!(
        printed.contains("6 rows; members: 5 new, 1 updated, 0 unchanged; memberships: 5 new, 0 updated, 0 unchanged"),
        "{printed}"
    );
    // Ana, Bohdan, Chloé (cancelling, but paid until 2030) and the existing reader.
    assert_eq!(checked_count(&db, "members"), 4);
    let without_stripe: Vec<String> = memberships::table
        .inner_join(members::table)
        .filter(memberships::stripe_subscription_id.is_null())
        .order(members::email)
        .select(members::email)
        .load(&mut *db.get().unwrap())
        .unwrap();
    assert_eq!(
        without_stripe,
        [
            "bohdan@example.com",
            "dmytro@example.com",
            "existing@example.com"
        ],
        "members without a subscription id keep a NULL one, not a made-up key"
    );
    let entries: Vec<(String, String, String)> = audit_log::table
        .select((audit_log::actor, audit_log::action, audit_log::details))
        .load(&mut *db.get().unwrap())
        .unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(
        (entries[0].0.as_str(), entries[0].1.as_str()),
        ("cli", "import_members")
    );
    let details: serde_json::Value = serde_json::from_str(&entries[0].2).unwrap();
    assert_eq!(details["members"]["new"], 5);
    assert_eq!(details["memberships"]["new"], 5);

    let before = snapshot(&db);
    let printed = import_ok(&database, &file);
    assert!(
        printed.contains(
            "members: 0 new, 0 updated, 6 unchanged; memberships: 0 new, 0 updated, 5 unchanged"
        ),
        "{printed}"
    );
    assert_eq!(snapshot(&db), before, "a second import changed something");

    let out = memberdrive(&database, &["export-members"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), GOOD_EXPORT);
    assert!(
        stderr(&out).contains("exported 6 member(s)"),
        "{}",
        stderr(&out)
    );

    let exported = dir.path().join("export.csv");
    let out = memberdrive(
        &database,
        &["export-members", "--out", exported.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&exported).unwrap(), GOOD_EXPORT);
    let printed = import_ok(&database, exported.to_str().unwrap());
    assert!(
        printed.contains(
            "members: 0 new, 0 updated, 6 unchanged; memberships: 0 new, 0 updated, 5 unchanged"
        ),
        "{printed}"
    );
    assert_eq!(
        snapshot(&db),
        before,
        "re-importing the export changed something"
    );
}

both_backends!(changed_rows_update_only_what_the_file_states);

async fn changed_rows_update_only_what_the_file_states(backend: Backend) {
    let database = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    import_ok(&database, &csv_file(&dir, "first.csv", GOOD_FILE));
    // Ana cancels (her membership is Stripe's: the row names it); Dmytro comes back as a
    // Stripe member (his bank-transfer membership adopts the subscription); empty cells keep
    // what is stored.
    let changes = "\
email,status,cancel_at_period_end,stripe_subscription_id,name
ana@example.com,,true,sub_Ana1,
dmytro@example.com,active,,sub_Dmytro,
";
    let printed = import_ok(&database, &csv_file(&dir, "changes.csv", changes));
    assert!(
        printed.contains(
            "members: 0 new, 0 updated, 2 unchanged; memberships: 0 new, 2 updated, 0 unchanged"
        ),
        "{printed}"
    );
    let out = memberdrive(&database, &["export-members"]);
    let exported = stdout(&out);
    let line = |email: &str| {
        exported
            .lines()
            .find(|l| l.starts_with(email))
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        line("ana@"),
        "ana@example.com,Ana Kovalenko,active,supporter,2024-01-05T00:00:00Z,cus_Ana1,sub_Ana1,members,month,500,2030-01-01T00:00:00Z,true"
    );
    assert_eq!(
        line("dmytro@"),
        "dmytro@example.com,Dmytro,active,sustainer,2022-09-10T00:00:00Z,,sub_Dmytro,members,month,1000,,false"
    );
    let db = connect(&database);
    let dmytros: i64 = memberships::table
        .inner_join(members::table)
        .filter(members::email.eq("dmytro@example.com"))
        .count()
        .get_result(&mut *db.get().unwrap())
        .unwrap();
    assert_eq!(dmytros, 1, "one membership per member per campaign");
    // Ana is still counted until her period ends; Dmytro now is.
    assert_eq!(checked_count(&db, "members"), 5);
}

const HEADER: &str = "email,name,status,tier,joined_at,stripe_customer_id,stripe_subscription_id,campaign,interval,amount,current_period_end,cancel_at_period_end";

both_backends!(a_file_with_a_bad_row_is_rejected_whole_with_its_line_numbers);

async fn a_file_with_a_bad_row_is_rejected_whole_with_its_line_numbers(backend: Backend) {
    let database = TestDatabase::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let seed =
        "email,stripe_customer_id,stripe_subscription_id\nstripe@example.com,cus_Seed,sub_Seed\n";
    import_ok(&database, &csv_file(&dir, "seed.csv", seed));
    let db = connect(&database);
    let before = snapshot(&db);

    let statuses = "active, trialing, past_due, canceled, unpaid, incomplete, incomplete_expired, paused, pending, none";
    let cases: Vec<(&str, String, Vec<String>)> = vec![
        (
            "a bad email",
            "email,name\ngood@example.com,Good\nnot-an-email,Bad\n".into(),
            vec![r#"line 3: invalid email "not-an-email" (not an email address)"#.into()],
        ),
        (
            "an unknown status",
            "email,status\ngood@example.com,active\nx@example.com,gold\n".into(),
            vec![format!(r#"line 3: invalid status "gold" (expected one of {statuses})"#)],
        ),
        (
            "an unknown tier",
            "email,tier\nx@example.com,platinum\n".into(),
            vec!["line 2: unknown tier platinum for campaign members".into()],
        ),
        (
            "an unknown campaign",
            "email,campaign\nx@example.com,elections\n".into(),
            vec!["line 2: unknown campaign elections".into()],
        ),
        (
            "a bad date",
            "email,joined_at\nx@example.com,2024-02-30\n".into(),
            vec![r#"line 2: invalid joined_at "2024-02-30" (expected RFC 3339, e.g. 2024-03-01T09:30:00Z, or YYYY-MM-DD)"#.into()],
        ),
        (
            "an amount with a decimal point",
            "email,amount\nx@example.com,5.00\n".into(),
            vec![r#"line 2: invalid amount "5.00" (expected whole minor units, e.g. 500 for 5.00)"#.into()],
        ),
        (
            "a duplicate email, however it is written",
            "email\nsame@example.com\nother@example.com\n Same@Example.com\n".into(),
            vec!["line 4: duplicate email same@example.com (first on line 2)".into()],
        ),
        (
            "an unknown column",
            "email,colour\nx@example.com,red\n".into(),
            vec![format!("line 1: unknown column(s) colour (known: {})", HEADER.replace(',', ", "))],
        ),
        (
            "a row with too many fields",
            "email,name\nx@example.com,X,extra\ny@example.com,Y\n".into(),
            vec!["line 2: 3 fields where the header has 2".into()],
        ),
        (
            "a quote that is never closed",
            "email,name\nx@example.com,\"X\ny@example.com,Y\n".into(),
            vec!["line 2: unbalanced quotes".into()],
        ),
        (
            "a bad row after a name that spans two lines",
            "email,name\na@example.com,\"two\nlines\"\nbad,B\n".into(),
            vec![r#"line 4: invalid email "bad" (not an email address)"#.into()],
        ),
        (
            "a bad row in a file saved with CRLF line endings and a blank line",
            "\u{feff}email,name\r\na@example.com,A\r\n\r\nbad,B\r\n".into(),
            vec![r#"line 4: invalid email "bad" (not an email address)"#.into()],
        ),
        (
            "a Stripe member named without their subscription",
            "email,status\nstripe@example.com,past_due\n".into(),
            vec!["line 2: stripe@example.com has Stripe subscription sub_Seed in campaign members; name it in stripe_subscription_id".into()],
        ),
        (
            "another member's Stripe ids",
            "email,stripe_customer_id,stripe_subscription_id\nx@example.com,cus_Seed,\ny@example.com,,sub_Seed\n".into(),
            vec![
                "line 2: stripe_customer_id cus_Seed belongs to another member".into(),
                "line 3: stripe_subscription_id sub_Seed belongs to another member".into(),
            ],
        ),
        (
            "membership columns for a member without a membership",
            "email,status,tier\nx@example.com,none,supporter\n".into(),
            vec!["line 2: status none with membership columns: tier".into()],
        ),
        (
            "every problem of a row, and every bad row",
            format!(
                "{HEADER}\n\
                 ok@example.com,Ok,active,supporter,2024-01-01,cus_Ok,sub_Ok,members,month,500,2030-01-01,false\n\
                 bad@,Bad,gold,supporter,yesterday,cus_Ok,sub_Ok,members,week,-1,2030-01-01,maybe\n\
                 fine@example.com,Fine,,,,,,,,,,\n\
                 worse@example.com,Worse,active,platinum,,,,,,,,\n"
            ),
            vec![
                format!(
                    "line 3: invalid email \"bad@\" (not an email address); \
                     invalid status \"gold\" (expected one of {statuses}); \
                     invalid joined_at \"yesterday\" (expected RFC 3339, e.g. 2024-03-01T09:30:00Z, or YYYY-MM-DD); \
                     invalid interval \"week\" (expected month or year); \
                     invalid amount \"-1\" (expected whole minor units, e.g. 500 for 5.00); \
                     invalid cancel_at_period_end \"maybe\" (expected true or false); \
                     duplicate stripe_customer_id cus_Ok (first on line 2); \
                     duplicate stripe_subscription_id sub_Ok (first on line 2)"
                ),
                "line 5: unknown tier platinum for campaign members".into(),
            ],
        ),
    ];
    for (i, (what, contents, expected)) in cases.iter().enumerate() {
        let file = csv_file(&dir, &format!("bad-{i}.csv"), contents);
        let out = memberdrive(&database, &["import-members", &file]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{what}: the file was accepted");
        let reported: Vec<&str> = err.lines().filter(|l| l.starts_with("line ")).collect();
        assert_eq!(reported, *expected, "{what}: {err}");
        let last = err.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("memberdrive: ") && last.ends_with("nothing was imported"),
            "{what}: the last line should sum up: {err}"
        );
        assert_eq!(snapshot(&db), before, "{what}: something was imported");
    }
}

#[test]
fn import_and_export_explain_themselves_with_help() {
    for (command, expected) in [
        (
            "import-members",
            &[
                "Usage: memberdrive import-members <FILE>",
                "stripe_subscription_id",
                "line N: reason",
            ][..],
        ),
        (
            "export-members",
            &[
                "Usage: memberdrive export-members [OPTIONS]",
                "--out <FILE>",
            ][..],
        ),
    ] {
        let out = memberdrive_command()
            .args([command, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{command} --help");
        let help = stdout(&out);
        for text in expected {
            assert!(
                help.contains(text),
                "{command} --help lacks {text:?}:\n{help}"
            );
        }
    }
}
