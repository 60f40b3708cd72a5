//! The SQLite and PostgreSQL migration trees must describe the same tables and columns.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

use memberdrive::db::DbConnection;

use crate::both_backends;
use crate::helpers::{Backend, TestDatabase};

#[derive(QueryableByName, Debug)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
}

pub(crate) type Shape = BTreeMap<(String, String), (String, bool)>;

fn normalise(data_type: &str) -> String {
    match data_type.to_ascii_lowercase().as_str() {
        "integer" | "int4" => "integer",
        "bigint" | "int8" => "bigint",
        "text" => "text",
        "boolean" | "bool" => "boolean",
        "timestamp" | "timestamp without time zone" => "timestamp",
        other => return other.to_owned(),
    }
    .to_owned()
}

fn shape(backend: Backend) -> Shape {
    let db = TestDatabase::new(backend);
    let url = memberdrive::config::DatabaseUrl::parse(&db.url).unwrap();
    let pool = memberdrive::db::Db::connect(&url, memberdrive::db::DEFAULT_POOL_SIZE).unwrap();
    let mut conn = pool.get().unwrap();
    memberdrive::db::run_migrations(&mut conn).unwrap();
    columns(&mut conn)
}

/// Every column of every table of the database `conn` is on (diesel's own table aside):
/// (table, column) with (type, NOT NULL).
pub(crate) fn columns(conn: &mut DbConnection) -> Shape {
    let sql = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
             CAST(p.\"notnull\" OR p.pk > 0 AS INTEGER) AS not_null \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'"
        }
        DbConnection::Pg(_) => {
            "SELECT CAST(table_name AS TEXT) AS table_name, CAST(column_name AS TEXT) AS column_name, \
             CAST(data_type AS TEXT) AS data_type, CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS not_null \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'"
        }
    };
    diesel::sql_query(sql)
        .load::<Column>(conn)
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                (c.table_name, c.column_name),
                (normalise(&c.data_type), c.not_null == 1),
            )
        })
        .collect()
}

#[test]
fn both_migration_trees_produce_the_same_tables_and_columns() {
    let sqlite = shape(Backend::Sqlite);
    let postgres = shape(Backend::Postgres);
    assert!(
        sqlite.len() > 100,
        "expected the whole schema, got {} columns",
        sqlite.len()
    );
    for (column, pg) in &postgres {
        assert_eq!(
            sqlite.get(column),
            Some(pg),
            "{column:?} differs (postgres {pg:?})"
        );
    }
    for column in sqlite.keys() {
        assert!(
            postgres.contains_key(column),
            "{column:?} exists only on SQLite"
        );
    }
}

#[test]
fn both_migration_trees_have_the_same_steps() {
    let names = |dir: &str| {
        let mut v: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
}

both_backends!(outbox_recipients_of_existing_emails_are_filled_in);

#[derive(QueryableByName, Debug, PartialEq)]
struct Recipient {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    recipient: Option<String>,
}

/// A database upgraded from before `jobs.recipient` finds the address of every email it
/// already had, queued (the whole email) or sent (its receipt), and of nothing else.
async fn outbox_recipients_of_existing_emails_are_filled_in(backend: Backend) {
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};

    let db = TestDatabase::new(backend);
    let url = memberdrive::config::DatabaseUrl::parse(&db.url).unwrap();
    let mut conn = memberdrive::db::connect_one(&url).unwrap();
    let dir = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let tree =
        FileBasedMigrations::from_path(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
    for _ in 0..2 {
        match &mut conn {
            DbConnection::Pg(c) => c.run_next_migration(tree.clone()).map(drop),
            DbConnection::Sqlite(c) => c.run_next_migration(tree.clone()).map(drop),
        }
        .unwrap();
    }
    diesel::sql_query(
        "INSERT INTO jobs (kind, dedupe_key, payload) VALUES \
         ('email', 'confirm:1:1', '{\"to\":\"ann@example.org\",\"subject\":\"Confirm\",\"text\":\"t\",\"html\":\"h\"}'), \
         ('email', 'receipt:in_1', '{\"to\":\"bob@example.org\",\"subject\":\"Thank you\"}'), \
         ('stripe_event', 'stripe_event:evt_1', '{\"event_id\":\"evt_1\"}')",
    )
    .execute(&mut conn)
    .unwrap();
    assert!(memberdrive::db::run_migrations(&mut conn).unwrap() >= 1);
    let rows = diesel::sql_query("SELECT kind, recipient FROM jobs ORDER BY id")
        .load::<Recipient>(&mut conn)
        .unwrap();
    let row = |kind: &str, recipient: Option<&str>| Recipient {
        kind: kind.into(),
        recipient: recipient.map(Into::into),
    };
    assert_eq!(
        rows,
        [
            row("email", Some("ann@example.org")),
            row("email", Some("bob@example.org")),
            row("stripe_event", None),
        ]
    );
}
