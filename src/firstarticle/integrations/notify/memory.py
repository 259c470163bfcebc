"""In-memory twins of the Mailer and WebhookSender: what would have been sent, kept in lists;
``failing`` makes every send fail, as an unreachable receiver would."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from firstarticle.ports import DeliveryFailedError, Email


@dataclass
class InMemoryMailer:
    sent: list[Email] = field(default_factory=list)
    failing: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, email: Email) -> None:
        if self.failing:
            raise DeliveryFailedError("smtp: ConnectionRefusedError")
        with self.lock:
            self.sent.append(email)


@dataclass(frozen=True)
class Posted:
    """One webhook delivery as the receiver would see it."""

    url: str
    event_id: str
    timestamp: int
    body: bytes
    secret: str


@dataclass
class InMemoryWebhookSender:
    sent: list[Posted] = field(default_factory=list)
    failing: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, url: str, secret: str, event_id: str, timestamp: int, body: bytes) -> None:
        if self.failing:
            raise DeliveryFailedError("webhook answered 500")
        with self.lock:
            self.sent.append(Posted(url, event_id, timestamp, body, secret))
