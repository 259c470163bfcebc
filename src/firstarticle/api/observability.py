"""What plant IT watches: Prometheus metrics and one structured log line per request.

Labels and log fields carry route templates, status codes, reason codes and ids, never
technical data (part numbers, requirement texts, values): the URL itself is not logged, since
a caller may put anything in it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from firstarticle.access import secrets

log = logging.getLogger("firstarticle.http")

# Registered on the default registry, which multiprocess mode aggregates across workers.
REQUESTS = Counter(
    "firstarticle_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "firstarticle_http_request_duration_seconds",
    "Time from the request's arrival to the end of its answer, by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
GATE_DECISIONS = Counter(
    "firstarticle_gate_decisions_total",
    "Gate answers by decision (allow/deny) and reason code ('none' for a clean allow).",
    ["decision", "reason"],
)
IMPORT_ROWS = Counter(
    "firstarticle_import_rows_total",
    "Rows of imported files, by kind of import and outcome (accepted/refused).",
    ["kind", "outcome"],
)


def count_gate_decision(decision: str, reason_codes: Iterable[str]) -> None:
    """Count one gate answer under each of its reason codes (or 'none')."""
    codes = sorted(set(reason_codes)) or ["none"]
    for code in codes:
        GATE_DECISIONS.labels(decision=decision, reason=code).inc()


def count_import_rows(kind: str, accepted: int, refused: int) -> None:
    """Count the rows an import took and the ones it refused."""
    if accepted:
        IMPORT_ROWS.labels(kind=kind, outcome="accepted").inc(accepted)
    if refused:
        IMPORT_ROWS.labels(kind=kind, outcome="refused").inc(refused)


class LedgerCollector(Collector):
    """The audit chain's length, read from the database at each scrape."""

    def __init__(self, length: Any) -> None:
        self._length = length

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "firstarticle_audit_chain_length", "Entries in the hash-chained audit ledger."
        )
        try:
            gauge.add_metric([], float(self._length()))
        except Exception:  # a scrape must not fail because the database is away
            return
        yield gauge


def render_metrics(extra: Collector | None = None) -> tuple[bytes, str]:
    """The Prometheus text exposition: every worker's counters, and ``extra``."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    body = generate_latest(registry)
    if extra is not None:
        single = CollectorRegistry()
        single.register(extra)
        body += generate_latest(single)
    return body, CONTENT_TYPE_LATEST


def metrics_allowed(client_host: str | None, authorization: str, cidrs: str, token: str) -> bool:
    """Whether a scrape may read /metrics: from an allowed address range, or with the token."""
    if token:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() == "bearer" and secrets.same(credential.strip(), token):
            return True
    if not client_host:
        return False
    try:
        address = ipaddress.ip_address(client_host)
    except ValueError:
        return False
    for cidr in filter(None, (c.strip() for c in cidrs.split(","))):
        if address in ipaddress.ip_network(cidr, strict=False):
            return True
    return False


class RequestLogMiddleware:
    """Count, time and log every HTTP request once it has been answered.

    Plain ASGI: runs outside the request id middleware's call, so it reads the id from the
    scope's state once the inner app has set it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception that escapes everything is answered 500 by the server

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "")
            REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            LATENCY.labels(method=method, route=route).observe(elapsed)
            state = scope.get("state", {})
            log.info(
                "request",
                extra={
                    "request_id": state.get("request_id"),
                    "user_id": state.get("user_id"),
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
