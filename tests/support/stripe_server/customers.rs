//! Customers and billing portal sessions.

use serde_json::{Value, json};

use super::api::{ApiResult, CHECKOUT_LOCALES, PORTAL_LOCALES, Params, locale, missing, no_such};
use super::fixtures::{from_fixture, new_id};
use super::{Shared, State};

impl State {
    pub(super) fn new_customer(
        &mut self,
        email: Option<&str>,
        name: Option<&str>,
        metadata: Value,
    ) -> String {
        let customer = from_fixture(
            "customer",
            json!({
                "id": new_id("cus", 14),
                "created": self.now(),
                "email": email,
                "name": name,
                "metadata": metadata,
                "description": null,
                "currency": null,
                "discount": null,
                "address": null,
                "shipping": null,
                "invoice_prefix": new_id("x", 8)[2..].to_uppercase(),
            }),
        );
        self.insert(customer)
    }
}

impl Shared {
    pub(super) fn create_portal_session(&self, state: &mut State, form: &Params) -> ApiResult {
        let customer = form.get("customer").ok_or_else(|| missing("customer"))?;
        if state
            .objects
            .get(customer)
            .is_none_or(|c| c["object"] != "customer")
        {
            return Err(no_such("customer", customer, "customer", 400));
        }
        let id = new_id("bps", 24);
        let session = from_fixture(
            "billing_portal.session",
            json!({
                "id": id,
                "created": state.now(),
                "customer": customer,
                "return_url": form.get("return_url"),
                "url": format!("{}portal/{id}", self.base_url),
                "flow": null,
                "livemode": false,
                "locale": locale(form, &[CHECKOUT_LOCALES, PORTAL_LOCALES])?,
                "configuration": new_id("bpc", 24),
            }),
        );
        state.insert(session.clone());
        Ok(session)
    }
}
