"""Notification rules of the domain: routing events to topics, the message whitelist, the
retry schedule and the outbox statuses. Pure functions, no database."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firstarticle.domain.errors import ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.notifications import (
    ROUTES,
    WHITELIST,
    Subscription,
    Topic,
    WebhookDisabledError,
    WebhookEndpoint,
    message,
    route,
)
from firstarticle.domain.outbox import (
    TRANSITIONS,
    OutboxAction,
    OutboxRetryError,
    OutboxStatus,
    RetryPolicy,
    next_status,
    short_error,
    sources,
)

AT = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
SENTINEL = "ITAR-SENTINEL-3Q9"
BASE = "https://fai.plant.example"


def an_event(action: str, changes=None, record_type="hold", reason=None) -> Event:
    return Event(action, record_type, "rec-1", "site-1", "m.keller", AT, changes or {}, reason)


def a_decision(outcome: str, requested: str | None) -> Event:
    decision = {
        "outcome": outcome,
        "attempt": 1,
        "requested_action": requested,
        "forms_commented": [3],
        "channel": "qms",
        "path": "integration",
        "reference": f"Portal note {SENTINEL}",
        "decision_id": "dec-1",
    }
    return an_event(
        "fai.customer_decision_recorded", {"customer_decision": (None, decision)}, "first_article"
    )


# --- routing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "topic"),
    [
        ("hold.placed", Topic.HOLD_PLACED),
        ("hold.released", Topic.HOLD_RELEASED),
        ("hold.override_requested", Topic.OVERRIDE_REQUESTED),
        ("hold.override_signed", Topic.OVERRIDE_SIGNED),
        ("task.created", Topic.TASK_CREATED),
        ("task.escalated", Topic.TASK_OVERDUE),
    ],
)
def test_each_announced_action_routes_to_its_topic(action, topic):
    """The table's plain actions each name one topic."""
    assert route(an_event(action)) is topic


@pytest.mark.parametrize(
    ("requested", "topic"),
    [
        ("rework", Topic.DECISION_REWORK),
        ("resubmission", Topic.DECISION_RESUBMISSION),
        ("containment", Topic.DECISION_CONTAINMENT),
    ],
)
def test_a_rejection_routes_by_the_action_the_customer_requests(requested, topic):
    """A rejected decision is announced under the requested action's topic."""
    assert route(a_decision("rejected", requested)) is topic


@pytest.mark.parametrize(
    ("outcome", "requested"),
    [("approved", None), ("conditionally_accepted", None), ("reset", None), ("rejected", None)],
)
def test_other_decisions_are_announced_to_nobody(outcome, requested):
    """Approvals, conditional acceptances, resets and bare rejections have no topic."""
    assert route(a_decision(outcome, requested)) is None


@pytest.mark.parametrize("action", ["fai.transition", "hold.override_revoked", "user.created"])
def test_unrouted_actions_have_no_topic(action):
    """Everything the table does not name stays in the audit trail only."""
    assert route(an_event(action)) is None


def test_every_topic_is_reached_by_the_table_and_has_a_whitelist():
    """No topic is unreachable, and none lacks its list of fields."""
    assert set(ROUTES.values()) == set(Topic) == set(WHITELIST)


# --- the whitelist ----------------------------------------------------------------------

texts = st.text(min_size=1, max_size=40)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)


@given(
    action=st.sampled_from(sorted({a for a, _, _ in ROUTES})),
    changes=st.dictionaries(texts, st.tuples(values, values), max_size=6),
    reason=texts,
)
def test_a_message_carries_only_whitelisted_fields_of_checked_shape(action, changes, reason):
    """Whatever the changes hold, the data is a subset of the topic's fields, every text an
    identifier-like token or a time, and the reason never appears."""
    event = an_event(action, changes, reason=f"{reason} {SENTINEL}")
    topic = route(event) or Topic.HOLD_PLACED
    body = message(event, topic, "evt-1", BASE)
    assert set(body["data"]) <= {f.name for f in WHITELIST[topic]}
    for value in body["data"].values():
        if isinstance(value, str):
            assert " " not in value
            assert len(value) <= 64 or datetime.fromisoformat(value)
        else:
            assert isinstance(value, int | list)
    assert SENTINEL not in json.dumps(body)


def test_free_text_in_a_decision_never_reaches_the_message():
    """The decision's reference and comments stay out; outcome and ids go in."""
    body = message(a_decision("rejected", "containment"), Topic.DECISION_CONTAINMENT, "e", BASE)
    assert body["data"] == {
        "decision_id": "dec-1",
        "outcome": "rejected",
        "attempt": 1,
        "requested_action": "containment",
        "forms_commented": [3],
        "channel": "qms",
        "path": "integration",
    }
    assert body["link"] == f"{BASE}/web/fai/rec-1"
    assert SENTINEL not in json.dumps(body)


def test_a_whitelisted_field_holding_prose_is_dropped():
    """A field on the list is kept only if it looks like what it should be."""
    event = an_event(
        "hold.placed",
        {"kind": (None, f"shipment {SENTINEL}"), "work_order_id": (None, "wo-1")},
        reason=SENTINEL,
    )
    assert message(event, Topic.HOLD_PLACED, "e", BASE)["data"] == {"work_order_id": "wo-1"}


def test_a_task_links_to_its_first_article_and_keeps_its_due_time():
    """Tasks have no page of their own yet: the link leads to the FAI."""
    event = an_event(
        "task.created",
        {
            "first_article_id": (None, "fai-9"),
            "kind": (None, "review"),
            "role": (None, "quality_engineer"),
            "assignee": (None, None),
            "due_at": (None, "2026-11-21T14:00:00+00:00"),
        },
        record_type="task",
    )
    body = message(event, Topic.TASK_CREATED, "e", BASE + "/")
    assert body["link"] == f"{BASE}/web/fai/fai-9"
    assert body["data"]["due_at"] == "2026-11-21T14:00:00+00:00"
    assert "assignee" not in body["data"]


# --- subscriptions and endpoints -----------------------------------------------------------


@pytest.mark.parametrize(
    "targets",
    [{}, {"role": "quality_engineer", "email": "a@b.example"}, {"email": "not an address"}],
)
def test_a_subscription_needs_exactly_one_valid_target(targets):
    """None, two, or a malformed address are refused."""
    with pytest.raises(ValidationError):
        Subscription("site-1", Topic.HOLD_PLACED, "admin", AT, **targets)


def test_an_endpoint_needs_an_http_url_and_is_disabled_once():
    """A second disable is a conflict with its own code."""
    with pytest.raises(ValidationError):
        WebhookEndpoint("ftp://x", "whsec_AA==", "admin", AT)
    endpoint = WebhookEndpoint("https://qms.example/hooks", "whsec_AA==", "admin", AT)
    endpoint.disable(AT)
    with pytest.raises(WebhookDisabledError) as again:
        endpoint.disable(AT)
    assert again.value.code == "webhook_disabled"


# --- retry schedule and statuses -----------------------------------------------------------


@given(
    attempts=st.integers(min_value=1, max_value=200),
    jitter=st.floats(min_value=0, max_value=1, exclude_max=True),
    base=st.floats(min_value=0.001, max_value=600),
    cap=st.floats(min_value=0.001, max_value=86_400),
)
def test_every_delay_lies_between_zero_and_the_capped_exponential(attempts, jitter, base, cap):
    """Full jitter: 0 <= delay <= min(cap, base * 2**(attempts-1)), and it scales with jitter."""
    policy = RetryPolicy(base_seconds=base, cap_seconds=cap)
    ceiling = min(cap, base * 2 ** min(attempts - 1, 62))
    delay = policy.delay(attempts, jitter).total_seconds()
    assert 0 <= delay <= ceiling + 1e-6
    assert delay == pytest.approx(ceiling * jitter, rel=1e-6, abs=1e-5)


def test_the_schedule_doubles_then_stops_at_the_cap():
    """With the highest jitter the ceilings read 30, 60, 120, ... 3600 seconds."""
    policy = RetryPolicy(base_seconds=30, cap_seconds=3600)
    ceilings = [policy.delay(n, 0.999999).total_seconds() for n in range(1, 10)]
    assert [round(c) for c in ceilings] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_the_last_failed_attempt_gives_up():
    """Attempts below the maximum fail (retry); the maximum gives up (dead)."""
    policy = RetryPolicy(max_attempts=3)
    assert [policy.after_failure(n) for n in (1, 2, 3, 4)] == [
        OutboxAction.FAIL,
        OutboxAction.FAIL,
        OutboxAction.GIVE_UP,
        OutboxAction.GIVE_UP,
    ]


@given(
    st.lists(
        st.sampled_from(
            [
                OutboxAction.CLAIM,
                OutboxAction.DELIVER,
                OutboxAction.FAIL,
                OutboxAction.GIVE_UP,
                OutboxAction.RELEASE,
            ]
        ),
        max_size=30,
    )
)
def test_a_worker_can_never_move_a_delivered_or_dead_message(actions):
    """Walking the table with worker actions only, a terminal status is never left."""
    status = OutboxStatus.PENDING
    for action in actions:
        after = TRANSITIONS.get((status, action))
        if status.is_terminal:
            assert after is None
        if after is not None:
            status = after


def test_only_a_person_brings_a_dead_message_back_and_never_a_delivered_one():
    """RETRY leaves dead and pending; from delivered or sending it is refused with a code."""
    assert sources(OutboxAction.RETRY) == {OutboxStatus.DEAD, OutboxStatus.PENDING}
    assert next_status(OutboxStatus.DEAD, OutboxAction.RETRY) is OutboxStatus.PENDING
    for status in (OutboxStatus.DELIVERED, OutboxStatus.SENDING):
        with pytest.raises(OutboxRetryError):
            next_status(status, OutboxAction.RETRY)
    with pytest.raises(ValueError, match="no outbox transition"):
        next_status(OutboxStatus.DELIVERED, OutboxAction.DELIVER)


def test_a_stored_error_is_one_short_line():
    """Errors are folded to one line and cut to 200 characters."""
    text = short_error("line one\nline two " + "x" * 500)
    assert "\n" not in text
    assert len(text) == 200
