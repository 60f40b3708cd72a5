//! Two first joins with the same new address at the same moment (a double click, or a form
//! sent from two tabs): one member, one Stripe customer that both Checkout Sessions use, each
//! session with its own sign-up, and no server error, on each database.

use diesel::prelude::*;
use memberdrive::db::schema::members;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, spawn_app_with_stripe};
use crate::support::stripe_server::StripeServer;

both_backends!(two_first_joins_at_once_make_one_member_and_one_customer);

/// Pairs of simultaneous joins, each pair with a new address: enough for some to overlap
/// inside the transaction, few enough for the per-address rate limit (30 a minute).
const ROUNDS: usize = 10;

/// Joins once; returns the Stripe customer and our sign-up of the Checkout Session it was
/// sent to.
async fn join(app: &TestApp, stripe: &StripeServer, email: &str) -> (String, String) {
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
    let session = location
        .strip_prefix(&format!("{}checkout/", stripe.url()))
        .unwrap_or_else(|| panic!("{location} is not a checkout URL"));
    let session = stripe.checkout_session(session);
    let field = |value: &serde_json::Value| value.as_str().expect(email).to_owned();
    (
        field(&session["customer"]),
        field(&session["metadata"]["memberdrive_signup"]),
    )
}

async fn two_first_joins_at_once_make_one_member_and_one_customer(backend: Backend) {
    let (app, stripe) = spawn_app_with_stripe(backend).await;
    for round in 0..ROUNDS {
        let email = format!("racer{round}@news.example");
        let ((first, signup), (second, other_signup)) =
            tokio::join!(join(&app, &stripe, &email), join(&app, &stripe, &email));
        assert_eq!(first, second, "{email}: two customers");
        assert_ne!(
            signup, other_signup,
            "{email}: each join has its own sign-up"
        );
        let rows: Vec<Option<String>> = {
            let email = email.clone();
            app.db
                .read(move |c| {
                    members::table
                        .filter(members::email.eq(email))
                        .select(members::stripe_customer_id)
                        .load(c)
                })
                .await
                .unwrap()
        };
        assert_eq!(rows, [Some(first)], "{email}: members and their customers");
    }
    assert_eq!(stripe.objects_created("customer"), ROUNDS);
}
