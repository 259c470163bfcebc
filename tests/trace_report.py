"""Print every row of docs/reliability.md with the figures and tests of a trace file.

Usage: python tests/trace_report.py TRACE.json [docs/reliability.md]; exits 1 when a traced
test failed, so a validation run that misses a row cannot look green.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROW = re.compile(r"^\| (?P<id>[A-Z]\d+) \| (?P<what>.+?) \| (?P<goal>.+?) \|$")


def rows(targets: Path) -> list[tuple[str, str, str]]:
    """(id, what must hold, the figure asked) for every row of the targets document."""
    found = []
    for line in targets.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line.strip())
        if match:
            found.append((match["id"], match["what"], match["goal"]))
    return found


def report(trace: dict[str, dict[str, Any]], targets: Path) -> tuple[Table, bool]:
    """The table of rows, and whether every traced test passed."""
    by_row: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for nodeid, entry in trace.items():
        for row in entry["rows"]:
            by_row[row].append((nodeid, entry))
    table = Table("row", "what must hold (goal)", "measured in this run", "tests", "status")
    sound = True
    for row_id, what, goal in rows(targets):
        entries = by_row.get(row_id, [])
        figures = [
            f"{f['measure']}: {f['value']:g} (goal {f['goal']})"
            for _, e in entries
            for f in e["figures"]
            if f["row"] == row_id
        ]
        outcomes = [e["outcome"] for _, e in entries]
        if not entries:
            status = "[yellow]not traced[/yellow]"
        elif "failed" in outcomes:
            status, sound = "[red]failed[/red]", False
        elif all(o == "skipped" for o in outcomes):
            status = "[yellow]skipped[/yellow]"
        else:
            status = "[green]passed[/green]"
        passed = sum(o == "passed" for o in outcomes)
        tests = f"{passed}/{len(entries)} passed" if entries else "-"
        names = "\n".join(n.split("::")[-1] for n, _ in entries[:4])
        more = f"\n(+{len(entries) - 4} more)" if len(entries) > 4 else ""
        table.add_row(
            row_id,
            f"{_short(what)}\n[dim]{goal}[/dim]",
            "\n".join(figures) or "-",
            f"{tests}\n[dim]{names}{more}[/dim]",
            status,
        )
    return table, sound


def _short(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    trace = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    targets = Path(argv[1]) if len(argv) > 1 else Path(__file__).parents[1] / "docs/reliability.md"
    table, sound = report(trace, targets)
    Console(width=200).print(table)
    return 0 if sound else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
