"""The lifecycle steps of an FAI, taken in the caller's unit of work.

:func:`apply_action` moves the FAI with its readiness guard (domain/readiness.py decides what
blocks); :func:`apply_customer_decision` records what the customer decided in its channel and
the holds it releases or places. The use cases that call them are
:func:`firstarticle.services.first_articles.transition`,
:func:`~firstarticle.services.first_articles.record_customer_decision` and the signatures that
perform a transition (services/signatures.py).
"""

from __future__ import annotations

from firstarticle.domain import model, readiness
from firstarticle.domain.channels import ChannelConfiguration
from firstarticle.domain.decisions import (
    CustomerDecisionRecord,
    DecisionStatus,
    Outcome,
    RequestedAction,
)
from firstarticle.domain.errors import ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.signatures import (
    CONTENT_MEANINGS,
    MEANING_RULES,
)
from firstarticle.ports import UnitOfWork
from firstarticle.services import (
    ServiceContext,
    found,
    holds,
)
from firstarticle.services.fai_record import (
    LoadedFai,
    fai_event,
)

# --- lifecycle ----------------------------------------------------------------------------

FAI_RECORD = "first_article"  # the record type of an FAI's signatures and audit entries
CUSTOMER_ACTIONS = frozenset(
    {FaiAction.APPROVE, FaiAction.ACCEPT_CONDITIONALLY, FaiAction.REJECT, FaiAction.RESET}
)
# Field 20 and field 22 are signed, and the signature moves the FAI: never a bare transition.
SIGNED_ACTIONS = {
    rule.action: rule.meaning
    for rule in MEANING_RULES
    if rule.action is not None and rule.meaning in CONTENT_MEANINGS
}
RESETTING_ACTIONS = frozenset({FaiAction.RETURN_TO_WORK, FaiAction.REWORK, FaiAction.CANCEL})


def apply_action(
    uow: UnitOfWork,
    ctx: ServiceContext,
    loaded: LoadedFai,
    action: FaiAction,
    *,
    reason: str | None = None,
    superseded_by: str | None = None,
) -> list[Event]:
    """Take ``action`` on the loaded FAI in the caller's unit of work, with the readiness
    guard and the superseding FAI checked; the events to record, or raise and change nothing.
    """
    fai = loaded.fai
    superseded_by_id = None
    if action is FaiAction.SUPERSEDE:
        newer = found(
            uow.first_articles.by_fair_identifier(superseded_by or ""),
            "First article",
            superseded_by or "(none given)",
        )
        if (
            newer.part_revision_id == fai.part_revision_id
            and newer.created_at
            and fai.created_at
            and newer.created_at < fai.created_at
        ):
            raise ValidationError("An FAI is superseded by a newer one.", field="superseded_by")
        superseded_by_id = newer.id
    findings = readiness.blocking(readiness.evaluate(fai, loaded.context))
    return fai.apply(
        action,
        actor=ctx.actor,
        at=ctx.clock.now(),
        reason=reason,
        blocking_findings=findings,
        superseded_by_id=superseded_by_id,
    )


def apply_customer_decision(
    uow: UnitOfWork,
    ctx: ServiceContext,
    loaded: LoadedFai,
    decision: CustomerDecisionRecord,
    config: ChannelConfiguration,
) -> list[Event]:
    """Make a decision in effect move the loaded FAI, in the caller's unit of work: the
    lifecycle step, the Form 1 decision, the holds it releases or places, and for a reset
    the signatures of fields 20-25 withdrawn and the FAI-required hold back in place.

    Emits fai.customer_decision_recorded with identifiers and outcomes only (no comments).
    """
    fai = loaded.fai
    if loaded.customer is None:
        raise ValidationError("The FAI's work order names no customer.", field="customer")
    if decision.status is not DecisionStatus.IN_EFFECT:
        raise ValidationError("Only a decision in effect moves the FAI.", field="status")
    now = ctx.clock.now()
    reason = f"Customer {decision.outcome.value.replace('_', ' ')}" + (
        f", reference {decision.reference}" if decision.reference else ""
    )
    events = fai.apply(decision.outcome.action, actor=ctx.actor, at=now, reason=reason)
    legacy = decision.outcome.legacy
    if legacy is not None:
        fai.decisions.append(
            model.CustomerDecision(
                fai.site_id,
                fai.id,
                decision.attempt,
                legacy,
                loaded.customer.channel,
                decision.decided_by,
                decision.decided_at,
                decision.recorded_by,
                now,
                decision.reference,
                "\n".join(f"Form {c.form} {c.item}: {c.comment}" for c in decision.comments)
                or "\n".join(c.text for c in decision.conditions)
                or None,
                id=decision.id,
            )
        )
    value = decision.event_value(config.authority.value)
    events.append(
        fai_event(ctx, fai, "fai.customer_decision_recorded", {"customer_decision": (None, value)})
    )
    events += holds.release_by_lifecycle(
        uow, ctx, fai, loaded.customer, ships_on_conditional=config.ships_while_conditional
    )
    if decision.requested_action is RequestedAction.CONTAINMENT:
        events += holds.place_containment(
            uow,
            ctx,
            fai,
            decision.containment_serial_numbers,
            decision.containment_lots,
            f"Containment asked by {loaded.customer.name} on rejecting "
            f"{fai.fair_identifier} (reference {decision.reference or 'none'})",
        )
    if decision.outcome is Outcome.RESET:
        events += [
            s.invalidate(now, reason, actor=ctx.actor)
            for s in uow.signatures.for_record(FAI_RECORD, fai.id)
            if s.valid
        ]
        events += holds.hold_if_fai_required(uow, ctx, loaded.context.work_order)
    return events
