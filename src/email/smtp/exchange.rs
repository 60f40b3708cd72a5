//! One SMTP exchange, step by step, each step waiting for its answer as long as RFC 5321
//! 4.5.3.2 says a client should.
//!
//! lettre's async connection has no timeout of its own (`AsyncSmtpTransport`'s bounds the
//! TCP connect only; the blocking transport's is one socket timeout for every read), and one
//! limit for a whole send is wrong both ways: a server that stores a message and answers its
//! final dot after 25 s (it may take ten minutes) would get it again when the send is given
//! up. So the relay speaks the transaction itself, one command at a time (MAIL, RCPT, DATA,
//! the message) on lettre's connection, each under its own limit. A slow server then holds a
//! worker for as long as it takes; the job's lease is renewed meanwhile
//! ([`crate::jobs::lease`]), so no other worker sends the message again.

use std::future::Future;
use std::time::Duration;

use lettre::Message;
use lettre::address::Envelope;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};

use super::{SHORT_ANSWER, classify};
use crate::jobs::worker::JobError;

/// RFC 5321 4.5.3.2.1–3: the wait for the greeting and for the answer to each command before
/// DATA (EHLO, STARTTLS and AUTH as MAIL and RCPT); the TCP connect and the TLS handshake get
/// as long.
pub(super) const COMMAND: Duration = Duration::from_secs(5 * 60);
/// 4.5.3.2.4: the wait for the answer to DATA.
const DATA_INITIATION: Duration = Duration::from_secs(2 * 60);
/// 4.5.3.2.5–6: writing the message (3 minutes a write) and the wait for the answer to its
/// final dot (10 minutes: "a spurious timeout at this point … would typically result in
/// delivery of multiple copies of the message"). lettre writes the message and reads the
/// answer in one call, so they share one limit.
const DATA_TERMINATION: Duration = Duration::from_secs((3 + 10) * 60);

/// Waits for `work` (a step of the exchange: `what`) for at most `limit`: `Err` when it took
/// longer, otherwise what the step gave.
pub(super) async fn step<T, E>(
    limit: Duration,
    what: &str,
    work: impl Future<Output = Result<T, E>>,
) -> Result<Result<T, E>, JobError> {
    tokio::time::timeout(limit, work)
        .await
        .map_err(|_| JobError::temporary(format!("SMTP: no answer to {what} within {limit:?}")))
}

/// How a mail transaction failed.
enum Failed {
    /// The server answered with an error, or the connection broke.
    Answer(lettre::transport::smtp::Error),
    /// The server refused a recipient (`RCPT TO`).
    Recipient(lettre::transport::smtp::Error),
    /// No answer in time, or nothing was sent.
    Other(JobError),
}

impl From<JobError> for Failed {
    fn from(e: JobError) -> Self {
        Failed::Other(e)
    }
}

/// One mail transaction: MAIL, RCPT for each recipient, DATA, the message, each step under
/// its own limit. After an error answer the connection is aborted (QUIT, then closed), as
/// lettre's own `send` does.
pub(super) async fn transaction(
    smtp: &mut AsyncSmtpConnection,
    message: &Message,
) -> Result<(), JobError> {
    let (envelope, body) = (message.envelope(), message.formatted());
    let sent = async {
        let mail = Mail::new(
            envelope.from().cloned(),
            mail_parameters(smtp, envelope, &body)?,
        );
        step(COMMAND, "MAIL FROM", smtp.command(mail))
            .await?
            .map_err(Failed::Answer)?;
        for to in envelope.to() {
            let rcpt = Rcpt::new(to.clone(), Vec::new());
            step(COMMAND, "RCPT TO", smtp.command(rcpt))
                .await?
                .map_err(Failed::Recipient)?;
        }
        step(DATA_INITIATION, "DATA", smtp.command(Data))
            .await?
            .map_err(Failed::Answer)?;
        step(DATA_TERMINATION, "the message", smtp.message(&body))
            .await?
            .map_err(Failed::Answer)?;
        Ok(())
    }
    .await;
    match sent {
        Ok(()) => Ok(()),
        Err(Failed::Other(e)) => Err(e),
        Err(Failed::Answer(e)) => {
            let _ = tokio::time::timeout(SHORT_ANSWER, smtp.abort()).await;
            Err(classify(e))
        }
        // 5xx to RCPT: this address takes no mail (a 4xx may pass, as any other).
        Err(Failed::Recipient(e)) => {
            let _ = tokio::time::timeout(SHORT_ANSWER, smtp.abort()).await;
            if e.is_permanent() {
                Err(JobError::recipient_refused(e))
            } else {
                Err(classify(e))
            }
        }
    }
}

/// The MAIL parameters lettre's own `send` gives: SMTPUTF8 for an address that is not ASCII,
/// 8BITMIME for a body that is not; refused when the server does not offer them.
fn mail_parameters(
    smtp: &AsyncSmtpConnection,
    envelope: &Envelope,
    body: &[u8],
) -> Result<Vec<MailParameter>, JobError> {
    let server = smtp.server_info();
    let mut parameters = Vec::new();
    let mut addresses = envelope.from().into_iter().chain(envelope.to());
    if addresses.any(|a| !str::is_ascii(a.as_ref())) {
        if !server.supports_feature(Extension::SmtpUtfEight) {
            return Err(JobError::temporary(
                "an address is not ASCII and the SMTP server does not offer SMTPUTF8",
            ));
        }
        parameters.push(MailParameter::SmtpUtfEight);
    }
    if !body.is_ascii() {
        if !server.supports_feature(Extension::EightBitMime) {
            return Err(JobError::temporary(
                "the message is not ASCII and the SMTP server does not offer 8BITMIME",
            ));
        }
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    Ok(parameters)
}
