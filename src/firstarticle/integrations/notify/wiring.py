"""The delivery ports the settings ask for: SMTP and HTTP webhooks, or the in-memory twins."""

from __future__ import annotations

from firstarticle.config import Settings
from firstarticle.domain.outbox import RetryPolicy
from firstarticle.integrations.notify.memory import InMemoryMailer, InMemoryWebhookSender
from firstarticle.integrations.notify.smtp import NoMailer, SmtpMailer
from firstarticle.integrations.notify.webhooks import HttpWebhookSender
from firstarticle.ports import Mailer, WebhookSender


def retry_policy(settings: Settings) -> RetryPolicy:
    """Backoff, attempts and lease from FIRSTARTICLE_OUTBOX_*."""
    return RetryPolicy(
        base_seconds=settings.outbox_base_seconds,
        cap_seconds=settings.outbox_cap_seconds,
        max_attempts=settings.outbox_max_attempts,
        lease_seconds=settings.outbox_lease_seconds,
    )


def senders(settings: Settings) -> tuple[Mailer, WebhookSender]:
    """SMTP (or NoMailer when no host is set) and HTTP webhooks; both in memory for
    FIRSTARTICLE_NOTIFY_TRANSPORT=memory."""
    if settings.notify_transport == "memory":
        return InMemoryMailer(), InMemoryWebhookSender()
    mailer: Mailer = NoMailer()
    if settings.smtp_host:
        mailer = SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_secret(),
            timeout=settings.smtp_timeout_seconds,
        )
    return mailer, HttpWebhookSender(timeout=settings.webhook_timeout_seconds)
