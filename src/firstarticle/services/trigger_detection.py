"""Detection of re-FAI triggers in records as they arrive (mirrored or keyed in).

Each function runs inside the caller's unit of work and returns the events to record with
the change that caused them: none when there is nothing to detect, so the record's own
use case never fails for want of a trigger. Detection is idempotent (see
:func:`firstarticle.services.triggers.raise_trigger`).
"""

from __future__ import annotations

from firstarticle.domain import model
from firstarticle.domain.events import Event
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.domain.triggers import (
    ReFaiTrigger,
    TriggerEvidence,
    is_lapsed,
    lapse_months,
    routing_changes,
)
from firstarticle.ports import UnitOfWork
from firstarticle.services import ServiceContext
from firstarticle.services.triggers import raise_trigger


def on_revision_released(
    uow: UnitOfWork, ctx: ServiceContext, part: model.Part, revision: model.PartRevision
) -> list[Event]:
    """A design-change trigger for each site and customer with an approved FAI of another
    revision of the part (its newest is the baseline), on the new revision's configuration.

    Sites the caller does not work at are left to callers who do.
    """
    if revision.status is not model.RevisionStatus.RELEASED:
        return []
    newest: dict[tuple[str, str | None], model.FirstArticle] = {}
    for fai in uow.triggers.approved_of_part(part.id, revision.id):  # oldest first
        newest[(fai.site_id, fai.customer_id)] = fai
    source = revision.provenance.external_id if revision.provenance else revision.id
    events: list[Event] = []
    for (site_id, customer_id), baseline in newest.items():
        if not ctx.principal.sees_site(site_id):
            continue
        baseline_revision = uow.parts.revision(baseline.part_revision_id)
        before = baseline_revision.revision if baseline_revision else None
        _trigger, raised = raise_trigger(
            uow,
            ctx,
            site_id=site_id,
            kind=ReFaiTrigger.DESIGN_CHANGE,
            part_revision_id=revision.id,
            evidence=TriggerEvidence(
                f"{part.number} rev {revision.revision} released",
                before,
                revision.revision,
                "part_revision",
                source,
            ),
            customer_id=customer_id,
            baseline=baseline,
            identity=f"released {revision.id}",
            changed_at=revision.released_at,
        )
        events += raised
    return events


def on_work_order(uow: UnitOfWork, ctx: ServiceContext, work_order: model.WorkOrder) -> list[Event]:
    """Triggers a new or changed work order raises against the configuration's newest
    approved FAI (none without one: the FAI-required hold applies already): a production
    lapse, and each change of its routing from the one that FAI was built to."""
    if not ctx.principal.sees_site(work_order.site_id):
        return []
    approved = [
        f
        for f in uow.first_articles.covering(
            work_order.site_id, work_order.part_revision_id, work_order.customer_id
        )
        if f.status is FaiStatus.APPROVED
    ]
    if not approved:
        return []
    return _lapse(uow, ctx, work_order, approved[-1]) + _routing(uow, ctx, work_order, approved[-1])


def _lapse(
    uow: UnitOfWork,
    ctx: ServiceContext,
    work_order: model.WorkOrder,
    baseline: model.FirstArticle,
) -> list[Event]:
    """A production-lapse trigger when the work order starts two years or more (site
    calendar; less where the customer's rules say so) after the configuration's last
    completed production operation."""
    if work_order.starts_at is None:
        return []
    last = uow.triggers.last_production(
        work_order.site_id, work_order.part_revision_id, work_order.id
    )
    site = uow.sites.get(work_order.site_id)
    customer = uow.customers.get(work_order.customer_id) if work_order.customer_id else None
    months = lapse_months(customer.refai_lapse_months if customer else None)
    if last is None or site is None:
        return []
    if not is_lapsed(last, work_order.starts_at, site.timezone, months):
        return []
    years = months // 12
    span = f"{years} year{'s' * (years != 1)}" if months % 12 == 0 else f"{months} months"
    _trigger, raised = raise_trigger(
        uow,
        ctx,
        site_id=work_order.site_id,
        kind=ReFaiTrigger.PRODUCTION_LAPSE,
        part_revision_id=work_order.part_revision_id,
        evidence=TriggerEvidence(
            f"No production for {span} before work order {work_order.number}",
            last.isoformat(),
            work_order.starts_at.isoformat(),
            "work_order",
            work_order.id,
        ),
        customer_id=work_order.customer_id,
        baseline=baseline,
        # One lapse, whatever work order ends it: keyed by the last production it measures.
        identity=f"lapse since {last.isoformat()}",
        changed_at=work_order.starts_at,
    )
    return raised


def _routing(
    uow: UnitOfWork,
    ctx: ServiceContext,
    work_order: model.WorkOrder,
    baseline: model.FirstArticle,
) -> list[Event]:
    """Source and process changes of the work order's routing from the baseline's work
    order's; a work order without a routing (or a baseline without one) says nothing."""
    if baseline.work_order_id == work_order.id or not work_order.operations:
        return []
    built_to = uow.work_orders.get(baseline.work_order_id)
    if built_to is None or not built_to.operations:
        return []
    events: list[Event] = []
    for change in routing_changes(built_to.operations, work_order.operations):
        _trigger, raised = raise_trigger(
            uow,
            ctx,
            site_id=work_order.site_id,
            kind=change.kind,
            part_revision_id=work_order.part_revision_id,
            evidence=TriggerEvidence(
                change.what, change.before, change.after, "work_order", work_order.id
            ),
            customer_id=work_order.customer_id,
            baseline=baseline,
            # The same change seen on the next work order is the same change.
            identity=f"{baseline.id}|{change.sequence}|{change.what}|{change.before}"
            f"|{change.after}",
            affected_balloons=sorted(change.balloons),
        )
        events += raised
    return events


def on_corrective_action(
    uow: UnitOfWork,
    ctx: ServiceContext,
    fai: model.FirstArticle,
    number: str,
    corrective_action: str | None,
    source_id: str,
) -> list[Event]:
    """A corrective-action trigger when the QMS names a corrective action on a nonconformance
    of an FAI (Rev C 4.6 item 5), on that FAI's configuration; the FAI itself is the baseline
    when approved, else the configuration's newest approved FAI, if any."""
    if not corrective_action or not ctx.principal.sees_site(fai.site_id):
        return []
    approved = [
        f
        for f in uow.first_articles.covering(fai.site_id, fai.part_revision_id, fai.customer_id)
        if f.status is FaiStatus.APPROVED
    ]
    baseline = fai if fai.status is FaiStatus.APPROVED else (approved[-1] if approved else None)
    _trigger, raised = raise_trigger(
        uow,
        ctx,
        site_id=fai.site_id,
        kind=ReFaiTrigger.CORRECTIVE_ACTION,
        part_revision_id=fai.part_revision_id,
        evidence=TriggerEvidence(
            f"Corrective action on {number} of {fai.fair_identifier}",
            None,
            corrective_action,
            "nonconformance",
            source_id,
        ),
        customer_id=fai.customer_id,
        baseline=baseline,
        identity=f"{source_id}|{corrective_action}",
    )
    return raised
