//! The private link by e-mail: one message to an address the owner types in, handed to an SMTP
//! relay. The address is used for that one message only: it is not stored and not logged.
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailSettings;

/// How long a relay may take before the owner is told the mail could not be sent.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MailError {
    #[error("the address is not an e-mail address")]
    InvalidAddress,
    /// The relay could not be reached or refused the message.
    #[error("the mail could not be sent")]
    NotSent,
}

/// One message: subject and plain-text body.
pub struct Mail {
    pub subject: String,
    pub body: String,
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> Result<Mailer, String> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| format!("MAIL_FROM: {e}"))?;
        // Plain SMTP, no TLS: see `MailSettings`.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .timeout(Some(SEND_TIMEOUT))
            .build();
        Ok(Mailer { transport, from })
    }

    /// Checks an address as typed into a form (one mailbox, no display name tricks).
    pub fn parse_address(raw: &str) -> Result<Mailbox, MailError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 254 || raw.contains(['<', '>', ',', '\r', '\n']) {
            return Err(MailError::InvalidAddress);
        }
        raw.parse::<lettre::Address>()
            .map(|a| Mailbox::new(None, a))
            .map_err(|_| MailError::InvalidAddress)
    }

    pub async fn send(&self, to: Mailbox, mail: Mail) -> Result<(), MailError> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(|e| {
                tracing::error!(error = %e, "building the mail failed");
                MailError::NotSent
            })?;
        // The relay's answer may quote the recipient, so only its status code is logged.
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            tracing::warn!(
                code = e.status().map(|c| c.to_string()).unwrap_or_default(),
                timeout = e.is_timeout(),
                "sending a private link by e-mail failed"
            );
            MailError::NotSent
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        assert!(Mailer::parse_address(" inhaber@firma.example ").is_ok());
        for bad in [
            "",
            "kein-at",
            "a@b.example, c@d.example",
            "Evil <x@y.example>",
            "x@y.example\r\nBcc: z@z.example",
        ] {
            assert_eq!(
                Mailer::parse_address(bad),
                Err(MailError::InvalidAddress),
                "{bad}"
            );
        }
    }
}
