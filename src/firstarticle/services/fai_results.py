"""Results on an FAI: recording them by hand, verifying manual entries, and the
nonconformances linked to nonconforming ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.domain.errors import ConflictError, ValidationError
from firstarticle.domain.mirror import refuse_manual_change
from firstarticle.domain.triggers import require_after_change
from firstarticle.domain.values import AttributeResult, normalize_unit
from firstarticle.services import (
    ServiceContext,
    found,
    record,
)
from firstarticle.services.fai_record import (
    FirstArticleDetail,
    characteristic_of,
    commit_change,
    commit_fai,
    load_fai,
)


@dataclass(frozen=True)
class ResultInput:
    """A result to record: a measured value with units, or an attribute verdict."""

    balloon: str
    measured_at: datetime
    source: model.ResultSource
    value: Decimal | None = None
    units: str | None = None
    attribute: AttributeResult | None = None
    serial_number: str | None = None
    operator: str | None = None
    device: str | None = None
    source_reference: str | None = None
    # The verdict the instrument or file states (PASS / FAIL); readiness compares it.
    stated_status: str | None = None


def _stated(status: str | None) -> str | None:
    if status is None:
        return None
    if status not in {"PASS", "FAIL"}:
        raise ValidationError("A stated verdict is PASS or FAIL.", field="stated_status")
    return status


def record_results(
    ctx: ServiceContext, fai_id: str, inputs: Sequence[ResultInput]
) -> list[model.InspectionResult]:
    """Record results, all or none; each is judged against its requirement when read."""
    now = ctx.clock.now()
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.RESULT_RECORD)
        fai = loaded.fai
        serials = {u.serial_number: u.serial_id for u in fai.units}
        # An FAI a re-FAI trigger opened takes results of product made after the change.
        changed_at = uow.triggers.changed_at(fai.site_id, fai.id) if fai.refai_trigger else None
        results: list[model.InspectionResult] = []
        pairs: list[tuple[model.InspectionResult, model.Characteristic]] = []
        for item in inputs:
            if item.measured_at.tzinfo is None:
                raise ValidationError("measured_at needs a time zone.", field="measured_at")
            if item.measured_at > now:
                raise ValidationError("measured_at is in the future.", field="measured_at")
            require_after_change(item.measured_at, changed_at)
            characteristic = characteristic_of(loaded, item.balloon)
            serial_id = None
            if item.serial_number is not None:
                serial_id = found(
                    serials.get(item.serial_number),
                    "Serial",
                    f"{item.serial_number} in this FAI's scope",
                )
            elif len(serials) > 1:
                raise ValidationError(
                    "Name the serial: this FAI covers several.", field="serial_number"
                )
            elif serials:
                serial_id = next(iter(serials.values()))
            result = model.InspectionResult(
                site_id=fai.site_id,
                first_article_id=fai.id,
                characteristic_id=characteristic.id,
                source=item.source,
                recorded_by=ctx.actor,
                recorded_at=now,
                measured_at=item.measured_at,
                value=item.value,
                units=normalize_unit(item.units) if item.units else None,
                attribute=item.attribute,
                serial_id=serial_id,
                operator=item.operator,
                device=item.device,
                source_reference=item.source_reference,
                stated_status=_stated(item.stated_status),
            )
            pairs.append((result, characteristic))
            results.append(result)
        events = fai.record_results(pairs, ctx.actor)
        record(uow, ctx, events)
        uow.commit()
        return results


def verify_result(ctx: ServiceContext, fai_id: str, result_id: str) -> FirstArticleDetail:
    """A second person verifies a manually entered result."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.RESULT_VERIFY)
        events = loaded.fai.verify_result(result_id, ctx.actor, ctx.clock.now())
        return commit_fai(uow, ctx, loaded, events)


def resolve_verdict_disagreement(
    ctx: ServiceContext, fai_id: str, result_id: str, reason: str
) -> FirstArticleDetail:
    """Settle a result whose file verdict differs from the computed conformance, with why
    (RESULT_VERDICT_DISAGREES); the computed conformance still counts."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.RESULT_VERIFY)
        events = loaded.fai.resolve_verdict_disagreement(
            result_id, reason, ctx.actor, ctx.clock.now()
        )
        return commit_fai(uow, ctx, loaded, events)


def link_nonconformance(
    ctx: ServiceContext,
    fai_id: str,
    *,
    kind: model.NonconformanceKind,
    number: str,
    title: str | None = None,
    balloons: Sequence[str] = (),
) -> FirstArticleDetail:
    """Link a nonconformance, deviation, concession or rework to the FAI, open.

    Its status and disposition never come from the person linking it: at a site whose
    nonconformances live in a QMS they come from the QMS mirror (which adopts this link by
    kind and number); at a site without a QMS the link is a local record that moves through
    its own audited lifecycle (:func:`update_nonconformance`).
    """
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.FAI_EDIT)
        fai = loaded.fai
        number = model.require_text(number, "number")
        if any(nc.kind is kind and nc.number == number for nc in fai.nonconformances):
            raise ConflictError(
                f"{kind.value.capitalize()} {number} is already linked.", number=number
            )
        chars = [characteristic_of(loaded, b) for b in balloons]
        origin = loaded.site.nonconformance_authority
        nc = model.NonconformanceLink(
            fai.site_id,
            fai.id,
            kind,
            number,
            model.NonconformanceStatus.OPEN,
            None,
            title,
            [c.id for c in chars],
            origin=origin,
        )
        fai.nonconformances.append(nc)
        return commit_change(
            uow,
            ctx,
            loaded,
            "fai.nonconformance_linked",
            {
                "nonconformance": (
                    None,
                    {
                        "kind": kind.value,
                        "number": number,
                        "status": nc.status.value,
                        "origin": origin.value,
                        "balloons": [c.balloon for c in chars],
                    },
                )
            },
        )


def update_nonconformance(
    ctx: ServiceContext,
    fai_id: str,
    nc_id: str,
    *,
    status: model.NonconformanceStatus,
    disposition: model.Disposition | None,
) -> FirstArticleDetail:
    """Move a local nonconformance (a site without a QMS) one step: dispositioned, then
    closed. A QMS document is refused (``nonconformance_owned_by_qms``): only its mirror
    says what the QMS decided."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.NONCONFORMANCE_DISPOSITION)
        fai = loaded.fai
        nc = found(
            next((n for n in fai.nonconformances if n.id == nc_id), None),
            "Nonconformance link",
            nc_id,
        )
        refuse_manual_change(nc.provenance, f"{nc.kind.value.capitalize()} {nc.number}")
        diff = nc.advance_locally(status, disposition)
        return commit_change(uow, ctx, loaded, "fai.nonconformance_updated", diff)
