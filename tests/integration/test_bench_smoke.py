"""`make bench` keeps working as the product changes: the cheaper workloads run end to end at
a tiny size on a SQLite file and give every row of the table a figure (a rule added to the
product that the benchmark's data does not meet fails here, not on a plant's evening)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

bench = pytest.importorskip("bench", reason="run from the repository root")

from bench import audit_w6, common, forms_w4, ingest_w2, readiness_w3, summary  # noqa: E402  # noqa: E402

TINY: dict[str, tuple[Any, dict[str, Any]]] = {
    "w2": (ingest_w2, {"rows": 400, "qif_mb": 1}),
    "w3": (readiness_w3, {"sizes": (20, 200), "repeat": 1}),
    "w4": (forms_w4, {"n_chars": 30, "repeat": 1}),
    "w6": (audit_w6, {"entries": 2_000}),
}


@pytest.fixture(autouse=True)
def results_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The smoke run writes its JSON under the test's directory, on SQLite."""
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    monkeypatch.delenv("FIRSTARTICLE_BENCH_DATABASE_URL", raising=False)


@pytest.mark.parametrize("workload", sorted(TINY))
def test_the_workload_runs_and_every_row_has_a_figure(workload: str) -> None:
    module, size = TINY[workload]
    figures = module.run(**size)
    rows = summary.ROWS[workload](figures)
    assert rows
    for row in rows:
        assert row.measured, row
        assert row.ratio is None or (math.isfinite(row.ratio) and row.ratio > 0), row
