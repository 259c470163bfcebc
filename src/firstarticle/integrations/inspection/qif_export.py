"""Write an FAI's characteristics and results as a QIF 3.0 Results document, streaming.

The document carries what AS9102 Form 3 and the QIF traceability hooks need:

- ``PreInspectionTraceability``: the FAIR identifier as ``ReportNumber``, ``InspectionScope``
  DETAIL / ASSEMBLY, ``InspectionMode`` FAI_Full / FAI_Partial (with the reason and the
  baseline part and revision of a partial FAI), supplier code and purchase order;
- ``FileUnits``: the linear unit of the characteristics (mm or inch) and degrees;
- ``Product``: the part with its number (``ModelNumber``), revision (``Version``) and the
  first drawing and its revision (``PrintedDrawing``);
- ``Characteristics``: one definition, nominal and item per Form 3 line. Toleranced lengths
  are ``UserDefinedLinearCharacteristic`` (the limits, ``DefinedAsLimit``), angles
  ``UserDefinedAngularCharacteristic``; an untoleranced BASIC or REF line (passed as its
  ``criticality``) is one of these with ``DimensionType`` BASIC_OR_TED /
  REFERENCE_OR_AUXILIARY and ``NonTolerance``; notes, specifications and anything judged by an
  attribute verdict are ``UserDefinedAttributeCharacteristic``. The drawing's requirement text
  is ``WhatToMeasure``; the balloon number is the item's ``CharacteristicDesignator``, with
  the drawing sheet and zone and the criticality (KEY, CRITICAL, MAJOR, MINOR);
- ``Results``: one ``MeasurementResults`` per serial, with a measurement per result given
  (re-measurements included, in the order given): its
  status PASS / FAIL as computed, its value (or the attribute verdict), its time stamp and
  the ``NonConformanceDesignator`` of a nonconforming result; the serials as
  ``ActualComponent`` elements; measuring devices as ``MeasurementDevices``.

The caller passes plain records (this module imports only them, from the domain)
and must give every number in the units it names. The writer holds one serial's results at a
time; the output validates against QIFDocument.xsd (tests check it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import BinaryIO, Final

from firstarticle.domain.inspection_files import (
    ExportActual,
    ExportCharacteristic,
    ExportHeader,
)
from firstarticle.integrations.inspection.qif_export_types import (
    DatumTables,
    TypedWriter,
    typed_kind,
    write_datums,
)
from firstarticle.integrations.inspection.qif_xml import XmlWriter, escaped, xs_decimal

__all__ = [
    "LINEAR_UNITS",
    "ExportActual",
    "ExportCharacteristic",
    "ExportHeader",
    "write_qif_results",
]

_NS: Final = "http://qifstandards.org/xsd/qif3"
# Canonical unit names (firstarticle.domain.values) -> QIF unit name and factor to SI.
LINEAR_UNITS: Final = {"mm": ("mm", "0.001"), "in": ("inch", "0.0254")}
_ANGULAR: Final = frozenset({"deg"})
_CRITICALITY: Final = frozenset({"KEY", "CRITICAL", "MAJOR", "MINOR"})
# Form 3 designators of untoleranced lines -> QIF DimensionType (the import reads it back).
_NOT_TOLERANCED: Final = {"BASIC": "BASIC_OR_TED", "REF": "REFERENCE_OR_AUXILIARY"}


def _when(value: datetime) -> str:
    return value.isoformat()


def _kind(c: ExportCharacteristic) -> str:
    typed = typed_kind(c)
    if typed is not None:
        return typed
    numeric = (
        c.lower_limit is not None
        or c.upper_limit is not None
        or (c.nominal is not None and c.criticality in _NOT_TOLERANCED)
    )
    if numeric and c.units in LINEAR_UNITS:
        return "UserDefinedLinear"
    if numeric and c.units in _ANGULAR:
        return "UserDefinedAngular"
    return "UserDefinedAttribute"


def write_qif_results(
    out: BinaryIO,
    header: ExportHeader,
    characteristics: Sequence[ExportCharacteristic],
    results_by_serial: Iterable[tuple[str | None, Sequence[ExportActual]]],
    *,
    serial_count: int,
    result_count: int,
    devices: Sequence[str] = (),
) -> None:
    """Write the document to ``out`` (a binary stream, left open).

    ``results_by_serial`` yields each serial (None for an FAI without serials) with its
    results, ``serial_count`` and ``result_count`` say how many will come (QIF states the
    highest id on the root element, before anything else). Numbers of linear
    characteristics must be in ``header.linear_unit``; angles in degrees.
    """
    if header.linear_unit not in LINEAR_UNITS:
        raise ValueError(f"linear unit {header.linear_unit!r} is not one of {list(LINEAR_UNITS)}")
    w = XmlWriter(out)
    # Ids: 1 for the standard, 1 for the part, 1 for the external definition and 1 per
    # drawing, 3 per characteristic, 1 per datum label and per datum reference frame of the
    # typed ones, 1 per device; then per serial one block and one component, and 1 per result.
    next_id = 1
    standard_id, part_id = next_id, next_id + 1
    next_id += 2
    drawing_ids = list(range(next_id, next_id + len(header.drawings) + 1))
    next_id += len(drawing_ids)
    keys: dict[str, tuple[int, int, int, str, ExportCharacteristic]] = {}
    for c in characteristics:
        keys[c.key] = (next_id, next_id + 1, next_id + 2, _kind(c), c)
        next_id += 3
    tables, next_id = DatumTables.of(
        (c for *_, kind, c in keys.values() if not kind.startswith("UserDefined")), next_id
    )
    device_ids = {name: next_id + i for i, name in enumerate(dict.fromkeys(devices))}
    next_id += len(device_ids)
    id_max = next_id - 1 + 2 * max(serial_count, 1) + result_count

    w('<?xml version="1.0" encoding="UTF-8"?>\n')
    w(f'<QIFDocument xmlns="{_NS}" versionQIF="3.0.0" idMax="{id_max}">')
    w(f"<QPId>{uuid.uuid4()}</QPId>")
    if header.created_at is not None:
        w(f"<Version><TimeCreated>{_when(header.created_at)}</TimeCreated></Version>")
    w("<Header><Application><Name>firstarticle</Name></Application></Header>")
    # QIF asks traceability and characteristics to name their formal standard; the report
    # follows AS9102 (the drawings' own dimensioning standard is not recorded here).
    w(
        f'<StandardsDefinitions n="1"><Standard id="{standard_id}"><Organization>'
        "<OtherStandardsOrganization>SAE</OtherStandardsOrganization></Organization>"
        "<Designator>AS9102</Designator>"
        "<Title>Aerospace First Article Inspection Requirement</Title>"
        "</Standard></StandardsDefinitions>"
    )
    _traceability(w, header, standard_id)
    unit_name, factor = LINEAR_UNITS[header.linear_unit]
    w(
        "<FileUnits><PrimaryUnits>"
        "<AngularUnit><SIUnitName>radian</SIUnitName><UnitName>degree</UnitName>"
        "<UnitConversion><Factor>0.017453292519943295</Factor></UnitConversion></AngularUnit>"
        f"<LinearUnit><SIUnitName>meter</SIUnitName><UnitName>{unit_name}</UnitName>"
        f"<UnitConversion><Factor>{factor}</Factor></UnitConversion></LinearUnit>"
        "</PrimaryUnits></FileUnits>"
    )
    write_datums(w, tables)
    if device_ids:
        w(f'<MeasurementResources><MeasurementDevices n="{len(device_ids)}">')
        for name, ident in device_ids.items():
            w(f'<MeasurementDevice id="{ident}">')
            w.leaf("Name", name)
            w("</MeasurementDevice>")
        w("</MeasurementDevices></MeasurementResources>")
    _product(w, header, part_id, drawing_ids)
    if keys:
        drawing_of = {
            number: ident
            for (number, _rev), ident in zip(header.drawings, drawing_ids[1:], strict=True)
        }
        _characteristics(w, keys, standard_id, drawing_of, TypedWriter(tables))
    serial_ids: list[tuple[int, str | None]] = []
    blocks: list[str] = []
    block_count = 0
    results_written = 0
    opened = False
    for serial, actuals in results_by_serial:
        if not opened:
            w(f'<Results><MeasurementResultsSet n="{max(serial_count, 1)}">')
            opened = True
        block_id, component_id = next_id, next_id + 1
        next_id += 2
        serial_ids.append((component_id, serial))
        block_count += 1
        w(f'<MeasurementResults id="{block_id}">')
        passed_all = True
        if actuals:
            w(f'<MeasuredCharacteristics><CharacteristicMeasurements n="{len(actuals)}">')
            for actual in actuals:
                entry = keys.get(actual.characteristic_key)
                if entry is None:
                    raise ValueError(
                        f"result for unknown characteristic {actual.characteristic_key}"
                    )
                passed_all &= actual.passed
                _measurement(w, next_id, entry, actual, device_ids, TypedWriter(tables))
                next_id += 1
                results_written += 1
            w("</CharacteristicMeasurements></MeasuredCharacteristics>")
        status = "PASS" if passed_all else "FAIL"
        w(
            f"<InspectionStatus><InspectionStatusEnum>{status}</InspectionStatusEnum></InspectionStatus>"
        )
        w(f'<ActualComponentIds n="1"><Id>{component_id}</Id></ActualComponentIds>')
        w("</MeasurementResults>")
        blocks.append(status)
    if block_count != max(serial_count, 1) and opened:
        raise ValueError(f"serial_count was {serial_count}, {block_count} serials were written")
    if results_written != result_count:
        raise ValueError(f"result_count was {result_count}, {results_written} results were written")
    if opened:
        w("</MeasurementResultsSet>")
        w(f'<ActualComponentSets n="1"><ActualComponentSet n="{len(serial_ids)}">')
        for (component_id, serial), status in zip(serial_ids, blocks, strict=True):
            w(f'<ActualComponent id="{component_id}">')
            w.leaf("SerialNumber", serial)
            w(f"<Status><InspectionStatusEnum>{status}</InspectionStatusEnum></Status>")
            w("</ActualComponent>")
        w("</ActualComponentSet></ActualComponentSets></Results>")
    w("</QIFDocument>\n")
    w.flush()


def _traceability(w: XmlWriter, h: ExportHeader, standard_id: int) -> None:
    w("<PreInspectionTraceability>")
    if h.organization:
        w("<InspectingOrganization>")
        w.leaf("Name", h.organization)
        w("</InspectingOrganization>")
    w.leaf("SupplierCode", h.supplier_code)
    w.leaf("PurchaseOrderNumber", h.purchase_order)
    w.leaf("ReportNumber", h.report_number)
    w.leaf("InspectionScope", h.inspection_scope)
    w.leaf("InspectionMode", h.inspection_mode)
    if h.inspection_mode == "FAI_Partial":
        w("<PartialInspection>")
        w.leaf("BaselineProductNumber", h.baseline_part_number or h.part_number)
        w.leaf("BaselineProductVersion", h.baseline_part_revision or h.part_revision)
        w.leaf("ReasonForPartialInspection", h.partial_reason or "Partial FAI")
        w("</PartialInspection>")
    w(f"<FormalStandardId>{standard_id}</FormalStandardId>")
    w("</PreInspectionTraceability>")


def _product(w: XmlWriter, h: ExportHeader, part_id: int, ids: list[int]) -> None:
    w(f'<Product><PartSet n="1"><Part id="{part_id}" label="{escaped(h.part_name)}">')
    w.leaf("ModelNumber", h.part_number)
    w.leaf("Version", h.part_revision)
    if h.drawings:
        w(f'<DefinitionExternal id="{ids[0]}" n="{len(h.drawings)}">')
        for (number, revision), ident in zip(h.drawings, ids[1:], strict=True):
            w(f'<PrintedDrawing id="{ident}">')
            w.leaf("Name", number)
            w.leaf("Version", revision)
            w.leaf("DrawingNumber", number)
            w.leaf("AdditionalChanges", h.additional_changes)
            w("</PrintedDrawing>")
        w("</DefinitionExternal>")
    w("</Part></PartSet></Product>")


def _characteristics(
    w: XmlWriter,
    keys: dict[str, tuple[int, int, int, str, ExportCharacteristic]],
    standard_id: int,
    drawing_of: dict[str, int],
    typed: TypedWriter,
) -> None:
    first_drawing = next(iter(drawing_of.values()), None)
    n = len(keys)
    w(f"<Characteristics><FormalStandardId>{standard_id}</FormalStandardId>")
    w(f'<CharacteristicDefinitions n="{n}">')
    for def_id, _nom_id, _item_id, kind, c in keys.values():
        w(f'<{kind}CharacteristicDefinition id="{def_id}">')
        if not kind.startswith("UserDefined"):
            typed.definition(w, kind, c)
        elif kind != "UserDefinedAttribute" and c.criticality in _NOT_TOLERANCED:
            w(f"<DimensionType>{_NOT_TOLERANCED[c.criticality]}</DimensionType>")
            w("<NonTolerance>MEASURED</NonTolerance>")
        elif kind != "UserDefinedAttribute":
            w("<Tolerance>")
            if c.upper_limit is not None:
                w(f"<MaxValue>{xs_decimal(c.upper_limit)}</MaxValue>")
            if c.lower_limit is not None:
                w(f"<MinValue>{xs_decimal(c.lower_limit)}</MinValue>")
            w("<DefinedAsLimit>true</DefinedAsLimit></Tolerance>")
        if kind.startswith("UserDefined"):
            w.leaf("WhatToMeasure", c.requirement or c.balloon)
        w(f"</{kind}CharacteristicDefinition>")
    w(f'</CharacteristicDefinitions><CharacteristicNominals n="{n}">')
    for def_id, nom_id, _item_id, kind, c in keys.values():
        w(f'<{kind}CharacteristicNominal id="{nom_id}">')
        w(f"<CharacteristicDefinitionId>{def_id}</CharacteristicDefinitionId>")
        if not kind.startswith("UserDefined"):
            typed.nominal(w, kind, c)
        elif kind != "UserDefinedAttribute" and c.nominal is not None:
            w(f"<TargetValue>{xs_decimal(c.nominal)}</TargetValue>")
        w(f"</{kind}CharacteristicNominal>")
    w(f'</CharacteristicNominals><CharacteristicItems n="{n}">')
    for _def_id, nom_id, item_id, kind, c in keys.values():
        w(f'<{kind}CharacteristicItem id="{item_id}">')
        w.leaf("Name", c.balloon)
        w("<CharacteristicDesignator>")
        w.leaf("Designator", c.balloon)
        if c.criticality and c.criticality.upper() in _CRITICALITY:
            w(f"<Criticality><LevelEnum>{c.criticality.upper()}</LevelEnum></Criticality>")
        elif c.criticality == "REF":
            # A reference dimension: the import reads the REF level back (a typed untoleranced
            # characteristic may state no DimensionType).
            w("<Criticality><OtherLevel>REF</OtherLevel></Criticality>")
        w("</CharacteristicDesignator>")
        w(f"<CharacteristicNominalId>{nom_id}</CharacteristicNominalId>")
        drawing = drawing_of.get(c.drawing or "", first_drawing)
        if (c.sheet or c.zone) and drawing is not None:
            w(f"<LocationOnDrawing><DrawingId>{drawing}</DrawingId>")
            w.leaf("SheetNumber", c.sheet)
            w.leaf("DrawingZone", c.zone)
            w("</LocationOnDrawing>")
        w(f"</{kind}CharacteristicItem>")
    w("</CharacteristicItems></Characteristics>")


def _measurement(
    w: XmlWriter,
    ident: int,
    entry: tuple[int, int, int, str, ExportCharacteristic],
    actual: ExportActual,
    device_ids: dict[str, int],
    typed: TypedWriter,
) -> None:
    _def_id, _nom_id, item_id, kind, _c = entry
    status = "PASS" if actual.passed else "FAIL"
    w(f'<{kind}CharacteristicMeasurement id="{ident}">')
    w(f"<Status><CharacteristicStatusEnum>{status}</CharacteristicStatusEnum></Status>")
    w(f"<CharacteristicItemId>{item_id}</CharacteristicItemId>")
    if actual.measured_at is not None:
        w(f"<TimeStamp>{_when(actual.measured_at)}</TimeStamp>")
    device = device_ids.get(actual.device or "")
    if device is not None:
        w(f'<MeasurementDeviceIds n="1"><Id>{device}</Id></MeasurementDeviceIds>')
    if actual.nonconformance and not actual.passed:
        w.leaf("NonConformanceDesignator", actual.nonconformance)
    if not kind.startswith("UserDefined"):
        typed.measurement(w, kind, actual)
    elif kind == "UserDefinedAttribute":
        shown = actual.attribute or (
            f"{xs_decimal(actual.value)}" if actual.value is not None else None
        )
        w.leaf("Value", shown)
    elif actual.value is not None:
        w(f"<Value>{xs_decimal(actual.value)}</Value>")
    w(f"</{kind}CharacteristicMeasurement>")
