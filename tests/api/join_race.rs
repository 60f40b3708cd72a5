//! The races of joining, on each database. Two joins with the same new address at the same
//! moment (a double click, or a form sent from two tabs) both go to Checkout, with no server
//! error and nothing stored. Two Checkouts of the same new address completed at the same
//! moment (two tabs, both paid) make one member, whatever order their events are processed in.

use diesel::prelude::*;
use memberdrive::db::schema::{jobs, members, memberships};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, spawn_app_with_stripe};
use crate::support::stripe_server::{Delivery, StripeServer};

both_backends!(
    simultaneous_joins_go_to_checkout_and_store_nothing,
    simultaneous_completions_of_one_new_address_make_one_member,
);

/// Pairs of simultaneous joins, each pair with a new address: enough for some to overlap,
/// few enough for the per-address rate limit (30 a minute).
const ROUNDS: usize = 10;

/// Joins once; returns the Checkout Session it was sent to.
async fn join(app: &TestApp, stripe: &StripeServer, email: &str) -> String {
    let form = [
        ("email", email),
        ("tier", "supporter"),
        ("interval", "month"),
    ];
    let res = app.post_form("/join", &form).await;
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    assert_eq!(status, 303, "{email}: {:?}", res.text().await);
    let location = location.expect("a redirect");
    location
        .strip_prefix(&format!("{}checkout/", stripe.url()))
        .unwrap_or_else(|| panic!("{location} is not a checkout URL"))
        .to_owned()
}

async fn simultaneous_joins_go_to_checkout_and_store_nothing(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    for round in 0..ROUNDS {
        let email = format!("racer{round}@news.example");
        let (first, second) =
            tokio::join!(join(&app, &stripe, &email), join(&app, &stripe, &email));
        assert_ne!(first, second, "{email}: each join has its own session");
        for session in [first, second] {
            let session = stripe.checkout_session(&session);
            assert_eq!(session["customer_email"], email.as_str());
            assert!(session["customer"].is_null(), "{email}: {session}");
        }
    }
    let stored: i64 = app.count(members::table).await + app.count(jobs::table).await;
    assert_eq!(stored, 0, "nothing stored before Checkout completes");
    assert_eq!(stripe.objects_created("customer"), 0, "no Stripe customer");
}

async fn simultaneous_completions_of_one_new_address_make_one_member(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    let mut customers = Vec::new();
    for round in 0..ROUNDS {
        let email = format!("payer{round}@news.example");
        let (first, second) =
            tokio::join!(join(&app, &stripe, &email), join(&app, &stripe, &email));
        // Both tabs are paid: two customers at Stripe with the same address.
        for session in [first, second] {
            customers.push(stripe.pay_checkout(&session).customer.unwrap());
        }
    }
    // Every round's events at once: the worker processes them four at a time, so the two
    // completions (and the subscriptions) of one address meet in the same instant.
    let statuses = stripe.deliver(Delivery::InOrder).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    app.wait_for_jobs("stripe_event", std::time::Duration::from_secs(60))
        .await;
    let dead: i64 = app.count(jobs::table.filter(jobs::status.eq("dead"))).await;
    assert_eq!(dead, 0, "every event processed");
    for round in 0..ROUNDS {
        let email = format!("payer{round}@news.example");
        let address = email.clone();
        let (ids, customer): (Vec<i32>, Vec<Option<String>>) = app
            .read(move |c| {
                let rows: Vec<(i32, Option<String>)> = members::table
                    .filter(members::email.eq(address))
                    .select((members::id, members::stripe_customer_id))
                    .load(c)?;
                Ok(rows.into_iter().unzip())
            })
            .await;
        assert_eq!(ids.len(), 1, "{email}: one member");
        let customer = customer[0].clone().expect("a customer");
        assert!(
            customers[2 * round..2 * round + 2].contains(&customer),
            "{email}: {customer} is one of its Checkout customers"
        );
        let member = ids[0];
        let n: i64 = app
            .count(memberships::table.filter(memberships::member_id.eq(member)))
            .await;
        assert_eq!(n, 2, "{email}: both subscriptions are the member's");
    }
    let n: i64 = app.count(members::table).await;
    assert_eq!(n, ROUNDS as i64);
}
