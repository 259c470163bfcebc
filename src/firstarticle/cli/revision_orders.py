"""Customer orders that call for a revision the engineering definition no longer allows."""

from __future__ import annotations

import typer
from rich.table import Table

from firstarticle.cli.common import command, ctx, found, out
from firstarticle.services import catalog, revision_orders

revision_order_app = typer.Typer(
    help="Customer orders that call for a superseded or obsolete revision (the one way such "
    "product may still ship).",
    no_args_is_help=True,
)


@revision_order_app.command("grant")
@command
def grant(customer: str, part: str, revision: str, purchase_order: str, reason: str) -> None:
    """Record that CUSTOMER's order PURCHASE_ORDER calls for PART rev REVISION."""
    c = ctx()
    rev = found(catalog.part_by_number(c, part).revision(revision), f"{part} rev {revision}")
    order = revision_orders.grant_revision_order(
        c,
        customer_id=catalog.customer_by_code(c, customer).id,
        part_revision_id=rev.id,
        purchase_order=purchase_order,
        reason=reason,
    )
    out.print(f"order {order.purchase_order} calls for {part} rev {revision} ({order.id})")


@revision_order_app.command("list")
@command
def listed(customer: str) -> None:
    """List the customer's revision orders, withdrawn ones included."""
    c = ctx()
    table = Table("id", "part revision", "purchase order", "granted", "withdrawn")
    for o in revision_orders.revision_orders(c, catalog.customer_by_code(c, customer).id):
        table.add_row(
            o.id,
            o.part_revision_id,
            o.purchase_order,
            f"{o.granted_at:%Y-%m-%d %H:%M} {o.granted_by}",
            f"{o.withdrawn_at:%Y-%m-%d %H:%M} {o.withdrawn_by}" if o.withdrawn_at else "",
        )
    out.print(table)


@revision_order_app.command("withdraw")
@command
def withdraw(order_id: str, reason: str) -> None:
    """Withdraw a revision order; the gate denies its shipments from now on."""
    order = revision_orders.withdraw_revision_order(ctx(), order_id, reason)
    out.print(f"order {order.purchase_order} withdrawn")
