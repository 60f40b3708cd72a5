//! Prices and products, as `price_data` with `product_data` creates them, and the legacy
//! `plan` of a recurring price.

use serde_json::{Value, json};

use super::State;
use super::fixtures::{from_fixture, new_id};

/// The one line item of a checkout or subscription.
#[derive(Clone)]
pub(super) struct LineItem {
    pub(super) price: String,
    pub(super) product: String,
    pub(super) name: String,
    pub(super) currency: String,
    pub(super) unit_amount: i64,
    pub(super) quantity: u64,
    /// `(interval, interval_count)` for a recurring price.
    pub(super) recurring: Option<(String, u32)>,
}

impl LineItem {
    pub(super) fn amount(&self) -> i64 {
        self.unit_amount * self.quantity as i64
    }
}

impl State {
    /// A price and its product, as `price_data` with `product_data` creates them.
    pub(super) fn new_price(
        &mut self,
        name: &str,
        currency: &str,
        unit_amount: i64,
        quantity: u64,
        recurring: Option<(String, u32)>,
    ) -> LineItem {
        let now = self.now();
        let product = from_fixture(
            "product",
            json!({
                "id": new_id("prod", 14),
                "created": now,
                "updated": now,
                "name": name,
                "description": null,
                "default_price": null,
                "package_dimensions": null,
                "type": "service",
            }),
        );
        let product = self.insert(product);
        let recurring_json = recurring.as_ref().map(|(interval, count)| {
            json!({
                "interval": interval, "interval_count": count, "meter": null,
                "trial_period_days": null, "usage_type": "licensed",
            })
        });
        let price = from_fixture(
            "price",
            json!({
                "id": new_id("price", 24),
                "created": now,
                "currency": currency,
                "product": product,
                "unit_amount": unit_amount,
                "unit_amount_decimal": unit_amount.to_string(),
                "recurring": recurring_json,
                "type": if recurring.is_some() { "recurring" } else { "one_time" },
                "custom_unit_amount": null,
                "transform_quantity": null,
                // Inline prices (`price_data`) are archived at once, as Stripe does.
                "active": false,
            }),
        );
        let price = self.insert(price);
        LineItem {
            price,
            product,
            name: name.to_owned(),
            currency: currency.to_owned(),
            unit_amount,
            quantity,
            recurring,
        }
    }

    /// The legacy `plan` twin of a recurring price, which subscription items still carry.
    pub(super) fn plan(&self, line: &LineItem) -> Value {
        let (interval, count) = line.recurring.clone().expect("a recurring price");
        let price = self.get(&line.price);
        from_fixture(
            "plan",
            json!({
                "id": line.price,
                "created": price["created"],
                "active": price["active"],
                "amount": line.unit_amount,
                "amount_decimal": line.unit_amount.to_string(),
                "currency": line.currency,
                "interval": interval,
                "interval_count": count,
                "product": line.product,
                "transform_usage": null,
            }),
        )
    }
}
