"""The lifecycle steps of an FAI, taken in the caller's unit of work.

:func:`apply_action` moves the FAI with its readiness guard (domain/readiness.py decides what
blocks); :func:`apply_customer_decision` records what the customer decided in its channel and
the holds it releases or places. The use cases that call them are
:func:`firstarticle.services.first_articles.transition`,
:func:`~firstarticle.services.first_articles.record_customer_decision` and the signatures that
perform a transition (services/signatures.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from firstarticle.domain import model, readiness
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

CUSTOMER_ACTIONS = frozenset({FaiAction.APPROVE, FaiAction.ACCEPT_CONDITIONALLY, FaiAction.REJECT})
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
    *,
    outcome: model.DecisionOutcome,
    decided_by: str,
    decided_at: datetime,
    reference: str | None = None,
    comments: str | None = None,
    containment: bool = False,
    containment_serial_numbers: Sequence[str] = (),
    containment_lots: Sequence[str] = (),
) -> list[Event]:
    """Record a customer decision on the loaded FAI in the caller's unit of work: the
    lifecycle move, the decision, the holds it releases or the containment it asks for."""
    if (containment_serial_numbers or containment_lots) and not containment:
        raise ValidationError(
            "Containment serials or lots are given without containment.", field="containment"
        )
    if containment and outcome is not model.DecisionOutcome.REJECTED:
        raise ValidationError("Only a rejection asks for containment.", field="containment")
    now = ctx.clock.now()
    if decided_at.tzinfo is None:
        raise ValidationError("decided_at needs a time zone.", field="decided_at")
    if decided_at > now:
        raise ValidationError("decided_at is in the future.", field="decided_at")
    fai = loaded.fai
    if fai.customer_id is None or loaded.customer is None:
        raise ValidationError("The FAI's work order names no customer.", field="customer")
    reason = comments if outcome is not model.DecisionOutcome.APPROVED else None
    events = fai.apply(outcome.action, actor=ctx.actor, at=now, reason=reason)
    decision = model.CustomerDecision(
        fai.site_id,
        fai.id,
        fai.submission_attempt,
        outcome,
        loaded.customer.channel,
        model.require_text(decided_by, "decided_by"),
        decided_at,
        ctx.actor,
        now,
        reference,
        comments,
    )
    fai.decisions.append(decision)
    events.append(
        fai_event(
            ctx,
            fai,
            "fai.customer_decision_recorded",
            {
                "customer_decision": (
                    None,
                    {
                        "outcome": outcome.value,
                        "decided_by": decided_by,
                        "decided_at": decided_at.isoformat(),
                        "channel": decision.channel.value,
                        "reference": reference,
                    },
                )
            },
            comments,
        )
    )
    events += holds.release_by_lifecycle(uow, ctx, fai, loaded.customer)
    if containment:
        events += holds.place_containment(
            uow,
            ctx,
            fai,
            containment_serial_numbers,
            containment_lots,
            f"Containment asked by {loaded.customer.name} on rejecting "
            f"{fai.fair_identifier}: {comments or 'no reason given'}",
        )
    return events
