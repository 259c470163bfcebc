"""The outbox inside one database transaction per test (SQLite, and PostgreSQL when
configured): messages are written with the change that causes them, delivered by the worker
through the in-memory twins, retried with backoff, dead after the last try, and sent again
when a person asks."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from outbox_world import memory_delivery, shipment_hold, subscribe_all
from plant import a_plant

from firstarticle.domain.access import Role
from firstarticle.domain.holds import Hold, HoldKind, HoldSource
from firstarticle.domain.notifications import Topic
from firstarticle.domain.outbox import OutboxRetryError, OutboxStatus
from firstarticle.services import identity, notifications, outbox, record
from firstarticle.services.holds import hold_event
from firstarticle.services.outbox import body_bytes

REASON = "Bore 7 out of tolerance per drawing note SECRET-REASON-81"


def _messages(ctx, record_id=None, status=None):
    items = outbox.list_messages(ctx, status=status, limit=200).items
    return [m for m in items if record_id is None or m.record_id == record_id]


def _hold(ctx, plant, reason=REASON):
    return shipment_hold(ctx, plant, reason)


@pytest.fixture
def plant(ctx):
    return a_plant(ctx)


@pytest.fixture
def subscribed(ctx, plant):
    identity.create_user(
        ctx,
        username="qe.wichita",
        printed_name="QE Wichita",
        roles=[Role.QUALITY_ENGINEER],
        sites=[plant.site.code],
        email="qe.wichita@plant.example",
    )
    notifications.subscribe(
        ctx, site_id=plant.site.id, topic=Topic.HOLD_PLACED, role=Role.QUALITY_ENGINEER.value
    )
    return subscribe_all(ctx, plant.site.id, "https://qms.customer.example/hooks")


def test_a_hold_at_a_subscribed_site_queues_one_message_per_destination(ctx, plant, subscribed):
    """The role's people, the fixed address and the endpoint each get one message with its
    own event id; the hold's reason is in none of them."""
    hold = _hold(ctx, plant)
    queued = _messages(ctx, hold.id)
    assert sorted((m.channel, m.destination) for m in queued) == [
        ("email", "qe.wichita@plant.example"),
        ("email", subscribed.email),
        ("webhook", subscribed.webhook_id),
    ]
    assert len({m.event_id for m in queued}) == 3
    for m in queued:
        assert m.status is OutboxStatus.PENDING
        assert m.payload["id"] == m.event_id
        assert m.payload["type"] == "firstarticle.hold_placed"
        assert m.payload["link"].endswith(f"/web/holds/{hold.id}")
        assert m.payload["data"]["kind"] == "shipment"
        assert "SECRET-REASON" not in json.dumps(m.payload)


def test_a_site_nobody_subscribed_queues_nothing(ctx, plant, subscribed):
    """Subscriptions are per site: a hold at another site is announced to no one."""
    other = a_plant(ctx, code="KC", part_number="9B0001-001")
    hold = _hold(ctx, other)
    assert _messages(ctx, hold.id) == []


def test_a_rolled_back_change_writes_no_message(ctx, application, plant, subscribed):
    """Messages written by services.record in a transaction that fails are gone with it."""
    hold = Hold(
        site_id=plant.site.id,
        kind=HoldKind.PRODUCTION,
        source=HoldSource.MANUAL,
        part_revision_id=plant.revision.id,
        reason=REASON,
        placed_by=ctx.actor,
        placed_at=ctx.clock.now(),
    )

    def change_that_fails() -> None:
        with application.uow() as uow:
            uow.holds.add(hold)
            event = hold_event(ctx, hold, "hold.placed", {"kind": (None, "production")})
            record(uow, ctx, [event])
            inside = uow.outbox.list_messages(status=None, site_ids=None, limit=500, offset=0)
            written = sum(m.record_id == hold.id for m in inside.items)
            raise RuntimeError(f"the change fails after writing {written} messages")

    with pytest.raises(RuntimeError, match="after writing 3 messages"):
        change_that_fails()
    assert _messages(ctx, hold.id) == []


def test_the_worker_delivers_each_message_with_its_event_id(ctx, plant, subscribed):
    """Emails carry the event id; the webhook body is the stored payload, byte for byte."""
    delivery = memory_delivery()
    hold = _hold(ctx, plant)
    tally = outbox.run(ctx, delivery, "worker-a", once=True)
    queued = {m.event_id: m for m in _messages(ctx, hold.id)}
    assert tally.delivered >= 3
    assert {m.status for m in queued.values()} == {OutboxStatus.DELIVERED}
    mails = [e for e in delivery.mailer.sent if e.event_id in queued]
    assert sorted(e.to for e in mails) == ["qe.wichita@plant.example", subscribed.email]
    assert all(f"/web/holds/{hold.id}" in e.text and REASON not in e.text for e in mails)
    (posted,) = [p for p in delivery.webhooks.sent if p.event_id in queued]
    assert posted.body == body_bytes(queued[posted.event_id].payload)
    assert posted.secret == subscribed.secret


def test_a_failing_receiver_is_retried_with_backoff_then_dead_then_retried(ctx, clock, plant):
    """Three attempts 10 s x 2**(n-1) x jitter apart, dead after the third; a person's retry
    sends it with fresh attempts, and the retry is audited."""
    notifications.subscribe(
        ctx, site_id=plant.site.id, topic=Topic.HOLD_PLACED, email="quality@plant.example"
    )
    delivery = memory_delivery()
    delivery.mailer.failing = True
    (message,) = _messages(ctx, _hold(ctx, plant).id)
    waits = []
    for _ in range(3):
        outbox.run(ctx, delivery, "worker-a", once=True)
        (after,) = _messages(ctx, message.record_id)
        waits.append(after.next_attempt_at - clock.now())
        assert outbox.run(ctx, delivery, "worker-a", once=True).claimed == 0  # not due yet
        clock.advance(seconds=max(waits[-1].total_seconds(), 0) + 0.001)
    assert waits[:2] == [timedelta(seconds=5), timedelta(seconds=10)]
    assert after.status is OutboxStatus.DEAD
    assert after.attempts == 3
    assert after.last_error == "smtp: ConnectionRefusedError"
    assert [m.event_id for m in _messages(ctx, status=OutboxStatus.DEAD)] == [message.event_id]

    retried = outbox.retry(ctx, message.event_id)
    assert (retried.status, retried.attempts) == (OutboxStatus.PENDING, 0)
    delivery.mailer.failing = False
    outbox.run(ctx, delivery, "worker-b", once=True)
    (done,) = _messages(ctx, message.record_id)
    assert done.status is OutboxStatus.DELIVERED
    assert [e.event_id for e in delivery.mailer.sent] == [message.event_id]
    with ctx.uow_factory() as uow:
        trail = uow.audit.for_record("outbox_message", message.event_id)
    assert [e["action"] for e in trail] == ["outbox.retried"]
    with pytest.raises(OutboxRetryError) as refused:
        outbox.retry(ctx, message.event_id)
    assert refused.value.code == "outbox_retry_not_allowed"


def test_retry_all_dead_queues_every_dead_message_of_the_callers_sites(ctx, plant):
    """--all-dead: every dead message, each retry audited."""
    notifications.subscribe(
        ctx, site_id=plant.site.id, topic=Topic.HOLD_PLACED, email="quality@plant.example"
    )
    delivery = memory_delivery()
    delivery.policy = type(delivery.policy)(max_attempts=1)
    delivery.mailer.failing = True
    ids = {_hold(ctx, plant, f"hold {n}").id for n in range(3)}
    outbox.run(ctx, delivery, "worker-a", once=True)
    assert len([m for m in _messages(ctx, status=OutboxStatus.DEAD) if m.record_id in ids]) == 3
    assert outbox.retry_dead(ctx) >= 3
    assert [m for m in _messages(ctx, status=OutboxStatus.DEAD) if m.record_id in ids] == []


def test_an_expired_lease_lets_another_worker_send_the_message_with_the_same_event_id(
    ctx, application, clock, plant, subscribed
):
    """Worker A claims and dies. While A's lease runs, B gets nothing; after it, B delivers
    the same event id, and A's late outcome no longer matches (its lease is lost)."""
    delivery = memory_delivery()
    hold = _hold(ctx, plant)
    with application.uow() as uow:
        claimed_by_a = uow.outbox.claim(
            "worker-a", clock.now(), clock.now() + timedelta(seconds=120), 500
        )
        uow.commit()
    ours = [m for m in claimed_by_a if m.record_id == hold.id]
    assert len(ours) == 3
    assert outbox.deliver_due(ctx, delivery, "worker-b").claimed == 0
    clock.advance(seconds=121)
    outbox.run(ctx, delivery, "worker-b", once=True)
    sent = {e.event_id for e in delivery.mailer.sent} | {p.event_id for p in delivery.webhooks.sent}
    assert {m.event_id for m in ours} <= sent
    assert {m.attempts for m in _messages(ctx, hold.id)} == {2}
    with application.uow() as uow:
        assert not uow.outbox.finish(ours[0], "worker-a", status=OutboxStatus.DELIVERED)


def test_a_disabled_endpoint_gets_nothing_new_and_its_queued_messages_go_dead(
    ctx, plant, subscribed
):
    """Messages queued before the endpoint was disabled are dead at their turn, not sent."""
    delivery = memory_delivery()
    queued = _hold(ctx, plant)
    notifications.disable_webhook(ctx, subscribed.webhook_id)
    later = _hold(ctx, plant, "second hold")
    assert {m.channel for m in _messages(ctx, later.id)} == {"email"}
    outbox.run(ctx, delivery, "worker-a", once=True)
    (hooked,) = [m for m in _messages(ctx, queued.id) if m.channel == "webhook"]
    assert (hooked.status, hooked.last_error) == (OutboxStatus.DEAD, "webhook endpoint disabled")
    assert delivery.webhooks.sent == []
