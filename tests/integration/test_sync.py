"""Pull synchronisation from PLM, ERP and QMS feeds: paged, resumable, idempotent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from firstarticle.domain.mirror import SourceSystem
from firstarticle.integrations import records
from firstarticle.integrations.feeds import FeedError, HttpRecordFeed, InMemoryRecordFeed
from firstarticle.ports import FeedPage
from firstarticle.services import catalog
from firstarticle.services.sync import synchronise


def parse(kind: str, raw: Sequence[dict[str, Any]]) -> list[Any]:
    return records.parse(kind, ((f"#{i}", r) for i, r in enumerate(raw)))


def customer(n: int, version: int = 1) -> dict[str, Any]:
    return {
        "external_id": f"ERP-C-{n}",
        "source_version": version,
        "code": f"C{n}",
        "name": f"Customer {n}",
    }


def test_a_sync_brings_every_page_and_a_second_sync_nothing_new(ctx):
    """Paged records all arrive; the stored cursor makes the next sync start after them."""
    feed = InMemoryRecordFeed({"customers": [customer(n) for n in range(250)]}, page_size=100)
    first = synchronise(ctx, SourceSystem.ERP, feed, parse)
    assert first.counts["customers"] == {"created": 250}
    again = synchronise(ctx, SourceSystem.ERP, feed, parse)
    assert again.counts["customers"] == {}
    feed.records["customers"].append(customer(999))
    third = synchronise(ctx, SourceSystem.ERP, feed, parse)
    assert third.counts["customers"] == {"created": 1}
    assert catalog.customer_by_code(ctx, "C999").provenance is not None


class FailingOnce:
    """A feed whose second page fails the first time it is asked for."""

    def __init__(self, inner: InMemoryRecordFeed) -> None:
        self.inner, self.failed = inner, False

    def fetch(self, kind: str, cursor: str | None) -> FeedPage:
        if cursor == "100" and not self.failed:
            self.failed = True
            raise FeedError("connection reset")
        return self.inner.fetch(kind, cursor)


def test_an_interrupted_sync_resumes_after_the_last_committed_page(ctx):
    """Pages before the failure stay; the next run continues from there."""
    feed = FailingOnce(InMemoryRecordFeed({"customers": [customer(n) for n in range(150)]}))
    # Other tests on PostgreSQL commit records of their own; count only what this one adds.
    before = catalog.list_customers(ctx, limit=1).total
    with pytest.raises(FeedError):
        synchronise(ctx, SourceSystem.ERP, feed, parse)
    assert catalog.list_customers(ctx, limit=1).total == before + 100
    resumed = synchronise(ctx, SourceSystem.ERP, feed, parse)
    assert resumed.counts["customers"] == {"created": 50}
    assert catalog.list_customers(ctx, limit=1).total == before + 150


def _http_feed(pages: dict[str | None, Any], status: int = 200) -> HttpRecordFeed:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer secret"
        since = request.url.params.get("since")
        if not request.url.path.endswith("/customers"):
            return httpx.Response(200, json={"records": [], "next": None})
        body = pages[since]
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=content)

    return HttpRecordFeed(
        "https://erp.example-plant.com/feed", "secret", transport=httpx.MockTransport(handler)
    )


def test_the_http_feed_follows_next_cursors(ctx):
    """The HTTP feed pages with ?since= and stops when next is null."""
    feed = _http_feed(
        {
            None: {"records": [customer(1)], "next": "a"},
            "a": {"records": [customer(2)], "next": None},
        }
    )
    report = synchronise(ctx, SourceSystem.ERP, feed, parse)
    assert report.counts["customers"] == {"created": 2}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"records": []}, 500),
        (b"<html>maintenance</html>", 200),
        ({"records": "nope"}, 200),
        ({"records": [], "next": 7}, 200),
    ],
)
def test_a_feed_that_breaks_its_protocol_is_a_clear_error(body, status):
    """Errors, HTML, wrong shapes: FeedError, never a half-applied page."""
    with pytest.raises(FeedError):
        _http_feed({None: body}, status).fetch("customers", None)
