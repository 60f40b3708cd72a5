//! Settings of the bounce and complaint webhooks (`POST /webhooks/mail/{provider}`): each
//! provider is switched on by the setting that authenticates it.

use base64::Engine as _;
use p256::ecdsa::VerifyingKey;
use p256::pkcs8::DecodePublicKey as _;
use url::Url;

use super::secret::Secret;

/// The variables read here.
pub const KEYS: [&str; 4] = [
    "SES_SNS_TOPIC_ARNS",
    "SES_SNS_CERT_BASE",
    "POSTMARK_WEBHOOK_AUTH",
    "SENDGRID_WEBHOOK_PUBLIC_KEY",
];

/// Who may report bounces and complaints.
#[derive(Debug, Clone, Default)]
pub struct MailWebhooks {
    /// Amazon SNS topics whose SES notifications are accepted (none: `ses` is off).
    pub ses_topics: Vec<String>,
    /// Besides `https://sns.REGION.amazonaws.com/…`, where SNS signing certificates may come
    /// from (a proxy, or a test server).
    pub sns_cert_base: Option<Url>,
    /// `USER:PASSWORD` of the HTTP Basic authentication Postmark's webhook URL carries.
    pub postmark_auth: Option<Secret>,
    /// SendGrid's Event Webhook verification key (ECDSA P-256).
    pub sendgrid_key: Option<VerifyingKey>,
}

/// A variable and what is wrong with its value.
type Invalid = (&'static str, String);

/// Reads them with `get` (a variable's trimmed, non-empty value).
pub fn parse<'a>(get: impl Fn(&'static str) -> Option<&'a str>) -> Result<MailWebhooks, Invalid> {
    let err = |key: &'static str| move |problem: String| (key, problem);
    let ses_topics: Vec<String> = get("SES_SNS_TOPIC_ARNS")
        .map(|raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| {
                    if t.starts_with("arn:aws") && t.split(':').count() == 6 {
                        Ok(t.to_owned())
                    } else {
                        Err(err("SES_SNS_TOPIC_ARNS")(format!(
                            "{t:?} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
                        )))
                    }
                })
                .collect::<Result<_, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let sns_cert_base = get("SES_SNS_CERT_BASE")
        .map(|raw| match Url::parse(raw) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
            _ => Err(err("SES_SNS_CERT_BASE")(format!(
                "{raw:?} is not an http(s) URL"
            ))),
        })
        .transpose()?;
    let postmark_auth = get("POSTMARK_WEBHOOK_AUTH")
        .map(|raw| match raw.split_once(':') {
            Some((user, password)) if !user.is_empty() && password.len() >= 16 => {
                Ok(Secret::new(raw))
            }
            _ => Err(err("POSTMARK_WEBHOOK_AUTH")(
                "expected USER:PASSWORD with a password of at least 16 characters".into(),
            )),
        })
        .transpose()?;
    let sendgrid_key = get("SENDGRID_WEBHOOK_PUBLIC_KEY")
        .map(|raw| {
            base64::engine::general_purpose::STANDARD
                .decode(raw)
                .ok()
                .and_then(|der| VerifyingKey::from_public_key_der(&der).ok())
                .ok_or_else(|| {
                    err("SENDGRID_WEBHOOK_PUBLIC_KEY")(
                        "not the verification key SendGrid shows (base64 of an ECDSA P-256 \
                         public key)"
                            .into(),
                    )
                })
        })
        .transpose()?;
    Ok(MailWebhooks {
        ses_topics,
        sns_cert_base,
        postmark_auth,
        sendgrid_key,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn parsed(pairs: &[(&'static str, &str)]) -> Result<MailWebhooks, Invalid> {
        let values: HashMap<&str, &str> = pairs.iter().copied().collect();
        parse(|key| values.get(key).copied())
    }

    #[test]
    fn unset_means_every_provider_is_off() {
        let off = parsed(&[]).unwrap();
        assert!(off.ses_topics.is_empty() && off.postmark_auth.is_none());
        assert!(off.sendgrid_key.is_none() && off.sns_cert_base.is_none());
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (key, value) in [
            ("SES_SNS_TOPIC_ARNS", "ses-bounces"),
            ("SES_SNS_CERT_BASE", "ftp://example.org/"),
            ("POSTMARK_WEBHOOK_AUTH", "postmark:short"),
            ("POSTMARK_WEBHOOK_AUTH", "no-colon-in-it-at-all"),
            ("SENDGRID_WEBHOOK_PUBLIC_KEY", "bm90IGEga2V5"),
        ] {
            let (named, _) = parsed(&[(key, value)]).unwrap_err();
            assert_eq!(named, key, "{value}");
        }
        let good = parsed(&[
            (
                "SES_SNS_TOPIC_ARNS",
                "arn:aws:sns:eu-central-1:123456789012:a, arn:aws:sns:us-east-1:123456789012:b",
            ),
            ("POSTMARK_WEBHOOK_AUTH", "postmark:0123456789abcdef"),
        ])
        .unwrap();
        assert_eq!(good.ses_topics.len(), 2);
        assert_eq!(
            format!("{:?}", good.postmark_auth),
            "Some(Secret([redacted]))"
        );
    }
}
