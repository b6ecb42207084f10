//! Outgoing mail (password reset and email verification tokens).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::configuration::{MailSettings, MailTransport, SmtpEndpoint, SmtpSecurity};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailKind {
    PasswordReset,
    EmailVerification,
    /// An invitation to an organization.
    Invitation,
}

#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub to: String,
    pub kind: MailKind,
    /// The single-use token the recipient presents.
    pub token: String,
    /// What the invitation is to (its organization and role); `None` for
    /// the other kinds.
    pub invitation: Option<String>,
}

impl OutgoingMail {
    fn subject(&self) -> &'static str {
        match self.kind {
            MailKind::PasswordReset => "Reset your password",
            MailKind::EmailVerification => "Verify your email address",
            MailKind::Invitation => "You are invited to an organization",
        }
    }

    fn body(&self) -> String {
        match self.kind {
            MailKind::PasswordReset => format!(
                "Someone asked to reset the password of this account. If it was you, send this token \
                 to POST /auth/reset-password within one hour, or open /reset-password?token=<token> \
                 in the web app:\n\n{}\n\nIf it was not you, ignore this mail.",
                self.token
            ),
            MailKind::EmailVerification => format!(
                "Send this token to POST /auth/verify, or open /verify-email?token=<token> in the web \
                 app, to confirm your email address:\n\n{}\n",
                self.token
            ),
            MailKind::Invitation => format!(
                "You are invited to {}. Log in with this address (verified), and accept with this \
                 token at POST /invitations/accept, or open /accept-invitation?token=<token> in the \
                 web app:\n\n{}\n\nIf you do not know the organization, ignore this mail.",
                self.invitation.as_deref().unwrap_or("an organization"),
                self.token
            ),
        }
    }
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Delivers mail. Sending never fails the request that caused it: callers
/// answer the same whatever happens (so an answer reveals nothing about an
/// account), and failures are logged.
pub trait MailSender: Send + Sync {
    fn send(&self, mail: OutgoingMail) -> SendFuture<'_>;
}

pub type Mailer = Arc<dyn MailSender>;

/// `MAIL_TRANSPORT=log`: each mail, token included, is one log line. For
/// local development only; the service warns at start-up.
pub struct LogMailer;

impl MailSender for LogMailer {
    fn send(&self, mail: OutgoingMail) -> SendFuture<'_> {
        Box::pin(async move {
            tracing::info!(to = %mail.to, kind = ?mail.kind, token = %mail.token,
                "mail (MAIL_TRANSPORT=log: written here instead of sent)");
        })
    }
}

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("invalid configuration: SMTP_URL {0}")]
    SmtpUrl(String),
    #[error("invalid configuration: MAIL_FROM {0}")]
    From(String),
}

impl SmtpMailer {
    pub fn new(endpoint: &SmtpEndpoint, from: &str) -> Result<Self, MailerError> {
        let mut builder = match endpoint.security {
            // `starttls_relay` requires STARTTLS: no fallback to plaintext.
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&endpoint.host)
                    .map_err(|e| MailerError::SmtpUrl(format!("is not usable: {e}")))?
            }
            SmtpSecurity::ImplicitTls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&endpoint.host)
                    .map_err(|e| MailerError::SmtpUrl(format!("is not usable: {e}")))?
            }
            SmtpSecurity::Plaintext => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&endpoint.host)
            }
        };
        if let Some(port) = endpoint.port {
            builder = builder.port(port);
        }
        if let Some(username) = &endpoint.username {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                endpoint.password.clone().unwrap_or_default(),
            ));
        }
        let from = from
            .parse()
            .map_err(|e| MailerError::From(format!("is not a mailbox: {e}")))?;
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

impl MailSender for SmtpMailer {
    fn send(&self, mail: OutgoingMail) -> SendFuture<'_> {
        Box::pin(async move {
            let to: Mailbox = match mail.to.parse() {
                Ok(to) => to,
                Err(e) => {
                    tracing::error!(error = %e, "recipient is not a mailbox");
                    return;
                }
            };
            let message = Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(mail.subject())
                .body(mail.body());
            match message {
                Ok(message) => {
                    if let Err(e) = self.transport.send(message).await {
                        tracing::error!(error = %e, kind = ?mail.kind, "sending mail failed");
                    }
                }
                Err(e) => tracing::error!(error = %e, "building mail failed"),
            }
        })
    }
}

/// The mailer `settings` describe.
pub fn from_settings(settings: &MailSettings) -> Result<Mailer, MailerError> {
    Ok(match &settings.transport {
        MailTransport::Smtp(endpoint) => Arc::new(SmtpMailer::new(endpoint, &settings.from)?),
        MailTransport::Log => {
            tracing::warn!(
                "MAIL_TRANSPORT=log: reset and verification tokens are written to this log \
                 instead of mailed; use it for local development only"
            );
            Arc::new(LogMailer)
        }
    })
}
