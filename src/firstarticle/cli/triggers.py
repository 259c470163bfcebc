"""Re-FAI triggers: list them, record an event, decide a trigger's evaluation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from firstarticle.cli.common import command, ctx, found, out, print_json, usage_error
from firstarticle.domain.triggers import EvaluationOutcome, EvaluationStatus, EventNature
from firstarticle.services import catalog, orders, triggers
from firstarticle.services.triggers import TriggerView

trigger_app = typer.Typer(
    help="Re-FAI triggers (AS9102 4.6) and the team evaluations they open.",
    no_args_is_help=True,
)


def _json(view: TriggerView) -> dict[str, Any]:
    t, e = view.trigger, view.evaluation
    return {
        "id": t.id,
        "site_id": t.site_id,
        "kind": t.kind.value,
        "part_revision_id": t.part_revision_id,
        "customer_id": t.customer_id,
        "baseline_first_article_id": t.baseline_first_article_id,
        "what": t.what,
        "before": t.before,
        "after": t.after,
        "source": f"{t.source_record_type}:{t.source_record_id}",
        "raised_by": t.raised_by,
        "raised_at": t.raised_at.isoformat(),
        "evaluation": {
            "id": e.id,
            "status": e.status.value,
            "team": list(e.team),
            "hold_id": e.hold_id,
            "outcome": e.outcome.value if e.outcome else None,
            "reason": e.reason,
            "decided_by": e.decided_by,
            "first_article_id": e.first_article_id,
        },
    }


@trigger_app.command("list")
@command
def listed(
    site: str | None = None,
    status: EvaluationStatus | None = None,
    limit: int = 50,
    offset: int = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the page as JSON.")] = False,
) -> None:
    """List triggers, newest first (``--status open`` for evaluations still to decide)."""
    c = ctx()
    site_id = catalog.site_by_code(c, site).id if site else None
    page = triggers.list_triggers(c, site_id=site_id, status=status, limit=limit, offset=offset)
    if as_json:
        print_json(
            {
                "items": [_json(v) for v in page.items],
                "total": page.total,
                "limit": page.limit,
                "offset": page.offset,
            }
        )
        return
    table = Table(title=f"{page.total} re-FAI triggers")
    table.add_column("id", overflow="fold", min_width=12)
    for name in ("kind", "what", "raised", "evaluation"):
        table.add_column(name)
    for v in page.items:
        e = v.evaluation
        table.add_row(
            v.trigger.id,
            v.trigger.kind.value,
            v.trigger.what,
            f"{v.trigger.raised_at:%Y-%m-%d %H:%M} {v.trigger.raised_by}",
            e.status.value + (f": {e.outcome.value}" if e.outcome else ""),
        )
    out.print(table)


@trigger_app.command("event")
@command
def record_event(
    site: str,
    part: str,
    revision: str,
    nature: EventNature,
    description: str,
    occurred_at: Annotated[str, typer.Option(help="ISO 8601 with a time zone")],
    customer: str | None = None,
) -> None:
    """Record a natural or man-made EVENT that may affect PART rev REVISION at SITE."""
    try:
        when = datetime.fromisoformat(occurred_at)
    except ValueError:
        usage_error(f"--occurred-at {occurred_at!r} is not an ISO 8601 time.")
    c = ctx()
    rev = found(catalog.part_by_number(c, part).revision(revision), f"{part} rev {revision}")
    view = triggers.record_event(
        c,
        site_id=catalog.site_by_code(c, site).id,
        part_revision_id=rev.id,
        customer_id=catalog.customer_by_code(c, customer).id if customer else None,
        nature=nature,
        description=description,
        occurred_at=when,
    )
    out.print(f"trigger {view.trigger.id}: evaluation {view.evaluation.status.value}")


@trigger_app.command("decide")
@command
def decide(
    trigger_id: str,
    outcome: EvaluationOutcome,
    reason: str,
    work_order: Annotated[
        str | None, typer.Option(help="Work order number the new FAI is built on")
    ] = None,
) -> None:
    """Sign the team's decision on TRIGGER_ID (none, partial or full) with its REASON."""
    c = ctx()
    work_order_id = None
    if work_order is not None:
        view = triggers.get_trigger(c, trigger_id)
        work_order_id = orders.work_order_by_number(c, view.trigger.site_id, work_order).id
    decided = triggers.decide_evaluation(
        c, trigger_id, outcome=outcome, reason=reason, work_order_id=work_order_id
    )
    e = decided.evaluation
    line = f"evaluation decided: {outcome.value}" + ("; hold released" if e.hold_id else "")
    if e.first_article_id:
        line += f"; new FAI {e.first_article_id}"
    out.print(line)
