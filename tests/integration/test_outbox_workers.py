"""Two outbox workers on their own connections, with real commits (SQLite and PostgreSQL):
while both hold valid leases they never send the same message, so every message is sent
exactly once. The rows are committed, under a site of their own, and removed afterwards."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from firstarticle import bootstrap
from firstarticle.config import Settings
from firstarticle.domain.events import Event
from firstarticle.domain.model import new_id
from firstarticle.domain.notifications import Topic
from firstarticle.domain.outbox import RetryPolicy
from firstarticle.integrations.notify.memory import InMemoryWebhookSender
from firstarticle.ports import Email
from firstarticle.services import ServiceContext, catalog, notifications, outbox, record
from firstarticle.services.outbox import Delivery
from firstarticle.storage import orm

MESSAGES = 300


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SlowMailer:
    """Records which worker sent which event id, taking a little time per message."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def send(self, email: Email) -> None:
        time.sleep(0.001)
        with self.lock:
            self.sent.append((threading.current_thread().name, email.event_id))


@pytest.fixture
def committed(database_url: str) -> Iterator[tuple[bootstrap.Application, ServiceContext, str]]:
    """A site of its own with MESSAGES committed messages; its rows are deleted afterwards."""
    app = bootstrap.build(Settings(database_url=database_url), clock=WallClock())
    ctx = app.context("outbox-race")
    site = catalog.create_site(ctx, code=f"R{uuid.uuid4().hex[:6].upper()}", name="Race")
    notifications.subscribe(ctx, site_id=site.id, topic=Topic.HOLD_PLACED, email="q@race.example")
    with app.uow() as uow:
        now = ctx.clock.now()
        events = [
            Event("hold.placed", "hold", new_id(), site.id, ctx.actor, now) for _ in range(MESSAGES)
        ]
        record(uow, ctx, events)
        uow.commit()
    yield app, ctx, site.id
    with app.engine.begin() as conn:
        for table in (orm.outbox_messages, orm.notification_subscriptions):
            conn.execute(sa.delete(table).where(table.c.site_id == site.id))
    app.engine.dispose()


def test_two_workers_never_send_the_same_message_while_both_hold_leases(committed, figure):
    """Both drain the outbox at once in batches of 10: each message is sent exactly once."""
    app, ctx, site_id = committed
    mailer = SlowMailer()
    delivery = Delivery(mailer, InMemoryWebhookSender(), RetryPolicy(lease_seconds=120), batch=10)
    with app.uow() as uow:
        page = uow.outbox.list_messages(
            status=None, site_ids=frozenset({site_id}), limit=MESSAGES, offset=0
        )
    ours = {m.event_id for m in page.items}
    assert len(ours) == MESSAGES
    workers = [
        threading.Thread(
            target=outbox.run, args=(ctx, delivery, name), kwargs={"once": True}, name=name
        )
        for name in ("worker-1", "worker-2")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    sent = Counter(event_id for _, event_id in mailer.sent if event_id in ours)
    twice = sum(n > 1 for n in sent.values())
    figure("C5", f"messages sent twice by two workers with valid leases ({MESSAGES})", twice, "0")
    assert twice == 0
    assert set(sent) == ours
    by_worker = Counter(name for name, event_id in mailer.sent if event_id in ours)
    print(f"outbox race: {dict(by_worker)}")
