"""W6: audit chain verification against hashing the same canonical rows with hashlib."""

from __future__ import annotations

import hashlib
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import database_url, fresh_application, save
from firstarticle.audit.ledger import GENESIS, canonical, changes_text, entry_hash
from firstarticle.services import audit
from firstarticle.storage import orm


def _fill(engine: sa.Engine, n: int) -> None:
    """Write ``n`` chained entries directly (the ledger's own append is measured elsewhere)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    prev = GENESIS
    batch: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for position in range(1, n + 1):
            entry = {
                "position": position,
                "at": start + timedelta(seconds=position),
                "site_id": None,
                "actor": f"user{position % 50}",
                "action": "fai.start",
                "record_type": "first_article",
                "record_id": f"fai-{position % 5000}",
                "changes": changes_text({"status": ["draft", "in_progress"]}),
                "reason": None,
                "request_id": None,
                "prev_hash": prev,
            }
            prev = entry_hash(entry)
            batch.append({**entry, "entry_hash": prev})
            if len(batch) == 10_000:
                conn.execute(sa.insert(orm.audit_entries), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(orm.audit_entries), batch)
        conn.execute(sa.update(orm.audit_head).values(position=n, entry_hash=prev))


def run(entries: int = 200_000) -> dict[str, Any]:
    """Verify ``entries`` through the service, then hash the same rows in a bare loop."""
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url(Path(tmp) / "w6.db")
        app = fresh_application(url)
        _fill(app.engine, entries)
        ctx = app.context("bench")
        started = time.perf_counter()
        verdict = audit.verify_chain(ctx)
        service_s = time.perf_counter() - started
        assert verdict.ok, verdict
        assert verdict.length == entries, verdict
        with app.engine.connect() as conn:
            started = time.perf_counter()
            for row in conn.execute(
                sa.select(orm.audit_entries).order_by(orm.audit_entries.c.position)
            ).mappings():
                hashlib.sha256(canonical(row)).hexdigest()
            baseline_s = time.perf_counter() - started
        app.engine.dispose()
    figures = {
        "database": url.split(":", 1)[0],
        "entries": entries,
        "verify_rows_per_s": entries / service_s,
        "baseline_rows_per_s": entries / baseline_s,
        "ratio": baseline_s / service_s,
    }
    print(
        f"W6 verify {figures['verify_rows_per_s']:,.0f} entries/s, hashing the same rows "
        f"{figures['baseline_rows_per_s']:,.0f} entries/s: ratio {figures['ratio']:.2f} "
        "(goal >= 0.5; R5 wants >= 100,000 entries/s)"
    )
    save("w6_audit", figures)
    return figures
