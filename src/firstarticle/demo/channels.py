"""The demo customers' channels and how their decisions come in: Aero Prime's portal and
Northwind's source inspection by transcription with evidence, verified by a second person;
Orbital Dynamics through its QMS integration; Helix Space by email package."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from firstarticle.domain import channels as ch
from firstarticle.domain.decisions import ItemComment, Outcome, RequestedAction
from firstarticle.domain.model import FormRevision
from firstarticle.services import ServiceContext, channels, decisions

P = ch.CustomerPerson
# code -> authority, portal, customer's UTC offset, ships while conditional, people
DEMO_CHANNELS: dict[str, tuple[ch.Authority, str | None, int, bool, list[ch.CustomerPerson]]] = {
    "AEROPRIME": (
        ch.Authority.PORTAL,
        "Net-Inspect",
        -5,
        False,
        [
            P("AP-Q-1042", "Dana Whitfield", "d.whitfield@aeroprime.example"),
            P("AP-Q-1077", "Chris Lee", "c.lee@aeroprime.example", "c.lee"),
        ],
    ),
    "ORBITAL": (
        ch.Authority.CUSTOMER_QMS,
        None,
        -6,
        False,
        [P("OD-SQE-311", "Priya Raman", "p.raman@orbital.example")],
    ),
    "NORTHWIND": (
        ch.Authority.SOURCE_INSPECTION,
        None,
        -4,
        True,
        [P("NW-SI-07", "Gus Halvorsen", "g.halvorsen@northwind.example")],
    ),
    "HELIX": (
        ch.Authority.EMAIL_PACKAGE,
        None,
        -8,
        False,
        [P("HX-QA-2", "Mei Tanaka", "m.tanaka@helix.example")],
    ),
}


def configure_demo_channels(ctx: ServiceContext) -> None:
    """Version 1 of every demo customer's channel, one-step buy-off, Rev C forms."""
    for code, (authority, portal, _, ships, people) in DEMO_CHANNELS.items():
        channels.set_channel(
            ctx,
            code,
            authority=authority,
            buy_off=ch.BuyOffMode.ONE_STEP,
            form_revision=FormRevision.C,
            ships_while_conditional=ships,
            people=people,
            portal_name=portal,
            conditions_meaning=(
                "Open source-inspection findings closed within 30 days" if ships else None
            ),
            reason="Demo: the contract's FAI clause",
        )


def decide(
    recorder: ServiceContext,
    verifier: ServiceContext,
    integration: ServiceContext,
    fai_id: str,
    outcome: Outcome,
    decided_at: datetime,
    reason: str,
) -> None:
    """The customer's decision through the path its channel allows: the QMS integration, or
    a transcription with its evidence verified by a second person."""
    config = decisions.channel_of(recorder, fai_id)
    assert config is not None
    code = channels.show_channel(recorder, config.customer_id).customer.code
    offset = timezone(timedelta(hours=DEMO_CHANNELS[code][2]))
    rejected = outcome is Outcome.REJECTED
    given = decisions.DecisionInput(
        outcome=outcome,
        customer_person_id=config.people[0].customer_person_id,
        decided_at=decided_at.astimezone(offset),
        reference=f"{code}-{fai_id[:8].upper()}",
        requested_action=RequestedAction.RESUBMISSION if rejected else None,
        comments=[ItemComment(3, "1", reason or "Resubmit")] if rejected else [],
        conditions=[reason or "Close the open finding"]
        if outcome is Outcome.CONDITIONALLY_ACCEPTED
        else [],
    )
    if ch.EntryPath.INTEGRATION in config.entry_paths:
        decisions.record_from_integration(integration, fai_id, given)
        return
    evidence = (
        f"{config.portal_name or config.authority.value}: {outcome.value} "
        f"{given.reference} {given.decided_at.isoformat()}\n"
    ).encode()
    view = decisions.transcribe_file(
        recorder, fai_id, given, file_name="decision.txt", media_type="text/plain", content=evidence
    )
    decisions.verify(verifier, fai_id, view.decision.id)
