"""The AS9102 forms as plain data, built from the records (for API, pages and exports)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from firstarticle.domain import model
from firstarticle.domain.requirement_text import shown_value
from firstarticle.domain.values import Conformance


@dataclass(frozen=True)
class ResultLine:
    """One result as Form 3 field 9 lists it, with its computed conformance and provenance."""

    result_id: str
    serial_number: str | None
    value: Decimal | None
    units: str | None
    attribute: str | None
    conformance: Conformance
    source: model.ResultSource
    operator: str | None
    device: str | None
    measured_at: datetime
    recorded_by: str
    verified_by: str | None
    superseded: bool
    nonconformance_number: str | None = None
    #: The value at the drawing's precision (requirement_text.shown_value); ``value`` is exact.
    shown_value: str | None = None


@dataclass(frozen=True)
class Form3Line:
    """One characteristic's accountability line (Form 3 fields 5-12).

    ``nonconformance_numbers`` (field 11) are the NC documents linked to the characteristic,
    then the numbers the results file states for its current results. ``tooling_offered``
    are the measuring devices of its current results: what field 10 may name, for a person
    to confirm as tooling.
    """

    characteristic_id: str
    char_no: str
    reference_location: str | None
    designator: str | None
    ctype: model.CharacteristicType
    requirement: str
    nominal: Decimal | None
    lower_limit: Decimal | None
    upper_limit: Decimal | None
    units: str | None
    results: tuple[ResultLine, ...]
    tooling: str | None
    nonconformance_numbers: tuple[str, ...]
    comments: str | None
    tooling_offered: tuple[str, ...] = ()


@dataclass(frozen=True)
class DrawingLine:
    """Form 1 fields 6 and 7: one drawing or model and its revision."""

    number: str
    revision: str
    kind: model.DefinitionKind


@dataclass(frozen=True)
class Form1:
    """Form 1 fields, with derived values filled in."""

    part_number: str
    part_name: str
    serial_numbers: tuple[str, ...]
    fair_identifier: str
    part_revision: str
    drawings: tuple[DrawingLine, ...]
    additional_changes: str | None
    manufacturing_process_reference: str
    organization_name: str
    supplier_code: str | None
    purchase_order: str | None
    fai_type: model.FaiType
    scope: model.FaiScope
    baseline: str | None
    reason: str
    index: tuple[model.IndexEntry, ...]
    documented_nonconformances: bool
    comments: str | None
    customer_decision: model.CustomerDecision | None


def natural_key(text: str) -> tuple[tuple[int, object], ...]:
    """Sort key that orders balloon numbers as people do: 2 before 10, 10 before 10A."""
    key: list[tuple[int, object]] = []
    digits = ""
    for ch in text:
        if ch.isdigit():
            digits += ch
            continue
        if digits:
            key.append((0, int(digits)))
            digits = ""
        key.append((1, ch))
    if digits:
        key.append((0, int(digits)))
    return tuple(key)


def process_reference(work_order: model.WorkOrder) -> str:
    """Form 1 field 9: work order, router and lot as one reference."""
    parts = [f"WO {work_order.number}"]
    if work_order.router:
        parts.append(f"Router {work_order.router}")
    lots = sorted(
        {s.lot for s in work_order.serials if s.lot is not None}
        | ({work_order.lot} if work_order.lot is not None else set())
    )
    if lots:
        parts.append("Lot " + ", ".join(str(lot) for lot in lots))
    return " / ".join(parts)


def build_form1(
    fai: model.FirstArticle,
    *,
    part: model.Part,
    revision: model.PartRevision,
    work_order: model.WorkOrder,
    site: model.Site,
    characteristics: Mapping[str, model.Characteristic],
) -> Form1:
    """Form 1 with field 19 derived from NCs and results, and field 9 from the work order."""
    baseline = None
    if fai.scope is model.FaiScope.PARTIAL:
        baseline = f"{fai.baseline_part_number} rev {fai.baseline_part_revision}"
        if fai.baseline_fair_identifier:
            baseline += f" ({fai.baseline_fair_identifier})"
    approvals = [d for d in fai.decisions if d.outcome is model.DecisionOutcome.APPROVED]
    return Form1(
        part_number=part.number,
        part_name=part.name,
        serial_numbers=tuple(u.serial_number for u in fai.units),
        fair_identifier=fai.fair_identifier,
        part_revision=revision.revision,
        drawings=tuple(DrawingLine(d.number, d.revision, d.kind) for d in revision.drawings),
        additional_changes=fai.additional_changes,
        manufacturing_process_reference=process_reference(work_order),
        organization_name=site.name,
        supplier_code=fai.supplier_code,
        purchase_order=fai.purchase_order or work_order.purchase_order,
        fai_type=fai.fai_type,
        scope=fai.scope,
        baseline=baseline,
        reason=fai.reason,
        index=tuple(fai.index),
        documented_nonconformances=fai.has_documented_nonconformances(characteristics),
        comments=fai.comments,
        customer_decision=approvals[-1] if approvals else None,
    )


def build_form3(
    fai: model.FirstArticle, characteristics: Mapping[str, model.Characteristic]
) -> list[Form3Line]:
    """Form 3 lines in balloon order, each with every result and which ones count."""
    latest = {r.id for r in fai.latest_results().values()}
    serials = {u.serial_id: u.serial_number for u in fai.units}
    by_characteristic: dict[str, list[model.InspectionResult]] = {}
    for result in sorted(fai.results, key=lambda r: (r.measured_at, r.recorded_at)):
        by_characteristic.setdefault(result.characteristic_id, []).append(result)
    lines = []
    for row in fai.form3:
        c = characteristics[row.characteristic_id]
        results: Sequence[model.InspectionResult] = by_characteristic.get(c.id, [])
        current = [r for r in results if r.id in latest]
        lines.append(
            Form3Line(
                characteristic_id=c.id,
                char_no=c.balloon,
                reference_location=c.reference_location,
                designator=c.designator.value if c.designator else None,
                ctype=c.ctype,
                requirement=c.requirement.text,
                nominal=c.requirement.nominal,
                lower_limit=c.requirement.lower_limit,
                upper_limit=c.requirement.upper_limit,
                units=c.requirement.units,
                results=tuple(
                    ResultLine(
                        result_id=r.id,
                        serial_number=serials.get(r.serial_id) if r.serial_id else None,
                        value=r.value,
                        units=r.units,
                        attribute=r.attribute.value if r.attribute else None,
                        conformance=r.conformance(c.requirement),
                        source=r.source,
                        operator=r.operator,
                        device=r.device,
                        measured_at=r.measured_at,
                        recorded_by=r.recorded_by,
                        verified_by=r.verified_by,
                        superseded=r.id not in latest,
                        nonconformance_number=r.nonconformance_number,
                        shown_value=(
                            shown_value(r.value, r.units, c.requirement)
                            if r.value is not None
                            else None
                        ),
                    )
                    for r in results
                ),
                tooling=row.tooling,
                nonconformance_numbers=tuple(
                    dict.fromkeys(
                        [
                            *fai.nc_numbers_for(c.id),
                            *(r.nonconformance_number for r in current if r.nonconformance_number),
                        ]
                    )
                ),
                comments=row.comments,
                tooling_offered=tuple(dict.fromkeys(r.device for r in current if r.device)),
            )
        )
    return sorted(lines, key=lambda line: natural_key(line.char_no))
