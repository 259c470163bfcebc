"""Email over SMTP with smtplib: STARTTLS and authentication as configured."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from firstarticle.ports import DeliveryFailedError, Email


class SmtpMailer:
    """One SMTP connection per message (notifications are few; a dead connection never
    lingers). Errors become DeliveryFailedError carrying the SMTP reply code only."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        starttls: bool = True,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.username, self.password = starttls, username, password
        self.timeout = timeout

    def compose(self, email: Email) -> EmailMessage:
        """The message as sent: the event id is its Message-ID and X-Firstarticle-Event-Id."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = f"<{email.event_id}@firstarticle>"
        message["X-Firstarticle-Event-Id"] = email.event_id
        message.set_content(email.text)
        return message

    def send(self, email: Email) -> None:
        message = self.compose(email)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPResponseException as error:
            raise DeliveryFailedError(f"smtp answered {error.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailedError(f"smtp: {type(error).__name__}") from None


class NoMailer:
    """Stands in when no SMTP server is configured: every email fails with a clear reason
    (retried, then dead, and listed by ``outbox list``)."""

    def send(self, email: Email) -> None:
        raise DeliveryFailedError("no SMTP server configured (FIRSTARTICLE_SMTP_HOST)")
