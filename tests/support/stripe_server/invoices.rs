//! Invoices and their invoice payments: billing a subscription's period.

use serde_json::json;

use super::charges::Payment;
use super::fixtures::{fixture, from_fixture, new_id, set};
use super::{Paid, SECONDS_PER_DAY, State};

impl State {
    /// Invoices the subscription's current period and tries to collect it.
    pub(super) fn bill(
        &mut self,
        sub_id: &str,
        reason: &str,
        invoice_period: (i64, i64),
        succeed: bool,
    ) -> Paid {
        let now = self.now();
        let subscription = self.expect_kind(sub_id, "subscription").clone();
        let customer = subscription["customer"]
            .as_str()
            .expect("customer id")
            .to_owned();
        let (line, line_period) = self.subscription_line(sub_id);
        let amount = line.amount();
        let description = match reason {
            "subscription_create" => "Subscription creation",
            _ => "Subscription update",
        };
        let payment = Payment {
            customer: Some(&customer),
            amount,
            currency: &line.currency,
            description,
            metadata: &json!({}),
        };
        let (pi_id, charge_id) = self.new_payment(&payment, succeed);
        let id = new_id("in", 24);
        let customer_object = self.get(&customer).clone();
        let number = format!(
            "{}-{:04}",
            customer_object["invoice_prefix"].as_str().unwrap_or("MD"),
            customer_object["next_invoice_sequence"]
                .as_i64()
                .unwrap_or(1)
        );
        self.get_mut(&customer)["next_invoice_sequence"] = json!(
            customer_object["next_invoice_sequence"]
                .as_i64()
                .unwrap_or(1)
                + 1
        );
        let mut invoice_line = fixture("invoice")["lines"]["data"][0].take();
        set(
            &mut invoice_line,
            json!({
                "id": new_id("il", 24),
                "invoice": id,
                "amount": amount,
                "subtotal": amount,
                "currency": line.currency,
                "description": format!("{} × {}", line.quantity, line.name),
                "period": line_period,
                "quantity": line.quantity,
                "subscription": sub_id,
                "discountable": true,
                "parent": {
                    "type": "subscription_item_details",
                    "invoice_item_details": null,
                    "subscription_item_details": {
                        "invoice_item": null,
                        "proration": false,
                        "proration_details": { "credited_items": null },
                        "subscription": sub_id,
                        "subscription_item": subscription["items"]["data"][0]["id"],
                    },
                },
                "pricing": {
                    "type": "price_details",
                    "price_details": { "price": line.price, "product": line.product },
                    "unit_amount_decimal": line.unit_amount.to_string(),
                },
            }),
        );
        let mut invoice = from_fixture(
            "invoice",
            json!({
                "id": id,
                "created": now,
                "customer": customer,
                "customer_email": customer_object["email"],
                "customer_name": customer_object["name"],
                "customer_address": null,
                "customer_shipping": null,
                "shipping_details": null,
                "shipping_cost": null,
                "currency": line.currency,
                "billing_reason": reason,
                "collection_method": "charge_automatically",
                "amount_due": amount,
                "amount_paid": 0,
                "amount_remaining": amount,
                "amount_overpaid": 0,
                "subtotal": amount,
                "subtotal_excluding_tax": amount,
                "total": amount,
                "total_excluding_tax": amount,
                "attempt_count": 1,
                "attempted": true,
                "auto_advance": !succeed,
                "status": "open",
                "status_transitions": {
                    "finalized_at": now, "marked_uncollectible_at": null,
                    "paid_at": null, "voided_at": null,
                },
                "number": number,
                "hosted_invoice_url": null,
                "invoice_pdf": null,
                "due_date": null,
                "effective_at": now,
                "period_start": invoice_period.0,
                "period_end": invoice_period.1,
                "next_payment_attempt": if succeed { None } else { Some(now + 3 * SECONDS_PER_DAY) },
            }),
        );
        // Two calls: one `json!` this size exceeds the macro recursion limit.
        set(
            &mut invoice,
            json!({
                "webhooks_delivered_at": now,
                "from_invoice": null,
                "last_finalization_error": null,
                "metadata": {},
                "lines": {
                    "object": "list", "data": [invoice_line], "has_more": false,
                    "url": format!("/v1/invoices/{id}/lines"),
                },
                "parent": {
                    "type": "subscription_details",
                    "quote_details": null,
                    "subscription_details": {
                        "metadata": subscription["metadata"],
                        "subscription": sub_id,
                    },
                },
                // The pre-2025 field, still in the fixture: older readers look here.
                "subscription": sub_id,
            }),
        );
        self.insert(invoice);
        let invoice_payment = from_fixture(
            "invoice_payment",
            json!({
                "id": new_id("inpay", 24),
                "created": now,
                "invoice": id,
                "currency": line.currency,
                "amount_requested": amount,
                "amount_paid": null,
                "is_default": true,
                "livemode": false,
                "payment": { "type": "payment_intent", "payment_intent": pi_id },
                "status": "open",
                "status_transitions": { "canceled_at": null, "paid_at": null },
            }),
        );
        self.insert(invoice_payment);
        if succeed {
            self.mark_invoice_paid(&id);
        }
        self.get_mut(sub_id)["latest_invoice"] = json!(id);
        Paid {
            checkout_session: None,
            customer: Some(customer),
            subscription: Some(sub_id.to_owned()),
            invoice: Some(id),
            payment_intent: pi_id,
            charge: charge_id,
            amount,
        }
    }

    pub(super) fn mark_invoice_paid(&mut self, invoice_id: &str) {
        let now = self.now();
        let invoice = self.get_mut(invoice_id);
        let amount = invoice["amount_due"].clone();
        set(
            invoice,
            json!({
                "status": "paid",
                "amount_paid": amount,
                "amount_remaining": 0,
                "auto_advance": false,
                "next_payment_attempt": null,
            }),
        );
        invoice["status_transitions"]["paid_at"] = json!(now);
        let payment_id = self.invoice_payments(invoice_id)[0].clone();
        let payment = self.get_mut(&payment_id);
        set(payment, json!({ "status": "paid", "amount_paid": amount }));
        payment["status_transitions"]["paid_at"] = json!(now);
    }

    /// Queues what Stripe sends once an invoice is paid: `invoice.paid`, then
    /// `invoice.payment_succeeded`, two events about the same payment.
    pub(super) fn queue_invoice_paid(&mut self, invoice_id: &str) {
        self.queue("invoice.paid", invoice_id, None);
        self.queue("invoice.payment_succeeded", invoice_id, None);
    }

    /// Ids of an invoice's `invoice_payment` objects, oldest first.
    pub(super) fn invoice_payments(&self, invoice_id: &str) -> Vec<String> {
        self.order
            .iter()
            .filter(|id| {
                let object = &self.objects[*id];
                object["object"] == "invoice_payment" && object["invoice"] == invoice_id
            })
            .cloned()
            .collect()
    }
}
