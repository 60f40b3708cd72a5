//! Payment intents and charges; refunds and disputes of a charge.

use serde_json::{Value, json};

use super::fixtures::{fixture, from_fixture, new_id, set};
use super::{SECONDS_PER_DAY, State};

/// What is paid: by whom (a guest has no customer), how much, and what Stripe shows of it.
pub(super) struct Payment<'a> {
    pub(super) customer: Option<&'a str>,
    pub(super) amount: i64,
    pub(super) currency: &'a str,
    pub(super) description: &'a str,
    pub(super) metadata: &'a Value,
}

impl State {
    /// A payment intent and the charge of its first attempt, succeeded or declined.
    pub(super) fn new_payment(&mut self, payment: &Payment, succeeded: bool) -> (String, String) {
        let pi_id = new_id("pi", 24);
        let charge_id = self.new_charge(&pi_id, payment, succeeded);
        let payment_intent = from_fixture(
            "payment_intent",
            json!({
                "id": pi_id,
                "created": self.now(),
                "amount": payment.amount,
                "amount_received": if succeeded { payment.amount } else { 0 },
                "currency": payment.currency,
                "customer": payment.customer,
                "description": payment.description,
                "metadata": payment.metadata,
                "latest_charge": charge_id,
                "client_secret": format!("{pi_id}_secret_{}", &new_id("s", 25)[2..]),
                "canceled_at": null,
                "next_action": null,
                "processing": null,
                "shipping": null,
                "transfer_data": null,
                "automatic_payment_methods": null,
                "payment_method_configuration_details": null,
                "managed_payments": null,
            }),
        );
        self.insert(payment_intent);
        self.settle_payment_intent(&pi_id, &charge_id, succeeded);
        (pi_id, charge_id)
    }

    /// Points a payment intent at its latest charge and sets its status from the outcome.
    pub(super) fn settle_payment_intent(&mut self, pi_id: &str, charge_id: &str, succeeded: bool) {
        let amount = self.get(pi_id)["amount"].clone();
        let payment_method = self.get(charge_id)["payment_method"].clone();
        let error = json!({
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": "Your card was declined.",
            "charge": charge_id,
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        });
        set(
            self.get_mut(pi_id),
            json!({
                "latest_charge": charge_id,
                "status": if succeeded { "succeeded" } else { "requires_payment_method" },
                "amount_received": if succeeded { amount } else { json!(0) },
                "payment_method": if succeeded { payment_method } else { Value::Null },
                "last_payment_error": if succeeded { Value::Null } else { error },
            }),
        );
    }

    /// A charge of a payment intent, succeeded or declined.
    pub(super) fn new_charge(&mut self, pi_id: &str, payment: &Payment, succeeded: bool) -> String {
        let id = new_id("ch", 24);
        let outcome = if succeeded {
            json!({
                "advice_code": null, "network_advice_code": null, "network_decline_code": null,
                "network_status": "approved_by_network", "reason": null, "risk_level": "normal",
                "seller_message": "Payment complete.", "type": "authorized",
            })
        } else {
            json!({
                "advice_code": "try_again_later", "network_advice_code": null,
                "network_decline_code": null, "network_status": "declined_by_network",
                "reason": "generic_decline", "risk_level": "normal",
                "seller_message": "The bank did not return any further details with this decline.",
                "type": "issuer_declined",
            })
        };
        let mut billing_details = fixture("charge")["billing_details"].take();
        billing_details["name"] = Value::Null;
        let charge = from_fixture(
            "charge",
            json!({
                "id": id,
                "created": self.now(),
                "amount": payment.amount,
                "amount_captured": if succeeded { payment.amount } else { 0 },
                "amount_refunded": 0,
                "captured": succeeded,
                "paid": succeeded,
                "status": if succeeded { "succeeded" } else { "failed" },
                "failure_code": if succeeded { None } else { Some("card_declined") },
                "failure_message": if succeeded { None } else { Some("Your card was declined.") },
                "outcome": outcome,
                "currency": payment.currency,
                "customer": payment.customer,
                "description": payment.description,
                "metadata": payment.metadata,
                "payment_intent": pi_id,
                "payment_method": new_id("pm", 24),
                "billing_details": billing_details,
                "balance_transaction": if succeeded { Some(new_id("txn", 24)) } else { None },
                "receipt_url": null,
                "refunded": false,
                "disputed": false,
                "refunds": {
                    "object": "list", "data": [], "has_more": false,
                    "url": format!("/v1/charges/{id}/refunds"),
                },
                "source": null,
                "shipping": null,
                "transfer_data": null,
                "fraud_details": {},
            }),
        );
        self.insert(charge)
    }

    pub(super) fn refund(&mut self, charge_id: &str) {
        let charge = self.expect_kind(charge_id, "charge").clone();
        assert_eq!(
            charge["status"], "succeeded",
            "only a succeeded charge can be refunded"
        );
        let amount = charge["amount"].clone();
        let refund = from_fixture(
            "refund",
            json!({
                "id": new_id("re", 24),
                "created": self.now(),
                "amount": amount,
                "charge": charge_id,
                "currency": charge["currency"],
                "payment_intent": charge["payment_intent"],
                "customer": charge["customer"],
                "reason": "requested_by_customer",
                "status": "succeeded",
                "balance_transaction": new_id("txn", 24),
            }),
        );
        let refund_id = self.insert(refund);
        let refund = self.get(&refund_id).clone();
        let charge = self.get_mut(charge_id);
        set(
            charge,
            json!({ "amount_refunded": amount, "refunded": true }),
        );
        charge["refunds"]["data"]
            .as_array_mut()
            .expect("refund list")
            .insert(0, refund);
        let previous = json!({ "amount_refunded": 0, "refunded": false });
        self.queue("charge.refunded", charge_id, Some(previous));
    }

    pub(super) fn dispute(&mut self, charge_id: &str, lost: bool) {
        let now = self.now();
        let charge = self.expect_kind(charge_id, "charge").clone();
        let mut evidence_details = fixture("dispute")["evidence_details"].take();
        evidence_details["due_by"] = json!(now + 7 * SECONDS_PER_DAY);
        let dispute = from_fixture(
            "dispute",
            json!({
                "id": new_id("dp", 24),
                "created": now,
                "amount": charge["amount"],
                "currency": charge["currency"],
                "charge": charge_id,
                "payment_intent": charge["payment_intent"],
                "reason": "fraudulent",
                "status": "needs_response",
                "is_charge_refundable": false,
                "evidence_details": evidence_details,
                "enhanced_eligibility_types": [],
            }),
        );
        let dispute_id = self.insert(dispute);
        self.get_mut(charge_id)["disputed"] = json!(true);
        self.queue("charge.dispute.created", &dispute_id, None);
        self.get_mut(&dispute_id)["status"] = json!(if lost { "lost" } else { "won" });
        let previous = json!({ "status": "needs_response" });
        self.queue("charge.dispute.closed", &dispute_id, Some(previous));
    }
}
