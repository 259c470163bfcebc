"""Shared set-up of the benchmarks: a fresh database, a plant, timing helpers."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from firstarticle import bootstrap
from firstarticle.config import Settings
from firstarticle.storage import orm
from firstarticle.storage.db import make_engine

RESULTS = Path(__file__).parent / "results"


def database_url(default_sqlite: Path) -> str:
    """The benchmark database: FIRSTARTICLE_BENCH_DATABASE_URL, or a SQLite file."""
    url = os.environ.get("FIRSTARTICLE_BENCH_DATABASE_URL", "").strip()
    return Settings(database_url=url).database_url if url else f"sqlite:///{default_sqlite}"


def fresh_application(url: str) -> bootstrap.Application:
    """An application over an emptied, migrated database."""
    engine = make_engine(url)
    with engine.begin() as conn:
        orm.metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    bootstrap.upgrade_database(url)
    return bootstrap.build(Settings(database_url=url))


@dataclass
class Timing:
    """Repeated timings of one callable."""

    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def timed(fn: Callable[[], Any], repeat: int, warmup: int = 1) -> Timing:
    """Run ``fn`` ``warmup`` times untimed, then ``repeat`` times timed."""
    for _ in range(warmup):
        fn()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return Timing(runs)


def save(name: str, payload: dict[str, Any]) -> Path:
    """Write a result file under bench/results/ and return its path."""
    RESULTS.mkdir(exist_ok=True)
    payload = {"workload": name, "at": datetime.now(UTC).isoformat(), **payload}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path
