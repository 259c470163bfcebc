"""Customer channel configuration: who holds the authority to approve, and how its decisions
come in. Every change is a new version, audited; a customer's own channel, form revision and
ships-on-conditional fields follow the version that applies to all its programs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from firstarticle.domain import channels, model
from firstarticle.domain.access import Permission
from firstarticle.domain.events import Event
from firstarticle.ports import UnitOfWork
from firstarticle.services import ServiceContext, allowed, found, record


@dataclass(frozen=True)
class ChannelView:
    """The configuration in force for a customer (and program) and every version before it."""

    customer: model.Customer
    current: channels.ChannelConfiguration
    versions: list[channels.ChannelConfiguration]


def customer_by_key(uow: UnitOfWork, key: str) -> model.Customer:
    """The customer with id or code ``key``, or NotFoundError."""
    return found(uow.customers.get(key) or uow.customers.by_code(key.upper()), "Customer", key)


def configuration_for(
    uow: UnitOfWork, customer: model.Customer, program: str | None = None
) -> channels.ChannelConfiguration:
    """The configuration in force: the program's own, else the customer's, else version 0
    derived from the customer's fields."""
    if program:
        own = uow.channels.current(customer.id, program)
        if own is not None:
            return own
    return uow.channels.current(customer.id, "") or channels.derived_configuration(customer)


def show_channel(ctx: ServiceContext, customer_key: str, program: str | None = None) -> ChannelView:
    """The customer's configuration in force (for ``program``) with its version history."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        customer = customer_by_key(uow, customer_key)
        current = configuration_for(uow, customer, program)
        versions = uow.channels.configurations(customer.id, current.program)
        return ChannelView(customer, current, versions)


def set_channel(
    ctx: ServiceContext,
    customer_key: str,
    *,
    authority: channels.Authority,
    buy_off: channels.BuyOffMode,
    form_revision: model.FormRevision,
    ships_while_conditional: bool,
    people: Iterable[channels.CustomerPerson],
    entry_paths: Iterable[channels.EntryPath] | None = None,
    program: str | None = None,
    portal_name: str | None = None,
    conditions_meaning: str | None = None,
    reason: str | None = None,
) -> ChannelView:
    """Write the next configuration version for the customer (and program), audited; the
    versions before it stay as they were, so an FAI keeps the one it was submitted under."""
    allowed(ctx, Permission.CHANNEL_MANAGE)
    with ctx.uow_factory() as uow:
        customer = customer_by_key(uow, customer_key)
        key = (program or "").strip()
        before = uow.channels.configurations(customer.id, key)
        config = channels.configure(
            customer.id,
            (before[-1].version if before else 0) + 1,
            authority=channels.Authority(authority),
            buy_off=channels.BuyOffMode(buy_off),
            form_revision=model.FormRevision(form_revision),
            ships_while_conditional=ships_while_conditional,
            people=people,
            entry_paths=entry_paths,
            program=key,
            portal_name=portal_name,
            conditions_meaning=conditions_meaning,
            set_by=ctx.actor,
            set_at=ctx.clock.now(),
            reason=reason,
        )
        uow.channels.add_configuration(config)
        if not key:
            _follow(customer, config)
        record(uow, ctx, [_configured(ctx, customer, before[-1] if before else None, config)])
        uow.commit()
        return ChannelView(customer, config, [*before, config])


def _follow(customer: model.Customer, config: channels.ChannelConfiguration) -> None:
    # The gate, the holds and the exports read these fields: keep them saying the same.
    customer.form_revision = config.form_revision
    customer.ships_on_conditional_acceptance = config.ships_while_conditional
    channel = channels.CHANNEL_OF_AUTHORITY.get(config.authority)
    if channel is not None:
        customer.channel = channel


def _configured(
    ctx: ServiceContext,
    customer: model.Customer,
    old: channels.ChannelConfiguration | None,
    new: channels.ChannelConfiguration,
) -> Event:
    def values(c: channels.ChannelConfiguration | None) -> dict[str, object]:
        if c is None:
            return {}
        return {
            "version": c.version,
            "authority": c.authority.value,
            "portal_name": c.portal_name,
            "buy_off": c.buy_off.value,
            "form_revision": c.form_revision.value,
            "ships_while_conditional": c.ships_while_conditional,
            "entry_paths": sorted(p.value for p in c.entry_paths),
            "people": sorted(p.customer_person_id for p in c.people),
        }

    was, now = values(old), values(new)
    return Event(
        action="customer.channel_configured",
        record_type="customer",
        record_id=customer.id,
        site_id=None,
        actor=ctx.actor,
        at=ctx.clock.now(),
        changes={
            **{k: (was.get(k), v) for k, v in now.items() if was.get(k) != v},
            "program": (None, new.program or None),
        },
        reason=new.reason,
    )
