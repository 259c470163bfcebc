"""Idempotency keys for integration writes: a retried request replays the first answer.

The same key with the same request replays the stored answer; the same key with another
request is refused; keys are kept at least 24 hours (purged after 48).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from firstarticle.domain.errors import ConflictError, DomainError, ValidationError
from firstarticle.services import ServiceContext

KEEP = timedelta(hours=48)


@dataclass(frozen=True)
class StoredAnswer:
    """The answer given the first time a key was used."""

    status_code: int
    body: Any
    replayed: bool


class IdempotencyKeyReusedError(DomainError):
    """The key was used before for a different request."""

    code = "idempotency_key_reused"


def run_once(
    ctx: ServiceContext, key: str | None, fingerprint: str, handler: Callable[[], tuple[int, Any]]
) -> StoredAnswer:
    """Run ``handler`` unless ``key`` was seen for this caller; store or replay its answer.

    Only successful answers are stored: a refused request may be corrected and retried under
    the same key.
    """
    if key is None:
        status, body = handler()
        return StoredAnswer(status, body, replayed=False)
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise ValidationError(
            "Idempotency-Key must be 1 to 200 printable characters.", field="Idempotency-Key"
        )
    with ctx.uow_factory() as uow:
        stored = uow.idempotency.get(ctx.actor, key)
    if stored is not None:
        if stored["fingerprint"] != fingerprint:
            raise IdempotencyKeyReusedError(
                "This Idempotency-Key was used for a different request.", key=key
            )
        return StoredAnswer(stored["status_code"], stored["body"], replayed=True)
    status, body = handler()
    now = ctx.clock.now()
    try:
        with ctx.uow_factory() as uow:
            uow.idempotency.purge_before(now - KEEP)
            uow.idempotency.put(ctx.actor, key, fingerprint, status, body, now)
            uow.commit()
    except ConflictError:
        # A concurrent retry stored the key first; the handler itself was idempotent.
        pass
    return StoredAnswer(status, body, replayed=False)
