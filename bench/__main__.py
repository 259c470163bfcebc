"""``python -m bench [--scale S|L] [w1 w2 w3 w4 w5 w6 | all]``: run the workloads, print one
table of figures, same-run baselines, ratios, goals and verdicts, and write it under
bench/results/. The database is FIRSTARTICLE_BENCH_DATABASE_URL, else a SQLite file."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

from bench import summary

# Per workload: its module, and how big a run is at each scale.
SIZES: dict[str, tuple[str, dict[str, dict[str, Any]]]] = {
    "w1": ("gate_w1", {"S": {"seconds": 10}, "L": {"seconds": 20}}),
    "w2": (
        "ingest_w2",
        {"S": {"rows": 100_000, "qif_mb": 10}, "L": {"rows": 1_000_000, "qif_mb": 50}},
    ),
    "w3": ("readiness_w3", {"S": {"sizes": (5_000, 50_000)}, "L": {"sizes": (5_000, 50_000)}}),
    "w4": ("forms_w4", {"S": {}, "L": {}}),
    "w5": ("lists_w5", {"S": {"scale": "S"}, "L": {"scale": "L"}}),
    "w6": ("audit_w6", {"S": {"entries": 200_000}, "L": {"entries": 1_000_000}}),
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=("S", "L"), default="S")
    parser.add_argument("workloads", nargs="*", default=["all"], metavar="WORKLOAD")
    args = parser.parse_args(argv)
    chosen = list(SIZES) if "all" in args.workloads else args.workloads
    unknown = [w for w in chosen if w not in SIZES]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    if args.scale == "L" and not os.environ.get("FIRSTARTICLE_BENCH_DATABASE_URL"):
        parser.error(
            "data set L is 10 million characteristics: set FIRSTARTICLE_BENCH_DATABASE_URL "
            "to a PostgreSQL database"
        )
    rows: list[summary.Row] = []
    database = "sqlite"
    for name in chosen:
        module, sizes = SIZES[name]
        run: Callable[..., dict[str, Any]] = importlib.import_module(f"bench.{module}").run
        figures = run(**sizes[args.scale])
        database = str(figures.get("database", database))
        rows += summary.ROWS[name](figures)
    summary.report(rows, database, args.scale)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
