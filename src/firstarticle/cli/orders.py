"""Work orders and their serials."""

from __future__ import annotations

from typing import Annotated

import typer

from firstarticle.cli.common import (
    command,
    ctx,
    found,
    out,
)
from firstarticle.services import (
    catalog,
    orders,
)

wo_app = typer.Typer(help="Work orders and serials.", no_args_is_help=True)


@wo_app.command("create")
@command
def wo_create(
    site: str,
    number: str,
    part: str,
    revision: str,
    quantity: int,
    customer: str | None = None,
    router: str | None = None,
    lot: str | None = None,
    purchase_order: str | None = None,
    serial: Annotated[list[str] | None, typer.Option(help="Serial number, repeatable")] = None,
) -> None:
    """Create a work order at SITE for PART rev REVISION."""
    c = ctx()
    site_rec = catalog.site_by_code(c, site)
    rev = found(catalog.part_by_number(c, part).revision(revision), f"{part} rev {revision}")
    customer_id = catalog.customer_by_code(c, customer).id if customer else None
    wo = orders.create_work_order(
        c,
        site_id=site_rec.id,
        number=number,
        part_revision_id=rev.id,
        quantity=quantity,
        customer_id=customer_id,
        router=router,
        lot=lot,
        purchase_order=purchase_order,
        serial_numbers=serial or [],
    )
    out.print(f"work order {wo.number} created at {site_rec.code} ({wo.id})")
