"""Re-FAI triggers: raising one (idempotently, with its evaluation and production hold),
recording an event, listing, and deciding an evaluation.

Detection from mirrored records lives in :mod:`firstarticle.services.trigger_detection`;
both end in :func:`raise_trigger`, which is called inside the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.domain.coverage import partial_delta
from firstarticle.domain.errors import ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.domain.model import require_text
from firstarticle.domain.triggers import (
    Evaluation,
    EvaluationOutcome,
    EvaluationStatus,
    EventNature,
    ReFaiTrigger,
    Trigger,
    TriggerEvidence,
    team_of,
)
from firstarticle.domain.triggers import (
    lapse_months as lapse_months_rule,
)
from firstarticle.ports import Page, UnitOfWork
from firstarticle.services import (
    ServiceContext,
    allowed,
    changed,
    found,
    holds,
    record,
    require_revision_data,
    visible,
)
from firstarticle.services.channels import customer_by_key
from firstarticle.services.first_articles import open_first_article


class BaselineMissingError(ValidationError):
    """A partial FAI needs an approved baseline, and the trigger has none."""

    code = "baseline_missing"


class NothingToReinspectError(ValidationError):
    """A partial FAI would re-inspect nothing: the NC of a corrective action, or the changed
    routing operation, names no characteristic."""

    code = "nothing_to_reinspect"


class WorkOrderMissingError(ValidationError):
    """A new FAI is built on a work order, and the configuration has no open one."""

    code = "work_order_missing"


@dataclass(frozen=True)
class TriggerView:
    """A trigger with its evaluation."""

    trigger: Trigger
    evaluation: Evaluation


def _event(
    ctx: ServiceContext,
    action: str,
    record_type: str,
    record_id: str,
    site_id: str,
    changes: dict[str, object],
    reason: str | None = None,
) -> Event:
    """An event recording ``changes`` as new values (the ones given, None left out)."""
    new: dict[str, tuple[object, object]] = {
        k: (None, v) for k, v in changes.items() if v is not None
    }
    return changed(ctx, action, (record_type, record_id, site_id), new, reason)


def raise_trigger(
    uow: UnitOfWork,
    ctx: ServiceContext,
    *,
    site_id: str,
    kind: ReFaiTrigger,
    part_revision_id: str,
    evidence: TriggerEvidence,
    customer_id: str | None = None,
    baseline: model.FirstArticle | None = None,
    identity: str | None = None,
    team: list[str] | None = None,
    changed_at: datetime | None = None,
    affected_balloons: list[str] | None = None,
) -> tuple[Trigger, list[Event]]:
    """Raise a trigger, open its evaluation and hold production of the configuration, in the
    caller's unit of work. The same change (same fingerprint) raises nothing the second time:
    the trigger raised the first time comes back, with no events."""
    trigger = Trigger.raise_(
        site_id=site_id,
        kind=kind,
        part_revision_id=part_revision_id,
        evidence=evidence,
        by=ctx.actor,
        at=ctx.clock.now(),
        customer_id=customer_id,
        baseline_first_article_id=baseline.id if baseline else None,
        identity=identity,
        changed_at=changed_at,
        affected_balloons=affected_balloons,
    )
    existing = uow.triggers.by_fingerprint(site_id, trigger.fingerprint)
    if existing is not None:
        return existing, []
    hold, events = holds.place_evaluation_hold(
        uow,
        ctx,
        site_id=site_id,
        part_revision_id=part_revision_id,
        customer_id=customer_id,
        reason=f"Re-FAI evaluation open: {trigger.field14_reason}",
    )
    evaluation = Evaluation(site_id, trigger.id, team_of(team), ctx.clock.now(), hold.id)
    uow.triggers.add(trigger, evaluation)
    raised = _event(
        ctx,
        "refai_trigger.raised",
        "refai_trigger",
        trigger.id,
        site_id,
        {
            "kind": kind.value,
            "part_revision_id": part_revision_id,
            "customer_id": customer_id,
            "what": evidence.what,
            "before": evidence.before,
            "after": evidence.after,
            "source": f"{evidence.source_record_type}:{evidence.source_record_id}",
            "baseline": baseline.fair_identifier if baseline else None,
            "affected_balloons": trigger.affected_balloons,
            "evaluation_id": evaluation.id,
            "team": evaluation.team,
            "hold_id": hold.id,
        },
    )
    return trigger, [raised, *events]


def record_event(
    ctx: ServiceContext,
    *,
    site_id: str,
    part_revision_id: str,
    nature: EventNature,
    description: str,
    occurred_at: datetime,
    customer_id: str | None = None,
) -> TriggerView:
    """A person records a natural or man-made event that may affect the process of a
    configuration: it raises an ``event`` trigger (once, however often it is recorded)."""
    allowed(ctx, Permission.REFAI_EVENT_RECORD, site_id)
    if occurred_at.tzinfo is None:
        raise ValidationError("occurred_at needs a time zone.", field="occurred_at")
    description = model.require_text(description, "description")
    with ctx.uow_factory() as uow:
        found(uow.sites.get(site_id), "Site", site_id)
        require_revision_data(ctx, uow, part_revision_id, "part revision")
        if customer_id is not None:
            found(uow.customers.get(customer_id), "Customer", customer_id)
        approved = [
            f
            for f in uow.first_articles.covering(site_id, part_revision_id, customer_id)
            if f.status is FaiStatus.APPROVED
        ]
        trigger, events = raise_trigger(
            uow,
            ctx,
            site_id=site_id,
            kind=ReFaiTrigger.EVENT,
            part_revision_id=part_revision_id,
            evidence=TriggerEvidence(
                f"{nature.value.replace('_', '-')} event: {description}",
                None,
                occurred_at.isoformat(),
                "event_report",
                ctx.actor,
            ),
            customer_id=customer_id,
            baseline=approved[-1] if approved else None,
            identity=f"{nature.value}|{description}|{occurred_at.isoformat()}",
            changed_at=occurred_at,
        )
        record(uow, ctx, events)
        uow.commit()
        return _view(uow, trigger)


def _view(uow: UnitOfWork, trigger: Trigger) -> TriggerView:
    evaluation = found(
        uow.triggers.evaluation_of(trigger.site_id, trigger.id), "Evaluation", trigger.id
    )
    return TriggerView(trigger, evaluation)


def _visible_trigger(uow: UnitOfWork, ctx: ServiceContext, trigger_id: str) -> Trigger:
    trigger = found(uow.triggers.trigger(trigger_id), "Trigger", trigger_id)
    ctx.principal.require_site(trigger.site_id, "trigger")
    if not ctx.principal.sees_customer(trigger.customer_id):
        found(None, "Trigger", trigger_id)
    require_revision_data(ctx, uow, trigger.part_revision_id, "trigger")
    return trigger


def get_trigger(ctx: ServiceContext, trigger_id: str) -> TriggerView:
    """The trigger with its evaluation, or NotFoundError."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        return _view(uow, _visible_trigger(uow, ctx, trigger_id))


def list_triggers(
    ctx: ServiceContext,
    *,
    site_id: str | None = None,
    status: EvaluationStatus | None = None,
    part_revision_id: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[TriggerView]:
    """A page of the triggers the caller may see, newest first."""
    allowed(ctx, Permission.READ)
    size, start = ctx.page(limit, offset)
    with ctx.uow_factory() as uow:
        page = uow.triggers.list(
            site_id=site_id,
            status=status,
            part_revision_id=part_revision_id,
            limit=size,
            offset=start,
            visible=visible(ctx),
        )
        return Page([TriggerView(t, e) for t, e in page.items], page.total, size, start)


def set_customer_rules(
    ctx: ServiceContext, customer_key: str, *, lapse_months: int | None, reason: str
) -> model.Customer:
    """Set a customer's re-FAI rules (a production lapse shorter than two years; None for
    the standard's), audited with the reason. Applies to work orders seen from now on."""
    allowed(ctx, Permission.CHANNEL_MANAGE)
    if lapse_months is not None:
        lapse_months_rule(lapse_months)
    with ctx.uow_factory() as uow:
        customer = customer_by_key(uow, customer_key)
        before = customer.refai_lapse_months
        customer.refai_lapse_months = lapse_months
        record(
            uow,
            ctx,
            [
                changed(
                    ctx,
                    "customer.refai_rules_set",
                    ("customer", customer.id, None),
                    {"refai_lapse_months": (before, lapse_months)},
                    require_text(reason, "reason"),
                )
            ],
        )
        uow.commit()
        return customer


def awaiting_my_team(ctx: ServiceContext) -> list[TriggerView]:
    """The open evaluations whose team names a role the caller holds, oldest first (the
    inbox's share of re-FAI work); open evaluations are few, so they are read whole."""
    roles = {str(r) for r in ctx.principal.roles}
    found: list[TriggerView] = []
    start = 0
    while True:
        page = list_triggers(
            ctx, status=EvaluationStatus.OPEN, limit=ctx.page_size_max, offset=start
        )
        found += [v for v in page.items if roles & set(v.evaluation.team)]
        start += len(page.items)
        if not page.items or start >= page.total:
            return found[::-1]


def decide_evaluation(
    ctx: ServiceContext,
    trigger_id: str,
    *,
    outcome: EvaluationOutcome,
    reason: str,
    work_order_id: str | None = None,
    balloons: Sequence[str] = (),
) -> TriggerView:
    """Sign the team's decision; release the production hold; for ``partial`` pre-build a
    partial FAI on the baseline with exactly the affected characteristics plus the
    ``balloons`` the team adds (for ``full``, a full FAI), recording the trigger kind on it.
    All in one transaction."""
    allowed(ctx, Permission.REFAI_DECIDE)
    with ctx.uow_factory() as uow:
        trigger = _visible_trigger(uow, ctx, trigger_id)
        allowed(ctx, Permission.REFAI_DECIDE, trigger.site_id)
        view = _view(uow, trigger)
        evaluation = found(
            uow.triggers.evaluation(view.evaluation.id, for_update=True), "Evaluation", trigger_id
        )
        evaluation.decide(outcome, reason, ctx.actor, ctx.clock.now())
        events = [
            _event(
                ctx,
                "refai_evaluation.decided",
                "refai_evaluation",
                evaluation.id,
                trigger.site_id,
                {"trigger_id": trigger.id, "outcome": outcome.value},
                evaluation.reason,
            )
        ]
        if evaluation.hold_id is not None:
            events += holds.release_evaluation_hold(
                uow, ctx, evaluation.hold_id, f"Re-FAI evaluation decided: {outcome.value}"
            )
        if outcome is not EvaluationOutcome.NONE:
            events.append(
                _open_fai(uow, ctx, trigger, evaluation, outcome, work_order_id, balloons)
            )
        record(uow, ctx, events)
        uow.commit()
        return TriggerView(trigger, evaluation)


def _open_fai(
    uow: UnitOfWork,
    ctx: ServiceContext,
    trigger: Trigger,
    evaluation: Evaluation,
    outcome: EvaluationOutcome,
    work_order_id: str | None,
    added: Sequence[str],
) -> Event:
    """The new FAI the decision calls for, in the caller's unit of work."""
    if work_order_id is not None:
        work_order = found(uow.work_orders.get(work_order_id), "Work order", work_order_id)
        if (work_order.site_id, work_order.part_revision_id) != (
            trigger.site_id,
            trigger.part_revision_id,
        ):
            raise ValidationError(
                "The work order builds another configuration than the trigger's.",
                field="work_order_id",
            )
    else:
        candidate = uow.triggers.work_order_for(
            trigger.site_id, trigger.part_revision_id, trigger.customer_id
        )
        if candidate is None:
            raise WorkOrderMissingError(
                "No open work order builds this configuration; name one for the new FAI.",
                field="work_order_id",
            )
        work_order = candidate
    baseline = None
    if outcome is EvaluationOutcome.PARTIAL:
        if trigger.baseline_first_article_id is None:
            raise BaselineMissingError(
                "No approved FAI of this configuration to build a partial FAI on; decide full.",
                field="outcome",
            )
        baseline = found(
            uow.first_articles.get(trigger.baseline_first_article_id),
            "First article",
            trigger.baseline_first_article_id,
        )
    baseline_revision = (
        uow.parts.revision(baseline.part_revision_id) if baseline is not None else None
    )
    part = found(uow.parts.get(_part_id(uow, trigger)), "Part", trigger.part_revision_id)
    balloons = (
        _partial_balloons(uow, trigger, baseline, baseline_revision, added)
        if baseline is not None and baseline_revision is not None
        else None
    )
    loaded, event = open_first_article(
        uow,
        ctx,
        work_order_id=work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.PARTIAL
        if outcome is EvaluationOutcome.PARTIAL
        else model.FaiScope.FULL,
        reason=trigger.field14_reason,
        baseline_part_number=part.number if baseline is not None else None,
        baseline_part_revision=baseline_revision.revision if baseline_revision else None,
        baseline_fair_identifier=baseline.fair_identifier if baseline is not None else None,
        refai_trigger=trigger.kind.value,
        balloons=balloons,
    )
    evaluation.first_article_id = loaded.fai.id
    return event


def _partial_balloons(
    uow: UnitOfWork,
    trigger: Trigger,
    baseline: model.FirstArticle,
    baseline_revision: model.PartRevision,
    added: Sequence[str],
) -> list[str]:
    """What a partial FAI for ``trigger`` starts with: what the change affects (a design
    change's delta from the baseline revision, what a changed operation produces, what a
    corrective action's NC names; nothing of its own for an event or a lapse), plus the
    balloons the team added; NothingToReinspectError when that is nothing."""
    revision = found(
        uow.parts.revision(trigger.part_revision_id), "Part revision", trigger.part_revision_id
    )
    defined = {c.balloon for c in revision.characteristics}
    unknown = sorted(set(added) - defined)
    if unknown:
        raise ValidationError(
            f"Balloon {', '.join(unknown)} is not a characteristic of rev {revision.revision}.",
            field="balloons",
        )
    affected: list[str] = []
    if trigger.affected_balloons is not None:
        affected = [b for b in trigger.affected_balloons if b in defined]
    elif trigger.kind is ReFaiTrigger.CORRECTIVE_ACTION:
        affected = _nc_balloons(baseline, baseline_revision, trigger.source_record_id)
    elif trigger.kind is ReFaiTrigger.DESIGN_CHANGE:
        numbers = {d.id: d.number for d in revision.drawings + baseline_revision.drawings}
        affected = [s.balloon for s, _how in partial_delta(baseline_revision, revision, numbers)]
    chosen = list(dict.fromkeys([*affected, *added]))
    if not chosen:
        raise NothingToReinspectError(
            f"Nothing to re-inspect for this {trigger.kind.label.lower()}: name the balloons "
            "(a routing operation's, an NC's, or the team's choice) or decide a full FAI.",
            field="balloons",
        )
    return chosen


def _nc_balloons(
    baseline: model.FirstArticle, revision: model.PartRevision, nc_record: str
) -> list[str]:
    """The balloons of the baseline's NC that the QMS record ``nc_record`` mirrors."""
    nc = next(
        (
            n
            for n in baseline.nonconformances
            if n.provenance is not None and n.provenance.external_id == nc_record
        ),
        None,
    )
    balloons = {c.id: c.balloon for c in revision.characteristics}
    return [balloons[i] for i in (nc.characteristic_ids if nc else []) if i in balloons]


def _part_id(uow: UnitOfWork, trigger: Trigger) -> str:
    revision = found(
        uow.parts.revision(trigger.part_revision_id), "Part revision", trigger.part_revision_id
    )
    return revision.part_id
