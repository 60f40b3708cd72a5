//! Bounces and complaints: the providers' webhooks, each authenticated its own way, the SMTP
//! server's own refusals, and what a suppressed address still gets.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use diesel::prelude::*;
use memberdrive::db::schema::{audit_log, jobs, suppressions};
use memberdrive::domain::SuppressionReason;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::EncodePublicKey as _;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::signature::SignatureEncoding as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::admin_dashboard::post_pairs;
use crate::both_backends;
use crate::helpers::{
    Backend, TestApp, add_staff, csrf_in, session_of, spawn_app, spawn_app_with, text_as,
};
use crate::support::smtp::SmtpMode;
use crate::support::wait::eventually;

both_backends!(
    postmark_reports_need_its_credentials_and_hard_bounces_and_complaints_are_kept,
    sendgrid_events_need_a_valid_signature,
    ses_notifications_are_verified_through_sns,
    a_refused_recipient_is_suppressed_and_gets_nothing_more_until_lifted,
);

const WAIT: Duration = Duration::from_secs(30);
const POSTMARK_AUTH: &str = "postmark:a-long-webhook-password";

/// A fresh P-256 key (any 32 random bytes below the group order are one).
fn random_key() -> SigningKey {
    SigningKey::from_slice(&rand::random::<[u8; 32]>()).expect("a valid scalar")
}

async fn listed(app: &TestApp) -> Vec<(String, SuppressionReason, String)> {
    app.read(|c| {
        suppressions::table
            .order(suppressions::email)
            .select((
                suppressions::email,
                suppressions::reason,
                suppressions::source,
            ))
            .load(c)
    })
    .await
}

async fn post(
    app: &TestApp,
    provider: &str,
    headers: &[(&str, String)],
    body: &str,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(format!("{}/webhooks/mail/{provider}", app.address))
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    req.send().await.unwrap()
}

fn basic(credentials: &str) -> (&'static str, String) {
    (
        "authorization",
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(credentials)
        ),
    )
}

async fn postmark_reports_need_its_credentials_and_hard_bounces_and_complaints_are_kept(
    backend: Backend,
) {
    let app = spawn_app_with(backend, &[("POSTMARK_WEBHOOK_AUTH", POSTMARK_AUTH)]).await;
    let hard = r#"{"RecordType":"Bounce","Type":"HardBounce","TypeCode":1,"Email":"Gone@Readers.example","Description":"The server was unable to deliver your message (ex: unknown user, mailbox not found)."}"#;
    for (auth, status) in [
        (None, 401),
        (Some("postmark:wrong-password-123456"), 401),
        (Some("other:a-long-webhook-password"), 401),
    ] {
        let headers: Vec<_> = auth.map(basic).into_iter().collect();
        let res = post(&app, "postmark", &headers, hard).await;
        assert_eq!(res.status(), status, "{auth:?}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized");
    }
    assert!(
        listed(&app).await.is_empty(),
        "refused calls change nothing"
    );

    let auth = [basic(POSTMARK_AUTH)];
    let soft = hard
        .replace("HardBounce", "SoftBounce")
        .replace("Gone@", "full@");
    let complaint =
        r#"{"RecordType":"SpamComplaint","Type":"SpamComplaint","Email":"angry@readers.example"}"#;
    for body in [hard, &soft, complaint, hard] {
        assert_eq!(post(&app, "postmark", &auth, body).await.status(), 200);
    }
    assert_eq!(
        post(&app, "postmark", &auth, "{not json").await.status(),
        400
    );
    assert_eq!(
        listed(&app).await,
        [
            (
                "angry@readers.example".into(),
                SuppressionReason::Complaint,
                "postmark".into()
            ),
            (
                "gone@readers.example".into(),
                SuppressionReason::Bounce,
                "postmark".into()
            ),
        ]
    );
    // A complaint that bounces later is a bounce.
    let bounced = hard.replace("Gone@Readers", "angry@readers");
    post(&app, "postmark", &auth, &bounced).await;
    assert_eq!(listed(&app).await[0].1, SuppressionReason::Bounce);

    // Providers without their setting are off; unknown ones do not exist.
    for provider in ["sendgrid", "ses"] {
        let res = post(&app, provider, &[], "[]").await;
        assert_eq!(res.status(), 404, "{provider}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "provider_not_configured");
    }
    assert_eq!(post(&app, "mailgun", &[], "{}").await.status(), 404);
}

async fn sendgrid_events_need_a_valid_signature(backend: Backend) {
    let key = random_key();
    let public = base64::engine::general_purpose::STANDARD.encode(
        p256::PublicKey::from(key.verifying_key())
            .to_public_key_der()
            .unwrap()
            .as_bytes(),
    );
    let app = spawn_app_with(backend, &[("SENDGRID_WEBHOOK_PUBLIC_KEY", &public)]).await;
    let body = r#"[
        {"email":"gone@readers.example","event":"bounce","type":"bounce","reason":"550 5.1.1 The email account does not exist","timestamp":1733500000},
        {"email":"busy@readers.example","event":"bounce","type":"blocked","reason":"421 try later"},
        {"email":"angry@readers.example","event":"spamreport","timestamp":1733500001},
        {"email":"happy@readers.example","event":"delivered"}
    ]"#;
    let signed = |key: &SigningKey, at: i64, body: &str| {
        let signature: p256::ecdsa::Signature = key.sign(format!("{at}{body}").as_bytes());
        vec![
            (
                "x-twilio-email-event-webhook-signature",
                base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes()),
            ),
            ("x-twilio-email-event-webhook-timestamp", at.to_string()),
        ]
    };
    let now = chrono::Utc::now().timestamp();
    let other = random_key();
    for (headers, what) in [
        (Vec::new(), "unsigned"),
        (signed(&other, now, body), "signed by another key"),
        (signed(&key, now - 3600, body), "an hour old"),
        (signed(&key, now, "[]"), "signed for another body"),
    ] {
        let res = post(&app, "sendgrid", &headers, body).await;
        assert_eq!(res.status(), 400, "{what}");
    }
    assert!(listed(&app).await.is_empty());
    let res = post(&app, "sendgrid", &signed(&key, now, body), body).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        listed(&app).await,
        [
            (
                "angry@readers.example".into(),
                SuppressionReason::Complaint,
                "sendgrid".into()
            ),
            (
                "gone@readers.example".into(),
                SuppressionReason::Bounce,
                "sendgrid".into()
            ),
        ]
    );
}

/// Serves the SNS signing certificate at `/sns/cert.pem` and records every other path asked
/// for (a subscription being confirmed). Returns its base URL and the paths.
async fn sns_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!(
        "http://127.0.0.1:{}/sns/",
        listener.local_addr().unwrap().port()
    );
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = asked.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).into_owned();
                let path = request.split(' ').nth(1).unwrap_or_default().to_owned();
                let body = if path.ends_with(".pem") {
                    include_str!("../fixtures/sns/cert.pem").to_owned()
                } else {
                    seen.lock().unwrap().push(path);
                    "<ConfirmSubscriptionResponse/>".to_owned()
                };
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (base, asked)
}

const TOPIC: &str = "arn:aws:sns:eu-central-1:123456789012:ses-bounces";

/// An SNS message of `kind` carrying `message`, signed as SNS signs (`version` 1: SHA1, 2:
/// SHA256) with the fixture key.
fn sns(kind: &str, message: &str, cert_url: &str, version: u8, extra: &[(&str, &str)]) -> String {
    let mut fields: Vec<(&str, String)> = vec![
        ("Message", message.to_owned()),
        (
            "MessageId",
            "0f3e5c6a-1111-2222-3333-444455556666".to_owned(),
        ),
    ];
    for (name, value) in extra {
        fields.push((name, (*value).to_owned()));
    }
    fields.push(("Timestamp", "2026-12-07T08:00:00.000Z".to_owned()));
    fields.push(("TopicArn", TOPIC.to_owned()));
    fields.push(("Type", kind.to_owned()));
    fields.sort_by_key(|(name, _)| *name);
    let canonical: String = fields.iter().map(|(n, v)| format!("{n}\n{v}\n")).collect();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(include_str!("../fixtures/sns/key.pem")).unwrap();
    let signature = match version {
        1 => rsa::pkcs1v15::SigningKey::<sha1::Sha1>::new(key)
            .sign(canonical.as_bytes())
            .to_vec(),
        _ => rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key)
            .sign(canonical.as_bytes())
            .to_vec(),
    };
    let mut json = serde_json::Map::new();
    for (name, value) in fields {
        json.insert(name.to_owned(), value.into());
    }
    json.insert("SignatureVersion".into(), version.to_string().into());
    json.insert(
        "Signature".into(),
        base64::engine::general_purpose::STANDARD
            .encode(signature)
            .into(),
    );
    json.insert("SigningCertURL".into(), cert_url.into());
    serde_json::Value::Object(json).to_string()
}

async fn ses_notifications_are_verified_through_sns(backend: Backend) {
    let (base, asked) = sns_server().await;
    let app = spawn_app_with(
        backend,
        &[("SES_SNS_TOPIC_ARNS", TOPIC), ("SES_SNS_CERT_BASE", &base)],
    )
    .await;
    let cert = format!("{base}cert.pem");
    // The subscription is confirmed by visiting its SubscribeURL.
    let subscribe_url = format!("{base}confirm?Token=abc");
    let confirmation = sns(
        "SubscriptionConfirmation",
        "You have chosen to subscribe to the topic.",
        &cert,
        1,
        &[("SubscribeURL", &subscribe_url), ("Token", "abc")],
    );
    assert_eq!(post(&app, "ses", &[], &confirmation).await.status(), 200);
    assert_eq!(*asked.lock().unwrap(), ["/sns/confirm?Token=abc"]);

    let bounce = serde_json::json!({
        "notificationType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": [
            {"emailAddress": "gone@readers.example", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]},
        "mail": {"destination": ["gone@readers.example"]}
    })
    .to_string();
    let complaint = serde_json::json!({
        "notificationType": "Complaint",
        "complaint": {"complaintFeedbackType": "abuse",
                      "complainedRecipients": [{"emailAddress": "angry@readers.example"}]}
    })
    .to_string();
    let soft = bounce
        .replace("Permanent", "Transient")
        .replace("gone@", "full@");

    // Forgeries change nothing.
    let signed = sns("Notification", &bounce, &cert, 2, &[]);
    let tampered = signed.replace("gone@readers.example", "victim@readers.example");
    let elsewhere = sns(
        "Notification",
        &bounce,
        "https://evil.example/cert.pem",
        2,
        &[],
    );
    let other_topic = signed.replace("ses-bounces", "other-topic");
    for (body, what) in [
        (&tampered, "tampered"),
        (&elsewhere, "a certificate from elsewhere"),
        (&other_topic, "another topic"),
    ] {
        assert_eq!(post(&app, "ses", &[], body).await.status(), 400, "{what}");
    }
    assert!(listed(&app).await.is_empty());

    for body in [
        signed,
        sns("Notification", &complaint, &cert, 1, &[]),
        sns("Notification", &soft, &cert, 2, &[]),
    ] {
        assert_eq!(post(&app, "ses", &[], &body).await.status(), 200);
    }
    assert_eq!(
        listed(&app).await,
        [
            (
                "angry@readers.example".into(),
                SuppressionReason::Complaint,
                "ses".into()
            ),
            (
                "gone@readers.example".into(),
                SuppressionReason::Bounce,
                "ses".into()
            ),
        ]
    );
}

async fn a_refused_recipient_is_suppressed_and_gets_nothing_more_until_lifted(backend: Backend) {
    let app = spawn_app(backend).await;
    let subscribe = async |email: &str| {
        app.post_form(
            "/newsletters/subscribe",
            &[("email", email), ("newsletter", "news")],
        )
        .await
    };
    // The relay refuses the recipient for good: the email is dead-lettered and the address
    // suppressed.
    app.smtp.set_mode(SmtpMode::PermFail);
    subscribe("nobody@readers.example").await;
    eventually("the address to be suppressed", WAIT, || async {
        let listed = listed(&app).await;
        if listed.len() == 1 {
            Ok(listed)
        } else {
            Err(format!("{listed:?}"))
        }
    })
    .await;
    assert_eq!(
        listed(&app).await,
        [(
            "nobody@readers.example".into(),
            SuppressionReason::Bounce,
            "smtp".into()
        )]
    );

    // Another email to it is not even tried, while a reader who complained still gets the
    // confirmation they ask for.
    app.smtp.set_mode(SmtpMode::Accept);
    app.write(|c| {
        diesel::insert_into(suppressions::table)
            .values((
                suppressions::email.eq("angry@readers.example"),
                suppressions::reason.eq(SuppressionReason::Complaint),
                suppressions::source.eq("postmark"),
            ))
            .execute(c)
    })
    .await;
    app.write(|c| diesel::delete(jobs::table).execute(c)).await;
    subscribe("nobody@readers.example").await;
    subscribe("angry@readers.example").await;
    app.wait_for_jobs("email", WAIT).await;
    let sent: Vec<String> = app
        .smtp
        .messages()
        .iter()
        .flat_map(|m| m.to.clone())
        .collect();
    assert_eq!(sent, ["angry@readers.example"]);
    let receipt: String = app
        .read(|c| {
            jobs::table
                .filter(jobs::recipient.eq("nobody@readers.example"))
                .select(jobs::payload)
                .first(c)
        })
        .await;
    assert!(receipt.contains(r#""skipped":"bounce""#), "{receipt}");

    // Staff see the list; an admin lifts the entry (audited), and mail goes again.
    add_staff(&app, "editor@news.example", memberdrive::admin::Role::Admin).await;
    let cookie = session_of(&app, "editor@news.example").await;
    let page = text_as(&app, "/admin/outbox/suppressions", &cookie).await;
    assert!(
        page.contains("nobody@readers.example") && page.contains("Hard bounce"),
        "{page}"
    );
    let form = vec![
        ("csrf_token".to_owned(), csrf_in(&page)),
        ("email".to_owned(), "nobody@readers.example".to_owned()),
    ];
    let res = post_pairs(&app, "/admin/outbox/suppressions/lift", &cookie, &form).await;
    assert_eq!(res.status(), 303);
    let res = post_pairs(&app, "/admin/outbox/suppressions/lift", &cookie, &form).await;
    assert_eq!(res.status(), 404, "lifted already");
    assert_eq!(listed(&app).await.len(), 1);
    let audited: i64 = app
        .count(audit_log::table.filter(audit_log::action.eq("suppression.lift")))
        .await;
    assert_eq!(audited, 1);
    app.write(|c| diesel::delete(jobs::table).execute(c)).await;
    subscribe("nobody@readers.example").await;
    app.smtp
        .wait_until("the confirmation to the lifted address", WAIT, |m| {
            m.iter().any(|m| m.to == ["nobody@readers.example"])
        })
        .await;
}
