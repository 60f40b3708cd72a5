//! Amazon SES bounce and complaint notifications, delivered by Amazon SNS. Each SNS message is
//! verified as AWS documents: its topic must be one of `SES_SNS_TOPIC_ARNS`, its signing
//! certificate must come from `https://sns.REGION.amazonaws.com/` (or `SES_SNS_CERT_BASE`),
//! and its signature (SHA1withRSA for `SignatureVersion` 1, SHA256withRSA for 2) must match
//! the canonical string of its fields. A subscription is confirmed by visiting its
//! `SubscribeURL`, after the same checks.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey as _;
use rsa::signature::Verifier as _;
use serde::Deserialize;
use url::Url;
use x509_cert::Certificate;
use x509_cert::der::{DecodePem as _, Encode as _};

use super::Report;
use crate::config::MailWebhooks;
use crate::domain::SuppressionReason;

/// Fetches certificates and confirms subscriptions.
static HTTP: LazyLock<reqwest::Client> = LazyLock::new(|| {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
});

/// Signing certificates fetched, by URL (SNS signs with a handful).
static CERTIFICATES: LazyLock<Mutex<HashMap<String, RsaPublicKey>>> = LazyLock::new(Mutex::default);

/// An SNS message, as SNS posts it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnsMessage {
    r#type: String,
    message_id: String,
    topic_arn: String,
    message: String,
    timestamp: String,
    signature_version: String,
    signature: String,
    #[serde(rename = "SigningCertURL")]
    signing_cert_url: String,
    subject: Option<String>,
    #[serde(rename = "SubscribeURL")]
    subscribe_url: Option<String>,
    token: Option<String>,
}

/// What a verified SNS message asks of us.
#[derive(Debug)]
pub enum Delivery {
    /// Addresses to suppress (maybe none: a soft bounce, a delivery).
    Reports(Vec<Report>),
    /// A new subscription, confirmed.
    Subscribed,
}

/// Why an SNS message was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Not an SNS message, or a field that does not parse.
    #[error("{0}")]
    Malformed(String),
    /// A topic we do not listen to, a certificate from elsewhere, or a bad signature.
    #[error("{0}")]
    Forged(String),
    /// The certificate or the subscription URL could not be fetched.
    #[error("{0}")]
    Unreachable(String),
}

/// Verifies `body` and says what it reports.
pub async fn receive(settings: &MailWebhooks, body: &[u8]) -> Result<Delivery, Refused> {
    let message: SnsMessage = serde_json::from_slice(body)
        .map_err(|e| Refused::Malformed(format!("not an SNS message: {e}")))?;
    if !settings.ses_topics.contains(&message.topic_arn) {
        return Err(Refused::Forged(format!(
            "topic {} is not in SES_SNS_TOPIC_ARNS",
            message.topic_arn
        )));
    }
    let key = certificate(settings, &message.signing_cert_url).await?;
    verify(&message, &key)?;
    match message.r#type.as_str() {
        "SubscriptionConfirmation" => {
            let url = message
                .subscribe_url
                .as_deref()
                .ok_or_else(|| Refused::Malformed("no SubscribeURL".into()))?;
            let url = trusted(settings, url)?;
            let answer = HTTP.get(url).send().await.map_err(|e| {
                Refused::Unreachable(format!("cannot confirm the subscription: {e}"))
            })?;
            if !answer.status().is_success() {
                return Err(Refused::Unreachable(format!(
                    "confirming the subscription answered {}",
                    answer.status()
                )));
            }
            tracing::info!(topic = %message.topic_arn, "confirmed the SNS subscription");
            Ok(Delivery::Subscribed)
        }
        "Notification" => Ok(Delivery::Reports(reports(&message.message))),
        _ => Ok(Delivery::Reports(Vec::new())),
    }
}

/// The canonical string SNS signs: named fields, each name and value on a line of its own.
fn string_to_sign(m: &SnsMessage) -> Result<String, Refused> {
    let mut fields: Vec<(&str, &str)> = vec![("Message", &m.message), ("MessageId", &m.message_id)];
    let missing = |name: &str| Refused::Malformed(format!("no {name}"));
    match m.r#type.as_str() {
        "Notification" => {
            if let Some(subject) = &m.subject {
                fields.push(("Subject", subject));
            }
        }
        "SubscriptionConfirmation" | "UnsubscribeConfirmation" => {
            let url = m
                .subscribe_url
                .as_deref()
                .ok_or_else(|| missing("SubscribeURL"))?;
            fields.push(("SubscribeURL", url));
        }
        other => {
            return Err(Refused::Malformed(format!(
                "unknown message type {other:?}"
            )));
        }
    }
    fields.push(("Timestamp", &m.timestamp));
    if m.r#type != "Notification" {
        fields.push(("Token", m.token.as_deref().ok_or_else(|| missing("Token"))?));
    }
    fields.push(("TopicArn", &m.topic_arn));
    fields.push(("Type", &m.r#type));
    Ok(fields
        .iter()
        .map(|(name, value)| format!("{name}\n{value}\n"))
        .collect())
}

fn verify(m: &SnsMessage, key: &RsaPublicKey) -> Result<(), Refused> {
    let signed = string_to_sign(m)?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(&m.signature)
        .ok()
        .and_then(|bytes| Signature::try_from(bytes.as_slice()).ok())
        .ok_or_else(|| Refused::Malformed("a signature that is not base64".into()))?;
    let checked = match m.signature_version.as_str() {
        "1" => VerifyingKey::<sha1::Sha1>::new(key.clone()).verify(signed.as_bytes(), &signature),
        "2" => VerifyingKey::<sha2::Sha256>::new(key.clone()).verify(signed.as_bytes(), &signature),
        other => {
            return Err(Refused::Malformed(format!(
                "unknown SignatureVersion {other:?}"
            )));
        }
    };
    checked.map_err(|_| Refused::Forged("the signature does not match".into()))
}

/// `raw` if it is a URL of SNS's own (`https://sns.REGION.amazonaws.com/…`), or under
/// `SES_SNS_CERT_BASE`.
fn trusted(settings: &MailWebhooks, raw: &str) -> Result<Url, Refused> {
    let url = Url::parse(raw).map_err(|_| Refused::Forged(format!("{raw:?} is not a URL")))?;
    let amazon = url.scheme() == "https" && url.host_str().is_some_and(|host| {
        let labels: Vec<&str> = host.split('.').collect();
        matches!(
            labels.as_slice(),
            ["sns", region, "amazonaws", "com"] | ["sns", region, "amazonaws", "com", "cn"]
                if region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        )
    });
    let configured = settings
        .sns_cert_base
        .as_ref()
        .is_some_and(|base| url.as_str().starts_with(base.as_str()));
    if amazon || configured {
        Ok(url)
    } else {
        Err(Refused::Forged(format!("{raw} is not an SNS URL")))
    }
}

/// The public key of the certificate at `raw`, fetched once.
async fn certificate(settings: &MailWebhooks, raw: &str) -> Result<RsaPublicKey, Refused> {
    let url = trusted(settings, raw)?;
    if !url.path().ends_with(".pem") {
        return Err(Refused::Forged(format!("{raw} is not a certificate")));
    }
    let cached = CERTIFICATES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(url.as_str())
        .cloned();
    if let Some(key) = cached {
        return Ok(key);
    }
    let unreachable = |e: reqwest::Error| Refused::Unreachable(format!("cannot fetch {url}: {e}"));
    let pem = HTTP
        .get(url.clone())
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(unreachable)?
        .text()
        .await
        .map_err(unreachable)?;
    let key = Certificate::from_pem(pem.as_bytes())
        .ok()
        .and_then(|cert| cert.tbs_certificate.subject_public_key_info.to_der().ok())
        .and_then(|spki| RsaPublicKey::from_public_key_der(&spki).ok())
        .ok_or_else(|| Refused::Forged(format!("{url} holds no RSA certificate")))?;
    CERTIFICATES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(url.to_string(), key.clone());
    Ok(key)
}

/// An SES notification (`notificationType`, or `eventType` of a configuration set's events).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    notification_type: Option<String>,
    event_type: Option<String>,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    #[serde(default)]
    bounced_recipients: Vec<Recipient>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    #[serde(default)]
    complained_recipients: Vec<Recipient>,
    #[serde(default)]
    complaint_feedback_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
    #[serde(default)]
    diagnostic_code: String,
}

/// The addresses an SES notification reports: permanent bounces and complaints.
fn reports(message: &str) -> Vec<Report> {
    let Ok(n) = serde_json::from_str::<Notification>(message) else {
        return Vec::new();
    };
    match n.notification_type.or(n.event_type).as_deref() {
        Some("Bounce") => n
            .bounce
            .filter(|b| b.bounce_type == "Permanent")
            .map(|b| {
                b.bounced_recipients
                    .iter()
                    .filter_map(|r| {
                        Report::new(
                            &r.email_address,
                            SuppressionReason::Bounce,
                            &r.diagnostic_code,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Some("Complaint") => n
            .complaint
            .map(|c| {
                c.complained_recipients
                    .iter()
                    .filter_map(|r| {
                        Report::new(
                            &r.email_address,
                            SuppressionReason::Complaint,
                            &c.complaint_feedback_type,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sns_hosts_and_the_configured_base_are_trusted() {
        let settings = MailWebhooks {
            sns_cert_base: Some(Url::parse("http://127.0.0.1:9/certs/").unwrap()),
            ..MailWebhooks::default()
        };
        for good in [
            "https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-abc.pem",
            "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
            "http://127.0.0.1:9/certs/cert.pem",
        ] {
            assert!(trusted(&settings, good).is_ok(), "{good}");
        }
        for bad in [
            "http://sns.eu-central-1.amazonaws.com/x.pem",
            "https://sns.eu-central-1.amazonaws.com.evil.example/x.pem",
            "https://evil.example/sns.us-east-1.amazonaws.com/x.pem",
            "https://s3.amazonaws.com/x.pem",
            "http://127.0.0.1:9/other/cert.pem",
        ] {
            assert!(trusted(&settings, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn permanent_bounces_and_complaints_are_reported_soft_bounces_are_not() {
        let bounce = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent",
            "bouncedRecipients":[{"emailAddress":"Gone@Example.org","diagnosticCode":"smtp; 550 5.1.1 user unknown"}]}}"#;
        let reported = reports(bounce);
        assert_eq!(reported.len(), 1);
        assert_eq!(reported[0].email.as_str(), "gone@example.org");
        assert_eq!(reported[0].reason, SuppressionReason::Bounce);
        let soft = bounce.replace("Permanent", "Transient");
        assert!(reports(&soft).is_empty());
        let complaint = r#"{"eventType":"Complaint","complaint":{"complaintFeedbackType":"abuse",
            "complainedRecipients":[{"emailAddress":"angry@example.org"}]}}"#;
        let reported = reports(complaint);
        assert_eq!(reported[0].reason, SuppressionReason::Complaint);
        assert!(reports("not json").is_empty());
    }
}
