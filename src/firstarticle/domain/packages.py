"""A submission package as recorded on its FAI: which attempt, which bytes, which content."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from firstarticle.domain import model


@dataclass(frozen=True)
class SubmissionPackage:
    """One package built for submission. Attempts count from 1 per FAI and are never
    rebuilt in place: the zip (``content``) hashes to ``sha256`` for as long as it is kept,
    and ``content_sha256`` is the FAI content its signatures were bound to."""

    site_id: str
    first_article_id: str
    attempt: int
    form_revision: model.FormRevision
    sha256: str
    content_sha256: str
    file_name: str
    size: int
    built_by: str
    built_at: datetime
    content: bytes = field(repr=False)
    id: str = field(default_factory=model.new_id)
