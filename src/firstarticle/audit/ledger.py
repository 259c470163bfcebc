"""Canonical serialisation and hash chaining of audit entries, and the chain verifier.

Each entry's hash is SHA-256 over its canonical JSON, which includes the previous entry's hash;
positions are 1, 2, 3... without gaps. Changing, deleting, inserting, swapping or truncating
entries therefore breaks the chain at a position that :func:`verify` names; rewriting history
consistently after a checkpoint breaks the checkpoint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
FIELDS = (
    "position",
    "at",
    "site_id",
    "actor",
    "action",
    "record_type",
    "record_id",
    "changes",
    "reason",
    "request_id",
    "prev_hash",
)


def _iso(value: datetime) -> str:
    # Microsecond precision in UTC: exactly what both databases give back.
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def changes_text(changes: Mapping[str, Any]) -> str:
    """The stored form of an entry's changes: compact JSON with sorted keys."""
    return json.dumps(
        changes, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def _field(value: object) -> str:
    if value is None:
        return "-"
    text = value if isinstance(value, str) else str(value)
    return f"{len(text)}:{text}"


def canonical(entry: Mapping[str, Any]) -> bytes:
    """The canonical bytes of an entry: each field length-prefixed, in a fixed order.

    ``changes`` is hashed as its stored JSON text, so verifying never re-serialises it;
    absent values are written as ``-`` and present ones as ``<length>:<text>``, which keeps
    ``None`` and ``""`` apart and no field can run into the next.
    """
    at = entry["at"]
    changes = entry["changes"]
    return ",".join(
        (
            _field(entry["position"]),
            _field(_iso(at) if isinstance(at, datetime) else at),
            _field(entry["site_id"]),
            _field(entry["actor"]),
            _field(entry["action"]),
            _field(entry["record_type"]),
            _field(entry["record_id"]),
            _field(changes if isinstance(changes, str) else changes_text(changes)),
            _field(entry["reason"]),
            _field(entry["request_id"]),
            _field(entry["prev_hash"]),
        )
    ).encode("utf-8")


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical form, which includes the previous hash."""
    return hashlib.sha256(canonical(entry)).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    """The head of the chain at a moment, kept outside the database."""

    length: int
    head_hash: str
    at: str

    def line(self) -> str:
        """One JSON line, as written to a checkpoint file."""
        return json.dumps(
            {"length": self.length, "head_hash": self.head_hash, "at": self.at}, sort_keys=True
        )

    @classmethod
    def parse(cls, line: str) -> Checkpoint:
        """Read a line written by :meth:`line`."""
        data = json.loads(line)
        return cls(int(data["length"]), str(data["head_hash"]), str(data["at"]))


@dataclass(frozen=True)
class Verdict:
    """The result of verifying the chain: ok, or the first bad position and why."""

    ok: bool
    length: int
    head_hash: str
    first_bad_position: int | None = None
    problem: str | None = None


def verify(entries: Iterable[Mapping[str, Any]], checkpoints: Iterable[Checkpoint] = ()) -> Verdict:
    """Walk the chain in position order and name the first entry that does not hold.

    ``entries`` must yield rows ordered by position with the stored ``entry_hash``.
    """
    wanted = sorted(checkpoints, key=lambda c: c.length)
    by_length = {c.length: c for c in wanted}
    expected_position, prev = 1, GENESIS
    for row in entries:
        position = int(row["position"])
        if position != expected_position:
            what = "missing" if position > expected_position else "repeated or out of order"
            return Verdict(
                False,
                expected_position - 1,
                prev,
                expected_position,
                f"entry {expected_position} is {what} (found {position})",
            )
        if row["prev_hash"] != prev:
            return Verdict(
                False,
                position - 1,
                prev,
                position,
                "its previous-hash does not match the entry before it",
            )
        computed = entry_hash(row)
        if computed != row["entry_hash"]:
            return Verdict(
                False,
                position - 1,
                prev,
                position,
                "its content does not match its hash (modified)",
            )
        checkpoint = by_length.get(position)
        if checkpoint is not None and checkpoint.head_hash != computed:
            return Verdict(
                False,
                position - 1,
                prev,
                position,
                f"history differs from the checkpoint taken at {checkpoint.at}",
            )
        prev = computed
        expected_position += 1
    length = expected_position - 1
    beyond = [c for c in wanted if c.length > length]
    if beyond:
        return Verdict(
            False,
            length,
            prev,
            length + 1,
            f"the chain ends at {length} but a checkpoint at {beyond[0].at} "
            f"recorded {beyond[0].length} entries (truncated)",
        )
    return Verdict(True, length, prev)
