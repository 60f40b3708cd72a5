//! Delivery: lettre's pooled async SMTP transport, or `.eml` files when no SMTP server is
//! configured, so a newcomer sees every email that would have gone out.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use lettre::message::dkim::{
    DkimCanonicalization, DkimConfig, DkimSigningAlgorithm, DkimSigningKey,
};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

use super::OutgoingEmail;
use crate::config::Settings;
use crate::jobs::Failure;
use crate::jobs::worker::JobError;

/// lettre's own timeout covers connecting and each reply; a whole send gets this at most.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(20);

const LIST_UNSUBSCRIBE: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe");
const LIST_UNSUBSCRIBE_POST: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe-Post");

enum Transport {
    Smtp {
        url: String,
        transport: RwLock<AsyncSmtpTransport<Tokio1Executor>>,
    },
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
            Some(url) => Transport::Smtp {
                url: url.expose().to_owned(),
                transport: RwLock::new(smtp_transport(url.expose())?),
            },
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
        let permanent = |reason: String| SendError {
            failure: Failure::Permanent,
            reason,
        };
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| permanent(format!("bad recipient: {e}")))?;
        let digest = hex::encode(&Sha256::digest(key.as_bytes())[..8]);
        let mut builder = Message::builder()
            .from(self.from.clone())
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

    /// Delivers one message under [`SEND_TIMEOUT`].
    pub async fn send(&self, message: &Message, file_stem: &str) -> Result<(), SendError> {
        match &self.transport {
            Transport::Files(dir) => write_eml(dir, file_stem, &message.formatted())
                .await
                .map_err(|e| SendError {
                    failure: Failure::Temporary,
                    reason: format!("cannot write the .eml file: {e:#}"),
                }),
            Transport::Smtp { url, transport } => {
                let sent = tokio::time::timeout(SEND_TIMEOUT, async {
                    transport.read().await.send(message.clone()).await
                })
                .await;
                match sent {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) if e.is_permanent() => Err(SendError {
                        failure: Failure::Permanent,
                        reason: e.to_string(),
                    }),
                    // 4xx, refused or dropped connections: the server may recover.
                    Ok(Err(e)) => Err(SendError {
                        failure: Failure::Temporary,
                        reason: e.to_string(),
                    }),
                    Err(_) => {
                        // A cancelled send can leave a half-used connection in lettre's pool;
                        // start over with a fresh pool.
                        if let Ok(fresh) = smtp_transport(url) {
                            *transport.write().await = fresh;
                        }
                        Err(SendError {
                            failure: Failure::Temporary,
                            reason: format!("no answer within {SEND_TIMEOUT:?}"),
                        })
                    }
                }
            }
        }
    }
}

/// Emails sent at once, each on its own SMTP connection.
pub const SMTP_CONNECTIONS: u32 = 24;

fn smtp_transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .context("SMTP_URL")?
        .timeout(Some(Duration::from_secs(10)))
        // lettre returns a connection to its pool from a task of its own, a moment after the
        // send: idle room beyond the senders keeps the next send from opening a new one.
        .pool_config(PoolConfig::new().max_size(SMTP_CONNECTIONS + SMTP_CONNECTIONS / 2))
        .build())
}

/// Writes atomically (temporary file, then rename), so a crash never leaves half a message.
async fn write_eml(dir: &std::path::Path, stem: &str, bytes: &[u8]) -> anyhow::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let path = dir.join(format!("{stem}.eml"));
    let tmp = dir.join(format!(".{stem}.eml.tmp"));
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, &path).await?;
    Ok(())
}
