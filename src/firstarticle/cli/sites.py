"""Sites (plants) and customers."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from firstarticle.cli.common import (
    command,
    ctx,
    out,
)
from firstarticle.domain import model
from firstarticle.services import (
    catalog,
)

site_app = typer.Typer(help="Sites (plants).", no_args_is_help=True)
customer_app = typer.Typer(help="Customers.", no_args_is_help=True)


@site_app.command("create")
@command
def site_create(
    code: str,
    name: str,
    timezone: str = "UTC",
    nonconformance_authority: Annotated[
        model.NonconformanceOrigin,
        typer.Option(help="qms: nonconformances come from the QMS mirror; local: no QMS."),
    ] = model.NonconformanceOrigin.QMS,
) -> None:
    """Create a site."""
    site = catalog.create_site(
        ctx(),
        code=code,
        name=name,
        timezone=timezone,
        nonconformance_authority=nonconformance_authority,
    )
    out.print(f"site {site.code} created ({site.id})")


@site_app.command("list")
@command
def site_list(limit: int = 50, offset: int = 0) -> None:
    """List sites."""
    page = catalog.list_sites(ctx(), limit, offset)
    table = Table("code", "name", "timezone", "id")
    for site in page.items:
        table.add_row(site.code, site.name, site.timezone, site.id)
    out.print(table)


@customer_app.command("create")
@command
def customer_create(
    code: str,
    name: str,
    channel: model.CustomerChannel = model.CustomerChannel.PORTAL,
    vendor_code: str | None = None,
    ships_on_conditional_acceptance: bool = False,
    form_revision: Annotated[
        model.FormRevision,
        typer.Option(help="AS9102 numbering its inspectors read on the forms: C or B."),
    ] = model.FormRevision.C,
) -> None:
    """Create a customer, the channel it decides FAIs in and the form numbering it reads."""
    customer = catalog.create_customer(
        ctx(),
        code=code,
        name=name,
        channel=channel,
        vendor_code=vendor_code,
        ships_on_conditional_acceptance=ships_on_conditional_acceptance,
        form_revision=form_revision,
    )
    out.print(f"customer {customer.code} created ({customer.id})")


@customer_app.command("list")
@command
def customer_list(limit: int = 50, offset: int = 0) -> None:
    """List customers."""
    table = Table("code", "name", "channel", "vendor code")
    for c in catalog.list_customers(ctx(), limit, offset).items:
        table.add_row(c.code, c.name, c.channel.value, c.vendor_code or "")
    out.print(table)
