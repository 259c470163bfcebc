"""Work orders with their routing, serial numbers and lots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.domain.errors import ConflictError, NotFoundError, ValidationError
from firstarticle.domain.mirror import refuse_manual_change
from firstarticle.domain.records import OperationSpec as OperationSpec
from firstarticle.ports import Page, UnitOfWork
from firstarticle.services import (
    ServiceContext,
    allowed,
    created,
    found,
    holds,
    record,
    require_revision_data,
    trigger_detection,
    visible,
)


def create_work_order(
    ctx: ServiceContext,
    *,
    site_id: str,
    number: str,
    part_revision_id: str,
    quantity: int,
    customer_id: str | None = None,
    router: str | None = None,
    lot: str | None = None,
    purchase_order: str | None = None,
    operations: Sequence[OperationSpec] = (),
    serial_numbers: Sequence[str] = (),
    program: str | None = None,
    starts_at: datetime | None = None,
) -> model.WorkOrder:
    """Create a work order at a site for one part revision, with routing and serials (and the
    customer's program, where its channel configuration differs by program)."""
    allowed(ctx, Permission.WORK_ORDER_MANAGE, site_id)
    with ctx.uow_factory() as uow:
        site = found(uow.sites.get(site_id), "Site", site_id)
        require_revision_data(ctx, uow, part_revision_id, "part revision")
        if customer_id is not None:
            found(uow.customers.get(customer_id), "Customer", customer_id)
        number = model.require_text(number, "number")
        if uow.work_orders.by_number(site.id, number):
            raise ConflictError(
                f"Work order {number} already exists at {site.code}.", number=number
            )
        work_order = model.WorkOrder(
            site.id, number, part_revision_id, quantity, customer_id, router, lot, purchase_order
        )
        work_order.program = program
        if starts_at is not None and starts_at.tzinfo is None:
            raise ValidationError("starts_at needs a time zone.", field="starts_at")
        work_order.starts_at = starts_at
        for op in operations:
            added = work_order.add_operation(
                op.sequence,
                op.name,
                op.work_center,
                op.special_process,
                op.supplier,
                **op.made_with(),
            )
            added.balloons = list(op.balloons)
            added.completed_at = op.completed_at
        for serial in serial_numbers:
            work_order.add_serial(serial)
        uow.work_orders.add(work_order)
        events = holds.hold_if_fai_required(uow, ctx, work_order)
        events += trigger_detection.on_work_order(uow, ctx, work_order)
        record(
            uow,
            ctx,
            [
                created(
                    ctx,
                    "work_order",
                    work_order.id,
                    site.id,
                    {
                        "number": number,
                        "part_revision_id": part_revision_id,
                        "quantity": quantity,
                        "customer_id": customer_id,
                        "router": router,
                        "lot": lot,
                        "purchase_order": purchase_order,
                        "operations": [f"{op.sequence} {op.name}" for op in work_order.operations],
                        "serials": [s.number for s in work_order.serials],
                    },
                )
            ],
        )
        record(uow, ctx, events)
        uow.commit()
    return work_order


def add_serials(
    ctx: ServiceContext, work_order_id: str, numbers: Sequence[str], lot: str | None = None
) -> list[model.SerialNumber]:
    """Add serial numbers to a work order, all or none."""
    allowed(ctx, Permission.WORK_ORDER_MANAGE)
    with ctx.uow_factory() as uow:
        work_order = _visible(uow, ctx, work_order_id)
        refuse_manual_change(work_order.provenance, f"Work order {work_order.number}")
        added = [work_order.add_serial(n, lot) for n in numbers]
        record(
            uow,
            ctx,
            [
                created(
                    ctx,
                    "serial_number",
                    s.id,
                    s.site_id,
                    {"number": s.number, "lot": s.lot, "work_order": work_order.number},
                )
                for s in added
            ],
        )
        uow.commit()
    return added


def get_work_order(ctx: ServiceContext, work_order_id: str) -> model.WorkOrder:
    """The work order with routing and serials, or NotFoundError."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        return _visible(uow, ctx, work_order_id)


def _visible(uow: UnitOfWork, ctx: ServiceContext, work_order_id: str) -> model.WorkOrder:
    """The work order if the caller works at its site and may receive its part's data."""
    work_order = found(uow.work_orders.get(work_order_id), "Work order", work_order_id)
    ctx.principal.require_site(work_order.site_id, "work order")
    if not ctx.principal.sees_customer(work_order.customer_id):
        raise NotFoundError("No such work order.", record="work order")
    require_revision_data(ctx, uow, work_order.part_revision_id, "work order")
    return work_order


def work_order_by_number(ctx: ServiceContext, site_id: str, number: str) -> model.WorkOrder:
    """The work order with that number at the site, or NotFoundError."""
    allowed(ctx, Permission.READ, site_id)
    with ctx.uow_factory() as uow:
        work_order = found(uow.work_orders.by_number(site_id, number), "Work order", number)
        return _visible(uow, ctx, work_order.id)


def list_work_orders(
    ctx: ServiceContext,
    site_id: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[model.WorkOrder]:
    """A page of the work orders the caller may see, optionally of one site."""
    allowed(ctx, Permission.READ)
    size, start = ctx.page(limit, offset)
    with ctx.uow_factory() as uow:
        return uow.work_orders.list(site_id, size, start, visible(ctx))
