//! `memberdrive erase-person EMAIL` (GDPR article 17): after it, the address is in no column
//! of any table, while the campaign's figures and the payments stay as they were.

use std::process::Output;
use std::time::Duration;

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use memberdrive::db::schema::{audit_log, memberships, payments, subscribers};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, join, memberdrive_command, spawn_app_with_stripe};
use crate::schema::columns;
use crate::support::stripe_server::Delivery;

both_backends!(an_erased_person_is_in_no_table_and_the_figures_stay);

const WAIT: Duration = Duration::from_secs(30);
const READER: &str = "olena.reader@news.example";

async fn erase(app: &TestApp, email: &str) -> Output {
    let mut cmd = memberdrive_command();
    cmd.args(["erase-person", email])
        .env("DATABASE_URL", &app.database.url)
        .env("RUST_LOG", "warn");
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// Every (table, column) of text whose value contains `needle` (case ignored).
pub(crate) async fn places_holding(app: &TestApp, needle: &'static str) -> Vec<String> {
    app.read(move |c| {
        let mut found = Vec::new();
        for ((table, column), (kind, _)) in columns(c) {
            if kind != "text" {
                continue;
            }
            let query = format!(
                "SELECT CAST(count(*) AS BIGINT) AS n FROM {table} \
                 WHERE lower({column}) LIKE '%{needle}%'"
            );
            #[derive(QueryableByName)]
            struct Count {
                #[diesel(sql_type = BigInt)]
                n: i64,
            }
            let count = diesel::sql_query(query).get_result::<Count>(c)?;
            if count.n > 0 {
                found.push(format!("{table}.{column}: {} row(s)", count.n));
            }
        }
        Ok(found)
    })
    .await
}

/// The widget's count, the memberships, and the payments' number and sum.
async fn figures(app: &TestApp) -> (i64, i64, i64, i64) {
    let count = app.widget_json("members").await["count"].as_i64().unwrap();
    let memberships = app.count(memberships::table).await;
    let (paid, sum): (i64, Option<i64>) = app
        .read(|c| {
            payments::table
                .select((
                    diesel::dsl::count_star(),
                    sql::<Nullable<BigInt>>("CAST(SUM(payments.amount) AS BIGINT)"),
                ))
                .first(c)
        })
        .await;
    (count, memberships, paid, sum.unwrap_or(0))
}

async fn an_erased_person_is_in_no_table_and_the_figures_stay(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    // The reader pays for a membership, subscribes to a newsletter and asks for a sign-in link;
    // another reader, who stays, does the same.
    let mut subscriptions = Vec::new();
    for email in [READER, "stays@news.example"] {
        let session = join(
            &app,
            &stripe,
            &[
                ("email", email),
                ("tier", "supporter"),
                ("interval", "month"),
            ],
        )
        .await;
        subscriptions.push(stripe.pay_checkout(&session).subscription.unwrap());
        let res = app
            .post_form(
                "/newsletters/subscribe",
                &[("email", email), ("newsletter", "news")],
            )
            .await;
        assert_eq!(res.status(), 200);
        let res = app.post_form("/account/sign-in", &[("email", email)]).await;
        assert_eq!(res.status(), 200);
    }
    let statuses = stripe.deliver(Delivery::InOrder).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    app.wait_for_jobs("stripe_event", WAIT).await;
    app.wait_for_jobs("sign_in", WAIT).await;
    assert_eq!(app.widget_json("members").await["count"], 2);
    assert!(!places_holding(&app, READER).await.is_empty());

    // A membership that still bills them: refused, nothing changed.
    let out = erase(&app, READER).await;
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("has a membership in good standing (active): cancel it in Stripe first"),
        "{said}"
    );
    assert!(
        places_holding(&app, READER)
            .await
            .contains(&"members.email: 1 row(s)".to_owned())
    );

    // Cancelled, then erased.
    stripe.end_subscription(&subscriptions[0]);
    stripe.deliver(Delivery::InOrder).await;
    app.wait_for_jobs("stripe_event", WAIT).await;
    // The widget shows a change within the board's refresh, not at the commit.
    app.wait_for_count("members", 1, WAIT).await;
    let before = figures(&app).await;
    assert_eq!(before.0, 1, "only the reader who stays counts");
    let out = erase(&app, "Olena.Reader@News.example").await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with("erased olena.reader@news.example: member "),
        "{said}"
    );
    assert!(said.contains("Erase the customer at Stripe too."), "{said}");

    let left = places_holding(&app, READER).await;
    assert!(left.is_empty(), "the address is still in {left:?}");
    assert_eq!(figures(&app).await, before, "the figures stay");
    assert!(!places_holding(&app, "stays@news.example").await.is_empty());
    assert_eq!(
        app.count(subscribers::table).await,
        1,
        "the other reader stays"
    );
    let audited: Vec<(String, String)> = app
        .read(|c| {
            audit_log::table
                .filter(audit_log::action.eq("person.erase"))
                .select((audit_log::actor, audit_log::subject_type))
                .load(c)
        })
        .await;
    assert_eq!(audited, [("cli".to_owned(), "member".to_owned())]);

    // Once more: nothing is held.
    let out = erase(&app, READER).await;
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("nothing is held about {READER}")
    );
    let out = erase(&app, "not an address").await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a valid email address"));
}
