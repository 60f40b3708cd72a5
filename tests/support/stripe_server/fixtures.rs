//! Objects built from Stripe's own fixtures, and Stripe-looking ids.

use std::sync::OnceLock;

use rand::Rng;
use serde_json::{Map, Value};

/// A fresh copy of Stripe's example object of a type (`resources[kind]` in fixtures3.json).
pub(super) fn fixture(kind: &str) -> Value {
    static RESOURCES: OnceLock<Value> = OnceLock::new();
    let resources = RESOURCES.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/stripe/fixtures3.json"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut all: Value = serde_json::from_str(&text).expect("fixtures3.json is JSON");
        all["resources"].take()
    });
    let object = resources[kind].clone();
    assert!(object.is_object(), "fixtures3.json has no {kind}");
    object
}

/// A fixture object with some top-level fields replaced.
pub(super) fn from_fixture(kind: &str, fields: Value) -> Value {
    let mut object = fixture(kind);
    set(&mut object, fields);
    object
}

/// Replaces top-level fields of an object (shallow: nested objects are replaced whole).
pub(super) fn set(object: &mut Value, fields: Value) {
    let Value::Object(fields) = fields else {
        panic!("fields must be a JSON object")
    };
    let object = object.as_object_mut().expect("a JSON object");
    object.extend(fields);
}

/// A Stripe-looking id: the type's prefix and random base-62 characters.
pub(super) fn new_id(prefix: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let tail: String = (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}_{tail}")
}

/// The end of a billing period, by calendar (months and years as Stripe counts them).
pub(super) fn period_end(start: i64, interval: &str, count: u32) -> i64 {
    use chrono::{DateTime, Months, TimeDelta};
    let at = DateTime::from_timestamp(start, 0).expect("valid timestamp");
    let end = match interval {
        "day" => Some(at + TimeDelta::days(count.into())),
        "week" => Some(at + TimeDelta::weeks(count.into())),
        "month" => at.checked_add_months(Months::new(count)),
        "year" => at.checked_add_months(Months::new(12 * count)),
        other => panic!("unknown interval {other}"),
    };
    end.expect("period end in range").timestamp()
}

fn string_map(pairs: &[(String, String)]) -> Value {
    let map: Map<String, Value> = pairs
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    Value::Object(map)
}
