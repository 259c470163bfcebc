"""Mirrors of what PLM, ERP and QMS own: idempotent upserts with provenance.

Each record is keyed by (source system, external id) and ordered by its source version; see
:mod:`firstarticle.domain.mirror` for the rules. A batch is applied in one transaction: all of
it or none of it, and a dry run rolls back after computing what would change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.domain.errors import ConflictError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.mirror import (
    MirrorOutcome,
    Provenance,
    SourceSystem,
    content_hash,
    decide,
)
from firstarticle.domain.records import (
    BomLineRecord,
    CustomerRecord,
    DrawingRecord,
    MirrorRecord,
    NonconformanceRecord,
    PartRevisionRecord,
    WorkOrderRecord,
)
from firstarticle.ports import Progress, UnitOfWork
from firstarticle.services import (
    ServiceContext,
    allowed,
    found,
    holds,
    record,
    signatures,
    trigger_detection,
)

KINDS: dict[str, tuple[type[Any], SourceSystem]] = {
    "part-revisions": (PartRevisionRecord, SourceSystem.PLM),
    "customers": (CustomerRecord, SourceSystem.ERP),
    "work-orders": (WorkOrderRecord, SourceSystem.ERP),
    "nonconformances": (NonconformanceRecord, SourceSystem.QMS),
}


@dataclass(frozen=True)
class MirrorLine:
    """What happened to one record of a batch."""

    external_id: str
    source_version: int
    outcome: MirrorOutcome
    record_id: str | None


@dataclass
class MirrorReport:
    """What a batch did (or, in a dry run, would do)."""

    kind: str
    dry_run: bool
    lines: list[MirrorLine] = field(default_factory=list)

    def count(self, outcome: MirrorOutcome) -> int:
        """How many records had ``outcome``."""
        return sum(1 for line in self.lines if line.outcome is outcome)

    @property
    def counts(self) -> dict[str, int]:
        """Records per outcome."""
        return {o.value: self.count(o) for o in MirrorOutcome}


def provenance_of(rec: MirrorRecord, source: SourceSystem, at: datetime) -> Provenance:
    """Provenance of an incoming record; the hash covers everything but the version."""
    payload = dataclasses.asdict(rec)
    payload.pop("source_version")
    # Fields added later hash only when sent, so records stored before keep their hash.
    for added_later, holder in [("starts_at", payload), ("corrective_action", payload)] + [
        ("completed_at", op) for op in payload.get("operations", ())
    ]:
        if holder.get(added_later, "") is None:
            holder.pop(added_later)
    if payload.get("bill_of_materials") == ():
        payload.pop("bill_of_materials")
    return Provenance(source.value, rec.external_id, rec.source_version, at, content_hash(payload))


MIRROR_PERMISSION = {
    SourceSystem.PLM: Permission.MIRROR_PLM,
    SourceSystem.ERP: Permission.MIRROR_ERP,
    SourceSystem.QMS: Permission.MIRROR_QMS,
}


def apply(
    ctx: ServiceContext,
    kind: str,
    records: Sequence[MirrorRecord],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> MirrorReport:
    """Upsert a batch of one kind, all or none; a conflict anywhere refuses the whole batch.

    ``progress("applying", done, total)`` hears of every few hundred records.
    """
    if kind not in KINDS:
        raise ValidationError(
            f"Unknown record kind {kind!r}; one of {', '.join(KINDS)}.", field="kind"
        )
    record_type, source = KINDS[kind]
    allowed(ctx, MIRROR_PERMISSION[source])
    seen: set[str] = set()
    for rec in records:
        if not isinstance(rec, record_type):
            raise ValidationError(f"A {kind} batch holds only {kind} records.", field="kind")
        if rec.external_id in seen:
            raise ValidationError(
                f"{rec.external_id} appears twice in the batch.", field="external_id"
            )
        seen.add(rec.external_id)
    upsert: Callable[..., tuple[MirrorOutcome, str | None, list[Event]]] = _UPSERTS[kind]
    report = MirrorReport(kind, dry_run)
    now = ctx.clock.now()
    with ctx.uow_factory() as uow:
        events: list[Event] = []
        for done, rec in enumerate(records, 1):
            outcome, record_id, changes = upsert(uow, ctx, rec, provenance_of(rec, source, now))
            report.lines.append(MirrorLine(rec.external_id, rec.source_version, outcome, record_id))
            events += changes
            if progress is not None and (done % 200 == 0 or done == len(records)):
                progress("applying", done, len(records))
        for event in events:
            # A system account of one site writes nothing about another site.
            ctx.principal.require_site(event.site_id, "site")
        if dry_run:
            uow.rollback()
            return report
        record(uow, ctx, events)
        uow.commit()
    return report


def _event(
    ctx: ServiceContext,
    record_type: str,
    record_id: str,
    site_id: str | None,
    outcome: MirrorOutcome,
    prov: Provenance,
    changes: dict[str, Any],
) -> Event:
    return Event(
        action=f"mirror.{outcome.value}",
        record_type=record_type,
        record_id=record_id,
        site_id=site_id,
        actor=ctx.actor,
        at=prov.received_at,
        changes={
            "source": (None, f"{prov.source_system}:{prov.external_id}"),
            "source_version": (None, prov.source_version),
            **{k: (None, v) for k, v in changes.items()},
        },
    )


# --- PLM: part revisions ------------------------------------------------------------------


def _upsert_part_revision(
    uow: UnitOfWork, ctx: ServiceContext, rec: PartRevisionRecord, prov: Provenance
) -> tuple[MirrorOutcome, str | None, list[Event]]:
    revision = uow.parts.revision_by_provenance(prov.source_system, prov.external_id)
    outcome = decide(revision.provenance if revision else None, prov)
    if outcome in {MirrorOutcome.STALE, MirrorOutcome.UNCHANGED}:
        return outcome, revision.id if revision else None, []
    if not rec.drawings:
        raise ValidationError(
            f"{rec.external_id}: a revision needs at least one drawing.", field="drawings"
        )
    part = uow.parts.by_number(rec.part_number)
    if part is None:
        part = model.Part(
            model.require_text(rec.part_number, "part_number"),
            model.require_text(rec.part_name, "part_name"),
        )
        uow.parts.add(part)
    part.name = model.require_text(rec.part_name, "part_name")
    if revision is None:
        # A revision keyed in by hand before the integration started is adopted, not doubled.
        revision = part.revision(rec.revision)
        if revision is not None and revision.provenance is not None:
            raise ConflictError(
                f"{part.number} rev {rec.revision} is mirrored from "
                f"{revision.provenance.external_id}."
            )
    if revision is None:
        revision = model.PartRevision(part.id, model.require_text(rec.revision, "revision"))
        part.revisions.append(revision)
    elif revision.part_id != part.id or revision.revision != rec.revision:
        raise ConflictError(
            f"{rec.external_id} now names another part or revision; PLM "
            "releases a new revision instead.",
            external_id=rec.external_id,
        )
    if rec.status is model.RevisionStatus.RELEASED:
        if revision.status is not model.RevisionStatus.RELEASED:
            revision.released_at = prov.received_at
        for other in part.revisions:
            if other is not revision and other.status is model.RevisionStatus.RELEASED:
                other.status = model.RevisionStatus.OBSOLETE
    revision.status = rec.status
    revision.provenance = prov
    changed = _sync_drawings(uow, revision, rec.drawings)
    had_bom = bool(revision.bill_of_materials)
    bom_changed, bom_lines = _sync_bill_of_materials(
        revision, rec.part_number, rec.bill_of_materials
    )
    # A newly released revision of a part with an approved FAI raises a design-change trigger.
    detected = trigger_detection.on_revision_released(uow, ctx, part, revision)
    return (
        outcome,
        revision.id,
        [
            _event(
                ctx,
                "part_revision",
                revision.id,
                None,
                outcome,
                prov,
                {
                    "part": part.number,
                    "revision": revision.revision,
                    "status": revision.status.value,
                    "characteristics": changed,
                    # Only for assemblies, so a detail's audit reads as it always did.
                    **(
                        {
                            "bill_of_materials": bom_lines,
                            "bill_of_materials_changed": bom_changed,
                        }
                        if had_bom or revision.bill_of_materials
                        else {}
                    ),
                },
            ),
            *detected,
        ],
    )


def _sync_drawings(
    uow: UnitOfWork, revision: model.PartRevision, drawings: Sequence[DrawingRecord]
) -> dict[str, int]:
    """Make the revision's drawings and characteristics equal PLM's; count what changed."""
    counts = {"added": 0, "changed": 0, "removed": 0}
    wanted = {d.number: d for d in drawings}
    if len(wanted) != len(drawings):
        raise ValidationError("A drawing number appears twice.", field="drawings")
    for gone in [d for d in revision.drawings if d.number not in wanted]:
        for characteristic in gone.characteristics:
            _ensure_unused(uow, characteristic)
        counts["removed"] += len(gone.characteristics)
        revision.drawings.remove(gone)
    for spec in drawings:
        drawing = next(
            (d for d in revision.drawings if d.number == spec.number), None
        ) or model.Drawing(revision.id, spec.number, spec.revision, spec.kind)
        if drawing not in revision.drawings:
            revision.drawings.append(drawing)
        drawing.revision, drawing.kind = spec.revision, spec.kind
        by_balloon = {c.balloon: c for c in drawing.characteristics}
        incoming = {c.balloon: c for c in spec.characteristics}
        if len(incoming) != len(spec.characteristics):
            raise ValidationError(
                f"A balloon appears twice on drawing {spec.number}.", field="balloon"
            )
        for balloon, dropped in by_balloon.items():
            if balloon not in incoming:
                _ensure_unused(uow, dropped)
                drawing.characteristics.remove(dropped)
                counts["removed"] += 1
        for balloon, c in incoming.items():
            requirement = c.build_requirement()
            existing = by_balloon.get(balloon)
            if existing is None:
                drawing.add_characteristic(c.on_drawing(drawing.id, requirement, balloon))
                counts["added"] += 1
                continue
            new = (c.ctype, requirement, c.sheet, c.zone, c.designator)
            if (
                existing.ctype,
                existing.requirement,
                existing.sheet,
                existing.zone,
                existing.designator,
            ) != new:
                (
                    existing.ctype,
                    existing.requirement,
                    existing.sheet,
                    existing.zone,
                    existing.designator,
                ) = new
                counts["changed"] += 1
    return counts


def _sync_bill_of_materials(
    revision: model.PartRevision, part_number: str, lines: Sequence[BomLineRecord]
) -> tuple[dict[str, int], list[str]]:
    """Make the revision's BOM equal PLM's (lines matched by find number, so an unchanged
    line keeps its id); count what changed and list the lines as they now stand."""
    wanted = model.check_bill_of_materials(
        part_number, [line.on_revision(revision.id) for line in lines]
    )
    counts = {"added": 0, "changed": 0, "removed": 0}
    incoming = {line.find_number: line for line in wanted}
    for gone in [b for b in revision.bill_of_materials if b.find_number not in incoming]:
        revision.bill_of_materials.remove(gone)
        counts["removed"] += 1
    held = {b.find_number: b for b in revision.bill_of_materials}
    for find_number, line in incoming.items():
        existing = held.get(find_number)
        if existing is None:
            revision.bill_of_materials.append(line)
            counts["added"] += 1
        elif existing.key != line.key:
            existing.part_number, existing.part_name = line.part_number, line.part_name
            existing.part_type, existing.quantity = line.part_type, line.quantity
            existing.revision = line.revision
            counts["changed"] += 1
    return counts, [
        f"{b.find_number}: {b.part_number}"
        + (f" rev {b.revision}" if b.revision else "")
        + f" x{b.quantity} ({b.part_type.value})"
        for b in sorted(revision.bill_of_materials, key=lambda b: b.find_number)
    ]


def _ensure_unused(uow: UnitOfWork, characteristic: model.Characteristic) -> None:
    if uow.parts.characteristic_in_use(characteristic.id):
        raise ConflictError(
            f"Balloon {characteristic.balloon} is accounted for in an FAI and cannot be removed "
            "from a released revision; PLM releases a new revision instead.",
            balloon=characteristic.balloon,
        )


# --- ERP: customers and work orders -------------------------------------------------------


def _upsert_customer(
    uow: UnitOfWork, ctx: ServiceContext, rec: CustomerRecord, prov: Provenance
) -> tuple[MirrorOutcome, str | None, list[Event]]:
    customer = uow.customers.by_provenance(prov.source_system, prov.external_id)
    outcome = decide(customer.provenance if customer else None, prov)
    if outcome in {MirrorOutcome.STALE, MirrorOutcome.UNCHANGED}:
        return outcome, customer.id if customer else None, []
    code = model.require_text(rec.code, "code").upper()
    if customer is None:
        customer = uow.customers.by_code(code)
        if customer is not None and customer.provenance is not None:
            raise ConflictError(
                f"Customer {code} is mirrored from {customer.provenance.external_id}."
            )
        if customer is None:
            customer = model.Customer(code, rec.name)
            uow.customers.add(customer)
    customer.code, customer.name = code, model.require_text(rec.name, "name")
    customer.channel, customer.requires_fai = rec.channel, rec.requires_fai
    customer.ships_on_conditional_acceptance = rec.ships_on_conditional_acceptance
    customer.vendor_code, customer.provenance = rec.vendor_code, prov
    customer.form_revision = model.FormRevision(rec.form_revision)
    return (
        outcome,
        customer.id,
        [
            _event(
                ctx,
                "customer",
                customer.id,
                None,
                outcome,
                prov,
                {"code": code, "name": customer.name},
            )
        ],
    )


def _upsert_work_order(
    uow: UnitOfWork, ctx: ServiceContext, rec: WorkOrderRecord, prov: Provenance
) -> tuple[MirrorOutcome, str | None, list[Event]]:
    site = found(uow.sites.by_code(rec.site.strip().upper()), "Site", rec.site)
    work_order = uow.work_orders.by_provenance(site.id, prov.source_system, prov.external_id)
    outcome = decide(work_order.provenance if work_order else None, prov)
    if outcome in {MirrorOutcome.STALE, MirrorOutcome.UNCHANGED}:
        return outcome, work_order.id if work_order else None, []
    revision = found(
        uow.parts.revision_by_number(rec.part_number, rec.revision),
        "Part revision",
        f"{rec.part_number} rev {rec.revision}",
    )
    customer = (
        found(uow.customers.by_code(rec.customer.strip().upper()), "Customer", rec.customer)
        if rec.customer
        else None
    )
    created = work_order is None
    if work_order is None:
        work_order = uow.work_orders.by_number(site.id, rec.number)
        if work_order is not None and work_order.provenance is not None:
            raise ConflictError(
                f"Work order {rec.number} is mirrored from {work_order.provenance.external_id}."
            )
        created = work_order is None
    if work_order is None:
        work_order = model.WorkOrder(
            site.id, model.require_text(rec.number, "number"), revision.id, rec.quantity
        )
        uow.work_orders.add(work_order)
    elif work_order.part_revision_id != revision.id:
        raise ConflictError(
            f"Work order {rec.number} builds another revision in firstarticle; "
            "ERP opens a new work order for another configuration."
        )
    if rec.quantity < 1:
        raise ValidationError("A work order builds at least one piece.", field="quantity")
    work_order.number, work_order.quantity = rec.number, rec.quantity
    work_order.customer_id = customer.id if customer else None
    work_order.router, work_order.lot = rec.router, rec.lot
    work_order.purchase_order, work_order.status = rec.purchase_order, rec.status
    work_order.program = rec.program
    work_order.starts_at = rec.starts_at
    for op in rec.operations:
        existing = next((o for o in work_order.operations if o.sequence == op.sequence), None)
        if existing is None:
            existing = work_order.add_operation(
                op.sequence, op.name, op.work_center, op.special_process, op.supplier
            )
        else:
            existing.name, existing.work_center = op.name, op.work_center
            existing.special_process, existing.supplier = op.special_process, op.supplier
        for name, value in op.made_with().items():
            setattr(existing, name, value)
        existing.balloons = list(op.balloons)
        existing.completed_at = op.completed_at
    known = {s.number for s in work_order.serials}
    for number in rec.serial_numbers:
        if number not in known:
            work_order.add_serial(number)
    work_order.provenance = prov
    events = [
        _event(
            ctx,
            "work_order",
            work_order.id,
            site.id,
            outcome,
            prov,
            {
                "number": work_order.number,
                "quantity": work_order.quantity,
                "serials": list(rec.serial_numbers),
            },
        )
    ]
    if created:
        events += holds.hold_if_fai_required(uow, ctx, work_order)
    events += trigger_detection.on_work_order(uow, ctx, work_order)
    return outcome, work_order.id, events


# --- QMS: nonconformances -------------------------------------------------------------------


def _upsert_nonconformance(
    uow: UnitOfWork, ctx: ServiceContext, rec: NonconformanceRecord, prov: Provenance
) -> tuple[MirrorOutcome, str | None, list[Event]]:
    site = found(uow.sites.by_code(rec.site.strip().upper()), "Site", rec.site)
    fai = uow.first_articles.by_nonconformance_provenance(
        site.id, prov.source_system, prov.external_id
    )
    nc = (
        next(
            (
                n
                for n in fai.nonconformances
                if n.provenance and n.provenance.external_id == prov.external_id
            ),
            None,
        )
        if fai
        else None
    )
    outcome = decide(nc.provenance if nc else None, prov)
    if outcome in {MirrorOutcome.STALE, MirrorOutcome.UNCHANGED}:
        return outcome, nc.id if nc else None, []
    target = found(
        uow.first_articles.by_fair_identifier(rec.fair_identifier),
        "First article",
        rec.fair_identifier,
    )
    if target.site_id != site.id:
        raise ValidationError(f"{rec.fair_identifier} is not at site {site.code}.", field="site")
    if fai is not None and fai.id != target.id:
        raise ConflictError(
            f"{rec.external_id} is linked to {fai.fair_identifier}; the QMS "
            "moves a document by closing it and opening another."
        )
    revision = found(
        uow.parts.revision(target.part_revision_id), "Part revision", target.part_revision_id
    )
    by_balloon = {c.balloon: c.id for c in revision.characteristics}
    missing = [b for b in rec.balloons if b not in by_balloon]
    if missing:
        raise ValidationError(
            f"{rec.number} names balloons not on the FAI's revision: {', '.join(missing)}.",
            field="balloons",
        )
    if rec.status is not model.NonconformanceStatus.OPEN and rec.disposition is None:
        raise ValidationError(
            f"{rec.number}: a dispositioned or closed document states its disposition.",
            field="disposition",
        )
    if nc is None:
        nc = next(
            (n for n in target.nonconformances if n.kind is rec.kind and n.number == rec.number),
            None,
        )
        if nc is not None and nc.provenance is not None:
            raise ConflictError(f"{rec.number} is mirrored from {nc.provenance.external_id}.")
    if nc is None:
        nc = model.NonconformanceLink(target.site_id, target.id, rec.kind, rec.number)
        target.nonconformances.append(nc)
    nc.kind, nc.number, nc.status, nc.disposition = (
        rec.kind,
        rec.number,
        rec.status,
        rec.disposition,
    )
    nc.title, nc.characteristic_ids = rec.title, [by_balloon[b] for b in rec.balloons]
    # From now on the QMS is the record of authority for this document.
    nc.provenance, nc.origin = prov, model.NonconformanceOrigin.QMS
    target.touch(prov.received_at)
    # Field 19 and Form 3 field 11 may have changed under field 20 and 22 signatures.
    rechecked = signatures.recheck_signatures(uow, ctx, target)
    # A corrective action to complete the FAI raises a re-FAI trigger on its configuration.
    rechecked += trigger_detection.on_corrective_action(
        uow, ctx, target, rec.number, rec.corrective_action, prov.external_id
    )
    return (
        outcome,
        nc.id,
        [
            _event(
                ctx,
                "nonconformance",
                nc.id,
                site.id,
                outcome,
                prov,
                {
                    "number": rec.number,
                    "status": rec.status.value,
                    "disposition": rec.disposition.value if rec.disposition else None,
                    "first_article": rec.fair_identifier,
                },
            ),
            *rechecked,
        ],
    )


_UPSERTS: dict[str, Callable[..., tuple[MirrorOutcome, str | None, list[Event]]]] = {
    "part-revisions": _upsert_part_revision,
    "customers": _upsert_customer,
    "work-orders": _upsert_work_order,
    "nonconformances": _upsert_nonconformance,
}
