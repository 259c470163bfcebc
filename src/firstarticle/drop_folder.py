"""A watched drop folder: record files that plants move in by SFTP are imported and filed.

A file named ``<kind>*.csv`` or ``<kind>*.json`` (kind: part-revisions, customers, work-orders,
nonconformances) is imported as one batch, all or none, then moved to ``processed/`` with a
``.report.json`` beside it, or to ``failed/`` with an ``.error.txt`` saying why. Files still
being written (hidden, ``.tmp``/``.part``, or changed in the last seconds) are left alone.

Like the API and the command line, the drop folder is a way in: it reads files with the record
adapter (integrations/records.py) and calls the mirror use case; nothing calls it but the CLI.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from firstarticle.domain.errors import DomainError
from firstarticle.integrations import records
from firstarticle.services import ServiceContext, mirror

SETTLE_SECONDS = 2.0


@dataclass(frozen=True)
class Filed:
    """One file handled: where it went and what it did."""

    name: str
    kind: str | None
    ok: bool
    detail: str


def kind_of(name: str) -> str | None:
    """The record kind a file name announces, if any (longest kind name wins)."""
    lowered = name.lower()
    for kind in sorted(records.MODELS, key=len, reverse=True):
        if lowered.startswith(kind) and lowered.endswith((".csv", ".json")):
            return kind
    return None


def _ready(path: Path, now: float) -> bool:
    name = path.name
    if name.startswith(".") or name.endswith((".tmp", ".part", ".filepart")):
        return False
    return path.is_file() and now - path.stat().st_mtime >= SETTLE_SECONDS


def _unique(target: Path) -> Path:
    candidate, n = target, 1
    while candidate.exists():
        candidate = target.with_name(f"{target.stem}.{n}{target.suffix}")
        n += 1
    return candidate


def process_once(ctx: ServiceContext, folder: Path, *, now: float | None = None) -> list[Filed]:
    """Import every ready file in ``folder`` once; returns what happened to each."""
    processed, failed = folder / "processed", folder / "failed"
    processed.mkdir(exist_ok=True)
    failed.mkdir(exist_ok=True)
    moment = time.time() if now is None else now
    results = []
    for path in sorted(p for p in folder.iterdir() if _ready(p, moment)):
        kind = kind_of(path.name)
        try:
            if kind is None:
                raise records.RecordFileError(
                    f"{path.name}: name it after its kind ({', '.join(records.MODELS)}), "
                    "ending in .csv or .json."
                )
            with path.open("rb") as handle:
                batch = records.read_file(kind, path.name, handle)
            report = mirror.apply(ctx, kind, batch)
        except DomainError as error:
            target = _unique(failed / path.name)
            shutil.move(path, target)
            target.with_name(target.name + ".error.txt").write_text(
                f"{type(error).__name__} ({error.code}): {error.message}\n", encoding="utf-8"
            )
            results.append(Filed(path.name, kind, False, error.message))
            continue
        target = _unique(processed / path.name)
        shutil.move(path, target)
        target.with_name(target.name + ".report.json").write_text(
            json.dumps(
                {
                    "kind": kind,
                    "counts": report.counts,
                    "records": [
                        {
                            "external_id": line.external_id,
                            "version": line.source_version,
                            "outcome": line.outcome.value,
                            "record_id": line.record_id,
                        }
                        for line in report.lines
                    ],
                },
                indent=2,
            ),
            encoding="utf-8",
        )
        results.append(Filed(path.name, kind, True, json.dumps(report.counts)))
    return results
