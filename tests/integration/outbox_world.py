"""Builders and real receivers for the outbox tests: subscriptions at a plant's site, an SMTP
server (aiosmtpd) and a webhook receiver on loopback that checks signatures on its own."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from firstarticle.domain.holds import HoldKind
from firstarticle.domain.notifications import Topic
from firstarticle.domain.outbox import RetryPolicy
from firstarticle.integrations.notify.memory import InMemoryMailer, InMemoryWebhookSender
from firstarticle.ports import Mailer, WebhookSender
from firstarticle.services import ServiceContext, holds, notifications
from firstarticle.services.outbox import Delivery

HOLD_TOPICS = (
    Topic.HOLD_PLACED,
    Topic.HOLD_RELEASED,
    Topic.OVERRIDE_REQUESTED,
    Topic.OVERRIDE_SIGNED,
)


def shipment_hold(ctx: ServiceContext, plant: Any, reason: str, **more: Any) -> Any:
    """A shipment hold placed by hand on the plant's revision (announced as hold_placed)."""
    return holds.place_hold(
        ctx,
        site_id=plant.site.id,
        kind=HoldKind.SHIPMENT,
        part_revision_id=plant.revision.id,
        reason=reason,
        **more,
    )


def memory_delivery(policy: RetryPolicy | None = None) -> Delivery:
    """In-memory twins, a fixed jitter of one half, and the given policy."""
    return Delivery(
        InMemoryMailer(),
        InMemoryWebhookSender(),
        policy or RetryPolicy(base_seconds=10, cap_seconds=80, max_attempts=3),
        jitter=lambda: 0.5,
    )


def real_delivery(mailer: Mailer, webhooks: WebhookSender, **policy: Any) -> Delivery:
    return Delivery(mailer, webhooks, RetryPolicy(**policy), send_timeout_seconds=2.0)


@dataclass
class Subscribed:
    """What a site was subscribed to: a webhook endpoint (with its secret) and an address."""

    webhook_id: str
    secret: str
    email: str


def subscribe_all(
    ctx: ServiceContext,
    site_id: str,
    webhook_url: str,
    topics: tuple[Topic, ...] = HOLD_TOPICS,
    email: str = "quality@plant.example",
) -> Subscribed:
    """Every topic to one address and one webhook endpoint at the site."""
    hook = notifications.add_webhook(ctx, webhook_url)
    for topic in topics:
        notifications.subscribe(ctx, site_id=site_id, topic=topic, email=email)
        notifications.subscribe(ctx, site_id=site_id, topic=topic, webhook_id=hook.endpoint.id)
    return Subscribed(hook.endpoint.id, hook.secret, email)


# --- real receivers -----------------------------------------------------------------------


class _Collect:
    """aiosmtpd handler: keeps every message it accepts (unless told to refuse)."""

    def __init__(self, inbox: SmtpInbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.inbox.refusing:
            return "451 try again later"
        with self.inbox.lock:
            self.inbox.raw.append(envelope.content)
        return "250 OK"


@dataclass
class SmtpInbox:
    """A real SMTP server on 127.0.0.1 at a free port; ``raw`` holds the accepted bytes."""

    raw: list[bytes] = field(default_factory=list)
    refusing: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Controller | None = None

    port: int = 0
    login: tuple[str, str] | None = None  # AUTH required with these credentials (no TLS)

    def start(self) -> SmtpInbox:
        """Listen on the given port, or on a free one (the controller needs it up front)."""
        if not self.port:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
        auth: dict[str, Any] = {}
        if self.login is not None:
            expected = (self.login[0].encode(), self.login[1].encode())

            def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
                return AuthResult(success=(data.login, data.password) == expected)

            auth = {"authenticator": check, "auth_required": True, "auth_require_tls": False}
        self.controller = Controller(_Collect(self), hostname="127.0.0.1", port=self.port, **auth)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [message_from_bytes(raw, policy=policy.default) for raw in self.raw]


def verify_standard_webhook(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's own check, written from the Standard Webhooks specification."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if "," in s]
    return any(hmac.compare_digest(expected, s) for s in offered)


@dataclass
class Hook:
    """A webhook receiver on loopback: answers ``status`` (500 to refuse), may sleep past the
    sender's timeout, and records each request with whether its signature checked out."""

    secret: str = ""
    status: int = 204
    delay: Callable[[], float] = lambda: 0.0
    received: list[tuple[dict[str, str], bytes, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self) -> Hook:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                wait = hook.delay()
                if wait:
                    time.sleep(wait)
                status = hook.status
                if status < 300:
                    valid = verify_standard_webhook(hook.secret, headers, body)
                    with hook.lock:
                        hook.received.append((headers, body, valid))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/firstarticle"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(body) for _, body, _ in self.received]
