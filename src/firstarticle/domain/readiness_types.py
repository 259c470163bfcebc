"""The shape of a readiness finding, shared by every module of readiness rules."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """Whether a finding stops the FAI from moving on."""

    BLOCKING = "blocking"
    WARNING = "warning"


@dataclass(frozen=True)
class RecordRef:
    """A record a finding concerns."""

    type: str
    id: str
    label: str


@dataclass(frozen=True)
class Finding:
    """One reason an FAI is or may not be ready."""

    rule: str
    severity: Severity
    message: str
    records: tuple[RecordRef, ...] = ()

    @property
    def blocking(self) -> bool:
        """True when the finding stops review and submission."""
        return self.severity is Severity.BLOCKING
