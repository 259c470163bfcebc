"""Administering notifications: who hears of what at a site, and the webhook endpoints."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

from firstarticle.domain.access import Permission, Role
from firstarticle.domain.errors import ValidationError
from firstarticle.domain.notifications import Subscription, Topic, WebhookEndpoint
from firstarticle.ports import Page
from firstarticle.services import ServiceContext, allowed, changed, created, found, record

SECRET_PREFIX = "whsec_"


def subscribe(
    ctx: ServiceContext,
    *,
    site_id: str,
    topic: Topic,
    role: str | None = None,
    email: str | None = None,
    webhook_id: str | None = None,
    customer_id: str | None = None,
) -> Subscription:
    """Send ``topic`` at the site (for one customer, or all) to a role's people, an address
    or a webhook endpoint."""
    allowed(ctx, Permission.NOTIFICATION_MANAGE, site_id)
    if role is not None and role not in {r.value for r in Role if not r.is_system}:
        raise ValidationError(f"{role!r} is not a role of people.", field="role")
    with ctx.uow_factory() as uow:
        found(uow.sites.get(site_id), "Site", site_id)
        if customer_id is not None:
            found(uow.customers.get(customer_id), "Customer", customer_id)
        if webhook_id is not None:
            found(uow.outbox.webhook(webhook_id), "Webhook", webhook_id)
        subscription = Subscription(
            site_id=site_id,
            topic=topic,
            created_by=ctx.actor,
            created_at=ctx.clock.now(),
            customer_id=customer_id,
            role=role,
            email=email,
            webhook_id=webhook_id,
        )
        uow.outbox.add_subscription(subscription)
        values = {k: getattr(subscription, k) for k in ("topic", "customer_id", "role", "email")}
        values["webhook_id"] = webhook_id
        record(uow, ctx, [created(ctx, "subscription", subscription.id, site_id, values)])
        uow.commit()
        return subscription


def unsubscribe(ctx: ServiceContext, subscription_id: str) -> Subscription:
    """Remove a subscription (its removal stays in the audit trail)."""
    allowed(ctx, Permission.NOTIFICATION_MANAGE)
    with ctx.uow_factory() as uow:
        subscription = found(
            uow.outbox.subscription(subscription_id), "Subscription", subscription_id
        )
        ctx.principal.require_site(subscription.site_id, "subscription")
        uow.outbox.remove_subscription(subscription)
        event = changed(
            ctx,
            "subscription.removed",
            ("subscription", subscription.id, subscription.site_id),
            {"target": (subscription.target, None), "topic": (subscription.topic.value, None)},
        )
        record(uow, ctx, [event])
        uow.commit()
        return subscription


def list_subscriptions(
    ctx: ServiceContext, limit: int | None = None, offset: int | None = None
) -> Page[Subscription]:
    """The subscriptions of the sites the caller administers."""
    allowed(ctx, Permission.NOTIFICATION_MANAGE)
    size, start = ctx.page(limit, offset)
    with ctx.uow_factory() as uow:
        return uow.outbox.list_subscriptions(ctx.principal.site_ids, size, start)


@dataclass(frozen=True)
class NewWebhook:
    """A created endpoint and its signing secret: shown this once, never listed again."""

    endpoint: WebhookEndpoint
    secret: str


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def add_webhook(ctx: ServiceContext, url: str) -> NewWebhook:
    """Register a receiver of signed webhooks; its secret is answered once."""
    allowed(ctx, Permission.NOTIFICATION_MANAGE)
    secret = new_webhook_secret()
    endpoint = WebhookEndpoint(
        url=url, secret=secret, created_by=ctx.actor, created_at=ctx.clock.now()
    )
    with ctx.uow_factory() as uow:
        uow.outbox.add_webhook(endpoint)
        # The secret never enters the audit trail: only that one was generated.
        values = {"url": endpoint.url, "active": True, "secret": "generated"}
        record(uow, ctx, [created(ctx, "webhook", endpoint.id, None, values)])
        uow.commit()
    return NewWebhook(endpoint, secret)


def list_webhooks(
    ctx: ServiceContext, limit: int | None = None, offset: int | None = None
) -> Page[WebhookEndpoint]:
    """Every webhook endpoint (secrets are never part of the answer's schema)."""
    allowed(ctx, Permission.NOTIFICATION_MANAGE)
    size, start = ctx.page(limit, offset)
    with ctx.uow_factory() as uow:
        return uow.outbox.webhooks(size, start)


def disable_webhook(ctx: ServiceContext, webhook_id: str) -> WebhookEndpoint:
    """Stop sending to an endpoint; messages already queued for it go dead at their turn."""
    allowed(ctx, Permission.NOTIFICATION_MANAGE)
    with ctx.uow_factory() as uow:
        endpoint = found(uow.outbox.webhook(webhook_id), "Webhook", webhook_id)
        endpoint.disable(ctx.clock.now())
        uow.outbox.save_webhook(endpoint)
        event = changed(
            ctx, "webhook.disabled", ("webhook", endpoint.id, None), {"active": (True, False)}
        )
        record(uow, ctx, [event])
        uow.commit()
        return endpoint
