"""Pull synchronisation from PLM, ERP and QMS feeds into the mirrors, resumable by cursor."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from firstarticle.domain.errors import ValidationError
from firstarticle.domain.mirror import SourceSystem
from firstarticle.domain.records import MirrorRecord
from firstarticle.ports import RecordFeed
from firstarticle.services import ServiceContext, mirror

# Which record kinds each source owns (DESIGN.md, "What owns what").
OWNED: dict[SourceSystem, tuple[str, ...]] = {
    SourceSystem.PLM: ("part-revisions",),
    SourceSystem.ERP: ("customers", "work-orders"),
    SourceSystem.QMS: ("nonconformances",),
}
MAX_PAGES = 10_000


@dataclass
class SyncReport:
    """What a synchronisation brought in, per kind and outcome."""

    source: SourceSystem
    pages: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def synchronise(
    ctx: ServiceContext,
    source: SourceSystem,
    feed: RecordFeed,
    parse: Callable[[str, Sequence[dict[str, Any]]], Sequence[MirrorRecord]],
) -> SyncReport:
    """Fetch every page since the stored cursor and apply it; the cursor moves with each page.

    Each page commits with its cursor, so an interrupted sync resumes where it stopped and a
    page fetched twice changes nothing (the upserts are idempotent).
    """
    report = SyncReport(source)
    for kind in OWNED[source]:
        with ctx.uow_factory() as uow:
            cursor = uow.sync_cursors.get(source.value, kind)
        counts = report.counts.setdefault(kind, {})
        for _ in range(MAX_PAGES):
            page = feed.fetch(kind, cursor)
            records = parse(kind, page.records)
            if records:
                batch = mirror.apply(ctx, kind, records)
                for outcome, n in batch.counts.items():
                    if n:
                        counts[outcome] = counts.get(outcome, 0) + n
            report.pages += 1
            if page.cursor is None or page.cursor == cursor:
                break
            with ctx.uow_factory() as uow:
                uow.sync_cursors.put(source.value, kind, page.cursor, ctx.clock.now())
                uow.commit()
            cursor = page.cursor
        else:
            raise ValidationError(f"{source.value} kept returning pages past {MAX_PAGES}.")
    return report
