"""Mirrored records: what another system owns, kept with its provenance.

A mirrored record changes only through its adapter, idempotently, keyed by (source system,
external id) and ordered by the source's version: an older version never overwrites a newer,
the same version with the same content is a no-op, and the same version with other content is
a conflict that someone must look at.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from firstarticle.domain.errors import ConflictError, ValidationError


class SourceSystem(StrEnum):
    """Systems that own records firstarticle mirrors."""

    PLM = "plm"
    ERP = "erp"
    QMS = "qms"


class MirrorOutcome(StrEnum):
    """What an upsert did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"


@dataclass(frozen=True)
class Provenance:
    """Where a mirrored record came from, which version, when, and its content hash."""

    source_system: str
    external_id: str
    source_version: int
    received_at: datetime
    content_sha256: str

    def __post_init__(self) -> None:
        if not self.external_id.strip():
            raise ValidationError("A mirrored record needs its external id.", field="external_id")
        if self.source_version < 0:
            raise ValidationError(
                "source_version is a non-negative counter.", field="source_version"
            )


def content_hash(payload: Any) -> str:
    """SHA-256 of the canonical JSON of ``payload`` (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def decide(stored: Provenance | None, incoming: Provenance) -> MirrorOutcome:
    """What to do with ``incoming`` given what is stored; raise ConflictError on a clash."""
    if stored is None:
        return MirrorOutcome.CREATED
    if (stored.source_system, stored.external_id) != (incoming.source_system, incoming.external_id):
        raise ConflictError(
            "The record is mirrored from another source.",
            stored_source=f"{stored.source_system}:{stored.external_id}",
        )
    if incoming.source_version < stored.source_version:
        return MirrorOutcome.STALE
    if incoming.source_version == stored.source_version:
        if incoming.content_sha256 == stored.content_sha256:
            return MirrorOutcome.UNCHANGED
        raise ConflictError(
            f"{incoming.source_system} sent other content for {incoming.external_id} "
            f"version {incoming.source_version}; the same version must carry the same content.",
            external_id=incoming.external_id,
            source_version=incoming.source_version,
        )
    return MirrorOutcome.UPDATED


def refuse_manual_change(provenance: Provenance | None, what: str) -> None:
    """Raise when a person tries to edit a record another system owns."""
    if provenance is not None:
        raise ConflictError(
            f"{what} is mirrored from {provenance.source_system.upper()} "
            f"({provenance.external_id}); change it there.",
            source_system=provenance.source_system,
            external_id=provenance.external_id,
        )
