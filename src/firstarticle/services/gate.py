"""The shipment / production gate: answers allow or deny with reasons, fails closed.

Read-only and idempotent over the business records; every answer is recorded with the data
it was based on. Nothing is cached, so a committed hold takes effect on the next question.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from firstarticle.domain.access import Permission
from firstarticle.domain.classification import ExportClassification
from firstarticle.domain.holds import (
    BuildRecord,
    CoveringFai,
    Decision,
    DefinitionState,
    GateKind,
    GateQuestion,
    Reason,
    cleared_by_corrective_partials,
    decide,
)
from firstarticle.domain.model import new_id
from firstarticle.ports import GateReader, Page, StorageUnavailableError, UnitOfWork
from firstarticle.services import ServiceContext, allowed, visible

log = logging.getLogger("firstarticle.gate")


@dataclass(frozen=True)
class GateRequest:
    """What ERP or the shop floor asks, in its own identifiers."""

    site: str
    customer: str
    part_number: str
    part_revision: str
    kind: GateKind
    serial_numbers: tuple[str, ...] = ()
    lot: str | None = None
    work_order: str | None = None


@dataclass(frozen=True)
class GateAnswer:
    """The decision, its id in the decision log, and why."""

    decision: Decision
    decision_id: str
    reasons: tuple[Reason, ...]
    at: datetime
    recorded: bool = True
    data_version: dict[str, Any] = field(default_factory=dict)


def _deny(code: str, message: str) -> tuple[Decision, list[Reason]]:
    return Decision.DENY, [Reason(code, message)]


@dataclass(frozen=True)
class _Facts:
    """What the gate established: the decision, its reasons, and what it was based on."""

    decision: Decision
    reasons: list[Reason]
    site_id: str | None
    revision_id: str | None
    version: dict[str, Any]
    labels: tuple[ExportClassification, ...] = ()


def _evaluate(uow: UnitOfWork, req: GateRequest, at: datetime) -> _Facts:
    unknown: list[Reason] = []
    site_code = req.site.strip().upper()
    reader = uow.gate_reader
    facts = reader.facts(
        site_code,
        req.customer.strip().upper(),
        req.part_number,
        req.part_revision,
        req.serial_numbers,
    )
    config = facts.configuration
    site_id, customer_id, revision_id = (
        config.site_id,
        config.customer_id,
        config.part_revision_id,
    )
    if site_id is None:
        unknown.append(Reason("unknown_site", f"Site {req.site!r} is not known."))
    if customer_id is None:
        unknown.append(Reason("unknown_customer", f"Customer {req.customer!r} is not known."))
    if revision_id is None:
        unknown.append(
            Reason(
                "unknown_part_revision",
                f"Part {req.part_number} rev {req.part_revision} is not known.",
            )
        )
    if site_id is None or customer_id is None or revision_id is None:
        return _Facts(Decision.DENY, unknown, site_id, revision_id, {}, config.labels)
    work_order_ids: tuple[str, ...] = ()
    if req.work_order is not None:
        wo = uow.work_orders.by_number(site_id, req.work_order)
        if wo is None:
            unknown.append(
                Reason(
                    "unknown_work_order",
                    f"Work order {req.work_order} is not known at {site_code}.",
                )
            )
        elif wo.part_revision_id != revision_id:
            unknown.append(
                Reason(
                    "work_order_revision_mismatch",
                    f"Work order {wo.number} builds another revision.",
                )
            )
        else:
            work_order_ids = (wo.id,)
    records = {r.number: r for r in facts.serials if r.part_revision_id == revision_id}
    for number in req.serial_numbers:
        record = records.get(number)
        if record is None:
            unknown.append(
                Reason(
                    "unknown_serial",
                    f"Serial {number} of {req.part_number} rev "
                    f"{req.part_revision} is not known at {site_code}.",
                )
            )
        elif work_order_ids and record.work_order_id not in work_order_ids:
            unknown.append(
                Reason(
                    "serial_work_order_mismatch",
                    f"Serial {number} was built on {record.work_order_number}.",
                )
            )
    if req.lot is not None and not uow.work_orders.lot_known(site_id, revision_id, req.lot):
        unknown.append(Reason("unknown_lot", f"Lot {req.lot} is not known for this revision."))
    if not req.serial_numbers and req.lot is None:
        unknown.append(Reason("nothing_identified", "Name the serial numbers or the lot."))
    if unknown:
        return _Facts(Decision.DENY, unknown, site_id, revision_id, {}, config.labels)
    question = GateQuestion(
        kind=req.kind,
        site_id=site_id,
        customer_id=customer_id,
        part_revision_id=revision_id,
        serial_numbers=tuple(req.serial_numbers),
        lot=req.lot,
        work_order_ids=work_order_ids,
        serial_lots=tuple(r.lot for r in records.values() if r.lot is not None),
    )
    fais, holds = facts.covering, facts.holds
    definition = config.definition
    # The serials' work orders were read with the serials; only a lot needs its own query.
    built_on = [
        BuildRecord(
            f"serial {r.number}", r.work_order_id, r.work_order_number, r.router, r.purchase_order
        )
        for r in records.values()
    ]
    if req.lot is not None:
        built_on += reader.built_on(site_id, revision_id, (), req.lot)
    cleared = _cleared(reader, site_id, [fai for fai, _version in fais])
    decision, reasons = decide(
        question,
        definition=definition,
        requires_fai=config.requires_fai,
        ships_on_conditional=config.ships_on_conditional_acceptance,
        fais=[fai for fai, _version in fais],
        holds=holds,
        at=at,
        built_on=built_on,
        revision_orders=(
            reader.revision_orders(customer_id, revision_id)
            if definition is not DefinitionState.CURRENT
            else frozenset()
        ),
        cleared=cleared,
    )
    version = {
        "first_articles": {fai.id: v for fai, v in fais},
        "holds": sorted(h.id for h in holds),
        "overrides": sorted(o.id for h in holds for o in h.overrides),
    }
    return _Facts(decision, reasons, site_id, revision_id, version, config.labels)


def _cleared(
    reader: GateReader, site_id: str, fais: Sequence[CoveringFai]
) -> dict[tuple[str, str], str]:
    """Open NCs cleared by corrective-action partials; read only when one could be."""
    partials = [f for f in fais if f.refai_trigger == "corrective_action" and f.baseline]
    holders = [f.id for f in fais if f.open_nonconformances]
    if not partials or not holders:
        return {}
    ncs, form3 = reader.nonconformance_coverage(site_id, holders, [p.id for p in partials])
    return cleared_by_corrective_partials(fais, ncs, form3)


def check(ctx: ServiceContext, req: GateRequest) -> GateAnswer:
    """Answer the gate question; anything that cannot be established is a deny, never an error.

    An allow that took longer than the context's deadline is turned into a deny: a gate that
    hangs holds up shipping as badly as one that is down, and must not look healthy.
    """
    allowed(ctx, Permission.GATE_CHECK)
    started = time.monotonic()
    at = ctx.clock.now()
    decision_id = new_id()
    site_id: str | None = None
    revision_id: str | None = None
    version: dict[str, Any] = {}
    recorded = False
    try:
        # One transaction reads the facts and records the answer; a failure anywhere in it
        # falls through to the deny below, recorded separately if the database allows.
        with ctx.uow_factory() as uow:
            facts = _evaluate(uow, req, at)
            decision, reasons, site_id, revision_id, version = (
                facts.decision,
                facts.reasons,
                facts.site_id,
                facts.revision_id,
                facts.version,
            )
            recorded_reasons = reasons
            if not ctx.principal.sees_site(site_id):
                # A system account of one site cannot learn or release anything of another.
                decision, reasons = _deny(
                    "site_not_permitted", "This caller may not ask the gate for that site."
                )
            if (
                decision is Decision.ALLOW
                and time.monotonic() - started > ctx.gate_deadline_seconds
            ):
                decision, reasons = _deny(
                    "gate_timeout", "The gate did not decide in time and denies."
                )
            else:
                recorded_reasons = reasons
                reasons = _for_caller(ctx, facts.labels, revision_id, reasons)
            uow.gate_log.append(
                _row(
                    ctx,
                    decision_id,
                    at,
                    site_id,
                    req,
                    decision,
                    recorded_reasons,
                    version,
                    revision_id,
                )
            )
            uow.commit()
            recorded = True
    except Exception as error:  # fail closed: every failure is a deny with a reason
        code = "gate_unavailable" if _is_storage(error) else "gate_internal_error"
        log.warning("gate %s denies (%s): %s", decision_id, code, type(error).__name__)
        decision, reasons = _deny(code, "The gate could not establish the facts and denies.")
        recorded = _record(
            ctx,
            _row(ctx, decision_id, at, site_id, req, decision, reasons, version, revision_id),
        )
    return GateAnswer(decision, decision_id, tuple(reasons), at, recorded, version)


def deny_unanswered(ctx: ServiceContext, req: GateRequest, code: str) -> GateAnswer:
    """The answer when the gate could not decide in time, or could not even learn who asks:
    a deny with ``code`` (``gate_timeout`` or ``gate_unavailable``), never an error.

    It is not recorded here: the database is away, or the decision still running records its
    own outcome (a late allow becomes a deny there too).
    """
    decision, reasons = _deny(code, "The gate could not establish the facts in time and denies.")
    log.warning("gate denies unanswered request (%s) for %s", code, req.site)
    return GateAnswer(decision, new_id(), tuple(reasons), ctx.clock.now(), False, {})


def _for_caller(
    ctx: ServiceContext,
    labels: Sequence[ExportClassification],
    revision_id: str | None,
    reasons: list[Reason],
) -> list[Reason]:
    """The reasons as this caller may read them: a caller who may not receive the part's
    technical data gets the reason codes and record ids, not the texts (a hold's reason may
    quote the drawing). The decision log keeps the full reasons."""
    if revision_id is None:
        return reasons
    now = ctx.clock.now()
    if labels and all(ctx.principal.may_receive(label, now) for label in labels):
        return reasons
    return [
        replace(r, message="Details are export-controlled; ask someone authorized.")
        for r in reasons
    ]


def _is_storage(error: Exception) -> bool:
    return isinstance(error, StorageUnavailableError)


def _row(
    ctx: ServiceContext,
    decision_id: str,
    at: datetime,
    site_id: str | None,
    req: GateRequest,
    decision: Decision,
    reasons: Sequence[Reason],
    version: dict[str, Any],
    revision_id: str | None = None,
) -> dict[str, Any]:
    request = asdict(req)
    request["serial_numbers"] = list(req.serial_numbers)
    request["kind"] = req.kind.value
    return {
        "id": decision_id,
        "site_id": site_id,
        "part_revision_id": revision_id,
        "at": at,
        "kind": req.kind.value,
        "decision": decision.value,
        "caller": ctx.actor,
        "request": request,
        "reasons": [asdict(r) for r in reasons],
        "data_version": version,
    }


def _record(ctx: ServiceContext, row: dict[str, Any]) -> bool:
    try:
        with ctx.uow_factory() as uow:
            uow.gate_log.append(row)
            uow.commit()
        return True
    except Exception as error:  # a lost record must never turn into an error for ERP
        log.error("gate decision %s could not be recorded: %s", row["id"], type(error).__name__)
        return False


def list_decisions(
    ctx: ServiceContext,
    *,
    site_id: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[dict[str, Any]]:
    """Recorded gate decisions of the caller's sites, newest first."""
    allowed(ctx, Permission.GATE_READ)
    size, start = ctx.page(limit, offset)
    with ctx.uow_factory() as uow:
        return uow.gate_log.list(site_id=site_id, limit=size, offset=start, visible=visible(ctx))
