"""The outbox: one message per (event, destination), its delivery statuses as data, and the
retry schedule (exponential backoff with full jitter)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from firstarticle.domain.errors import ConflictError


class OutboxStatus(StrEnum):
    """Where a message stands on its way to one destination."""

    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # leased by a worker until lease_until
    DELIVERED = "delivered"  # the receiver accepted it
    DEAD = "dead"  # the last attempt failed; only a person's retry sends it again

    @property
    def is_terminal(self) -> bool:
        """True when no worker will touch the message again by itself."""
        return self in (OutboxStatus.DELIVERED, OutboxStatus.DEAD)


class OutboxAction(StrEnum):
    """What happens to a message."""

    CLAIM = "claim"  # a worker takes a due message, or one whose lease expired
    DELIVER = "deliver"  # the receiver accepted it
    FAIL = "fail"  # an attempt failed and another is scheduled
    GIVE_UP = "give_up"  # the last attempt failed
    RELEASE = "release"  # the worker hands back a message it did not start
    RETRY = "retry"  # a person asks for another attempt now


_S, _A = OutboxStatus, OutboxAction
TRANSITIONS: Mapping[tuple[OutboxStatus, OutboxAction], OutboxStatus] = {
    (_S.PENDING, _A.CLAIM): _S.SENDING,
    (_S.SENDING, _A.CLAIM): _S.SENDING,  # only once the lease has expired
    (_S.SENDING, _A.DELIVER): _S.DELIVERED,
    (_S.SENDING, _A.FAIL): _S.PENDING,
    (_S.SENDING, _A.GIVE_UP): _S.DEAD,
    (_S.SENDING, _A.RELEASE): _S.PENDING,
    (_S.PENDING, _A.RETRY): _S.PENDING,
    (_S.DEAD, _A.RETRY): _S.PENDING,
}
del _S, _A


class OutboxRetryError(ConflictError):
    """The message cannot be retried in its status (delivered, or a worker holds it)."""

    code = "outbox_retry_not_allowed"


def sources(action: OutboxAction) -> frozenset[OutboxStatus]:
    """The statuses ``action`` may leave from (storage filters rows on them)."""
    return frozenset(s for (s, a) in TRANSITIONS if a is action)


def next_status(status: OutboxStatus, action: OutboxAction) -> OutboxStatus:
    """The status after ``action``; OutboxRetryError for a retry the table does not allow,
    ValueError for any other missing transition (a bug)."""
    after = TRANSITIONS.get((status, action))
    if after is None:
        if action is OutboxAction.RETRY:
            raise OutboxRetryError(
                f"A {status.value} message cannot be retried.", status=status.value
            )
        raise ValueError(f"no outbox transition {action.value} from {status.value}")
    return after


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a message is tried: attempt n waits a random time between 0
    and min(cap, base * 2**(n-1)) seconds (full jitter); after ``max_attempts`` it is dead."""

    base_seconds: float = 30.0
    cap_seconds: float = 3600.0
    max_attempts: int = 10
    lease_seconds: float = 120.0

    def delay(self, attempts: int, jitter: float) -> timedelta:
        """The wait after the ``attempts``-th failed attempt; ``jitter`` is uniform in [0, 1)."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** min(max(attempts, 1) - 1, 62))
        return timedelta(seconds=ceiling * min(max(jitter, 0.0), 1.0))

    def after_failure(self, attempts: int) -> OutboxAction:
        """FAIL (try again later) or GIVE_UP once ``attempts`` reached the maximum."""
        return OutboxAction.GIVE_UP if attempts >= self.max_attempts else OutboxAction.FAIL


@dataclass(frozen=True)
class OutboxMessage:
    """One message for one destination. ``event_id`` is the same on every attempt: it is the
    webhook-id and the email's event id, so receivers can drop duplicates."""

    site_id: str
    event_id: str
    topic: str
    channel: str
    destination: str
    payload: dict[str, Any]
    record_type: str
    record_id: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_error: str | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None
    delivered_at: datetime | None = None


def short_error(text: str, limit: int = 200) -> str:
    """An error as stored on a message: one line, at most ``limit`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
