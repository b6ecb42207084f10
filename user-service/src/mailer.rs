//! Outgoing mail (password reset and email verification links).

use std::sync::{Arc, Mutex};

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::configuration::MailSettings;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailKind {
    PasswordReset,
    EmailVerification,
}

#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub to: String,
    pub kind: MailKind,
    /// The single-use token the recipient presents.
    pub token: String,
}

impl OutgoingMail {
    fn subject(&self) -> &'static str {
        match self.kind {
            MailKind::PasswordReset => "Reset your password",
            MailKind::EmailVerification => "Verify your email address",
        }
    }

    fn body(&self) -> String {
        match self.kind {
            MailKind::PasswordReset => format!(
                "Someone asked to reset the password of this account. If it was you, send this token \
                 to POST /auth/reset-password within one hour:\n\n{}\n\nIf it was not you, ignore this mail.",
                self.token
            ),
            MailKind::EmailVerification => format!(
                "Send this token to POST /auth/verify to confirm your email address:\n\n{}\n",
                self.token
            ),
        }
    }
}

#[derive(Clone)]
pub enum Mailer {
    /// Local development: one INFO line carrying the token.
    Log,
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Box<Mailbox>,
    },
    /// Keeps mail in memory, for tests.
    Outbox(Arc<Mutex<Vec<OutgoingMail>>>),
}

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("invalid configuration: SMTP_URL {0}")]
    SmtpUrl(String),
    #[error("invalid configuration: MAIL_FROM {0}")]
    From(String),
}

impl Mailer {
    pub fn from_settings(settings: &MailSettings) -> Result<Self, MailerError> {
        let Some(url) = &settings.smtp_url else {
            return Ok(Self::Log);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailerError::SmtpUrl(format!("is not usable: {e}")))?
            .build();
        let from = settings
            .from
            .parse()
            .map_err(|e| MailerError::From(format!("is not a mailbox: {e}")))?;
        Ok(Self::Smtp {
            transport: Box::new(transport),
            from: Box::new(from),
        })
    }

    /// Sends, logging failures: callers answer 202 whatever happens, so
    /// that the response reveals nothing about the account.
    pub async fn send(&self, mail: OutgoingMail) {
        match self {
            Self::Log => {
                tracing::info!(to = %mail.to, kind = ?mail.kind, token = %mail.token, "mail (SMTP_URL unset, logged instead of sent)");
            }
            Self::Outbox(outbox) => {
                if let Ok(mut outbox) = outbox.lock() {
                    outbox.push(mail);
                }
            }
            Self::Smtp { transport, from } => {
                let to: Mailbox = match mail.to.parse() {
                    Ok(to) => to,
                    Err(e) => {
                        tracing::error!(error = %e, "recipient is not a mailbox");
                        return;
                    }
                };
                let message = Message::builder()
                    .from(Mailbox::clone(from))
                    .to(to)
                    .subject(mail.subject())
                    .body(mail.body());
                match message {
                    Ok(message) => {
                        if let Err(e) = transport.send(message).await {
                            tracing::error!(error = %e, kind = ?mail.kind, "sending mail failed");
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "building mail failed"),
                }
            }
        }
    }
}
