"""Notifications: subscriptions, webhook endpoints, and the outbox and its worker."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.table import Table

from firstarticle.cli.common import application, command, ctx, out, print_json, usage_error
from firstarticle.domain.notifications import Subscription, Topic, WebhookEndpoint
from firstarticle.domain.outbox import OutboxMessage, OutboxStatus
from firstarticle.services import ServiceContext, catalog, notifications, outbox

notifications_app = typer.Typer(help="Who hears of what, per site.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Webhook endpoints (signed deliveries).", no_args_is_help=True)
outbox_app = typer.Typer(help="The outbox of notifications and its worker.", no_args_is_help=True)
log = logging.getLogger("firstarticle.outbox")

AsJson = Annotated[bool, typer.Option("--json", help="Print as JSON.")]


@notifications_app.command("subscribe")
@command
def subscribe(
    site: Annotated[str, typer.Argument(help="Site code.")],
    topic: Topic,
    role: Annotated[str | None, typer.Option(help="People holding this role at the site.")] = None,
    email: Annotated[str | None, typer.Option(help="A fixed email address.")] = None,
    webhook: Annotated[str | None, typer.Option(help="A webhook endpoint id.")] = None,
    customer: Annotated[str | None, typer.Option(help="Only this customer's records.")] = None,
) -> None:
    """Send TOPIC at SITE to a role's people, an address or a webhook endpoint."""
    c = ctx()
    sub = notifications.subscribe(
        c,
        site_id=catalog.site_by_code(c, site).id,
        topic=topic,
        role=role,
        email=email,
        webhook_id=webhook,
        customer_id=catalog.customer_by_code(c, customer).id if customer else None,
    )
    out.print(f"subscription {sub.id}: {sub.topic.value} at {site} -> {sub.target}")


@notifications_app.command("unsubscribe")
@command
def unsubscribe(subscription_id: str) -> None:
    """Remove a subscription."""
    sub = notifications.unsubscribe(ctx(), subscription_id)
    out.print(f"subscription {sub.id} removed ({sub.topic.value} -> {sub.target})")


def _subscription_json(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.id,
        "site_id": sub.site_id,
        "topic": sub.topic.value,
        "customer_id": sub.customer_id,
        "role": sub.role,
        "email": sub.email,
        "webhook_id": sub.webhook_id,
        "created_by": sub.created_by,
        "created_at": sub.created_at,
    }


@notifications_app.command("list")
@command
def subscriptions(limit: int = 200, offset: int = 0, as_json: AsJson = False) -> None:
    """The subscriptions of the sites you administer."""
    page = notifications.list_subscriptions(ctx(), limit, offset)
    if as_json:
        print_json({"items": [_subscription_json(s) for s in page.items], "total": page.total})
        return
    table = Table(title=f"{page.total} subscriptions")
    table.add_column("id", overflow="fold", min_width=12)
    for name in ("site", "topic", "customer", "to"):
        table.add_column(name)
    for s in page.items:
        table.add_row(s.id, s.site_id, s.topic.value, s.customer_id or "all", s.target)
    out.print(table)


def _webhook_json(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {k: v for k, v in asdict(endpoint).items() if k != "secret"}


@webhooks_app.command("add")
@command
def webhook_add(url: str) -> None:
    """Register a webhook endpoint; its signing secret is printed this once."""
    created = notifications.add_webhook(ctx(), url)
    out.print(f"webhook {created.endpoint.id} -> {created.endpoint.url}")
    out.print(f"secret (shown once, keep it with the receiver): {created.secret}")


@webhooks_app.command("list")
@command
def webhook_list(limit: int = 200, offset: int = 0, as_json: AsJson = False) -> None:
    """Webhook endpoints (never their secrets)."""
    page = notifications.list_webhooks(ctx(), limit, offset)
    if as_json:
        print_json({"items": [_webhook_json(e) for e in page.items], "total": page.total})
        return
    table = Table(title=f"{page.total} webhook endpoints")
    table.add_column("id", overflow="fold", min_width=12)
    for name in ("url", "active", "created"):
        table.add_column(name)
    for e in page.items:
        table.add_row(e.id, e.url, "yes" if e.active else "no", f"{e.created_at:%Y-%m-%d}")
    out.print(table)


@webhooks_app.command("disable")
@command
def webhook_disable(webhook_id: str) -> None:
    """Stop sending to an endpoint."""
    endpoint = notifications.disable_webhook(ctx(), webhook_id)
    out.print(f"webhook {endpoint.id} disabled")


def message_json(m: OutboxMessage) -> dict[str, Any]:
    """A message as the CLI and the API show it."""
    return {k: (v.value if isinstance(v, OutboxStatus) else v) for k, v in asdict(m).items()}


@outbox_app.command("list")
@command
def outbox_list(
    status: OutboxStatus | None = None, limit: int = 200, offset: int = 0, as_json: AsJson = False
) -> None:
    """Messages of your sites, oldest first (``--status dead`` for the dead letters)."""
    page = outbox.list_messages(ctx(), status=status, limit=limit, offset=offset)
    if as_json:
        print_json({"items": [message_json(m) for m in page.items], "total": page.total})
        return
    table = Table(title=f"{page.total} messages")
    table.add_column("event id", overflow="fold", min_width=12)
    for name in ("topic", "to", "status", "attempts", "next / delivered", "last error"):
        table.add_column(name)
    for m in page.items:
        when = m.delivered_at or m.next_attempt_at
        table.add_row(
            m.event_id,
            m.topic,
            f"{m.channel} {m.destination}",
            m.status.value,
            str(m.attempts),
            f"{when:%Y-%m-%d %H:%M:%S}",
            m.last_error or "",
        )
    out.print(table)


@outbox_app.command("retry")
@command
def outbox_retry(
    event_id: Annotated[str | None, typer.Argument(help="The message's event id.")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Every dead message.")] = False,
) -> None:
    """Send a dead (or waiting) message again now, or every dead one."""
    if (event_id is None) == (not all_dead):
        usage_error("name one EVENT_ID, or --all-dead")
    if all_dead:
        out.print(f"{outbox.retry_dead(ctx())} dead message(s) queued again")
        return
    message = outbox.retry(ctx(), event_id or "")
    out.print(f"message {message.event_id} queued again ({message.status.value})")


def default_worker_id() -> str:
    """host:pid, so leases in ``outbox list`` name the process that holds them."""
    return f"{socket.gethostname()}:{os.getpid()}"


@outbox_app.command("run")
@command
def outbox_run(
    once: Annotated[bool, typer.Option("--once", help="Drain what is due, then exit.")] = False,
    worker_id: Annotated[str | None, typer.Option("--worker-id")] = None,
) -> None:
    """Deliver the outbox until stopped (SIGTERM or Ctrl-C finish the current batch)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    app = application()
    name = worker_id or default_worker_id()
    tally = outbox.run(
        ctx(),
        app.delivery(),
        name,
        once=once,
        stop=stop,
        poll_seconds=app.settings.outbox_poll_seconds,
    )
    out.print(
        f"outbox worker {name}: {tally.delivered} delivered, {tally.retried} to retry, "
        f"{tally.dead} dead, {tally.lost_leases} lost leases"
    )


class WorkerThread:
    """The outbox worker as a daemon thread of ``serve``; an unexpected error is logged and
    the worker starts again after its poll interval."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="outbox-worker", daemon=True)

    def start(self) -> WorkerThread:
        self.thread.start()
        return self

    def _run(self) -> None:
        app = application()
        while not self.stop.is_set():
            try:
                outbox.run(
                    self.context,
                    app.delivery(),
                    default_worker_id(),
                    stop=self.stop,
                    poll_seconds=app.settings.outbox_poll_seconds,
                )
            except Exception:  # logged and restarted: notifications never stop the server
                log.exception("outbox worker failed; restarting")
                self.stop.wait(app.settings.outbox_poll_seconds)
