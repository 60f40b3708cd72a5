//! Checkout Sessions: creation with their line item, and completion (paid or not).

use serde_json::{Value, json};

use super::api::{
    ApiError, ApiResult, CHECKOUT_LOCALES, Params, invalid, locale, missing, no_such,
};
use super::charges::Payment;
use super::fixtures::{fixture, from_fixture, new_id, set};
use super::prices::LineItem;
use super::{Paid, SECONDS_PER_DAY, Shared, State};

/// What a Checkout Session was created with beyond what the session object shows.
#[derive(Clone)]
pub(super) struct CheckoutExtras {
    line: LineItem,
    subscription_metadata: Value,
    payment_intent_metadata: Value,
    payment_intent_description: Option<String>,
}

impl State {
    /// `typed`: the address the customer types on Checkout's page, which asks for one only
    /// when the session was created with neither `customer` nor `customer_email`.
    pub(super) fn complete_checkout(
        &mut self,
        session_id: &str,
        succeed: bool,
        typed: Option<&str>,
    ) -> Paid {
        let session = self.expect_kind(session_id, "checkout.session").clone();
        assert_eq!(
            session["status"], "open",
            "checkout session {session_id} is not open"
        );
        let extras = self.checkouts[session_id].clone();
        let subscription_mode = session["mode"] == "subscription";
        assert!(
            succeed || subscription_mode,
            "a declined card never completes a payment-mode Checkout Session: nothing to simulate"
        );
        let prefilled = session["customer_email"]
            .as_str()
            .or(session["customer"].as_str());
        assert!(
            typed.is_none() || prefilled.is_none(),
            "checkout session {session_id} was given its customer's address: there is nothing to type"
        );
        let email = session["customer_email"]
            .as_str()
            .or(typed)
            .unwrap_or("customer@example.com")
            .to_owned();
        let mut customer = session["customer"].as_str().map(str::to_owned);
        if customer.is_none() && (subscription_mode || session["customer_creation"] == "always") {
            customer = Some(self.new_customer(Some(&email), None, json!({})));
        }
        let email = customer
            .as_ref()
            .and_then(|c| self.get(c)["email"].as_str().map(str::to_owned))
            .unwrap_or(email);
        let mut customer_details = fixture("checkout.session")["customer_details"].take();
        set(
            &mut customer_details,
            json!({ "email": email, "address": null }),
        );

        let paid = if subscription_mode {
            let customer = customer
                .as_deref()
                .expect("subscription mode has a customer");
            let status = if succeed { "active" } else { "incomplete" };
            let sub_id = self.new_subscription(
                customer,
                &extras.line,
                extras.subscription_metadata.clone(),
                status,
            );
            let now = self.now();
            self.bill(&sub_id, "subscription_create", (now, now), succeed)
        } else {
            let description = extras
                .payment_intent_description
                .clone()
                .unwrap_or_default();
            let payment = Payment {
                customer: customer.as_deref(),
                amount: extras.line.amount(),
                currency: &extras.line.currency,
                description: &description,
                metadata: &extras.payment_intent_metadata,
            };
            let (pi_id, charge_id) = self.attempt(session_id, &payment, true);
            Paid {
                checkout_session: None,
                customer: customer.clone(),
                subscription: None,
                invoice: None,
                payment_intent: pi_id,
                charge: charge_id,
                amount: extras.line.amount(),
            }
        };
        set(
            self.get_mut(session_id),
            json!({
                "status": "complete",
                "payment_status": if succeed { "paid" } else { "unpaid" },
                "customer": customer,
                "customer_details": customer_details,
                "subscription": paid.subscription,
                "invoice": paid.invoice,
                // Subscription mode pays through the invoice's own payment intent.
                "payment_intent": if subscription_mode { None } else { Some(&paid.payment_intent) },
                "url": null,
            }),
        );
        self.queue("checkout.session.completed", session_id, None);
        if let Some(sub_id) = &paid.subscription {
            let invoice_id = paid.invoice.clone().expect("subscription invoice");
            self.queue("customer.subscription.created", sub_id, None);
            if succeed {
                self.queue_invoice_paid(&invoice_id);
            } else {
                self.queue("invoice.payment_failed", &invoice_id, None);
            }
        }
        Paid {
            checkout_session: Some(session_id.to_owned()),
            ..paid
        }
    }
}

impl State {
    /// A card declined on a payment-mode Checkout page: a failed charge on the session's
    /// payment intent (made at its first attempt); the session stays open for another card.
    /// Queues `payment_intent.payment_failed`; returns the payment intent's id.
    pub(super) fn decline_checkout(&mut self, session_id: &str) -> String {
        let session = self.expect_kind(session_id, "checkout.session").clone();
        assert_eq!(
            session["status"], "open",
            "checkout session {session_id} is not open"
        );
        assert_eq!(
            session["mode"], "payment",
            "a declined card in subscription mode is simulated with pay_checkout_first_payment_fails"
        );
        let extras = self.checkouts[session_id].clone();
        let description = extras
            .payment_intent_description
            .clone()
            .unwrap_or_default();
        let payment = Payment {
            customer: None,
            amount: extras.line.amount(),
            currency: &extras.line.currency,
            description: &description,
            metadata: &extras.payment_intent_metadata,
        };
        let (pi_id, _) = self.attempt(session_id, &payment, false);
        self.queue("payment_intent.payment_failed", &pi_id, None);
        pi_id
    }

    /// One attempt to pay a payment-mode session: a charge on its payment intent, which the
    /// first attempt makes.
    fn attempt(&mut self, session_id: &str, payment: &Payment, succeed: bool) -> (String, String) {
        match self.get(session_id)["payment_intent"]
            .as_str()
            .map(str::to_owned)
        {
            Some(pi_id) => {
                let charge_id = self.new_charge(&pi_id, payment, succeed);
                self.settle_payment_intent(&pi_id, &charge_id, succeed);
                (pi_id, charge_id)
            }
            None => {
                let (pi_id, charge_id) = self.new_payment(payment, succeed);
                set(self.get_mut(session_id), json!({ "payment_intent": pi_id }));
                (pi_id, charge_id)
            }
        }
    }
}

impl Shared {
    pub(super) fn create_checkout_session(&self, state: &mut State, form: &Params) -> ApiResult {
        let mode = form.get("mode").ok_or_else(|| missing("mode"))?;
        if !matches!(mode, "payment" | "subscription") {
            return Err(invalid(
                Some("mode"),
                format!(
                    "Invalid mode `{mode}`: this test server supports payment and subscription."
                ),
            ));
        }
        let subscription_mode = mode == "subscription";
        if form.has_prefix("line_items[1]") {
            return Err(invalid(
                Some("line_items"),
                "This test server supports one line item per Checkout Session.",
            ));
        }
        let line = self.checkout_line_item(state, form, subscription_mode)?;
        if line.amount() < 50 {
            return Err(invalid(
                Some("line_items"),
                format!(
                    "The Checkout Session's total amount due must add up to at least 50 minor \
                     units of {} (a Stripe minimum).",
                    line.currency
                ),
            ));
        }
        if subscription_mode && form.has_prefix("payment_intent_data") {
            return Err(invalid(
                Some("payment_intent_data"),
                "You can not pass `payment_intent_data` in `subscription` mode.",
            ));
        }
        if !subscription_mode && form.has_prefix("subscription_data") {
            return Err(invalid(
                Some("subscription_data"),
                "You can not pass `subscription_data` in `payment` mode.",
            ));
        }
        if subscription_mode && form.get("customer_creation").is_some() {
            return Err(invalid(
                Some("customer_creation"),
                "`customer_creation` can only be used in `payment` mode.",
            ));
        }
        let customer = form.get("customer");
        if customer.is_some() && form.get("customer_email").is_some() {
            return Err(invalid(
                Some("customer"),
                "You may only specify one of these parameters: customer, customer_email.",
            ));
        }
        if let Some(customer) = customer
            && state
                .objects
                .get(customer)
                .is_none_or(|c| c["object"] != "customer")
        {
            return Err(no_such("customer", customer, "customer", 400));
        }
        let customer_creation = match (customer, subscription_mode) {
            (Some(_), _) => None,
            (None, true) => Some("always"),
            (None, false) => Some(form.get("customer_creation").unwrap_or("if_required")),
        };
        let now = state.now();
        let id = format!("cs_test_a1{}", &new_id("x", 56)[2..]);
        let amount = line.amount();
        let mut session = from_fixture(
            "checkout.session",
            json!({
                "id": id,
                "created": now,
                "expires_at": form.integer("expires_at")?.unwrap_or(now + SECONDS_PER_DAY),
                "mode": mode,
                "status": "open",
                "payment_status": "unpaid",
                "url": format!("{}checkout/{id}", self.base_url),
                "success_url": form.get("success_url"),
                "cancel_url": form.get("cancel_url"),
                "customer": customer,
                "customer_email": form.get("customer_email"),
                "customer_creation": customer_creation,
                "customer_details": null,
                "client_reference_id": form.get("client_reference_id"),
                "metadata": form.metadata("metadata")?,
                "amount_subtotal": amount,
                "amount_total": amount,
                "currency": line.currency,
                "locale": locale(form, &[CHECKOUT_LOCALES])?,
                "submit_type": form.get("submit_type"),
                "billing_address_collection": form.get("billing_address_collection"),
                "allow_promotion_codes": form.get("allow_promotion_codes").map(|v| v == "true"),
            }),
        );
        // Two calls: one `json!` this size exceeds the macro recursion limit.
        set(
            &mut session,
            json!({
                "payment_intent": null,
                "subscription": null,
                "invoice": null,
                "invoice_creation": null,
                "after_expiration": null,
                "consent": null,
                "consent_collection": null,
                "collected_information": null,
                "currency_conversion": null,
                "custom_text": {
                    "after_submit": null, "shipping_address": null, "submit": null,
                    "terms_of_service_acceptance": null,
                },
                "shipping_address_collection": null,
                "shipping_cost": null,
                "shipping_options": [],
                "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 },
                "payment_method_configuration_details": null,
                "payment_method_collection": if subscription_mode { Some("always") } else { None },
                "automatic_tax": { "enabled": false, "liability": null, "status": null, "provider": null },
                "ui_mode": "hosted",
                "managed_payments": null,
            }),
        );
        state.insert(session.clone());
        state.checkouts.insert(
            id,
            CheckoutExtras {
                line,
                subscription_metadata: form.metadata("subscription_data[metadata]")?,
                payment_intent_metadata: form.metadata("payment_intent_data[metadata]")?,
                payment_intent_description: form
                    .get("payment_intent_data[description]")
                    .map(str::to_owned),
            },
        );
        Ok(session)
    }

    /// `line_items[0]`: an existing `price`, or `price_data` with `product_data[name]` (or an
    /// existing `product`); creates the price (and product) as Stripe does.
    fn checkout_line_item(
        &self,
        state: &mut State,
        form: &Params,
        subscription_mode: bool,
    ) -> Result<LineItem, ApiError> {
        const ITEM: &str = "line_items[0]";
        if !form.has_prefix(ITEM) {
            return Err(missing("line_items"));
        }
        let quantity_key = format!("{ITEM}[quantity]");
        let quantity = form.integer_at_least(&quantity_key, 1, "Quantity must be at least 1.")?;
        let line = if let Some(price) = form.get(&format!("{ITEM}[price]")) {
            let object = state
                .objects
                .get(price)
                .filter(|p| p["object"] == "price")
                .ok_or_else(|| no_such("price", price, &format!("{ITEM}[price]"), 400))?;
            let recurring = object["recurring"].as_object().map(|r| {
                (
                    r["interval"].as_str().unwrap_or("month").to_owned(),
                    r["interval_count"].as_u64().unwrap_or(1) as u32,
                )
            });
            let product = object["product"].as_str().unwrap_or_default().to_owned();
            LineItem {
                price: price.to_owned(),
                name: state.get(&product)["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                product,
                currency: object["currency"].as_str().unwrap_or("usd").to_owned(),
                unit_amount: object["unit_amount"].as_i64().unwrap_or(0),
                quantity: quantity as u64,
                recurring,
            }
        } else {
            let data = format!("{ITEM}[price_data]");
            let currency_key = format!("{data}[currency]");
            let currency = form
                .get(&currency_key)
                .ok_or_else(|| missing(&currency_key))?;
            if currency.len() != 3 || currency.chars().any(|c| !c.is_ascii_lowercase()) {
                return Err(invalid(
                    Some(&currency_key),
                    format!("Invalid currency: {currency}"),
                ));
            }
            let amount_key = format!("{data}[unit_amount]");
            let unit_amount =
                form.integer_at_least(&amount_key, 0, "Invalid non-negative integer")?;
            let name = match (
                form.get(&format!("{data}[product_data][name]")),
                form.get(&format!("{data}[product]")),
            ) {
                (Some(name), _) => name.to_owned(),
                (None, Some(product)) => state
                    .objects
                    .get(product)
                    .filter(|p| p["object"] == "product")
                    .ok_or_else(|| no_such("product", product, &format!("{data}[product]"), 400))?
                    ["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                (None, None) => return Err(missing(&format!("{data}[product_data]"))),
            };
            let recurring = match form.get(&format!("{data}[recurring][interval]")) {
                Some(interval @ ("day" | "week" | "month" | "year")) => {
                    let count_key = format!("{data}[recurring][interval_count]");
                    let count = form.integer(&count_key)?.unwrap_or(1);
                    Some((interval.to_owned(), count as u32))
                }
                Some(other) => {
                    return Err(invalid(
                        Some(&format!("{data}[recurring][interval]")),
                        format!("Invalid interval: {other}"),
                    ));
                }
                None => None,
            };
            state.new_price(&name, currency, unit_amount, quantity as u64, recurring)
        };
        match (subscription_mode, line.recurring.is_some()) {
            (true, false) => Err(invalid(
                Some("line_items"),
                "You must provide at least one recurring price in `subscription` mode when using prices.",
            )),
            (false, true) => Err(invalid(
                Some("line_items"),
                "You specified `payment` mode but passed a recurring price. Either switch to \
                 `subscription` mode or use only one-time prices.",
            )),
            _ => Ok(line),
        }
    }
}

/// The `item` list of a Checkout Session (`line_items`, expandable or its own endpoint).
pub(super) fn line_items(state: &State, session_id: &str) -> Value {
    let line = &state.checkouts[session_id].line;
    let amount = line.amount();
    let item = from_fixture(
        "item",
        json!({
            "id": new_id("li", 24),
            "description": line.name,
            "currency": line.currency,
            "price": state.get(&line.price),
            "quantity": line.quantity,
            "amount_subtotal": amount,
            "amount_total": amount,
            "amount_discount": 0,
            "amount_tax": 0,
            "adjustable_quantity": null,
        }),
    );
    json!({
        "object": "list",
        "data": [item],
        "has_more": false,
        "url": format!("/v1/checkout/sessions/{session_id}/line_items"),
    })
}
