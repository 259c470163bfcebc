"""Requirement-to-test trace: which tests stand behind each row of docs/reliability.md, and
the figures they measured in this run.

A test names its rows with ``@pytest.mark.requirement("G5", "A9")`` and reports a measured
figure with the ``figure`` fixture. ``pytest --trace-report=FILE`` writes the trace as JSON
(with the ``=``: given apart, an existing FILE is read as a test path before this plugin
loads); ``tests/trace_report.py FILE`` prints it against the rows (``make reliability``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Figure = Callable[[str, str, float, str], None]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--trace-report",
        default=None,
        metavar="FILE",
        help="Write the requirement-to-test trace of this run (JSON) to FILE.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requirement(*rows): the rows of docs/reliability.md this test proves"
    )
    _trace.clear()


# One pytest session per process: the trace of this run, by test node id.
_trace: dict[str, dict[str, Any]] = {}


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Figure:
    """``figure(row, measure, value, goal)``: record what this test measured for a row."""

    def record(row: str, measure: str, value: float, goal: str) -> None:
        request.node.user_properties.append(
            ("figure", {"row": row, "measure": measure, "value": value, "goal": goal})
        )

    return record


def pytest_runtest_setup(item: pytest.Item) -> None:
    rows = [row for mark in item.iter_markers("requirement") for row in mark.args]
    if rows:
        item.user_properties.append(("requirement", rows))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    properties = dict(report.user_properties)
    rows = properties.get("requirement")
    if not rows:
        return
    failed_elsewhere = report.when != "call" and report.outcome == "failed"
    if report.when != "call" and not report.skipped and not failed_elsewhere:
        return
    entry = _trace.setdefault(report.nodeid, {"rows": rows, "outcome": "", "figures": []})
    if entry["outcome"] in ("", "passed"):
        entry["outcome"] = report.outcome
    entry["figures"] = [value for key, value in report.user_properties if key == "figure"]


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = session.config.getoption("--trace-report")
    if not target:
        return
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_trace, indent=1), encoding="utf-8")
