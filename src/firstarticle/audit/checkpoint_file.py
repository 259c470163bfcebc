"""Checkpoints kept in a file outside the database: one JSON line per checkpoint, appended
and flushed to disk, so that a database rewritten or cut short later is told from the truth."""

from __future__ import annotations

import os
from pathlib import Path

from firstarticle.audit.ledger import Checkpoint
from firstarticle.domain.errors import ValidationError


def read(path: Path) -> list[Checkpoint]:
    """Every checkpoint in the file, oldest first; none if the file does not exist yet.

    Raises ValidationError naming the line when the file is not a checkpoint file.
    """
    if not path.exists():
        return []
    marks = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            marks.append(Checkpoint.parse(line))
        except (ValueError, KeyError, TypeError):
            raise ValidationError(
                f"{path.name} line {number} is not a checkpoint.", field="checkpoints"
            ) from None
    return marks


def append(path: Path, mark: Checkpoint) -> None:
    """Add ``mark`` at the end of the file and make it durable before returning."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(mark.line() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
