"""The shipment / production gate, holds and their two-person overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from firstarticle.cli.common import (
    command,
    ctx,
    found,
    out,
    print_json,
    signer,
)
from firstarticle.domain.holds import Decision, GateKind, HoldKind, HoldStatus
from firstarticle.services import (
    catalog,
    gate,
    holds,
    signatures,
)

gate_app = typer.Typer(help="The shipment / production gate.", no_args_is_help=True)
hold_app = typer.Typer(help="Holds and their two-person overrides.", no_args_is_help=True)


@gate_app.command("check")
@command
def gate_check(
    site: str,
    customer: str,
    part: str,
    revision: str,
    serial: Annotated[list[str] | None, typer.Option(help="Serial number, repeatable")] = None,
    lot: str | None = None,
    work_order: str | None = None,
    kind: GateKind = GateKind.SHIPMENT,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ask the gate; prints allow or deny with reasons, exits 0 on allow and 4 on deny."""
    answer = gate.check(
        ctx(),
        gate.GateRequest(
            site=site,
            customer=customer,
            part_number=part,
            part_revision=revision,
            kind=kind,
            serial_numbers=tuple(serial or ()),
            lot=lot,
            work_order=work_order,
        ),
    )
    if as_json:
        print_json(
            {
                "decision": answer.decision.value,
                "decision_id": answer.decision_id,
                "reasons": [{"code": r.code, "message": r.message} for r in answer.reasons],
            }
        )
    else:
        colour = "green" if answer.decision is Decision.ALLOW else "red"
        out.print(
            Text.assemble(
                (answer.decision.value.upper(), colour), f"  (decision {answer.decision_id})"
            )
        )
        for r in answer.reasons:
            out.print(f"  {r.code}: {r.message}", highlight=False)
    if answer.decision is not Decision.ALLOW:
        raise typer.Exit(4)


@hold_app.command("list")
@command
def hold_list(
    site: str | None = None,
    status: HoldStatus | None = HoldStatus.ACTIVE,
    limit: int = 50,
    offset: int = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the page as JSON.")] = False,
) -> None:
    """List holds (active ones by default), with their full ids for `hold override`."""
    c = ctx()
    site_id = catalog.site_by_code(c, site).id if site else None
    page = holds.list_holds(c, site_id=site_id, status=status, limit=limit, offset=offset)
    if as_json:
        print_json(
            {
                "items": [_hold_json(h) for h in page.items],
                "total": page.total,
                "limit": page.limit,
                "offset": page.offset,
            }
        )
        return
    table = Table(title=f"{page.total} holds")
    # Ids are typed back into `hold override`: folded onto two lines, never cut.
    table.add_column("id", overflow="fold", min_width=12)
    for name in ("kind", "status", "placed", "reason", "overrides"):
        table.add_column(name)
    for h in page.items:
        table.add_row(
            h.id,
            h.kind.value,
            h.status.value,
            f"{h.placed_at:%Y-%m-%d %H:%M} {h.placed_by}",
            h.reason,
            str(len(h.overrides)),
        )
    out.print(table)


def _hold_json(hold: Any) -> dict[str, Any]:
    return {
        "id": hold.id,
        "site_id": hold.site_id,
        "kind": hold.kind.value,
        "status": hold.status.value,
        "source": hold.source.value,
        "part_revision_id": hold.part_revision_id,
        "customer_id": hold.customer_id,
        "work_order_id": hold.work_order_id,
        "first_article_id": hold.first_article_id,
        "serial_numbers": list(hold.serial_numbers),
        "lots": list(hold.lots),
        "placed_at": hold.placed_at,
        "placed_by": hold.placed_by,
        "reason": hold.reason,
        "overrides": [
            {
                "id": o.id,
                "reason": o.reason,
                "expires_at": o.expires_at,
                "requested_by": o.requested_by,
                "second_signer": o.second_signer,
                "revoked_at": o.revoked_at,
            }
            for o in hold.overrides
        ],
    }


@hold_app.command("place")
@command
def hold_place(
    site: str,
    part: str,
    revision: str,
    reason: str,
    kind: HoldKind = HoldKind.SHIPMENT,
    customer: str | None = None,
    serial: Annotated[list[str] | None, typer.Option(help="Serial number, repeatable")] = None,
    lot: Annotated[list[str] | None, typer.Option(help="Lot, repeatable")] = None,
) -> None:
    """Place a hold by hand, with a reason."""
    c = ctx()
    rev = found(catalog.part_by_number(c, part).revision(revision), f"{part} rev {revision}")
    hold = holds.place_hold(
        c,
        site_id=catalog.site_by_code(c, site).id,
        kind=kind,
        part_revision_id=rev.id,
        reason=reason,
        customer_id=catalog.customer_by_code(c, customer).id if customer else None,
        serial_numbers=serial or [],
        lots=lot or [],
    )
    out.print(f"{kind.value} hold placed ({hold.id})")


@hold_app.command("override")
@command
def hold_override(
    hold_id: str,
    reason: str,
    hours: Annotated[float, typer.Option(help="Expiry, in hours from now")] = 24,
    serial: Annotated[list[str] | None, typer.Option(help="Serial number, repeatable")] = None,
    lot: Annotated[list[str] | None, typer.Option(help="Lot, repeatable")] = None,
) -> None:
    """Request an override (first signature); a second person signs it with `hold sign`."""
    override = holds.request_override(
        ctx(),
        hold_id,
        reason=reason,
        expires_at=datetime.now(UTC) + timedelta(hours=hours),
        serial_numbers=serial or [],
        lots=lot or [],
    )
    out.print(f"override {override.id} requested; it counts once a second person signs it")


@hold_app.command("sign")
@command
def hold_sign(
    hold_id: str,
    override_id: str,
    totp: Annotated[str | None, typer.Option(help="TOTP code, where enrolled.")] = None,
) -> None:
    """Second signature of an override, by a different person (--as USER), who gives their
    password again: an electronic signature bound to the override."""
    c, nonce, password = signer()
    signed = signatures.sign_override(
        c, hold_id, override_id, nonce=nonce, password=password, totp_code=totp
    )
    out.print(
        f"override {signed.override.id} effective until "
        f"{signed.override.expires_at.isoformat()}; {signed.signature.manifestation}",
        highlight=False,
    )
