"""Customer channels (``customer channel show|set``), customer decisions (``fai decision
transcribe|verify|refuse|condition|list``) and first-pass yield (``fai yield``)."""

from __future__ import annotations

import mimetypes
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from firstarticle.cli.common import command, ctx, fai_detail, out, usage_error
from firstarticle.cli.fai import fai_app
from firstarticle.domain import channels as ch
from firstarticle.domain import decisions as dec
from firstarticle.domain.model import FormRevision
from firstarticle.services import channels, decisions, fai_yield

channel_app = typer.Typer(help="How a customer decides on FAIs, versioned.", no_args_is_help=True)
decision_app = typer.Typer(help="Customer decisions with their evidence.", no_args_is_help=True)


def _print_channel(view: channels.ChannelView) -> None:
    c = view.current
    where = c.authority.value + (f" ({c.portal_name})" if c.portal_name else "")
    out.print(
        f"{view.customer.code}{' program ' + c.program if c.program else ''}: version "
        f"{c.version}, authority {where}, buy-off {c.buy_off.value}, AS9102 rev "
        f"{c.form_revision.value}, ships while conditional: "
        f"{'yes' if c.ships_while_conditional else 'no'}, paths "
        f"{', '.join(sorted(p.value for p in c.entry_paths))}"
    )
    if c.conditions_meaning:
        out.print(f"conditional acceptance: {c.conditions_meaning}")
    table = Table("customer id", "name", "email", "account")
    for p in c.people:
        table.add_row(p.customer_person_id, p.name, p.email or "", p.username or "")
    out.print(table)


@channel_app.command("show")
@command
def channel_show(customer: str, program: str | None = None) -> None:
    """The customer's configuration in force (for the program) and its people."""
    _print_channel(channels.show_channel(ctx(), customer, program))


def _person(text: str) -> ch.CustomerPerson:
    parts = [p.strip() for p in text.split(";")]
    if len(parts) < 2 or len(parts) > 4:
        usage_error(f"--person '{text}': give 'CUSTOMER-ID;NAME[;EMAIL[;ACCOUNT]]'.")
    parts += [""] * (4 - len(parts))
    return ch.CustomerPerson(parts[0], parts[1], parts[2] or None, parts[3] or None)


@channel_app.command("set")
@command
def channel_set(
    customer: str,
    authority: Annotated[ch.Authority, typer.Option(help="The record of authority.")],
    buy_off: Annotated[ch.BuyOffMode, typer.Option()] = ch.BuyOffMode.ONE_STEP,
    form_revision: Annotated[FormRevision, typer.Option()] = FormRevision.C,
    portal_name: Annotated[str | None, typer.Option(help="The portal's name.")] = None,
    ships_while_conditional: bool = False,
    conditions_meaning: Annotated[str | None, typer.Option()] = None,
    person: Annotated[
        list[str] | None,
        typer.Option(help="'CUSTOMER-ID;NAME[;EMAIL[;ACCOUNT]]', repeated: who may decide."),
    ] = None,
    path: Annotated[
        list[ch.EntryPath] | None,
        typer.Option(help="An entry path allowed (default: all the authority allows)."),
    ] = None,
    program: str | None = None,
    reason: str | None = None,
) -> None:
    """Write the next version of the customer's channel configuration."""
    view = channels.set_channel(
        ctx(),
        customer,
        authority=authority,
        buy_off=buy_off,
        form_revision=form_revision,
        ships_while_conditional=ships_while_conditional,
        people=[_person(p) for p in person or []],
        entry_paths=path or None,
        program=program,
        portal_name=portal_name,
        conditions_meaning=conditions_meaning,
        reason=reason,
    )
    _print_channel(view)


def _comment(text: str) -> dec.ItemComment:
    form, _, rest = text.partition(":")
    item, _, comment = rest.partition(":")
    if not form.strip().isdigit() or not item.strip() or not comment.strip():
        usage_error(f"--comment '{text}': give 'FORM:ITEM:COMMENT', e.g. '3:17:position'.")
    return dec.ItemComment(int(form), item.strip(), comment.strip())


@decision_app.command("transcribe")
@command
def decision_transcribe(
    fair: str,
    outcome: Annotated[dec.Outcome, typer.Option()],
    person: Annotated[str, typer.Option(help="The customer's id of the person who decided.")],
    decided_at: Annotated[
        str, typer.Option(help="When the customer decided, ISO 8601 with its UTC offset.")
    ],
    reference: Annotated[str, typer.Option(help="The customer's reference.")],
    evidence: Annotated[Path, typer.Option(help="The portal PDF, screenshot or .eml.")],
    requested_action: Annotated[dec.RequestedAction | None, typer.Option()] = None,
    comment: Annotated[list[str] | None, typer.Option(help="'FORM:ITEM:COMMENT'.")] = None,
    condition: Annotated[list[str] | None, typer.Option()] = None,
    serial: Annotated[list[str] | None, typer.Option(help="A serial to contain.")] = None,
    lot: Annotated[list[str] | None, typer.Option(help="A lot to contain.")] = None,
) -> None:
    """Transcribe the customer's decision with its evidence; it waits for a second person
    to verify it (``fai decision verify``)."""
    try:
        when = datetime.fromisoformat(decided_at)
    except ValueError:
        usage_error(f"--decided-at '{decided_at}' is not an ISO 8601 time.")
    if when.tzinfo is None:
        usage_error("--decided-at needs the customer's UTC offset (e.g. +02:00 or Z).")
    try:
        content = evidence.read_bytes()
    except OSError as error:
        usage_error(f"cannot read {evidence}: {error.strerror}")
    c = ctx()
    fai_id = fai_detail(fair).fai.id
    media_type = mimetypes.guess_type(evidence.name)[0]
    given = decisions.DecisionInput(
        outcome=outcome,
        customer_person_id=person,
        decided_at=when,
        reference=reference,
        requested_action=requested_action,
        comments=[_comment(t) for t in comment or []],
        conditions=condition or [],
        containment_serial_numbers=serial or [],
        containment_lots=lot or [],
    )
    view = decisions.transcribe_file(
        c, fai_id, given, file_name=evidence.name, media_type=media_type, content=content
    )
    assert view.evidence is not None
    out.print(f"{fair}: {outcome.value} transcribed as decision {view.decision.id}")
    out.print(f"evidence sha256 {view.evidence.sha256}")
    out.print("waiting for a second person to verify it (fai decision verify)")


@decision_app.command("verify")
@command
def decision_verify(fair: str, decision_id: str) -> None:
    """Verify a transcription against its evidence (not its author): it takes effect."""
    decisions.verify(ctx(), fai_detail(fair).fai.id, decision_id)
    out.print(f"{fair} is now {fai_detail(fair).fai.status.label.lower()}")


@decision_app.command("refuse")
@command
def decision_refuse(fair: str, decision_id: str, reason: Annotated[str, typer.Option()]) -> None:
    """Refuse a transcription that does not match its evidence."""
    decisions.refuse(ctx(), fai_detail(fair).fai.id, decision_id, reason)
    out.print(f"decision {decision_id} refused")


@decision_app.command("condition")
@command
def decision_condition(
    fair: str,
    decision_id: str,
    number: int,
    met: Annotated[bool, typer.Option("--met/--failed")],
    note: str | None = None,
) -> None:
    """Record a condition of the conditional acceptance as met or failed."""
    decisions.settle_condition(
        ctx(), fai_detail(fair).fai.id, decision_id, number, met=met, note=note
    )
    out.print(f"{fair} is now {fai_detail(fair).fai.status.label.lower()}")


@decision_app.command("list")
@command
def decision_list(fair: str) -> None:
    """Every decision recorded on the FAI."""
    table = Table("id", "attempt", "outcome", "path", "status", "decided by", "decided at", "ref")
    for v in decisions.decisions_of(ctx(), fai_detail(fair).fai.id):
        d = v.decision
        table.add_row(
            d.id,
            str(d.attempt),
            d.outcome.value,
            d.path.value,
            d.status.value,
            d.decided_by,
            d.decided_at.isoformat(timespec="minutes"),
            d.reference or "",
        )
    out.print(table)


@fai_app.command("yield")
@command
def fai_first_pass_yield(
    customer: Annotated[str, typer.Option()],
    site: str | None = None,
    program: str | None = None,
) -> None:
    """First-pass yield: FAIs approved on their first decided attempt, with the counts."""
    r = fai_yield.first_pass_yield(ctx(), customer, site=site, program=program)
    n = r.counts
    ratio = "n/a" if n.ratio is None else f"{n.ratio:.1%}"
    out.print(
        f"{r.customer_code}: first-pass yield {ratio} ({n.approved_first_time} approved "
        f"first time of {n.first_submissions} first decisions; {n.rejected_first_time} "
        f"rejected, {n.conditional_open} conditional open, {n.awaiting_decision} awaiting)"
    )
