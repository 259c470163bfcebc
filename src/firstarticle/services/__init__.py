"""Use cases, one function per user intention; each owns its unit of work and audit entries."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from firstarticle.domain import model
from firstarticle.domain.access import Permission, Principal, Role, Visibility, visibility
from firstarticle.domain.classification import ExportClassification
from firstarticle.domain.errors import NotFoundError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.ports import Clock, FileFormats, PasswordHasher, UnitOfWork
from firstarticle.services.outbox_writer import announce

T = TypeVar("T")
MAX_OFFSET = 2**31 - 1


class SystemClock:
    """Server UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class SecurityPolicy:
    """How long credentials live and how many failures an account may collect."""

    session_idle: timedelta = timedelta(minutes=30)
    session_absolute: timedelta = timedelta(hours=12)
    token_days_default: int = 90
    token_days_max: int = 365
    failed_attempts_max: int = 5
    failed_attempts_window: timedelta = timedelta(minutes=15)
    sign_in_failures_per_address: int = 20
    sign_in_failures_per_account: int = 50
    signing_nonce_lifetime: timedelta = timedelta(minutes=5)
    totp_required_roles: frozenset[Role] = frozenset()


class PrincipalCache:
    """Principals of bearer tokens, kept for a few seconds so that the gate and integrations
    do not read the token and its user on every call. Any audited change to a person (roles,
    sites, authorizations, tokens, disabling) empties it in this process; another process's
    changes count within ``seconds``. A token's own expiry is checked on every use."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._kept: dict[str, tuple[float, datetime, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str, now: datetime) -> Principal | None:
        with self._lock:
            kept = self._kept.get(digest)
        if kept is None:
            return None
        until, expires_at, principal = kept
        if time.monotonic() >= until or now >= expires_at:
            return None
        return principal

    def put(self, digest: str, expires_at: datetime, principal: Principal) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            if len(self._kept) > 10_000:  # bounded: many tokens just cost a read again
                self._kept.clear()
            self._kept[digest] = (time.monotonic() + self.seconds, expires_at, principal)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


@dataclass(frozen=True)
class ServiceContext:
    """Who asks (an authenticated principal), through which transaction factory, at what
    server time."""

    uow_factory: Callable[[], UnitOfWork]
    principal: Principal
    clock: Clock = field(default_factory=SystemClock)
    request_id: str | None = None
    page_size_max: int = 200
    page_size_default: int = 50
    gate_deadline_seconds: float = 2.0
    security: SecurityPolicy = field(default_factory=SecurityPolicy)
    passwords: PasswordHasher | None = None
    files: FileFormats | None = None
    public_url: str = "http://127.0.0.1:8000"  # where links in notifications lead
    principals: PrincipalCache | None = None  # bearer tokens' principals, for seconds

    @property
    def formats(self) -> FileFormats:
        """The file formats bootstrap.py wired in (a context built without them reads none)."""
        if self.files is None:
            raise RuntimeError("this service context was built without file formats")
        return self.files

    @property
    def actor(self) -> str:
        """The username changes are attributed to."""
        return self.principal.username

    def as_principal(self, principal: Principal) -> ServiceContext:
        """The same context acting for ``principal`` (after authentication)."""
        return replace(self, principal=principal)

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
    """Write the audit entries of ``events``, and the outbox messages they cause, in the
    caller's transaction."""
    for event in events:
        uow.audit.append(event, ctx.request_id)
    announce(uow, events, ctx.public_url, ctx.clock.now())
    if ctx.principals is not None and any(e.record_type == "user" for e in events):
        ctx.principals.clear()  # a person's roles, sites, authorizations or tokens changed


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


def changed(
    ctx: ServiceContext,
    action: str,
    record: tuple[str, str, str | None],
    changes: dict[str, tuple[object, object]],
    reason: str | None = None,
) -> Event:
    """The audit event of a change to ``record`` (type, id, site), now, by the caller."""
    record_type, record_id, site_id = record
    return Event(
        action=action,
        record_type=record_type,
        record_id=record_id,
        site_id=site_id,
        actor=ctx.actor,
        at=ctx.clock.now(),
        changes=changes,
        reason=reason,
    )


def found(value: T | None, what: str, key: str) -> T:
    """Return ``value`` or raise NotFoundError naming what was looked for."""
    if value is None:
        raise NotFoundError(f"{what} {key} does not exist.", record=what, key=key)
    return value


def allowed(ctx: ServiceContext, permission: Permission, site_id: str | None = None) -> None:
    """Raise unless the caller holds ``permission`` (and sees ``site_id``)."""
    ctx.principal.require(permission, site_id=site_id)


def visible(ctx: ServiceContext) -> Visibility:
    """What the caller may see in lists and counts, today."""
    return visibility(ctx.principal, ctx.clock.now())


def labels_of(
    part: model.Part, revision: model.PartRevision | None = None
) -> list[ExportClassification]:
    """The labels that govern a revision's technical data: its part's, and its own if any."""
    labels = [part.export_classification]
    if revision is not None and revision.export_classification is not None:
        labels.append(revision.export_classification)
    return labels


def require_revision_data(
    ctx: ServiceContext, uow: UnitOfWork, revision_id: str, what: str = "record"
) -> None:
    """Raise NotFoundError unless the revision exists and the caller may receive its technical
    data; one statement, for callers that need the labels and not the revision itself."""
    labels = uow.parts.revision_labels(revision_id)
    if not labels:
        found(None, "Part revision", revision_id)
    now = ctx.clock.now()
    for label in labels:
        ctx.principal.require_label(label, now, what)


def require_technical(
    ctx: ServiceContext,
    part: model.Part,
    revision: model.PartRevision | None = None,
    what: str = "record",
) -> None:
    """Raise NotFoundError unless the caller may receive the technical data of the part (and
    revision): the record stays invisible rather than forbidden, so its existence does not
    leak."""
    now = ctx.clock.now()
    for label in labels_of(part, revision):
        ctx.principal.require_label(label, now, what)
