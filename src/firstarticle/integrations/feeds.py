"""Record feeds of PLM, ERP and QMS: an HTTP client, and an in-memory twin for tests.

The HTTP protocol is deliberately plain, so a plant's integration layer (or the source's own
REST API behind a small adapter) can serve it: ``GET {base}/{kind}?since={cursor}`` answers
``{"records": [...], "next": "<cursor>" | null}``; records are the mirror bodies of
``docs/imports.md``. Picked by configuration (``FIRSTARTICLE_PLM_URL`` and friends).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from firstarticle.domain.errors import DomainError
from firstarticle.ports import FeedPage


class FeedError(DomainError):
    """A source system did not answer as the feed protocol says."""

    code = "feed_unavailable"


class HttpRecordFeed:
    """Pages of records from a source system over HTTP(S), with a bearer token."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )

    def fetch(self, kind: str, cursor: str | None) -> FeedPage:
        params = {"since": cursor} if cursor else {}
        try:
            response = self.client.get(f"/{kind}", params=params)
        except httpx.HTTPError as error:
            raise FeedError(f"{self.client.base_url}/{kind}: {type(error).__name__}") from None
        if response.status_code != 200:
            raise FeedError(f"{self.client.base_url}/{kind} answered {response.status_code}.")
        try:
            body = response.json()
        except ValueError:
            raise FeedError(f"{self.client.base_url}/{kind} did not answer JSON.") from None
        records, cursor_out = body.get("records"), body.get("next")
        if (
            not isinstance(records, list)
            or not all(isinstance(r, dict) for r in records)
            or (cursor_out is not None and not isinstance(cursor_out, str))
        ):
            raise FeedError(
                f"{self.client.base_url}/{kind}: expected "
                '{"records": [objects], "next": string or null}.'
            )
        return FeedPage(records, cursor_out)


class InMemoryRecordFeed:
    """A feed over lists held in memory, paged like the real thing."""

    def __init__(self, records: dict[str, Sequence[dict[str, Any]]], page_size: int = 100) -> None:
        self.records = {kind: list(items) for kind, items in records.items()}
        self.page_size = page_size
        self.fetches = 0

    def fetch(self, kind: str, cursor: str | None) -> FeedPage:
        self.fetches += 1
        items = self.records.get(kind, [])
        start = int(cursor or 0)
        end = start + self.page_size
        page = items[start:end]
        return FeedPage(
            page, str(end) if end < len(items) else (str(len(items)) if items else None)
        )
