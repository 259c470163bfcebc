"""Holds: automatic and manual placement, release by the lifecycle, two-person overrides."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.domain.errors import NotFoundError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.holds import (
    Hold,
    HoldKind,
    HoldOverride,
    HoldSource,
    HoldStatus,
    covering_statuses,
)
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.ports import Page, UnitOfWork
from firstarticle.services import (
    ServiceContext,
    allowed,
    found,
    record,
    require_revision_data,
    visible,
)


def hold_event(
    ctx: ServiceContext,
    hold: Hold,
    action: str,
    changes: dict[str, tuple[Any, Any]],
    reason: str | None = None,
    at: datetime | None = None,
) -> Event:
    """The audit event of a change to a hold."""
    return Event(
        action=action,
        record_type="hold",
        record_id=hold.id,
        site_id=hold.site_id,
        actor=ctx.actor,
        at=at or ctx.clock.now(),
        changes=changes,
        reason=reason,
    )


def _placed(ctx: ServiceContext, hold: Hold) -> Event:
    return hold_event(
        ctx,
        hold,
        "hold.placed",
        {
            "kind": (None, hold.kind.value),
            "source": (None, hold.source.value),
            "part_revision_id": (None, hold.part_revision_id),
            "customer_id": (None, hold.customer_id),
            "work_order_id": (None, hold.work_order_id),
            "serial_numbers": (None, hold.serial_numbers),
            "lots": (None, hold.lots),
            "first_article_id": (None, hold.first_article_id),
        },
        hold.reason,
        hold.placed_at,
    )


def hold_if_fai_required(
    uow: UnitOfWork, ctx: ServiceContext, work_order: model.WorkOrder
) -> list[Event]:
    """Place a shipment hold when a work order starts production that no approved FAI covers.

    Called inside the caller's unit of work, so the hold commits with the work order.
    """
    if work_order.customer_id is None:
        return []
    customer = found(uow.customers.get(work_order.customer_id), "Customer", work_order.customer_id)
    if not customer.requires_fai:
        return []
    statuses = covering_statuses(customer.ships_on_conditional_acceptance)
    fais = uow.first_articles.covering(work_order.site_id, work_order.part_revision_id, customer.id)
    if any(f.status in statuses for f in fais):
        return []
    existing = uow.holds.active_for(work_order.site_id, work_order.part_revision_id)
    if any(
        h.source is HoldSource.FAI_REQUIRED
        and h.kind is HoldKind.SHIPMENT
        and h.customer_id == customer.id
        for h in existing
    ):
        return []
    revision = found(
        uow.parts.revision(work_order.part_revision_id),
        "Part revision",
        work_order.part_revision_id,
    )
    part = found(uow.parts.get(revision.part_id), "Part", revision.part_id)
    hold = Hold(
        site_id=work_order.site_id,
        kind=HoldKind.SHIPMENT,
        source=HoldSource.FAI_REQUIRED,
        part_revision_id=revision.id,
        customer_id=customer.id,
        reason=(
            f"First production of {part.number} rev {revision.revision} for {customer.name} "
            f"(work order {work_order.number}): no approved FAI covers this configuration."
        ),
        placed_by=ctx.actor,
        placed_at=ctx.clock.now(),
    )
    uow.holds.add(hold)
    return [_placed(ctx, hold)]


def release_by_lifecycle(
    uow: UnitOfWork,
    ctx: ServiceContext,
    fai: model.FirstArticle,
    customer: model.Customer | None,
    ships_on_conditional: bool | None = None,
) -> list[Event]:
    """Release the holds an FAI's approval (or conditional acceptance) lifts.

    Approval releases the configuration's FAI-required and containment holds and manual holds
    tied to this FAI. Conditional acceptance releases only FAI-required shipment holds, and
    only for customers whose configuration allows shipment while conditions are open
    (``ships_on_conditional``, the channel configuration's word, else the customer's field).
    """
    approved = fai.status is FaiStatus.APPROVED
    conditional = (
        fai.status is FaiStatus.CONDITIONALLY_ACCEPTED
        and customer is not None
        and (
            customer.ships_on_conditional_acceptance
            if ships_on_conditional is None
            else ships_on_conditional
        )
    )
    if not (approved or conditional):
        return []
    now = ctx.clock.now()
    events = []
    for hold in uow.holds.active_for(fai.site_id, fai.part_revision_id):
        if hold.customer_id not in (None, fai.customer_id):
            continue
        if approved:
            lifts = (
                hold.source in {HoldSource.FAI_REQUIRED, HoldSource.CUSTOMER_CONTAINMENT}
                or hold.first_article_id == fai.id
            )
        else:
            lifts = hold.source is HoldSource.FAI_REQUIRED and hold.kind is HoldKind.SHIPMENT
        if not lifts:
            continue
        reason = f"{fai.fair_identifier} {fai.status.label.lower()}"
        hold.release(ctx.actor, now, reason)
        events.append(
            hold_event(ctx, hold, "hold.released", {"status": ("active", "released")}, reason, now)
        )
    return events


def place_evaluation_hold(
    uow: UnitOfWork,
    ctx: ServiceContext,
    *,
    site_id: str,
    part_revision_id: str,
    customer_id: str | None,
    reason: str,
) -> tuple[Hold, list[Event]]:
    """Hold production of a configuration while a re-FAI evaluation is open (in the caller's
    unit of work); only :func:`release_evaluation_hold` or an override lifts it."""
    hold = Hold(
        site_id=site_id,
        kind=HoldKind.PRODUCTION,
        source=HoldSource.REFAI_EVALUATION,
        part_revision_id=part_revision_id,
        customer_id=customer_id,
        reason=reason,
        placed_by=ctx.actor,
        placed_at=ctx.clock.now(),
    )
    uow.holds.add(hold)
    return hold, [_placed(ctx, hold)]


def release_evaluation_hold(
    uow: UnitOfWork, ctx: ServiceContext, hold_id: str, reason: str
) -> list[Event]:
    """Release the hold an evaluation placed, now that it is decided (nothing if it is
    released already)."""
    hold = found(uow.holds.get(hold_id, for_update=True), "Hold", hold_id)
    if hold.source is not HoldSource.REFAI_EVALUATION:
        raise ValidationError("The hold was not placed by an evaluation.", field="hold_id")
    if not hold.is_active:
        return []
    now = ctx.clock.now()
    hold.release(ctx.actor, now, reason)
    return [hold_event(ctx, hold, "hold.released", {"status": ("active", "released")}, reason, now)]


def place_containment(
    uow: UnitOfWork,
    ctx: ServiceContext,
    fai: model.FirstArticle,
    serial_numbers: Sequence[str],
    lots: Sequence[str],
    reason: str,
) -> list[Event]:
    """Contain product of a rejected FAI's configuration (listed serials/lots, or all of it)."""
    hold = Hold(
        site_id=fai.site_id,
        kind=HoldKind.CONTAINMENT,
        source=HoldSource.CUSTOMER_CONTAINMENT,
        part_revision_id=fai.part_revision_id,
        customer_id=fai.customer_id,
        serial_numbers=list(serial_numbers),
        lots=list(lots),
        first_article_id=fai.id,
        reason=reason,
        placed_by=ctx.actor,
        placed_at=ctx.clock.now(),
    )
    uow.holds.add(hold)
    return [_placed(ctx, hold)]


def place_hold(
    ctx: ServiceContext,
    *,
    site_id: str,
    kind: HoldKind,
    part_revision_id: str,
    reason: str,
    customer_id: str | None = None,
    work_order_id: str | None = None,
    serial_numbers: Sequence[str] = (),
    lots: Sequence[str] = (),
    first_article_id: str | None = None,
) -> Hold:
    """Place a hold by hand, with a reason; only the lifecycle or an override lifts it."""
    allowed(ctx, Permission.HOLD_PLACE, site_id)
    with ctx.uow_factory() as uow:
        found(uow.sites.get(site_id), "Site", site_id)
        require_revision_data(ctx, uow, part_revision_id, "part revision")
        if customer_id is not None:
            found(uow.customers.get(customer_id), "Customer", customer_id)
        if work_order_id is not None:
            wo = found(uow.work_orders.get(work_order_id), "Work order", work_order_id)
            if wo.site_id != site_id or wo.part_revision_id != part_revision_id:
                raise ValidationError(
                    "The work order builds another revision or site.", field="work_order_id"
                )
        if first_article_id is not None:
            fai = found(uow.first_articles.get(first_article_id), "First article", first_article_id)
            if fai.site_id != site_id or fai.part_revision_id != part_revision_id:
                raise ValidationError(
                    "The FAI is for another revision or site.", field="first_article_id"
                )
        hold = Hold(
            site_id=site_id,
            kind=kind,
            source=HoldSource.MANUAL,
            part_revision_id=part_revision_id,
            reason=reason,
            placed_by=ctx.actor,
            placed_at=ctx.clock.now(),
            customer_id=customer_id,
            work_order_id=work_order_id,
            serial_numbers=list(serial_numbers),
            lots=list(lots),
            first_article_id=first_article_id,
        )
        uow.holds.add(hold)
        record(uow, ctx, [_placed(ctx, hold)])
        uow.commit()
        return hold


def get_hold(ctx: ServiceContext, hold_id: str) -> Hold:
    """The hold with its overrides, or NotFoundError."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        return _visible(uow, ctx, hold_id)


def _visible(uow: UnitOfWork, ctx: ServiceContext, hold_id: str, for_update: bool = False) -> Hold:
    """The hold if the caller works at its site and may receive its part's data."""
    hold = found(uow.holds.get(hold_id, for_update=for_update), "Hold", hold_id)
    ctx.principal.require_site(hold.site_id, "hold")
    if not ctx.principal.sees_customer(hold.customer_id):
        raise NotFoundError("No such hold.", record="hold")
    require_revision_data(ctx, uow, hold.part_revision_id, "hold")
    return hold


def list_holds(
    ctx: ServiceContext,
    *,
    site_id: str | None = None,
    status: HoldStatus | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[Hold]:
    """A page of the holds the caller may see, newest first."""
    allowed(ctx, Permission.READ)
    size, start = ctx.page(limit, offset)
    with ctx.uow_factory() as uow:
        return uow.holds.list(
            site_id=site_id, status=status, limit=size, offset=start, visible=visible(ctx)
        )


def request_override(
    ctx: ServiceContext,
    hold_id: str,
    *,
    reason: str,
    expires_at: datetime,
    serial_numbers: Sequence[str] = (),
    lots: Sequence[str] = (),
) -> HoldOverride:
    """First signature of an override; it counts once a different person signs it."""
    if expires_at.tzinfo is None:
        raise ValidationError("expires_at needs a time zone.", field="expires_at")
    allowed(ctx, Permission.OVERRIDE_REQUEST)
    with ctx.uow_factory() as uow:
        hold = _visible(uow, ctx, hold_id, for_update=True)
        override = hold.request_override(
            requested_by=ctx.actor,
            at=ctx.clock.now(),
            reason=reason,
            expires_at=expires_at,
            serial_numbers=serial_numbers,
            lots=lots,
        )
        record(
            uow,
            ctx,
            [
                hold_event(
                    ctx,
                    hold,
                    "hold.override_requested",
                    {
                        "override": (
                            None,
                            {
                                "id": override.id,
                                "expires_at": expires_at.isoformat(),
                                "serial_numbers": list(serial_numbers),
                                "lots": list(lots),
                            },
                        )
                    },
                    reason,
                )
            ],
        )
        uow.commit()
        return override


def sign_override(ctx: ServiceContext, hold_id: str, override_id: str) -> HoldOverride:
    """Second signature by a different person; from now until expiry the override counts."""
    with ctx.uow_factory() as uow:
        _hold, override, events = second_signature(uow, ctx, hold_id, override_id)
        record(uow, ctx, events)
        uow.commit()
        return override


def second_signature(
    uow: UnitOfWork, ctx: ServiceContext, hold_id: str, override_id: str
) -> tuple[Hold, HoldOverride, list[Event]]:
    """Sign an override as its second person in the caller's unit of work (the hold row is
    locked); the hold, the override and the events to record."""
    allowed(ctx, Permission.OVERRIDE_SIGN)
    hold = _visible(uow, ctx, hold_id, for_update=True)
    override = found(
        next((o for o in hold.overrides if o.id == override_id), None), "Override", override_id
    )
    override.sign(ctx.actor, ctx.clock.now())
    event = hold_event(
        ctx,
        hold,
        "hold.override_signed",
        {
            "override": (
                override.id,
                {
                    "second_signer": ctx.actor,
                    "expires_at": override.expires_at.isoformat(),
                },
            )
        },
        override.reason,
    )
    return hold, override, [event]


def revoke_override(
    ctx: ServiceContext, hold_id: str, override_id: str, reason: str
) -> HoldOverride:
    """Withdraw an override before it expires."""
    allowed(ctx, Permission.OVERRIDE_REVOKE)
    with ctx.uow_factory() as uow:
        hold = _visible(uow, ctx, hold_id, for_update=True)
        override = found(
            next((o for o in hold.overrides if o.id == override_id), None), "Override", override_id
        )
        if override.revoked_at is not None:
            raise ValidationError("The override is already revoked.", field="override_id")
        override.revoked_by, override.revoked_at = ctx.actor, ctx.clock.now()
        record(
            uow,
            ctx,
            [
                hold_event(
                    ctx,
                    hold,
                    "hold.override_revoked",
                    {"override": (override.id, "revoked")},
                    model.require_text(reason, "reason"),
                )
            ],
        )
        uow.commit()
        return override
