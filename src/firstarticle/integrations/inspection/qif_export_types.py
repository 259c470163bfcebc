"""The typed characteristics of the QIF Results export, and the datums they reference.

A characteristic imported from a QIF file keeps the file's type for it and its tolerance as
typed (``kind`` and ``tolerance`` of :class:`ExportCharacteristic`, see
domain/tolerancing.py). :func:`typed_kind` says whether the export can write it back as that
type: sizes (``Diameter``, ``DistanceBetween``, ``LinearCoordinate``, ``AngleBetween``) with
their tolerance or limits, or their ``NonTolerance``; geometric tolerances (``Position``,
``PointProfile``, ``Flatness``, ``Circularity``, ``Perpendicularity``, ``Parallelism``) with
their zone, zone shape, material condition, a profile's outer disposition and the datum
reference frame, written once per distinct frame in ``DatumReferenceFrames`` with its
``DatumDefinitions``. The element order is QIFLibrary/Characteristics.xsd's.

Not kept by the import, and so written as QIF requires them: a datum's
``ReferencedComponent`` is ``ACTUAL`` (the datum feature as measured), a linear coordinate's
measured ``TypeOfCoordinates`` is ``UNDEFINED``. Every other kind, a composite frame, and a
tolerance this module cannot state in the schema's terms are written user-defined by
qif_export.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Context, Decimal, Inexact
from typing import Final

from firstarticle.domain.inspection_files import ExportActual, ExportCharacteristic
from firstarticle.domain.tolerancing import DatumReference, DesignTolerance, FrameRow
from firstarticle.integrations.inspection.qif_xml import XmlWriter

__all__ = ["DatumTables", "TypedWriter", "typed_kind", "write_datums"]

_LINEAR_UNITS: Final = frozenset({"mm", "in"})
_SIZES: Final = {
    "Diameter": "mm",
    "DistanceBetween": "mm",
    "LinearCoordinate": "mm",
    "AngleBetween": "deg",
}


@dataclass(frozen=True)
class _FrameKind:
    """What a geometric kind's definition states besides its zone."""

    datums: bool
    material: str  # "required", "optional" or "none"
    shapes: frozenset[str] = frozenset()  # allowed ZoneShape children; empty: no ZoneShape


_ORIENTATION: Final = _FrameKind(True, "required", frozenset({"DiametricalZone", "PlanarZone"}))
_GEOMETRIC: Final = {
    "Position": _FrameKind(
        True, "required", frozenset({"DiametricalZone", "SphericalZone", "NonDiametricalZone"})
    ),
    "PointProfile": _FrameKind(True, "none"),
    "Flatness": _FrameKind(False, "optional"),
    "Circularity": _FrameKind(False, "none"),
    "Perpendicularity": _ORIENTATION,
    "Parallelism": _ORIENTATION,
}
# The import's words for a dimension type -> QIF's DimensionModifierEnumType.
_DIMENSION_TYPE: Final = {
    "BASIC": "BASIC_OR_TED",
    "REF": "REFERENCE_OR_AUXILIARY",
    "SET": "SET",
}
_NON_TOLERANCE: Final = frozenset({"MEASURED", "SET"})
_PRECEDENCE: Final = ("PRIMARY", "SECONDARY", "TERTIARY", "QUATERNARY", "QUINARY")
# xs:NMTOKEN, which a DatumLabel must be (a label the import made up, "#12", is not).
_NMTOKEN: Final = re.compile(r"^[\w.:\-]+$")
_EXACT: Final = Context(prec=200, traps=[Inexact])


def typed_kind(c: ExportCharacteristic) -> str | None:
    """The QIF type to write ``c`` as, or None when it goes out user-defined."""
    kind, tolerance = c.kind, c.tolerance
    if kind is None or tolerance is None:
        return None
    if kind in _SIZES:
        wanted = _SIZES[kind]
        units_ok = c.units in _LINEAR_UNITS if wanted == "mm" else c.units == wanted
        return kind if units_ok and _size_is_stated(kind, c, tolerance) else None
    frame = _GEOMETRIC.get(kind)
    if frame is None or c.units not in _LINEAR_UNITS or len(tolerance.rows) != 1:
        return None
    return kind if _row_is_stated(frame, tolerance.rows[0]) else None


def _size_is_stated(kind: str, c: ExportCharacteristic, t: DesignTolerance) -> bool:
    if t.rows or (t.dimension_type is not None and t.dimension_type not in _DIMENSION_TYPE):
        return False
    if kind == "LinearCoordinate" and t.direction is None:
        return False
    if kind in {"DistanceBetween", "AngleBetween"} and t.analysis_mode is None:
        return False
    if c.lower_limit is None and c.upper_limit is None:
        return t.non_tolerance in _NON_TOLERANCE
    return t.defined_as_limit or c.nominal is not None


def _row_is_stated(frame: _FrameKind, row: FrameRow) -> bool:
    if row.zone is None or (row.datums and not frame.datums) or len(row.datums) > 5:
        return False
    if row.material_condition is not None and frame.material == "none":
        return False
    if (row.zone_shape is not None or frame.shapes) and row.zone_shape not in frame.shapes:
        return False
    return all(_NMTOKEN.match(label) for d in row.datums for label in d.labels)


@dataclass
class DatumTables:
    """Ids of the datum definitions (by label) and the datum reference frames (by their
    datums) the typed characteristics reference."""

    labels: dict[str, int] = field(default_factory=dict)
    frames: dict[tuple[DatumReference, ...], int] = field(default_factory=dict)

    @classmethod
    def of(cls, typed: Iterable[ExportCharacteristic], next_id: int) -> tuple[DatumTables, int]:
        """The tables for these characteristics, ids from ``next_id``, and the next free id."""
        tables = cls()
        for c in typed:
            assert c.tolerance is not None
            for row in c.tolerance.rows:
                if not row.datums or row.datums in tables.frames:
                    continue
                for label in (label for d in row.datums for label in d.labels):
                    if label not in tables.labels:
                        tables.labels[label] = next_id
                        next_id += 1
                tables.frames[row.datums] = next_id
                next_id += 1
        return tables, next_id


def write_datums(w: XmlWriter, tables: DatumTables) -> None:
    """``DatumDefinitions`` and ``DatumReferenceFrames`` (their place: after FileUnits)."""
    if not tables.frames:
        return
    w(f'<DatumDefinitions n="{len(tables.labels)}">')
    for label, ident in tables.labels.items():
        w(f'<DatumDefinition id="{ident}">')
        w.leaf("DatumLabel", label)
        w("</DatumDefinition>")
    w(f'</DatumDefinitions><DatumReferenceFrames n="{len(tables.frames)}">')
    for datums, ident in tables.frames.items():
        w(f'<DatumReferenceFrame id="{ident}"><Datums n="{len(datums)}">')
        for datum, precedence in zip(datums, _PRECEDENCE, strict=False):
            w("<Datum>")
            if len(datum.labels) == 1:
                _simple_datum(w, tables, datum.labels[0], datum.modifiers[0])
            else:
                w(f'<CompoundDatum n="{len(datum.labels)}">')
                for number, (label, modifier) in enumerate(
                    zip(datum.labels, datum.modifiers, strict=True), start=1
                ):
                    w("<Datum>")
                    _simple_datum(w, tables, label, modifier)
                    w(f"<SequenceNumber>{number}</SequenceNumber></Datum>")
                w("</CompoundDatum>")
            w(f"<Precedence><PrecedenceEnum>{precedence}</PrecedenceEnum></Precedence>")
            w("</Datum>")
        w("</Datums></DatumReferenceFrame>")
    w("</DatumReferenceFrames>")


def _simple_datum(w: XmlWriter, tables: DatumTables, label: str, modifier: str | None) -> None:
    w(f"<SimpleDatum><DatumDefinitionId>{tables.labels[label]}</DatumDefinitionId>")
    w(f"<MaterialModifier>{modifier or 'NONE'}</MaterialModifier>")
    w("<ReferencedComponent>ACTUAL</ReferencedComponent></SimpleDatum>")


@dataclass(frozen=True)
class TypedWriter:
    """Writers of the kind-specific content of a typed characteristic's elements."""

    tables: DatumTables

    def definition(self, w: XmlWriter, kind: str, c: ExportCharacteristic) -> None:
        """The definition's content after its id: the tolerance as the schema orders it."""
        t = c.tolerance
        assert t is not None
        if kind in _SIZES:
            if t.dimension_type is not None:
                w(f"<DimensionType>{_DIMENSION_TYPE[t.dimension_type]}</DimensionType>")
            if c.lower_limit is None and c.upper_limit is None:
                w(f"<NonTolerance>{t.non_tolerance}</NonTolerance>")
                return
            base = None if t.defined_as_limit else c.nominal
            w("<Tolerance>")
            w.number("MaxValue", _less(c.upper_limit, base))
            w.number("MinValue", _less(c.lower_limit, base))
            w(f"<DefinedAsLimit>{'true' if t.defined_as_limit else 'false'}</DefinedAsLimit>")
            w("</Tolerance>")
            return
        frame, row = _GEOMETRIC[kind], t.rows[0]
        w.number("ToleranceValue", row.zone)
        if kind == "PointProfile":
            w.number("OuterDisposition", t.outer_disposition)
        if row.datums:
            w(f"<DatumReferenceFrameId>{self.tables.frames[row.datums]}</DatumReferenceFrameId>")
        if frame.material == "required" or row.material_condition is not None:
            w(f"<MaterialCondition>{row.material_condition or 'NONE'}</MaterialCondition>")
        if frame.shapes:
            w(f"<ZoneShape><{row.zone_shape}/></ZoneShape>")

    @staticmethod
    def nominal(w: XmlWriter, kind: str, c: ExportCharacteristic) -> None:
        """The nominal's content after its definition id."""
        t = c.tolerance
        assert t is not None
        if kind not in _SIZES:
            return
        w.number("TargetValue", c.nominal)
        if kind == "LinearCoordinate":
            w(f"<Direction>{t.direction}</Direction>")
        elif t.analysis_mode is not None:
            w(f"<AnalysisMode>{t.analysis_mode}</AnalysisMode>")

    @staticmethod
    def measurement(w: XmlWriter, kind: str, actual: ExportActual) -> None:
        """The measurement's content after its NonConformanceDesignator: the value."""
        if kind == "LinearCoordinate":
            w("<TypeOfCoordinates><CoordinateEnum>UNDEFINED</CoordinateEnum></TypeOfCoordinates>")
        w.number("Value", actual.value)


def _less(value: Decimal | None, base: Decimal | None) -> Decimal | None:
    """A limit as the file states it: itself, or its deviation from the nominal ``base``."""
    if value is None or base is None:
        return value
    return _EXACT.subtract(value, base)
