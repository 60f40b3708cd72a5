//! Subscriptions: creation, renewal, failed and retried payments, cancellation and end.

use serde_json::{Value, json};

use super::api::{ApiResult, Params, invalid};
use super::charges::Payment;
use super::fixtures::{fixture, from_fixture, new_id, period_end, set};
use super::prices::LineItem;
use super::{Paid, State};

impl State {
    pub(super) fn new_subscription(
        &mut self,
        customer: &str,
        line: &LineItem,
        metadata: Value,
        status: &str,
    ) -> String {
        let now = self.now();
        let id = new_id("sub", 24);
        let (interval, count) = line.recurring.clone().expect("a recurring price");
        let price = self.get(&line.price).clone();
        let mut item = fixture("subscription")["items"]["data"][0].take();
        set(
            &mut item,
            json!({
                "id": new_id("si", 14),
                "created": now,
                "metadata": {},
                "price": price,
                "plan": self.plan(line),
                "quantity": line.quantity,
                "subscription": id,
                "current_period_start": now,
                "current_period_end": period_end(now, &interval, count),
                "billing_thresholds": null,
            }),
        );
        let subscription = from_fixture(
            "subscription",
            json!({
                "id": id,
                "created": now,
                "start_date": now,
                "billing_cycle_anchor": now,
                "billing_cycle_anchor_config": null,
                "customer": customer,
                "currency": line.currency,
                "status": status,
                "metadata": metadata,
                "items": {
                    "object": "list", "data": [item], "has_more": false,
                    "url": format!("/v1/subscription_items?subscription={id}"),
                },
                "latest_invoice": null,
                "cancel_at": null,
                "cancel_at_period_end": false,
                "canceled_at": null,
                "cancellation_details": { "comment": null, "feedback": null, "reason": null },
                "ended_at": null,
                "trial_start": null,
                "trial_end": null,
                "trial_settings": null,
                "pause_collection": null,
                "pending_update": null,
                "pending_invoice_item_interval": null,
                "next_pending_invoice_item_invoice": null,
                "transfer_data": null,
                "billing_thresholds": null,
                "billing_schedules": [],
                "managed_payments": null,
                "automatic_tax": { "enabled": false, "liability": null, "disabled_reason": null },
            }),
        );
        self.insert(subscription)
    }

    /// The subscription's current item as a line item (price, quantity, period).
    pub(super) fn subscription_line(&self, sub_id: &str) -> (LineItem, Value) {
        let item = &self.get(sub_id)["items"]["data"][0];
        let price = &item["price"];
        let line = LineItem {
            price: price["id"].as_str().expect("price id").to_owned(),
            product: price["product"].as_str().expect("product id").to_owned(),
            name: self.get(price["product"].as_str().unwrap())["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            currency: price["currency"].as_str().expect("currency").to_owned(),
            unit_amount: price["unit_amount"].as_i64().expect("unit amount"),
            quantity: item["quantity"].as_u64().unwrap_or(1),
            recurring: Some((
                price["recurring"]["interval"].as_str().unwrap().to_owned(),
                price["recurring"]["interval_count"].as_u64().unwrap() as u32,
            )),
        };
        let period =
            json!({ "start": item["current_period_start"], "end": item["current_period_end"] });
        (line, period)
    }

    pub(super) fn retry_payment(&mut self, sub_id: &str) -> Paid {
        let subscription = self.expect_kind(sub_id, "subscription").clone();
        let invoice_id = subscription["latest_invoice"]
            .as_str()
            .expect("an invoice")
            .to_owned();
        let invoice = self.get(&invoice_id).clone();
        assert_eq!(
            invoice["status"], "open",
            "the latest invoice of {sub_id} is not open"
        );
        let payment_id = self.invoice_payments(&invoice_id)[0].clone();
        let pi_id = self.get(&payment_id)["payment"]["payment_intent"]
            .as_str()
            .expect("payment intent")
            .to_owned();
        let pi = self.get(&pi_id).clone();
        let amount = pi["amount"].as_i64().expect("amount");
        let payment = Payment {
            customer: pi["customer"].as_str(),
            amount,
            currency: pi["currency"].as_str().expect("currency"),
            description: pi["description"].as_str().unwrap_or_default(),
            metadata: &pi["metadata"],
        };
        let charge_id = self.new_charge(&pi_id, &payment, true);
        self.settle_payment_intent(&pi_id, &charge_id, true);
        self.get_mut(&invoice_id)["attempt_count"] =
            json!(invoice["attempt_count"].as_i64().unwrap_or(1) + 1);
        self.mark_invoice_paid(&invoice_id);
        self.get_mut(sub_id)["status"] = json!("active");
        let session = self
            .order
            .iter()
            .find(|id| {
                self.objects[*id]["object"] == "checkout.session"
                    && self.objects[*id]["invoice"] == invoice_id.as_str()
            })
            .cloned();
        if let Some(session) = &session {
            self.get_mut(session)["payment_status"] = json!("paid");
        }
        self.queue_invoice_paid(&invoice_id);
        let previous = json!({ "status": subscription["status"] });
        self.queue("customer.subscription.updated", sub_id, Some(previous));
        Paid {
            checkout_session: session,
            customer: pi["customer"].as_str().map(str::to_owned),
            subscription: Some(sub_id.to_owned()),
            invoice: Some(invoice_id),
            payment_intent: pi_id,
            charge: charge_id,
            amount,
        }
    }

    pub(super) fn renew(&mut self, sub_id: &str, succeed: bool) -> Paid {
        let before = self.expect_kind(sub_id, "subscription").clone();
        let (line, period) = self.subscription_line(sub_id);
        let (start, end) = (
            period["start"].as_i64().unwrap(),
            period["end"].as_i64().unwrap(),
        );
        // Renewal happens at the period's end: if the test has not moved the clock there, time
        // passes until it is.
        if self.now() < end {
            self.clock_offset += end - self.now();
        }
        let (interval, count) = line.recurring.clone().expect("recurring");
        let item = &mut self.get_mut(sub_id)["items"]["data"][0];
        item["current_period_start"] = json!(end);
        item["current_period_end"] = json!(period_end(end, &interval, count));
        let paid = self.bill(sub_id, "subscription_cycle", (start, end), succeed);
        let mut previous = json!({
            "items": before["items"],
            "latest_invoice": before["latest_invoice"],
        });
        if succeed {
            self.queue("customer.subscription.updated", sub_id, Some(previous));
            self.queue_invoice_paid(paid.invoice.as_deref().unwrap());
        } else {
            self.get_mut(sub_id)["status"] = json!("past_due");
            previous["status"] = before["status"].clone();
            self.queue(
                "invoice.payment_failed",
                paid.invoice.as_deref().unwrap(),
                None,
            );
            self.queue("customer.subscription.updated", sub_id, Some(previous));
        }
        paid
    }

    pub(super) fn create_coupon(&mut self, percent_off: f64, months: i64) -> String {
        let coupon = from_fixture(
            "coupon",
            json!({
                "id": new_id("stay", 8),
                "created": self.now(),
                "amount_off": null,
                "currency": null,
                "percent_off": percent_off,
                "duration": "repeating",
                "duration_in_months": months,
                "name": format!("{percent_off}% off for {months} months"),
                "redeem_by": null,
            }),
        );
        self.insert(coupon)
    }

    /// `POST /v1/subscriptions/{id}`, as memberdrive uses it, one change at a time:
    /// `cancel_at_period_end=true` (as [`State::cancel_at_period_end`]),
    /// `discounts[0][coupon]` (a discount from a known coupon on the coming invoices), or
    /// `pause_collection[behavior]` and `pause_collection[resumes_at]`, which pause payments
    /// (the status stays as it is), an empty `pause_collection` resuming them. Each queues
    /// `customer.subscription.updated`.
    pub(super) fn update_subscription(&mut self, sub_id: &str, form: &Params) -> ApiResult {
        match form.get("cancel_at_period_end") {
            Some("true") => {
                self.cancel_at_period_end(sub_id);
                return Ok(self.get(sub_id).clone());
            }
            Some(other) => {
                return Err(invalid(
                    Some("cancel_at_period_end"),
                    format!("Invalid boolean: {other}"),
                ));
            }
            None => {}
        }
        if let Some(coupon) = form.get("discounts[0][coupon]") {
            let Some(found) = self.objects.get(coupon).filter(|c| c["object"] == "coupon") else {
                return Err(invalid(
                    Some("discounts[0][coupon]"),
                    format!("No such coupon: '{coupon}'"),
                ));
            };
            if found["valid"] != true {
                return Err(invalid(
                    Some("discounts[0][coupon]"),
                    format!("Coupon {coupon} is no longer valid"),
                ));
            }
            let now = self.now();
            let customer = self.get(sub_id)["customer"].clone();
            let discount = from_fixture(
                "discount",
                json!({
                    "id": new_id("di", 24),
                    "customer": customer,
                    "subscription": sub_id,
                    "start": now,
                    "end": null,
                    "source": { "coupon": coupon, "type": "coupon" },
                }),
            );
            let discount = self.insert(discount);
            let before = self.get(sub_id)["discounts"].clone();
            set(self.get_mut(sub_id), json!({ "discounts": [discount] }));
            self.queue(
                "customer.subscription.updated",
                sub_id,
                Some(json!({ "discounts": before })),
            );
            return Ok(self.get(sub_id).clone());
        }
        let pause = match (
            form.get("pause_collection[behavior]"),
            form.get("pause_collection"),
        ) {
            (Some(behavior), _) => {
                if !matches!(behavior, "keep_as_draft" | "mark_uncollectible" | "void") {
                    return Err(invalid(
                        Some("pause_collection[behavior]"),
                        format!("Invalid behavior: {behavior}"),
                    ));
                }
                let resumes_at = match form.get("pause_collection[resumes_at]") {
                    Some(at) => Some(at.parse::<i64>().map_err(|_| {
                        invalid(Some("pause_collection[resumes_at]"), "Invalid timestamp")
                    })?),
                    None => None,
                };
                if resumes_at.is_some_and(|at| at <= self.now()) {
                    return Err(invalid(
                        Some("pause_collection[resumes_at]"),
                        "resumes_at must be in the future",
                    ));
                }
                json!({ "behavior": behavior, "resumes_at": resumes_at })
            }
            (None, Some("")) => Value::Null,
            (None, _) => {
                return Err(invalid(
                    None,
                    "This test server updates pause_collection only",
                ));
            }
        };
        self.set_pause(sub_id, pause);
        Ok(self.get(sub_id).clone())
    }

    /// Stripe at `resumes_at`: collection resumes by itself. Queues
    /// `customer.subscription.updated`.
    pub(super) fn resume_collection(&mut self, sub_id: &str) {
        self.set_pause(sub_id, Value::Null);
    }

    fn set_pause(&mut self, sub_id: &str, pause: Value) {
        let before = self.expect_kind(sub_id, "subscription")["pause_collection"].clone();
        set(self.get_mut(sub_id), json!({ "pause_collection": pause }));
        self.queue(
            "customer.subscription.updated",
            sub_id,
            Some(json!({ "pause_collection": before })),
        );
    }

    pub(super) fn cancel_at_period_end(&mut self, sub_id: &str) {
        let now = self.now();
        let before = self.expect_kind(sub_id, "subscription").clone();
        let end = before["items"]["data"][0]["current_period_end"].clone();
        set(
            self.get_mut(sub_id),
            json!({
                "cancel_at_period_end": true,
                "cancel_at": end,
                "canceled_at": now,
                "cancellation_details": {
                    "comment": null, "feedback": null, "reason": "cancellation_requested",
                },
            }),
        );
        let previous = json!({
            "cancel_at_period_end": before["cancel_at_period_end"],
            "cancel_at": before["cancel_at"],
            "canceled_at": before["canceled_at"],
            "cancellation_details": before["cancellation_details"],
        });
        self.queue("customer.subscription.updated", sub_id, Some(previous));
    }

    pub(super) fn end_subscription(&mut self, sub_id: &str) {
        let before = self.expect_kind(sub_id, "subscription").clone();
        if before["cancel_at_period_end"] == true {
            let end = before["items"]["data"][0]["current_period_end"]
                .as_i64()
                .unwrap();
            if self.now() < end {
                self.clock_offset += end - self.now();
            }
        }
        let now = self.now();
        let reason = match before["status"].as_str() {
            Some("past_due" | "incomplete" | "unpaid") => "payment_failed",
            _ => "cancellation_requested",
        };
        let canceled_at = before["canceled_at"].as_i64().unwrap_or(now);
        set(
            self.get_mut(sub_id),
            json!({
                "status": "canceled",
                "ended_at": now,
                "canceled_at": canceled_at,
                "cancellation_details": { "comment": null, "feedback": null, "reason": reason },
            }),
        );
        self.queue("customer.subscription.deleted", sub_id, None);
    }

    pub(super) fn foreign_subscription(&mut self) -> String {
        let customer = self.new_customer(
            Some("subscriber@other-product.example"),
            Some("Other Subscriber"),
            json!({}),
        );
        let line = self.new_price("Crossword Club", "usd", 1200, 1, Some(("month".into(), 1)));
        let sub_id =
            self.new_subscription(&customer, &line, json!({ "app": "crosswords" }), "active");
        let now = self.now();
        let paid = self.bill(&sub_id, "subscription_create", (now, now), true);
        self.queue("customer.subscription.created", &sub_id, None);
        self.queue_invoice_paid(paid.invoice.as_deref().unwrap());
        sub_id
    }
}
