"""Domain events: what a change caused, returned by domain functions for audit and outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    """Something that happened to a record; services turn events into audit entries."""

    action: str
    record_type: str
    record_id: str
    site_id: str | None
    actor: str
    at: datetime
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    reason: str | None = None
