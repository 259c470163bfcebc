"""One table for every workload: figure, same-run baseline, ratio, goal and verdict.

Each workload's ``run()`` returns its figures; the functions here read them into rows the
way ``../shared/PERFORMANCE.md`` states the goals, so the verdict is computed, never typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.common import save


@dataclass(frozen=True)
class Row:
    """One line of the table; ``passed`` is None for figures reported without a goal."""

    workload: str
    figure: str
    measured: str
    baseline: str
    ratio: float | None
    goal: str
    passed: bool | None


def _at_least(ratio: float, goal: float) -> bool:
    return ratio >= goal


def _at_most(ratio: float, goal: float) -> bool:
    return ratio <= goal


def w1(f: dict[str, Any]) -> list[Row]:
    gate, durable, read = f["gate"], f["durable_baseline"], f["baseline"]
    rows = [
        Row(
            "W1 gate",
            "throughput",
            f"{gate['rps']:.0f} req/s",
            f"{durable['rps']:.0f} req/s (read + durable insert)",
            f["throughput_ratio"],
            ">= 0.8x",
            _at_least(f["throughput_ratio"], 0.8),
        ),
        Row(
            "W1 gate",
            "p99 latency",
            f"{gate['p99_ms']:.1f} ms",
            f"{durable['p99_ms']:.1f} ms",
            f["p99_ratio"],
            "<= 2x",
            _at_most(f["p99_ratio"], 2.0),
        ),
        Row(
            "W1 gate",
            "throughput vs read-only lookup",
            f"{gate['rps']:.0f} req/s",
            f"{read['rps']:.0f} req/s (one indexed read)",
            gate["rps"] / read["rps"],
            "reported",
            None,
        ),
    ]
    if "two_workers" in f:
        two = f["two_workers"]
        rows.append(
            Row(
                "W1 gate",
                "two server workers",
                f"{two['rps']:.0f} req/s",
                f"{gate['rps']:.0f} req/s (one worker)",
                two["rps"] / gate["rps"],
                "reported",
                None,
            )
        )
    return rows


def w2(f: dict[str, Any]) -> list[Row]:
    rows = []
    csv = f["csv"]
    rows.append(
        Row(
            "W2 ingest",
            f"CSV {csv['rows']:,} results",
            f"{csv['service_rows_per_s']:,.0f} rows/s",
            f"{csv['baseline_rows_per_s']:,.0f} rows/s ({csv['baseline']})",
            csv["ratio"],
            ">= 0.3x",
            _at_least(csv["ratio"], 0.3),
        )
    )
    qif = f["qif"]
    for label in ("small", "large"):
        q = qif[label]
        rows.append(
            Row(
                "W2 ingest",
                f"QIF {q['file_mb']:.0f} MB, {q['rows']:,} results",
                f"{q['service_rows_per_s']:,.0f} rows/s",
                f"{q['baseline_rows_per_s']:,.0f} rows/s ({q['baseline']})",
                q["ratio"],
                ">= 0.3x",
                _at_least(q["ratio"], 0.3),
            )
        )
    small, large = qif["small"], qif["large"]
    growth = large["rss_peak_mb"] / small["rss_peak_mb"]
    rows.append(
        Row(
            "W2 ingest",
            f"QIF peak memory, {large['rows']:,} vs {small['rows']:,} results",
            f"{large['rss_peak_mb']:.0f} MB",
            f"{small['rss_peak_mb']:.0f} MB",
            growth,
            "<= 1.2x",
            _at_most(growth, 1.2),
        )
    )
    return rows


def w3(f: dict[str, Any]) -> list[Row]:
    rows = []
    for size in sorted((k for k in f if k.isdigit()), key=int):
        m = f[size]
        rows.append(
            Row(
                "W3 readiness",
                f"{int(size):,} characteristics",
                f"{m['service_s'] * 1000:.1f} ms",
                f"{m['baseline_s'] * 1000:.2f} ms (one SQL aggregate)",
                m["ratio"],
                "<= 3x",
                _at_most(m["ratio"], 3.0),
            )
        )
    sizes = sorted((k for k in f if k.isdigit()), key=int)
    if "scaling" in f and len(sizes) == 2:
        small, large = sizes
        rows.append(
            Row(
                "W3 readiness",
                f"scaling {int(large):,} / {int(small):,} characteristics",
                f"{f[large]['service_s'] * 1000:.1f} ms",
                f"{f[small]['service_s'] * 1000:.1f} ms (the {int(small):,} readiness)",
                f["scaling"],
                "<= 12x",
                _at_most(f["scaling"], 12.0),
            )
        )
    return rows


def w4(f: dict[str, Any]) -> list[Row]:
    return [
        Row(
            "W4 forms",
            f"xlsx, {f['characteristics']:,} characteristics",
            f"{f['xlsx_s']:.2f} s",
            f"{f['baseline_s']:.2f} s (openpyxl write-only)",
            f["ratio"],
            "<= 1.5x",
            _at_most(f["ratio"], 1.5),
        ),
        Row(
            "W4 forms",
            f"pdf, {f['pdf_pages']} pages",
            f"{f['pdf_s']:.2f} s",
            "",
            None,
            "reported",
            None,
        ),
    ]


def w5(f: dict[str, Any]) -> list[Row]:
    rows = []
    for name, title in (("list", "FAI list, 50 a page"), ("dashboard", "dashboard counts")):
        m = f[name]
        rows.append(
            Row(
                "W5 lists",
                f"{title}, data set {f['scale']}",
                f"p95 {m['service_p95_ms']:.2f} ms",
                f"p95 {m['baseline_p95_ms']:.2f} ms (one indexed SQL query)",
                m["ratio"],
                "<= 3x",
                _at_most(m["ratio"], 3.0),
            )
        )
    queries = f["list"]["queries_per_page"]
    rows.append(
        Row(
            "W5 lists",
            "queries per page, sizes " + "/".join(queries),
            "/".join(str(n) for n in queries.values()),
            "",
            None,
            "constant",
            f["list"]["queries_constant"],
        )
    )
    return rows


def w6(f: dict[str, Any]) -> list[Row]:
    rows = [
        Row(
            "W6 audit",
            f"verify {f['entries']:,} entries",
            f"{f['verify_rows_per_s']:,.0f} entries/s",
            f"{f['baseline_rows_per_s']:,.0f} entries/s (hashlib loop)",
            f["ratio"],
            ">= 0.5x",
            _at_least(f["ratio"], 0.5),
        )
    ]
    if f["database"].startswith("postgresql"):
        rows.append(
            Row(
                "W6 audit",
                "entries/s on PostgreSQL",
                f"{f['verify_rows_per_s']:,.0f}",
                "",
                None,
                ">= 100,000/s",
                f["verify_rows_per_s"] >= 100_000,
            )
        )
    return rows


ROWS: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "w1": w1,
    "w2": w2,
    "w3": w3,
    "w4": w4,
    "w5": w5,
    "w6": w6,
}


def report(rows: list[Row], database: str, scale: str) -> None:
    """Print the table and write it as JSON under bench/results/."""
    table = Table(title=f"firstarticle benchmarks, data set {scale}, {database}")
    for column in ("workload", "figure", "measured", "same-run baseline", "ratio", "goal", ""):
        table.add_column(column, justify="right" if column == "ratio" else "left")
    for r in rows:
        verdict = {True: "[green]pass[/]", False: "[red]FAIL[/]", None: ""}[r.passed]
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}x"
        table.add_row(r.workload, r.figure, r.measured, r.baseline, ratio, r.goal, verdict)
    Console(width=200).print(table)
    path = save(
        f"summary_{database}_{scale}",
        {"database": database, "scale": scale, "rows": [asdict(r) for r in rows]},
    )
    print(f"written to {path}")
