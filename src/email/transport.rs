//! Delivery: over SMTP ([`Relay`]), or to `.eml` files when no SMTP server is configured,
//! so a newcomer sees every email that would have gone out.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use lettre::Message;
use lettre::message::dkim::{
    DkimCanonicalization, DkimConfig, DkimSigningAlgorithm, DkimSigningKey,
};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use sha2::{Digest, Sha256};

use super::OutgoingEmail;
use super::smtp::Relay;
use crate::config::Settings;
use crate::jobs::worker::JobError;

const LIST_UNSUBSCRIBE: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe");
const LIST_UNSUBSCRIBE_POST: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe-Post");

enum Transport {
    Smtp(Relay),
    Files(PathBuf),
}

/// Builds and delivers messages.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    dkim: Option<DkimConfig>,
}

/// Why a delivery failed (retry later, or never).
pub type SendError = JobError;

impl Mailer {
    /// From the settings: SMTP when `SMTP_URL` is set, files otherwise.
    pub fn new(settings: &Settings) -> anyhow::Result<Mailer> {
        let transport = match &settings.smtp_url {
            Some(url) => Transport::Smtp(Relay::from_url(url.expose(), SMTP_CONNECTIONS)?),
            None => Transport::Files(settings.mail_dir.clone()),
        };
        let dkim = settings.dkim.as_ref().map(|dkim| {
            let key = DkimSigningKey::new(dkim.private_key.expose(), DkimSigningAlgorithm::Rsa)
                .expect("key checked when the settings were read");
            DkimConfig::new(
                dkim.selector.clone(),
                settings.mail_from.email.domain().to_owned(),
                key,
                [
                    "From",
                    "Subject",
                    "To",
                    "Date",
                    "Message-ID",
                    "List-Unsubscribe",
                    "List-Unsubscribe-Post",
                ]
                .into_iter()
                .map(HeaderName::new_from_ascii_str)
                .collect(),
                DkimCanonicalization::default(),
            )
        });
        Ok(Mailer {
            transport,
            from: settings.mail_from.clone(),
            dkim,
        })
    }

    /// The message for outbox row `job_id` (`key` is its business key). Its Message-ID is
    /// derived from the row, so a retried delivery carries the same id.
    pub fn build(
        &self,
        job_id: i32,
        key: &str,
        email: &OutgoingEmail,
    ) -> Result<Message, SendError> {
        let permanent = SendError::permanent;
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| permanent(format!("bad recipient: {e}")))?;
        let digest = hex::encode(&Sha256::digest(key.as_bytes())[..8]);
        // The outlet's sender name, at MAIL_FROM's address (which SPF and DKIM vouch for).
        let from = match &email.from_name {
            Some(name) => Mailbox::new(Some(name.clone()), self.from.email.clone()),
            None => self.from.clone(),
        };
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(&email.subject)
            .message_id(Some(format!(
                "<{job_id}.{digest}@{}>",
                self.from.email.domain()
            )));
        if let Some(url) = &email.unsubscribe_url {
            let mailto = format!("mailto:{}?subject=unsubscribe", self.from.email);
            builder = builder
                .raw_header(HeaderValue::new(
                    LIST_UNSUBSCRIBE,
                    format!("<{url}>, <{mailto}>"),
                ))
                .raw_header(HeaderValue::new(
                    LIST_UNSUBSCRIBE_POST,
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        let body = MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(email.text.clone()),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(email.html.clone()),
            );
        let mut message = builder
            .multipart(body)
            .map_err(|e| permanent(format!("cannot build: {e}")))?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        Ok(message)
    }

    /// Delivers one message once `ready` (the job's lease, confirmed right before the message
    /// is handed over) says so. Over SMTP, each step waits as long as RFC 5321 says
    /// ([`super::smtp`]).
    pub async fn send(
        &self,
        message: &Message,
        file_stem: &str,
        ready: impl Future<Output = Result<(), SendError>>,
    ) -> Result<(), SendError> {
        match &self.transport {
            Transport::Files(dir) => {
                ready.await?;
                write_eml(dir, file_stem, &message.formatted())
                    .await
                    .map_err(|e| SendError::temporary(format!("cannot write the .eml file: {e:#}")))
            }
            Transport::Smtp(relay) => relay.send(message, ready).await,
        }
    }

    /// Closes the SMTP connections idle for `idle` or longer, saying `QUIT` first.
    pub async fn close_idle(&self, idle: Duration) {
        if let Transport::Smtp(relay) = &self.transport {
            relay.close_idle(idle).await;
        }
    }

    /// Closes every SMTP connection with `QUIT`: the idle ones now, the others as their sends
    /// end.
    pub async fn close(&self) {
        if let Transport::Smtp(relay) = &self.transport {
            relay.close().await;
        }
    }
}

/// Emails sent at once, each on its own SMTP connection.
pub const SMTP_CONNECTIONS: usize = 8;

/// Writes atomically (temporary file, then rename), so a crash never leaves half a message.
async fn write_eml(dir: &std::path::Path, stem: &str, bytes: &[u8]) -> anyhow::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let path = dir.join(format!("{stem}.eml"));
    let tmp = dir.join(format!(".{stem}.eml.tmp"));
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, &path).await?;
    Ok(())
}
