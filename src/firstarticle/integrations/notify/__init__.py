"""Notification delivery behind the Mailer and WebhookSender ports: SMTP, signed webhooks,
and in-memory twins for tests (bootstrap.py chooses)."""
