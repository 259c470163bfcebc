"""What an FAI accounts for beyond its rows, and local nonconformances: `fai none-applies`,
`fai withdraw-none-applies`, `fai omit` and `fai nc-advance`."""

from __future__ import annotations

from firstarticle.cli.common import command, ctx, fai_detail, out
from firstarticle.cli.fai import fai_app
from firstarticle.domain import model
from firstarticle.domain.errors import NotFoundError
from firstarticle.services import fai_coverage, first_articles


@fai_app.command("none-applies")
@command
def none_applies(fair: str, kind: model.Form2Kind, reason: str) -> None:
    """State, under your name, that no Form 2 entry of KIND applies to the FAI."""
    fai_coverage.state_none_applies(ctx(), fai_detail(fair).fai.id, kind=kind, reason=reason)
    out.print(f"{fair}: no {kind.value.replace('_', ' ')} applies (stated)")


@fai_app.command("withdraw-none-applies")
@command
def withdraw_none_applies(fair: str, kind: model.Form2Kind, reason: str) -> None:
    """Take back a 'none applies' statement."""
    fai_coverage.withdraw_none_applies(ctx(), fai_detail(fair).fai.id, kind=kind, reason=reason)
    out.print(f"{fair}: 'none applies' for {kind.value.replace('_', ' ')} withdrawn")


@fai_app.command("omit")
@command
def omit(fair: str, balloon: str, reason: str) -> None:
    """Leave BALLOON out of a partial FAI although the revision diff marks it, saying why."""
    fai_coverage.omit_characteristic(ctx(), fai_detail(fair).fai.id, balloon=balloon, reason=reason)
    out.print(f"{fair}: balloon {balloon} omitted")


@fai_app.command("nc-advance")
@command
def nc_advance(
    fair: str,
    number: str,
    status: model.NonconformanceStatus,
    disposition: model.Disposition | None = None,
) -> None:
    """Move a local nonconformance (a site without a QMS): dispositioned, then closed."""
    detail = fai_detail(fair)
    nc = next((n for n in detail.fai.nonconformances if n.number == number), None)
    if nc is None:
        raise NotFoundError(f"{fair} links no document {number}.", record="nonconformance")
    first_articles.update_nonconformance(
        ctx(), detail.fai.id, nc.id, status=status, disposition=disposition
    )
    out.print(f"{nc.kind.value} {number}: {status.value}")
