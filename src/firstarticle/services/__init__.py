"""Use cases, one function per user intention; each owns its unit of work and audit entries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from firstarticle.domain.errors import NotFoundError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.ports import Clock, UnitOfWork

T = TypeVar("T")
MAX_OFFSET = 2**31 - 1


class SystemClock:
    """Server UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class ServiceContext:
    """Who asks, through which transaction factory, at what server time."""

    uow_factory: Callable[[], UnitOfWork]
    actor: str
    clock: Clock = field(default_factory=SystemClock)
    request_id: str | None = None
    page_size_max: int = 200
    page_size_default: int = 50
    gate_deadline_seconds: float = 2.0

    def page(self, limit: int | None, offset: int | None) -> tuple[int, int]:
        """Check paging arguments: limit within 1..page_size_max, offset within 0..2**31-1."""
        size = min(self.page_size_default, self.page_size_max) if limit is None else limit
        if size < 1 or size > self.page_size_max:
            raise ValidationError(
                f"limit must be between 1 and {self.page_size_max}.", field="limit"
            )
        start = 0 if offset is None else offset
        if not 0 <= start <= MAX_OFFSET:
            raise ValidationError(f"offset must be between 0 and {MAX_OFFSET}.", field="offset")
        return size, start


def record(uow: UnitOfWork, ctx: ServiceContext, events: list[Event]) -> None:
    """Write the audit entries of ``events`` in the caller's transaction."""
    for event in events:
        uow.audit.append(event, ctx.request_id)


def created(
    ctx: ServiceContext,
    record_type: str,
    record_id: str,
    site_id: str | None,
    values: dict[str, object],
) -> Event:
    """The audit event of a newly created record, with every initial value."""
    return Event(
        action=f"{record_type}.created",
        record_type=record_type,
        record_id=record_id,
        site_id=site_id,
        actor=ctx.actor,
        at=ctx.clock.now(),
        changes={k: (None, v) for k, v in values.items() if v is not None},
    )


def found(value: T | None, what: str, key: str) -> T:
    """Return ``value`` or raise NotFoundError naming what was looked for."""
    if value is None:
        raise NotFoundError(f"{what} {key} does not exist.", record=what, key=key)
    return value
