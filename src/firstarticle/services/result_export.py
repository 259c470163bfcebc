"""Export an FAI's characteristics and results as a QIF 3.0 Results document.

What goes out: the FAIR identifier as ``ReportNumber``, DETAIL / ASSEMBLY and FAI_Full /
FAI_Partial (with reason and baseline), part number, revision and drawings, one
characteristic per Form 3 line (balloon designator, sheet and zone, criticality, limits and
the drawing's requirement text) and, for each serial in scope, the result that counts for each
characteristic with its computed PASS / FAIL, its value in the characteristic's units and the
numbers of the NC documents linked to a nonconforming one. Superseded results stay out.

Linear values share one unit in QIF (``FileUnits``): the most common linear unit of the
FAI's requirements; others are converted exactly (inch to millimetre) or to 50 significant
digits (millimetre to inch).
"""

from __future__ import annotations

import dataclasses
import functools
import io
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

from firstarticle.domain import model
from firstarticle.domain.inspection_files import (
    ExportActual,
    ExportCharacteristic,
    ExportHeader,
)
from firstarticle.domain.tolerancing import DesignTolerance
from firstarticle.domain.values import Conformance, convert, normalize_unit
from firstarticle.services import ServiceContext
from firstarticle.services.first_articles import get_first_article

__all__ = ["export_results_qif", "export_results_qif_file"]


def _units(units: str | None) -> str | None:
    return normalize_unit(units) if units else None


def _in_units(
    tolerance: DesignTolerance, shown: Callable[[Decimal | None], Decimal | None]
) -> DesignTolerance:
    """The tolerance with its zones in the export's units."""
    return dataclasses.replace(
        tolerance,
        rows=tuple(dataclasses.replace(row, zone=shown(row.zone)) for row in tolerance.rows),
        outer_disposition=shown(tolerance.outer_disposition),
    )


def export_results_qif(ctx: ServiceContext, fai_id: str) -> bytes:
    """The FAI as a QIF 3.0 Results document (UTF-8 bytes), valid against QIFDocument.xsd."""
    return export_results_qif_file(ctx, fai_id)[1]


def export_results_qif_file(ctx: ServiceContext, fai_id: str) -> tuple[str, bytes]:
    """The document and a file name for it (``<FAIR identifier>.qif``)."""
    writer = ctx.formats.result_writer
    linear_units = writer.linear_units
    detail = get_first_article(ctx, fai_id)
    fai, form1 = detail.fai, detail.form1
    linear = Counter(
        u for line in detail.form3 if (u := _units(line.units)) in linear_units
    ).most_common(1)
    primary = linear[0][0] if linear else "mm"

    def shown(value: Decimal | None, units: str | None) -> Decimal | None:
        if value is None or units not in linear_units or units == primary:
            return value
        return convert(value, units, primary)

    by_id = {c.id: c for c in detail.revision.characteristics}
    drawing_of = {d.id: d.number for d in detail.revision.drawings}
    characteristics: list[ExportCharacteristic] = []
    export_units: dict[str, str | None] = {}
    for line in detail.form3:
        units = _units(line.units)
        out_units = primary if units in linear_units else units
        export_units[line.characteristic_id] = out_units
        c = by_id.get(line.characteristic_id)
        characteristics.append(
            ExportCharacteristic(
                key=line.characteristic_id,
                balloon=line.char_no,
                requirement=line.requirement,
                nominal=shown(line.nominal, units),
                lower_limit=shown(line.lower_limit, units),
                upper_limit=shown(line.upper_limit, units),
                units=out_units,
                sheet=c.sheet if c else None,
                zone=c.zone if c else None,
                criticality=line.designator.upper() if line.designator else None,
                drawing=drawing_of.get(c.drawing_id) if c else None,
                kind=c.qif_kind if c else None,
                tolerance=_in_units(c.design_tolerance, functools.partial(shown, units=units))
                if c and c.design_tolerance
                else None,
            )
        )

    serials: list[str | None] = [u.serial_number for u in fai.units] or [None]
    per_serial: dict[str | None, list[ExportActual]] = {s: [] for s in serials}
    devices: list[str] = []
    for line in detail.form3:
        out_units = export_units[line.characteristic_id]
        for result in line.results:
            if result.serial_number not in per_serial:
                continue
            value = result.value
            if value is not None and result.units and out_units and result.units != out_units:
                value = convert(value, result.units, out_units)
            if result.device:
                devices.append(result.device)
            per_serial[result.serial_number].append(
                ExportActual(
                    characteristic_key=line.characteristic_id,
                    value=value,
                    attribute=result.attribute,
                    passed=result.conformance is Conformance.CONFORMING,
                    # The NC the file stated for this very result, else the line's (field 11).
                    nonconformance=result.nonconformance_number
                    or " ".join(line.nonconformance_numbers)
                    or None,
                    measured_at=result.measured_at,
                    device=result.device,
                )
            )
    header = ExportHeader(
        report_number=fai.fair_identifier,
        part_number=form1.part_number,
        part_name=form1.part_name,
        part_revision=form1.part_revision,
        inspection_scope="ASSEMBLY" if fai.fai_type is model.FaiType.ASSEMBLY else "DETAIL",
        inspection_mode="FAI_Partial" if fai.scope is model.FaiScope.PARTIAL else "FAI_Full",
        drawings=tuple((d.number, d.revision) for d in form1.drawings),
        partial_reason=fai.reason if fai.scope is model.FaiScope.PARTIAL else None,
        baseline_part_number=fai.baseline_part_number,
        baseline_part_revision=fai.baseline_part_revision,
        supplier_code=fai.supplier_code,
        purchase_order=fai.purchase_order,
        organization=form1.organization_name,
        additional_changes=form1.additional_changes,
        created_at=ctx.clock.now(),
        linear_unit=primary,
    )
    out = io.BytesIO()
    writer.write(
        out,
        header,
        characteristics,
        per_serial.items(),
        serial_count=len(fai.units),
        result_count=sum(len(v) for v in per_serial.values()),
        devices=devices,
    )
    return f"{fai.fair_identifier}.qif", out.getvalue()
