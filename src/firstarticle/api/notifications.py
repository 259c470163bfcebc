"""Notifications over HTTP, for administrators: subscriptions, webhook endpoints, the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import StringConstraints

from firstarticle.api.deps import Ctx, Limit, Offset
from firstarticle.api.schemas import In, Out, PageOut
from firstarticle.domain.notifications import Topic
from firstarticle.domain.outbox import OutboxStatus
from firstarticle.ports import Page
from firstarticle.services import notifications, outbox

router = APIRouter(prefix="/api/v1", tags=["notifications"])

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=36)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=320)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class SubscriptionIn(In):
    site_id: Id
    topic: Topic
    role: Annotated[str, StringConstraints(max_length=32)] | None = None
    email: Short | None = None
    webhook_id: Id | None = None
    customer_id: Id | None = None


class SubscriptionOut(Out):
    id: str
    site_id: str
    topic: Topic
    customer_id: str | None
    role: str | None
    email: str | None
    webhook_id: str | None
    created_by: str
    created_at: datetime


class WebhookIn(In):
    url: Url


class WebhookOut(Out):
    id: str
    url: str
    active: bool
    created_by: str
    created_at: datetime
    disabled_at: datetime | None


class NewWebhookOut(WebhookOut):
    secret: str  # shown in this answer only


class MessageOut(Out):
    event_id: str
    site_id: str
    topic: str
    channel: str
    destination: str
    record_type: str
    record_id: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    lease_owner: str | None
    lease_until: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]


class RetriedOut(Out):
    retried: int


def _page(page: Page[Any], out: type[Out]) -> dict[str, Any]:
    items = [out.model_validate(i) for i in page.items]
    return {"items": items, "total": page.total, "limit": page.limit, "offset": page.offset}


SUBSCRIPTIONS = "/notification-subscriptions"


@router.post(SUBSCRIPTIONS, status_code=201, response_model=SubscriptionOut)
def subscribe(body: SubscriptionIn, ctx: Ctx) -> Any:
    """Send a topic at a site (optionally for one customer) to a role, an address or a
    webhook endpoint."""
    return notifications.subscribe(ctx, **body.model_dump())


@router.get(SUBSCRIPTIONS, response_model=PageOut[SubscriptionOut])
def list_subscriptions(ctx: Ctx, limit: Limit = None, offset: Offset = None) -> Any:
    return _page(notifications.list_subscriptions(ctx, limit, offset), SubscriptionOut)


@router.delete(SUBSCRIPTIONS + "/{subscription_id}", response_model=SubscriptionOut)
def unsubscribe(subscription_id: str, ctx: Ctx) -> Any:
    return notifications.unsubscribe(ctx, subscription_id)


@router.post("/webhooks", status_code=201, response_model=NewWebhookOut)
def add_webhook(body: WebhookIn, ctx: Ctx) -> Any:
    """Register an endpoint; the answer carries its signing secret, this once."""
    created = notifications.add_webhook(ctx, body.url)
    return {**WebhookOut.model_validate(created.endpoint).model_dump(), "secret": created.secret}


@router.get("/webhooks", response_model=PageOut[WebhookOut])
def list_webhooks(ctx: Ctx, limit: Limit = None, offset: Offset = None) -> Any:
    return _page(notifications.list_webhooks(ctx, limit, offset), WebhookOut)


@router.post("/webhooks/{webhook_id}/disable", response_model=WebhookOut)
def disable_webhook(webhook_id: str, ctx: Ctx) -> Any:
    return notifications.disable_webhook(ctx, webhook_id)


@router.get("/outbox", response_model=PageOut[MessageOut])
def list_messages(
    ctx: Ctx, status: OutboxStatus | None = None, limit: Limit = None, offset: Offset = None
) -> Any:
    """Messages of the caller's sites, oldest first."""
    return _page(outbox.list_messages(ctx, status=status, limit=limit, offset=offset), MessageOut)


@router.post("/outbox/retry-dead", response_model=RetriedOut)
def retry_dead(ctx: Ctx) -> Any:
    """Queue every dead message of the caller's sites again."""
    return {"retried": outbox.retry_dead(ctx)}


@router.post("/outbox/{event_id}/retry", response_model=MessageOut)
def retry(event_id: str, ctx: Ctx) -> Any:
    """Send a dead (or waiting) message again now, with fresh attempts."""
    return outbox.retry(ctx, event_id)
