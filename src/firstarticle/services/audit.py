"""Audit ledger operations: verify the chain, checkpoint its head, export an FAI's trail."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from firstarticle.audit.ledger import Checkpoint, Verdict, verify
from firstarticle.domain.access import Permission
from firstarticle.domain.errors import ConflictError
from firstarticle.ports import Progress
from firstarticle.services import ServiceContext, allowed, first_articles, found

_PROGRESS_EVERY = 5_000


def verify_chain(
    ctx: ServiceContext,
    checkpoints: Iterable[Checkpoint] = (),
    progress: Progress | None = None,
) -> Verdict:
    """Verify every entry in position order, and the chain against earlier checkpoints.

    ``progress("verifying", done, total)`` is called every few thousand entries.
    """
    allowed(ctx, Permission.AUDIT_ADMIN)
    with ctx.uow_factory() as uow:
        entries = uow.audit.stream()
        if progress is not None:
            entries = _reporting(entries, progress, uow.audit.length())
        return verify(entries, checkpoints)


def _reporting(
    entries: Iterator[dict[str, Any]], progress: Progress, total: int
) -> Iterator[dict[str, Any]]:
    done = 0
    for done, entry in enumerate(entries, 1):
        if done % _PROGRESS_EVERY == 0:
            progress("verifying", done, total)
        yield entry
    progress("verifying", done, total)


def checkpoint(ctx: ServiceContext, earlier: Iterable[Checkpoint] = ()) -> Checkpoint:
    """The verified head of the chain now; refuses to checkpoint a chain that is broken or
    that contradicts an ``earlier`` checkpoint (rewritten or cut short since)."""
    verdict = verify_chain(ctx, earlier)
    if not verdict.ok:
        raise ConflictError(
            f"The audit chain is broken at entry {verdict.first_bad_position}: "
            f"{verdict.problem}; no checkpoint written.",
            position=verdict.first_bad_position,
        )
    return Checkpoint(verdict.length, verdict.head_hash, ctx.clock.now().isoformat())


def fai_trail(ctx: ServiceContext, fair_identifier: str) -> list[dict[str, Any]]:
    """Every entry about an FAI and what it owns, in order, for an auditor who may see the
    FAI (site, customer and export label)."""
    allowed(ctx, Permission.AUDIT_READ)
    visible_fai = first_articles.first_article_by_fair(ctx, fair_identifier)
    with ctx.uow_factory() as uow:
        fai = found(uow.first_articles.get(visible_fai.fai.id), "First article", fair_identifier)
        entries = uow.audit.for_record("first_article", fai.id)
        for nc in fai.nonconformances:
            entries += uow.audit.for_record("nonconformance", nc.id)
        return sorted(entries, key=lambda e: int(e["position"]))
