"""R5: the chain verifier names the first bad entry of every kind of tampering, at a rate that
keeps a plant's ledger verifiable in minutes (measured, reported beside its goal)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from firstarticle.audit.ledger import GENESIS, entry_hash, verify

pytestmark = pytest.mark.requirement("R5")

ENTRIES = 50_000


def a_chain(length: int) -> list[dict[str, object]]:
    """A well-formed chain of ``length`` entries, as the ledger stores them."""
    chain: list[dict[str, object]] = []
    prev = GENESIS
    at = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    for position in range(1, length + 1):
        entry: dict[str, object] = {
            "position": position,
            "at": at,
            "site_id": "site-wch",
            "actor": "m.keller",
            "action": "result.recorded",
            "record_type": "first_article",
            "record_id": f"fai-{position % 97}",
            "changes": '{"value": [null, "25.012"]}',
            "reason": None,
            "request_id": f"req-{position}",
            "prev_hash": prev,
        }
        entry["entry_hash"] = prev = entry_hash(entry)
        chain.append(entry)
    return chain


@pytest.fixture(scope="module")
def chain() -> list[dict[str, object]]:
    return a_chain(ENTRIES)


def test_a_sound_chain_verifies_and_the_rate_is_reported(chain, figure):
    """Every entry is re-hashed and linked; the figure is entries verified per second."""
    started = time.perf_counter()
    verdict = verify(iter(chain))
    seconds = time.perf_counter() - started
    figure(
        "R5",
        f"verify rate, entries/s ({ENTRIES:,} entries)",
        round(ENTRIES / seconds),
        ">= 100,000",
    )
    assert verdict.ok
    assert verdict.length == ENTRIES


@pytest.mark.parametrize(
    ("tamper", "position", "located"),
    [
        ("modify", 1234, 1234),
        ("delete", 2000, 2000),
        ("swap", 3000, 3000),
        ("insert", 4000, 4001),  # the copy put before entry 4000 passes; 4000 itself repeats
    ],
)
def test_every_kind_of_tampering_is_located(chain, tamper, position, located, figure):
    """Modified, deleted, swapped and inserted entries are found at their position."""
    forged = [dict(e) for e in chain[:5000]]
    index = position - 1
    if tamper == "modify":
        forged[index]["reason"] = "edited"
    elif tamper == "delete":
        del forged[index]
    elif tamper == "swap":
        forged[index], forged[index + 1] = forged[index + 1], forged[index]
    else:
        forged.insert(index, dict(forged[index]))
    verdict = verify(iter(forged))
    figure("R5", f"{tamper} located at its entry", int(verdict.first_bad_position == located), "1")
    assert not verdict.ok
    assert verdict.first_bad_position == located
