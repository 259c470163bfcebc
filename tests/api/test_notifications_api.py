"""Notifications administered over HTTP: subscriptions, webhook endpoints (secret shown once),
the outbox list and retries; bad input and refused changes answer problem+json codes."""

from __future__ import annotations

from typing import Any

import pytest
from outbox_world import memory_delivery
from plant import a_plant

from firstarticle.services import outbox

API = "/api/v1"


def problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


@pytest.fixture
def plant(ctx):
    return a_plant(ctx)


def test_a_webhook_secret_is_answered_once_and_never_listed(client):
    """POST answers whsec_...; the list has no secret field; a second disable is 409."""
    created = client.post(f"{API}/webhooks", json={"url": "https://qms.example/hooks"})
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    listed = client.get(f"{API}/webhooks")
    assert secret not in listed.text
    assert "secret" not in listed.json()["items"][0]
    hook_id = created.json()["id"]
    assert client.post(f"{API}/webhooks/{hook_id}/disable").json()["active"] is False
    problem(client.post(f"{API}/webhooks/{hook_id}/disable"), 409, "webhook_disabled")
    problem(client.post(f"{API}/webhooks", json={"url": "ftp://x"}), 422, "validation_failed")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"topic": "hold_placed"}, "validation_failed"),
        ({"topic": "hold_placed", "role": "quality_engineer", "email": "a@b.example"}, None),
        ({"topic": "hold_placed", "role": "system_erp"}, "validation_failed"),
        ({"topic": "nothing_like_it", "email": "a@b.example"}, None),
        ({"topic": "hold_placed", "webhook_id": "no-such-hook"}, "not_found"),
    ],
)
def test_a_bad_subscription_is_refused_and_writes_nothing(client, plant, body, code):
    """No target, two targets, a system role, an unknown topic or endpoint: 4xx, nothing."""
    answer = client.post(
        f"{API}/notification-subscriptions", json={"site_id": plant.site.id, **body}
    )
    assert answer.status_code in (404, 422), answer.text
    if code is not None:
        assert answer.json()["code"] == code
    assert client.get(f"{API}/notification-subscriptions").json()["total"] == 0


def test_a_hold_placed_over_http_is_queued_delivered_and_not_retried_twice(
    client, application, ctx, plant
):
    """Subscribe, place a hold, see the message pending, deliver it, and a retry of a
    delivered message is refused with its code; unsubscribing twice is 404 the second time."""
    sub = client.post(
        f"{API}/notification-subscriptions",
        json={"site_id": plant.site.id, "topic": "hold_placed", "email": "holds@plant.example"},
    )
    assert sub.status_code == 201, sub.text
    hold = client.post(
        f"{API}/holds",
        json={
            "site_id": plant.site.id,
            "kind": "production",
            "part_revision_id": plant.revision.id,
            "reason": "Awaiting the review board",
        },
    ).json()
    (message,) = [
        m
        for m in client.get(f"{API}/outbox", params={"status": "pending"}).json()["items"]
        if m["record_id"] == hold["id"]
    ]
    assert message["destination"] == "holds@plant.example"
    assert "Awaiting" not in str(message["payload"])
    retried = client.post(f"{API}/outbox/{message['event_id']}/retry")
    assert retried.json()["status"] == "pending"
    outbox.run(ctx, memory_delivery(), "api-test", once=True)
    delivered = client.post(f"{API}/outbox/{message['event_id']}/retry")
    problem(delivered, 409, "outbox_retry_not_allowed")
    assert client.post(f"{API}/outbox/retry-dead").json() == {"retried": 0}
    sub_id = sub.json()["id"]
    assert client.delete(f"{API}/notification-subscriptions/{sub_id}").status_code == 200
    problem(client.delete(f"{API}/notification-subscriptions/{sub_id}"), 404, "not_found")
