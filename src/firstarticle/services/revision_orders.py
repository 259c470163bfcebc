"""The customer orders that call for a part revision the engineering definition no longer
allows: the one, per-customer exception under which product already built to an old revision
may still ship (the gate denies production of it regardless)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.domain.errors import ConflictError
from firstarticle.domain.events import Event
from firstarticle.domain.holds import RevisionOrder
from firstarticle.services import (
    ServiceContext,
    allowed,
    created,
    found,
    record,
    require_revision_data,
)


def grant_revision_order(
    ctx: ServiceContext,
    *,
    customer_id: str,
    part_revision_id: str,
    purchase_order: str,
    reason: str,
) -> RevisionOrder:
    """Record that the customer's order ``purchase_order`` calls for this revision; audited.
    A second order in force with the same number is refused."""
    allowed(ctx, Permission.CUSTOMER_MANAGE)
    with ctx.uow_factory() as uow:
        customer = found(uow.customers.get(customer_id), "Customer", customer_id)
        require_revision_data(ctx, uow, part_revision_id, "part revision")
        order = RevisionOrder(
            customer.id, part_revision_id, purchase_order, reason, ctx.actor, ctx.clock.now()
        )
        if any(
            o.in_force and o.purchase_order == order.purchase_order
            for o in uow.holds.revision_orders_for(customer.id, part_revision_id)
        ):
            raise ConflictError(
                f"Order {order.purchase_order} already calls for this revision.",
                purchase_order=order.purchase_order,
            )
        uow.holds.add_revision_order(order)
        event = created(
            ctx,
            "revision_order",
            order.id,
            None,
            {
                "customer": customer.code,
                "part_revision_id": part_revision_id,
                "purchase_order": order.purchase_order,
            },
        )
        record(uow, ctx, [replace(event, reason=order.reason)])
        uow.commit()
        return order


def withdraw_revision_order(ctx: ServiceContext, order_id: str, reason: str) -> RevisionOrder:
    """Withdraw the allowance; from the next question on, the gate denies those shipments."""
    allowed(ctx, Permission.CUSTOMER_MANAGE)
    with ctx.uow_factory() as uow:
        order = found(uow.holds.revision_order(order_id), "Revision order", order_id)
        require_revision_data(ctx, uow, order.part_revision_id, "revision order")
        now = ctx.clock.now()
        order.withdraw(ctx.actor, now)
        record(
            uow,
            ctx,
            [
                Event(
                    "revision_order.withdrawn",
                    "revision_order",
                    order.id,
                    None,
                    ctx.actor,
                    now,
                    {"withdrawn_at": (None, now.isoformat())},
                    model.require_text(reason, "reason"),
                )
            ],
        )
        uow.commit()
        return order


def revision_orders(ctx: ServiceContext, customer_id: str) -> Sequence[RevisionOrder]:
    """The customer's revision orders, oldest first, withdrawn ones included; those of
    revisions whose technical data the caller may not receive are left out."""
    allowed(ctx, Permission.READ)
    now = ctx.clock.now()
    with ctx.uow_factory() as uow:
        found(uow.customers.get(customer_id), "Customer", customer_id)
        return [
            o
            for o in uow.holds.revision_orders_for(customer_id)
            if all(
                ctx.principal.may_receive(label, now)
                for label in uow.parts.revision_labels(o.part_revision_id)
            )
        ]
