"""The decision paths taken inside other use cases: the plant's own submission where the
buy-off mode delegates the approval, and the customer representative's field 24 signature
where firstarticle holds the authority (path c). Both run in the caller's unit of work."""

from __future__ import annotations

from firstarticle.domain import decisions
from firstarticle.domain.channels import EntryPath
from firstarticle.domain.decisions import Outcome
from firstarticle.domain.events import Event
from firstarticle.ports import UnitOfWork
from firstarticle.services import ServiceContext
from firstarticle.services.channels import configuration_for
from firstarticle.services.decisions import decision_configuration
from firstarticle.services.fai_lifecycle import apply_customer_decision
from firstarticle.services.fai_record import LoadedFai


def on_submission(uow: UnitOfWork, ctx: ServiceContext, loaded: LoadedFai) -> list[Event]:
    """Record the configuration version the FAI is submitted under; where the buy-off mode
    is none or delegated, the submission itself approves (a decision of path delegated)."""
    fai = loaded.fai
    if loaded.customer is None:
        return []
    config = configuration_for(uow, loaded.customer, loaded.context.work_order.program)
    uow.channels.add_submission(fai.site_id, fai.id, fai.submission_attempt, config)
    if not config.buy_off.submission_approves:
        return []
    now = ctx.clock.now()
    decision = decisions.new_decision(
        site_id=fai.site_id,
        first_article_id=fai.id,
        attempt=fai.submission_attempt,
        outcome=Outcome.APPROVED,
        path=EntryPath.DELEGATED,
        authority=config.authority,
        channel_version=config.version,
        customer_person_id=None,
        decided_by=ctx.principal.printed_name,
        decided_at=now,
        recorded_by=ctx.actor,
        now=now,
        reference=f"buy-off {config.buy_off.value}, submission {fai.submission_attempt}",
    )
    uow.channels.add_decision(decision)
    return apply_customer_decision(uow, ctx, loaded, decision, config)


def signed_approval(
    uow: UnitOfWork, ctx: ServiceContext, loaded: LoadedFai, username: str, signature_id: str
) -> list[Event]:
    """Path (c): the customer representative signed field 24; refused unless firstarticle
    holds the authority and the configuration names this representative."""
    config = decision_configuration(uow, loaded)
    config.require_path(EntryPath.SIGNATURE)
    person = config.person_with_account(username)
    fai = loaded.fai
    now = ctx.clock.now()
    decision = decisions.new_decision(
        site_id=fai.site_id,
        first_article_id=fai.id,
        attempt=fai.submission_attempt,
        outcome=Outcome.APPROVED,
        path=EntryPath.SIGNATURE,
        authority=config.authority,
        channel_version=config.version,
        customer_person_id=person.customer_person_id,
        decided_by=person.name,
        decided_at=now,
        recorded_by=ctx.actor,
        now=now,
        reference=f"e-signature {signature_id}",
    )
    uow.channels.add_decision(decision)
    return apply_customer_decision(uow, ctx, loaded, decision, config)
