"""Subscriptions, webhook endpoints and outbox messages in SQL (Core statements, no mapping).

Claiming is the one place where workers meet: on PostgreSQL the due rows are selected
``FOR UPDATE SKIP LOCKED`` (a second worker passes over them instead of waiting), on SQLite the
database's single writer does the same job. Either way the lease is set by a conditional
UPDATE that only matches a row still claimable, and a worker's later writes match only while
it holds that lease (same owner, same attempt count), so a worker whose lease expired cannot
overwrite what the next one did.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from firstarticle.domain.access import Role
from firstarticle.domain.notifications import Subscription, Topic, WebhookEndpoint
from firstarticle.domain.outbox import OutboxAction, OutboxMessage, OutboxStatus, sources
from firstarticle.ports import Page
from firstarticle.storage import orm

_subs = orm.notification_subscriptions
_hooks = orm.webhook_endpoints
_out = orm.outbox_messages
_users = orm.users


def _subscription(row: Any) -> Subscription:
    values = dict(row._mapping)
    values["topic"] = Topic(values["topic"])
    return Subscription(**values)


def _message(row: Any) -> OutboxMessage:
    values = dict(row._mapping)
    values["status"] = OutboxStatus(values["status"])
    return OutboxMessage(**values)


def _claimable(now: datetime) -> Any:
    """Messages a worker may take now, by the statuses the transition table lets CLAIM leave:
    due pending ones, and sending ones whose lease ran out (their worker died)."""
    ready = {
        OutboxStatus.PENDING: _out.c.next_attempt_at <= now,
        OutboxStatus.SENDING: _out.c.lease_until < now,
    }
    return sa.or_(*((_out.c.status == s) & ready[s] for s in sorted(sources(OutboxAction.CLAIM))))


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- subscriptions and endpoints ---------------------------------------------------

    def subscriptions(self, site_id: str, topic: Topic) -> Sequence[Subscription]:
        stmt = (
            sa.select(_subs)
            .where(_subs.c.site_id == site_id, _subs.c.topic == topic)
            .order_by(_subs.c.id)
        )
        return [_subscription(r) for r in self.session.execute(stmt)]

    def subscription(self, subscription_id: str) -> Subscription | None:
        row = self.session.execute(sa.select(_subs).where(_subs.c.id == subscription_id)).first()
        return _subscription(row) if row else None

    def add_subscription(self, subscription: Subscription) -> None:
        values = {c.name: getattr(subscription, c.name) for c in _subs.c}
        self.session.execute(sa.insert(_subs).values(**values))

    def remove_subscription(self, subscription: Subscription) -> None:
        self.session.execute(
            sa.delete(_subs).where(
                _subs.c.site_id == subscription.site_id, _subs.c.id == subscription.id
            )
        )

    def list_subscriptions(
        self, site_ids: frozenset[str] | None, limit: int, offset: int
    ) -> Page[Subscription]:
        where = sa.true() if site_ids is None else _subs.c.site_id.in_(sorted(site_ids))
        total = self.session.scalar(sa.select(sa.func.count()).select_from(_subs).where(where))
        stmt = sa.select(_subs).where(where).order_by(_subs.c.site_id, _subs.c.topic, _subs.c.id)
        rows = self.session.execute(stmt.limit(limit).offset(offset))
        return Page([_subscription(r) for r in rows], int(total or 0), limit, offset)

    def add_webhook(self, endpoint: WebhookEndpoint) -> None:
        values = {c.name: getattr(endpoint, c.name) for c in _hooks.c}
        self.session.execute(sa.insert(_hooks).values(**values))

    def webhook(self, webhook_id: str) -> WebhookEndpoint | None:
        row = self.session.execute(sa.select(_hooks).where(_hooks.c.id == webhook_id)).first()
        return WebhookEndpoint(**row._mapping) if row else None

    def save_webhook(self, endpoint: WebhookEndpoint) -> None:
        self.session.execute(
            sa.update(_hooks)
            .where(_hooks.c.id == endpoint.id)
            .values(active=endpoint.active, disabled_at=endpoint.disabled_at)
        )

    def webhooks(self, limit: int, offset: int) -> Page[WebhookEndpoint]:
        total = self.session.scalar(sa.select(sa.func.count()).select_from(_hooks))
        stmt = sa.select(_hooks).order_by(_hooks.c.created_at, _hooks.c.id)
        rows = self.session.execute(stmt.limit(limit).offset(offset))
        return Page([WebhookEndpoint(**r._mapping) for r in rows], int(total or 0), limit, offset)

    def role_addresses(self, site_id: str, role: str, customer_id: str | None) -> list[str]:
        """Email addresses of active people holding ``role`` at the site and not limited to
        other customers (sets are JSON columns, so they are filtered here, not in SQL)."""
        stmt = sa.select(
            _users.c.email,
            _users.c.roles,
            _users.c.site_ids,
            _users.c.all_sites,
            _users.c.customer_ids,
        ).where(_users.c.active.is_(True), _users.c.email.is_not(None))
        wanted = Role(role)
        found = set()
        for email, roles, site_ids, all_sites, customers in self.session.execute(stmt):
            if wanted not in roles or not (all_sites or site_id in site_ids):
                continue
            if customers is not None and customer_id not in customers:
                continue
            found.add(email)
        return sorted(found)

    def customer_of(self, record_type: str, record_id: str) -> str | None:
        table = {
            "hold": orm.holds,
            "first_article": orm.first_articles,
            "refai_trigger": orm.refai_triggers,
        }.get(record_type)
        if table is None:
            return None
        return self.session.scalar(sa.select(table.c.customer_id).where(table.c.id == record_id))

    # --- messages ------------------------------------------------------------------------

    def add_messages(self, messages: Sequence[OutboxMessage]) -> None:
        if messages:
            rows = [{c.name: getattr(m, c.name) for c in _out.c} for m in messages]
            self.session.execute(sa.insert(_out), rows)

    def has_due(self, now: datetime) -> bool:
        """Whether anything is claimable: an idle poll only reads (in its own transaction, so
        that a claim on SQLite starts with its write and waits for the lock instead of failing
        to upgrade a read)."""
        stmt = sa.select(_out.c.event_id).where(_claimable(now)).limit(1)
        return self.session.execute(stmt).first() is not None

    def claim(
        self, worker_id: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutboxMessage]:
        """Lease up to ``limit`` claimable messages to ``worker_id`` (attempts counted now, so
        a worker killed mid-delivery still uses up an attempt)."""
        # An idle poll only reads: no write lock on SQLite, no row locks on PostgreSQL.
        if (
            self.session.execute(sa.select(_out.c.event_id).where(_claimable(now)).limit(1)).first()
            is None
        ):
            return []
        pick = (
            sa.select(_out.c.site_id, _out.c.event_id)
            .where(_claimable(now))
            .order_by(_out.c.next_attempt_at)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        # One statement: SQLite takes its write lock for it, PostgreSQL locks what it picks.
        stmt = (
            sa.update(_out)
            .where(sa.tuple_(_out.c.site_id, _out.c.event_id).in_(pick), _claimable(now))
            .values(
                status=OutboxStatus.SENDING,
                lease_owner=worker_id,
                lease_until=lease_until,
                attempts=_out.c.attempts + 1,
            )
            .returning(*_out.c)
        )
        return [_message(r) for r in self.session.execute(stmt)]

    def finish(self, message: OutboxMessage, worker_id: str, **values: Any) -> bool:
        """Write the outcome of the attempt ``message`` was claimed for; False when the
        worker no longer holds the lease (it expired and another worker took the message)."""
        stmt = (
            sa.update(_out)
            .where(
                _out.c.site_id == message.site_id,
                _out.c.event_id == message.event_id,
                _out.c.status == OutboxStatus.SENDING,
                _out.c.lease_owner == worker_id,
                _out.c.attempts == message.attempts,
            )
            .values(lease_owner=None, lease_until=None, **values)
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def message(self, event_id: str) -> OutboxMessage | None:
        row = self.session.execute(sa.select(_out).where(_out.c.event_id == event_id)).first()
        return _message(row) if row else None

    def retry(self, message: OutboxMessage, now: datetime) -> bool:
        """Make the message due now with fresh attempts, if it is still in a status a retry
        may leave (a worker may have claimed it meanwhile)."""
        stmt = (
            sa.update(_out)
            .where(
                _out.c.site_id == message.site_id,
                _out.c.event_id == message.event_id,
                _out.c.status.in_(sorted(sources(OutboxAction.RETRY))),
            )
            .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, last_error=None)
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def list_messages(
        self,
        *,
        status: OutboxStatus | None,
        site_ids: frozenset[str] | None,
        limit: int,
        offset: int,
    ) -> Page[OutboxMessage]:
        where = [] if status is None else [_out.c.status == status]
        if site_ids is not None:
            where.append(_out.c.site_id.in_(sorted(site_ids)))
        total = self.session.scalar(sa.select(sa.func.count()).select_from(_out).where(*where))
        stmt = sa.select(_out).where(*where).order_by(_out.c.created_at, _out.c.event_id)
        rows = self.session.execute(stmt.limit(limit).offset(offset))
        return Page([_message(r) for r in rows], int(total or 0), limit, offset)
