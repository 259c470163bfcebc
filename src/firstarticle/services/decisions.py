"""Customer decisions, taken only by the paths the customer's channel allows.

(a) an integration call (system token, Idempotency-Key at the API) takes effect at once;
(b) a transcription with its evidence takes effect when a second person verifies it;
(c) the customer representative's signature where firstarticle is the authority, and the
plant's own submission where the buy-off mode delegates it (services/decision_paths.py).
Any other path is refused before anything is written, naming the channel that holds the
authority.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from firstarticle.domain import decisions
from firstarticle.domain.access import Permission
from firstarticle.domain.channels import ChannelConfiguration, EntryPath
from firstarticle.domain.decisions import CustomerDecisionRecord, DecisionEvidence, Outcome
from firstarticle.domain.errors import NotFoundError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.lifecycle import FaiAction, FaiStatus, plan_transition
from firstarticle.ports import UnitOfWork
from firstarticle.services import ServiceContext, holds
from firstarticle.services.channels import configuration_for
from firstarticle.services.fai_lifecycle import apply_customer_decision
from firstarticle.services.fai_record import LoadedFai, commit_fai, fai_event, load_fai

MAX_EVIDENCE_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class DecisionInput:
    """A customer decision as its channel gave it."""

    outcome: Outcome
    customer_person_id: str
    decided_at: datetime  # the customer's time, with its UTC offset
    reference: str | None = None
    requested_action: decisions.RequestedAction | None = None
    comments: Sequence[decisions.ItemComment] = ()
    conditions: Sequence[str] = ()
    containment_serial_numbers: Sequence[str] = ()
    containment_lots: Sequence[str] = ()


@dataclass(frozen=True)
class DecisionView:
    """A recorded decision with the settlements of its conditions and its evidence's hash."""

    decision: CustomerDecisionRecord
    settlements: list[decisions.ConditionSettlement] = field(default_factory=list)
    evidence: DecisionEvidence | None = None


def decision_configuration(uow: UnitOfWork, loaded: LoadedFai) -> ChannelConfiguration:
    """The configuration the FAI's current attempt was submitted under; one set since, when
    it was submitted before the customer had any (version 0)."""
    if loaded.customer is None:
        raise ValidationError("The FAI's work order names no customer.", field="customer")
    program = loaded.context.work_order.program
    now_in_force = configuration_for(uow, loaded.customer, program)
    fai = loaded.fai
    version = uow.channels.submitted_under(fai.site_id, fai.id).get(fai.submission_attempt, 0)
    if version == 0:
        return now_in_force
    for config in uow.channels.configurations(loaded.customer.id, now_in_force.program):
        if config.version == version:
            return config
    return now_in_force


def _new(
    ctx: ServiceContext,
    loaded: LoadedFai,
    config: ChannelConfiguration,
    given: DecisionInput,
    path: EntryPath,
    evidence_id: str | None = None,
) -> CustomerDecisionRecord:
    config.require_path(path)
    person = config.person(given.customer_person_id)
    fai = loaded.fai
    # Refuse now an outcome the FAI cannot take, rather than at verification.
    plan_transition(fai.status, given.outcome.action, reason=given.outcome.value)
    return decisions.new_decision(
        site_id=fai.site_id,
        first_article_id=fai.id,
        attempt=fai.submission_attempt,
        outcome=given.outcome,
        path=path,
        authority=config.authority,
        channel_version=config.version,
        customer_person_id=person.customer_person_id,
        decided_by=person.name,
        decided_at=given.decided_at,
        recorded_by=ctx.actor,
        now=ctx.clock.now(),
        reference=given.reference,
        requested_action=given.requested_action,
        comments=given.comments,
        conditions=given.conditions,
        containment_serial_numbers=given.containment_serial_numbers,
        containment_lots=given.containment_lots,
        evidence_id=evidence_id,
    )


def record_from_integration(ctx: ServiceContext, fai_id: str, given: DecisionInput) -> DecisionView:
    """Path (a): the customer's system reports its decision; it takes effect at once."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.CUSTOMER_DECISION_INTEGRATE)
        config = decision_configuration(uow, loaded)
        decision = _new(ctx, loaded, config, given, EntryPath.INTEGRATION)
        uow.channels.add_decision(decision)
        events = apply_customer_decision(uow, ctx, loaded, decision, config)
        commit_fai(uow, ctx, loaded, events)
        return DecisionView(decision)


def _store_evidence(
    uow: UnitOfWork,
    ctx: ServiceContext,
    loaded: LoadedFai,
    file_name: str,
    media_type: str | None,
    content: bytes,
) -> tuple[DecisionEvidence, Event]:
    if not content:
        raise ValidationError("The evidence file is empty.", field="file")
    if len(content) > MAX_EVIDENCE_BYTES:
        raise ValidationError("The evidence file is too large.", field="file")
    fai = loaded.fai
    evidence = DecisionEvidence(
        site_id=fai.site_id,
        first_article_id=fai.id,
        file_name=(file_name or "").strip()[:300] or "evidence",
        media_type=(media_type or "application/octet-stream")[:200],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=ctx.actor,
        uploaded_at=ctx.clock.now(),
    )
    uow.channels.add_evidence(evidence)
    changes = {
        "evidence_id": (None, evidence.id),
        "sha256": (None, evidence.sha256),
        "size": (None, evidence.size),
    }
    return evidence, fai_event(ctx, fai, "fai.decision_evidence_added", changes)


def add_evidence(
    ctx: ServiceContext, fai_id: str, *, file_name: str, media_type: str | None, content: bytes
) -> DecisionEvidence:
    """Keep the file a decision came in (portal PDF, screenshot, .eml) with its SHA-256, for
    a transcription to name."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.CUSTOMER_DECISION_RECORD)
        evidence, event = _store_evidence(uow, ctx, loaded, file_name, media_type, content)
        commit_fai(uow, ctx, loaded, [event])
        return evidence


def transcribe(
    ctx: ServiceContext, fai_id: str, given: DecisionInput, evidence_id: str
) -> DecisionView:
    """Path (b): a person copies the decision with its evidence (uploaded before); it waits
    for a second person to verify it and moves nothing until then."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.CUSTOMER_DECISION_RECORD)
        evidence = _evidence(uow, loaded, evidence_id)
        return _transcribed(uow, ctx, loaded, given, evidence, [])


def transcribe_file(
    ctx: ServiceContext,
    fai_id: str,
    given: DecisionInput,
    *,
    file_name: str,
    media_type: str | None,
    content: bytes,
) -> DecisionView:
    """:func:`transcribe` with its evidence file, both or neither written."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.CUSTOMER_DECISION_RECORD)
        evidence, event = _store_evidence(uow, ctx, loaded, file_name, media_type, content)
        return _transcribed(uow, ctx, loaded, given, evidence, [event])


def _transcribed(
    uow: UnitOfWork,
    ctx: ServiceContext,
    loaded: LoadedFai,
    given: DecisionInput,
    evidence: DecisionEvidence,
    events: list[Event],
) -> DecisionView:
    config = decision_configuration(uow, loaded)
    decision = _new(ctx, loaded, config, given, EntryPath.TRANSCRIPTION, evidence.id)
    uow.channels.add_decision(decision)
    changes = {
        "decision_id": (None, decision.id),
        "outcome": (None, decision.outcome.value),
        "attempt": (None, decision.attempt),
        "evidence_sha256": (None, evidence.sha256),
    }
    events.append(fai_event(ctx, loaded.fai, "fai.customer_decision_transcribed", changes))
    commit_fai(uow, ctx, loaded, events)
    return DecisionView(decision, evidence=evidence)


def channel_of(ctx: ServiceContext, fai_id: str) -> ChannelConfiguration | None:
    """The configuration the FAI's decisions are taken under (None without a customer)."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.READ)
        return decision_configuration(uow, loaded) if loaded.customer else None


def _evidence(uow: UnitOfWork, loaded: LoadedFai, evidence_id: str) -> DecisionEvidence:
    evidence = uow.channels.evidence(loaded.fai.site_id, evidence_id)
    if evidence is None or evidence.first_article_id != loaded.fai.id:
        raise NotFoundError(
            f"Evidence {evidence_id} is not attached to this FAI.", record="evidence"
        )
    return evidence


def _decision(uow: UnitOfWork, loaded: LoadedFai, decision_id: str) -> CustomerDecisionRecord:
    for d in uow.channels.decisions(loaded.fai.site_id, loaded.fai.id, for_update=True):
        if d.id == decision_id:
            return d
    raise NotFoundError(f"Decision {decision_id} does not exist.", record="decision")


def verify(ctx: ServiceContext, fai_id: str, decision_id: str) -> DecisionView:
    """A second person checked the transcription against its evidence: it takes effect."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.CUSTOMER_DECISION_RECORD)
        decision = _decision(uow, loaded, decision_id)
        if decision.attempt != loaded.fai.submission_attempt:
            raise ValidationError(
                "The transcription is of an earlier submission attempt.", field="attempt"
            )
        decision.verify(ctx.actor, ctx.clock.now())
        uow.channels.save_status(decision)
        config = decision_configuration(uow, loaded)
        events = [
            fai_event(
                ctx,
                loaded.fai,
                "fai.customer_decision_verified",
                {
                    "decision_id": (None, decision.id),
                    "status": ("pending_verification", "in_effect"),
                },
            )
        ]
        events += apply_customer_decision(uow, ctx, loaded, decision, config)
        commit_fai(uow, ctx, loaded, events)
        return DecisionView(decision)


def refuse(ctx: ServiceContext, fai_id: str, decision_id: str, reason: str) -> DecisionView:
    """The verifier found the transcription does not match its evidence: it never takes
    effect (a corrected one is a new transcription)."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.CUSTOMER_DECISION_RECORD)
        decision = _decision(uow, loaded, decision_id)
        decision.refuse(ctx.actor, ctx.clock.now(), reason)
        uow.channels.save_status(decision)
        changes = {
            "decision_id": (None, decision.id),
            "status": ("pending_verification", "refused"),
        }
        event = fai_event(ctx, loaded.fai, "fai.customer_decision_refused", changes, reason)
        commit_fai(uow, ctx, loaded, [event])
        return DecisionView(decision)


def settle_condition(
    ctx: ServiceContext, fai_id: str, decision_id: str, number: int, *, met: bool, note: str | None
) -> DecisionView:
    """Record one condition of the conditional acceptance in force as met or failed; a
    failed condition rejects the FAI, the last one met approves it."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.CUSTOMER_DECISION_RECORD)
        fai = loaded.fai
        decision = _decision(uow, loaded, decision_id)
        in_force = [
            d
            for d in uow.channels.decisions(fai.site_id, fai.id)
            if d.status is decisions.DecisionStatus.IN_EFFECT
        ]
        if (
            decision.outcome is not Outcome.CONDITIONALLY_ACCEPTED
            or not in_force
            or in_force[-1].id != decision.id
            or fai.status is not FaiStatus.CONDITIONALLY_ACCEPTED
        ):
            raise ValidationError(
                "Conditions are settled on the conditional acceptance in force.", field="decision"
            )
        if not any(c.number == number for c in decision.conditions):
            raise NotFoundError(f"Condition {number} does not exist.", record="condition")
        before = uow.channels.settlements(fai.site_id, fai.id)
        if any(s.decision_id == decision.id and s.number == number for s in before):
            raise ValidationError(f"Condition {number} is already settled.", field="number")
        now = ctx.clock.now()
        settlement = decisions.ConditionSettlement(
            fai.site_id, fai.id, decision.id, number, met, note, ctx.actor, now
        )
        uow.channels.add_settlement(settlement)
        changes = {
            "decision_id": (None, decision.id),
            "condition": (None, number),
            "met": (None, met),
        }
        events: list[Event] = [fai_event(ctx, fai, "fai.customer_condition_settled", changes)]
        became = decisions.conditions_outcome(decision, [*before, settlement])
        if became is not None:
            events += _conditions_resolved(uow, ctx, loaded, decision, became)
        commit_fai(uow, ctx, loaded, events)
        return DecisionView(decision, [*before, settlement])


def _conditions_resolved(
    uow: UnitOfWork,
    ctx: ServiceContext,
    loaded: LoadedFai,
    decision: CustomerDecisionRecord,
    became: Outcome,
) -> list[Event]:
    action = FaiAction.APPROVE if became is Outcome.APPROVED else FaiAction.REJECT
    reason = f"Conditions of decision {decision.reference or decision.id} " + (
        "met" if became is Outcome.APPROVED else "failed"
    )
    events = loaded.fai.apply(action, actor=ctx.actor, at=ctx.clock.now(), reason=reason)
    return events + holds.release_by_lifecycle(uow, ctx, loaded.fai, loaded.customer)


def decisions_of(ctx: ServiceContext, fai_id: str) -> list[DecisionView]:
    """Every decision recorded on the FAI, oldest first, with settlements and evidence."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.READ)
        fai = loaded.fai
        settled = uow.channels.settlements(fai.site_id, fai.id)
        return [
            DecisionView(
                d,
                [s for s in settled if s.decision_id == d.id],
                uow.channels.evidence(fai.site_id, d.evidence_id) if d.evidence_id else None,
            )
            for d in uow.channels.decisions(fai.site_id, fai.id)
        ]


def evidence_of(ctx: ServiceContext, fai_id: str, evidence_id: str) -> DecisionEvidence:
    """The evidence file, as uploaded."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.READ)
        return _evidence(uow, loaded, evidence_id)
