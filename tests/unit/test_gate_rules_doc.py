"""docs/gate-rules.md stays true: every reason code the gate can give is in its table, and
every test the table names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "gate-rules.md"
SOURCES = [
    ROOT / "src/firstarticle/domain/holds.py",
    ROOT / "src/firstarticle/services/gate.py",
    ROOT / "src/firstarticle/api/gate.py",
]


def codes_in_code() -> set[str]:
    """Every reason code the gate's modules construct."""
    found: set[str] = set()
    for path in SOURCES:
        text = path.read_text()
        found |= set(re.findall(r'Reason\(\s*"([a-z_]+)"', text))
        found |= set(re.findall(r'_deny\(\s*"([a-z_]+)"', text))
        found |= set(re.findall(r'deny_unanswered\([^)]*"(gate_[a-z_]+)"\)', text))
        found |= set(re.findall(r'"(gate_[a-z_]+)" if ', text))
        found |= set(re.findall(r'else "(gate_[a-z_]+)"', text))
        found |= set(re.findall(r'\(\s*"(revision_[a-z_]+)",', text))
    return found


def test_every_reason_code_of_the_gate_has_a_row():
    """A code added to the gate without its row in the table fails here."""
    listed = set(re.findall(r"\| `([a-z_]+)` \|", DOC.read_text()))
    missing = codes_in_code() - listed
    assert not missing, f"reason codes missing from docs/gate-rules.md: {sorted(missing)}"
    assert {"not_on_covering_work_order", "customer_approval_missing", "revision_ordered"} <= (
        listed
    )


def test_every_test_the_table_names_exists():
    """A renamed or deleted test leaves no dangling row."""
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", DOC.read_text()))
    defined = {
        m
        for path in (ROOT / "tests").rglob("test_*.py")
        for m in re.findall(r"^def (test_[a-z0-9_]+)", path.read_text(), re.MULTILINE)
    }
    assert named
    assert named <= defined, sorted(named - defined)
