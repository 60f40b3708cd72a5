//! Year-end statements: the account page's download of a year's payments with totals, the
//! opt-in, and January's email to those who opted in (once).

use std::time::Duration;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use memberdrive::db::schema::members;
use memberdrive::members::statement;

use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, account_page, csrf_in, join, member_cookie, spawn_app_with_stripe,
};
use crate::support::stripe_server::{Delivery, StripeServer};

both_backends!(a_member_downloads_a_statement_and_gets_one_in_january_if_asked);

const WAIT: Duration = Duration::from_secs(30);

async fn get_as_member(app: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.address))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

async fn paid_member(app: &TestApp, stripe: &StripeServer, email: &str) {
    let form = [
        ("email", email),
        ("tier", "supporter"),
        ("interval", "month"),
    ];
    let session = join(app, stripe, &form).await;
    stripe.pay_checkout(&session);
    stripe.deliver(Delivery::InOrder).await;
}

async fn a_member_downloads_a_statement_and_gets_one_in_january_if_asked(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    paid_member(&app, &stripe, "reader@news.example").await;
    paid_member(&app, &stripe, "quiet@news.example").await;
    app.wait_for_count("members", 2, WAIT).await;
    let year = memberdrive::db::now().year();

    // The download: this year's payment and its total.
    let cookie = member_cookie(&app, "reader@news.example").await;
    let res = get_as_member(
        &app,
        &cookie,
        &format!("/account/statement.csv?year={year}"),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let today = memberdrive::db::now().date().to_string();
    assert_eq!(
        rows,
        [
            vec!["Date", "Campaign", "Kind", "Amount", "Currency"],
            vec![
                &today,
                "Help us reach 20,000 members",
                "Membership",
                "5.00",
                "EUR"
            ],
            vec!["Total", "", "", "5.00", "EUR"],
        ]
    );
    let bad = get_as_member(&app, &cookie, "/account/statement.csv?year=1999").await;
    assert_eq!(bad.status(), 400);
    let anonymous = app
        .get(&format!("/account/statement.csv?year={year}"))
        .await;
    assert_eq!(anonymous.status(), 303, "sent to sign in");
    assert!(
        anonymous.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/account?")
    );

    // The opt-in: CSRF-checked, saved.
    let page = account_page(&app, &cookie).await;
    assert!(page.contains(r#"name="yearly""#) && !page.contains(" checked> Email me"));
    let post = |token: String| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            app.client
                .post(format!("{}/account/statements", app.address))
                .header(reqwest::header::COOKIE, cookie)
                .form(&[("csrf_token", token.as_str()), ("yearly", "1")])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(post("forged".into()).await, 403);
    assert_eq!(post(csrf_in(&page)).await, 303);
    let asked: Vec<String> = app
        .read(|c| {
            members::table
                .filter(members::yearly_statement)
                .select(members::email)
                .load(c)
        })
        .await;
    assert_eq!(asked, ["reader@news.example"]);

    // Next January: one statement, to the member who asked, however often the timer runs.
    let settings = app.settings.clone();
    let january = NaiveDate::from_ymd_opt(year + 1, 1, 15)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let queued = app
        .write(move |c| {
            let first = statement::queue_due(c, &settings, january)?;
            let again = statement::queue_due(c, &settings, january)?;
            let february =
                statement::queue_due(c, &settings, january + chrono::Duration::days(20))?;
            Ok((first, again, february))
        })
        .await;
    assert_eq!(queued, (1, 0, 0));
    let subject = format!("Your payments in {year}");
    let mail = app
        .smtp
        .wait_until("the statement", WAIT, |m| {
            m.iter().any(|m| {
                m.decoded_header("Subject")
                    .is_some_and(|s| s.contains(&subject))
            })
        })
        .await;
    let statement = mail
        .iter()
        .find(|m| {
            m.decoded_header("Subject")
                .is_some_and(|s| s.contains(&subject))
        })
        .unwrap();
    assert_eq!(statement.to, ["reader@news.example"]);
    assert!(
        statement.text_part().contains("Total: €5"),
        "{}",
        statement.text_part()
    );
}
