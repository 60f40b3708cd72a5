//! Signing as the Standard Webhooks specification says
//! (<https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md>):
//! the secret is `whsec_` and the base64 of 24 random bytes; a delivery carries
//! `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`, which is `v1,`
//! and the base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}` with the secret's bytes.
//! While a rotated-out secret is still valid the header carries both signatures,
//! space-separated, so a receiver verifies with either.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// What every secret starts with.
const PREFIX: &str = "whsec_";

/// A new random secret, `whsec_…`.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("{PREFIX}{}", STANDARD.encode(bytes))
}

/// The `v1,…` signature of `body`, sent as message `id` at `timestamp`, with `secret`;
/// `None` when the secret is not one of ours (not `whsec_` and base64).
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(PREFIX)?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: one signature per secret that signs.
pub fn header<'a>(
    secrets: impl IntoIterator<Item = &'a str>,
    id: &str,
    timestamp: i64,
    body: &str,
) -> Option<String> {
    let signatures: Vec<String> = secrets
        .into_iter()
        .map(|secret| signature(secret, id, timestamp, body))
        .collect::<Option<_>>()?;
    Some(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of the specification (its reference libraries test against it).
    #[test]
    fn it_signs_as_the_reference_libraries_do() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, id, 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_new_secret_is_random_and_signs() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with("whsec_") && a.len() == 6 + 32, "{a}");
        let both = header([a.as_str(), b.as_str()], "msg_1", 1, "{}").unwrap();
        assert_eq!(both.split(' ').count(), 2);
        assert!(signature("not-a-secret", "msg_1", 1, "{}").is_none());
    }
}
