"""Streaming, hardened reader of the design characteristics of QIF 3.0 MBD and Plan files.

AS9102 Form 3 starts from the list of design characteristics. A QIF model-based definition
(the NIST PMI test models, a CAD system's QIF export) or a QIF Plan (a CMM program's plan)
states that list as data; this module turns it into plain records, so that nobody re-types a
requirement.

**What counts as one characteristic.** QIF describes a characteristic on three levels:

- a *definition* (``...CharacteristicDefinition``): the tolerance, possibly shared by several
  callouts;
- a *nominal* (``...CharacteristicNominal``): one callout of the design, a definition applied
  to features, with its target value; a composite feature control frame or an "nX" pattern is
  one nominal;
- an *item* (``...CharacteristicItem``, in plans and results): the nominal as planned for
  inspection, with the balloon, the drawing location, the criticality and the QPId.

The characteristics a file defines are its items, plus every nominal that no item refers to
(a model-based definition has nominals only). Definitions are never counted on their own. This
gives 14, 22, 16, 47, 37 and 53 characteristics for the NIST models ctc_01, ctc_03, ctc_05,
ftc_06, ftc_08 and ftc_09 (each of their nominals, basic and reference dimensions included),
and one per item for the plans and the widget files. An item's designator, criticality and
QPId fall back to its nominal's when the item has none.

**Values.** Every number is a :class:`~decimal.Decimal` taken verbatim from the file, in the
file's units: a value's own ``linearUnit`` / ``angularUnit`` attribute, else the PMI primary
unit of ``FileUnits`` (which governs the Characteristics section), else the primary unit. A
size keeps its nominal, signed tolerances and derived limits. A geometric tolerance is given
as nominal 0, upper limit = its tolerance zone and lower limit 0, so that a measured deviation
can be judged; a point profile, reported as a signed deviation, has its zone split around 0
(``OuterDisposition`` outside, else half and half). A composite frame is judged on its first
(pattern-locating) segment; every segment is kept and shown. Material condition modifiers are
shown, never applied: the stored zone is the stated one, without bonus tolerance.

**Text.** ``text`` is the requirement as an engineer reads it on the drawing: sizes with their
tolerance or limits and units (``⌀35.00 ±0.15 mm``, ``⌀34.80 – 35.20 mm``, ``60.00° ±0.5°``,
``2.000 in BASIC``, ``(.500 in) REF``), geometric tolerances as feature control frames with
symbol, diameter zone, tolerance, modifiers and datum references (``⌖ ⌀0.25 Ⓜ | A | B Ⓜ |
C``), the second segment of a composite frame on its own line. Numbers are shown with the
``decimalPlaces`` the file gives, else with the file's digits trimmed of CAD noise. A callout
on n features (an nX pattern) starts with ``nX``; inch requirements follow ASME Y14.5's inch
conventions (no zero before the point, ``.625``; a nominal with as many places as its
tolerance, ``⌀1.500 ±.005``); a size toleranced 0/0 ends with ``[zero tolerance]``.

**Hardening** is that of :mod:`firstarticle.integrations.inspection.qif`: ``lxml`` iterparse
with every element dropped once turned into a small record, DOCTYPE and entity declarations
refused, no network, libxml2's size limits kept. By default the file is validated against the
packaged QIF 3.0 schema *while* it is streamed (one pass, constant memory).

This module imports nothing from firstarticle beyond the QIF Results reader it builds on.
"""

from __future__ import annotations

import os
import queue
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow
from importlib import resources
from typing import Any, BinaryIO, Final, cast

from lxml import etree

from firstarticle.integrations.inspection.qif import (
    ANGULAR_KINDS,
    GDT_SYMBOL,
    NO_DESIGNATOR,
    NO_UNIT_KINDS,
    NS,
    OTHER_UNIT_KINDS,
    SIZE_PREFIX,
    HashingReader,
    QifError,
    QifWalk,
    child_of,
    decimal_places,
    format_decimal,
    line_of,
    local_name,
    source_name,
    text_of,
    token_of,
)

__all__ = [
    "MAX_CHARACTERISTICS",
    "ZERO_TOLERANCE_FLAG",
    "MbdCharacteristic",
    "MbdDatumReference",
    "MbdDocument",
    "MbdToleranceSegment",
    "QifError",
    "read_qif_mbd",
]

#: More characteristics than this in one file is refused (a drawing has hundreds at most).
MAX_CHARACTERISTICS: Final = 20_000

_MATERIAL_SYMBOL: Final = {
    "MAXIMUM": "Ⓜ",
    "LEAST": "Ⓛ",
    "MAXIMUM_RPR": "Ⓜ Ⓡ",
    "LEAST_RPR": "Ⓛ Ⓡ",
}
# REGARDLESS is the default of ASME Y14.5 since 1994 and NONE says there is no modifier:
# neither is shown nor kept as a modifier.
_NO_MODIFIER: Final = frozenset({"NONE", "REGARDLESS"})
_PRECEDENCE: Final = {"PRIMARY": 0, "SECONDARY": 1, "TERTIARY": 2}
_DIMENSION_TYPE: Final = {"BASIC_OR_TED": "BASIC", "REFERENCE_OR_AUXILIARY": "REF"}
_EXTENT: Final = {"ALL_AROUND": "ALL AROUND", "ALL_OVER": "ALL OVER"}
_DIRECTION: Final = {"XAXIS": "X", "YAXIS": "Y", "ZAXIS": "Z"}
_NO_DESIGNATOR: Final = NO_DESIGNATOR
_UNIT_DISPLAY: Final = {
    "inch": "in",
    "inches": "in",
    "millimeter": "mm",
    "millimetre": "mm",
    "millimeters": "mm",
    "millimetres": "mm",
}
_DEGREES: Final = frozenset({"degree", "degrees", "deg", "°"})
_SEGMENT_TAGS: Final = frozenset(
    {
        "SecondCompositeSegmentPositionDefinition",
        "SecondCompositeSegmentProfileDefinition",
        "SecondCompositeSegmentSymmetryDefinition",
        "SecondCompositeSegmentConcentricityDefinition",
    }
)
_EXACT: Final = Context(prec=100, traps=[Inexact, InvalidOperation, Overflow])
_MAX_MESSAGE: Final = 300
_NOISE_PLACES: Final = 6
_MAX_MAGNITUDE: Final = 30  # decimal exponent of the largest and smallest value accepted
_MAX_DIGITS: Final = 60


# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MbdDatumReference:
    """One datum reference of a feature control frame: ``A``, ``B Ⓜ``, or common ``A-B``."""

    labels: tuple[str, ...]
    modifiers: tuple[str | None, ...]
    text: str

    @property
    def label(self) -> str:
        """The datum letters as the frame shows them, without modifiers (``A-B``)."""
        return "-".join(self.labels)


@dataclass(frozen=True, slots=True)
class MbdToleranceSegment:
    """One row of a feature control frame.

    ``zone_shape`` is the file's element name for it (``DiametricalZone``, ...);
    ``material_condition`` is the file's MAXIMUM / LEAST / ... (None for none or RFS);
    ``modifiers`` are the other zone modifiers as drawn (``Ⓟ 0.26``, ``Ⓕ``, ``Ⓣ``, ``⟨ST⟩``,
    ``Ⓤ 1``); ``per_unit`` is a per-unit-length or -area refinement (``0.005/0.25×0.25``).
    """

    symbol: str
    value: Decimal | None
    diameter_zone: bool
    spherical_zone: bool
    zone_shape: str | None
    material_condition: str | None
    material_symbol: str | None
    modifiers: tuple[str, ...]
    per_unit: str | None
    datums: tuple[MbdDatumReference, ...]
    text: str


@dataclass(frozen=True, slots=True)
class MbdCharacteristic:
    """One design characteristic of the file, as Form 3 fields 5 to 8 need it.

    ``item_id`` is the QIF id of the item (or, in a file without items, of the nominal) it was
    read from, ``qpid`` its persistent UUID when the file gives one. ``designator`` is the
    balloon as the file states it (None when it has none). ``lower_limit`` / ``upper_limit``
    are the acceptance limits when they can be derived; ``tolerance`` is the first row of a
    geometric tolerance's frame and ``segments`` all of its rows. ``defined_as_limit``: the
    size was given by its limits; ``outer_disposition``: a profile zone's part outside the
    profile; ``direction`` and ``analysis_mode``: the nominal's (``XAXIS``,
    ``THREEDIMENSIONAL``), as the file words them. ``definition_notes``: what the
    definition states beyond its frame rows and size tolerance, as the text shows it
    (``ALL AROUND``, ``SEP REQT``, a size's ``⟨ST⟩``).
    """

    item_id: str
    source: str  # "item" or "nominal"
    qpid: str | None
    designator: str | None
    name: str | None
    kind: str
    is_geometric: bool
    sheet: str | None
    zone: str | None
    criticality: str | None
    nominal: Decimal | None
    upper_tolerance: Decimal | None
    lower_tolerance: Decimal | None
    lower_limit: Decimal | None
    upper_limit: Decimal | None
    units: str | None
    dimension_type: str | None
    non_tolerance: str | None
    tolerance: MbdToleranceSegment | None
    segments: tuple[MbdToleranceSegment, ...]
    text: str
    line: int | None
    defined_as_limit: bool = False
    outer_disposition: Decimal | None = None
    direction: str | None = None
    analysis_mode: str | None = None
    definition_notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MbdNote:
    """A note of the model with text (``NoteSet``): a general note such as "break all sharp
    edges" that a plant may take as a Form 3 characteristic. ``designator`` is the balloon
    the file gives it (``KeyDesignator``), if any."""

    item_id: str
    label: str | None
    text: str
    designator: str | None


@dataclass(frozen=True, slots=True)
class MbdDocument:
    """The characteristics of one QIF MBD or Plan file, in file order, and the file's identity."""

    characteristics: tuple[MbdCharacteristic, ...]
    file_name: str
    file_sha256: str
    qpid: str | None
    validated: bool
    linear_unit: str | None
    angular_unit: str | None
    part_name: str | None
    part_number: str | None
    part_version: str | None
    drawing_number: str | None
    drawing_revision: str | None
    notes: tuple[MbdNote, ...] = ()


# --------------------------------------------------------------------------------------------
# Records kept while streaming
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Value:
    number: Decimal
    places: int | None
    unit: str | None


@dataclass(slots=True)
class _Segment:
    value: _Value | None = None
    per_unit: str | None = None
    per_unit_value: _Value | None = None
    drf_id: str | None = None
    material_condition: str | None = None
    zone_shape: str | None = None
    projected: _Value | None = None


@dataclass(slots=True)
class _Definition:
    kind: str
    line: int | None
    name: str | None = None
    max_value: _Value | None = None
    min_value: _Value | None = None
    has_tolerance: bool = False
    defined_as_limit: bool = False
    segments: list[_Segment] = field(default_factory=list)
    outer_disposition: _Value | None = None
    non_tolerance: str | None = None
    dimension_type: str | None = None
    statistical: bool = False
    free_state: bool = False
    tangent_plane: bool = False
    separate_zone: bool = False
    extent: str | None = None
    # A user-defined characteristic's own description (firstarticle's export writes the
    # drawing's requirement text there): its requirement text as written.
    what_to_measure: str | None = None


@dataclass(slots=True)
class _Designation:
    designator: str | None
    uuid: str | None
    criticality: str | None


@dataclass(slots=True)
class _Nominal:
    nominal_id: str
    kind: str
    definition_id: str | None
    target: _Value | None
    name: str | None
    designation: _Designation | None
    direction: str | None
    line: int | None
    features: int = 1
    analysis_mode: str | None = None


@dataclass(slots=True)
class _Item:
    item_id: str
    kind: str
    name: str | None
    designation: _Designation | None
    nominal_id: str | None
    sheet: str | None
    zone: str | None
    line: int | None
    features: int = 1


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


#: Appended to a requirement whose tolerance is 0/0 (or whose limits are equal): a drawing
#: states that by mistake more often than on purpose, and a person should look.
ZERO_TOLERANCE_FLAG: Final = "[zero tolerance]"
# Characteristics between or from features: their features are the relation, not a count.
_RELATION_KINDS: Final = ("Between", "From", "Coordinate")
_INCH: Final = frozenset({"in", "inch", "inches"})
# A decimal below one inch: ASME Y14.5 writes it without the leading zero (".625").
_LEADING_ZERO: Final = re.compile(r"(?<![\d.])0(?=\.\d)")


def _count(ids: etree._Element | None) -> int:
    """How many features a FeatureNominalIds / FeatureItemIds lists (1 without the list)."""
    if ids is None:
        return 1
    return max(1, sum(1 for child in ids if isinstance(child.tag, str)))


def _is_inch(unit: str | None) -> bool:
    return unit is not None and unit.lower() in _INCH


def _inch_style(text: str) -> str:
    """An inch requirement as Y14.5 writes it: no zero before the point below one inch."""
    return _LEADING_ZERO.sub("", text)


def _zero_tolerance(d: _Definition, geometric: bool) -> bool:
    """True for a size toleranced 0/0 (or limits that are equal); geometric zones of 0 are
    left alone (zero at MMC is a legitimate design)."""
    if geometric or not d.has_tolerance or d.max_value is None or d.min_value is None:
        return False
    if d.defined_as_limit:
        return d.max_value.number == d.min_value.number
    return d.max_value.number.is_zero() and d.min_value.number.is_zero()


def _shown_places(value: _Value, cap: int | None = None) -> int:
    """Places to show: the file's ``decimalPlaces``, widened to the value's own digits.

    The digits as written are kept (``2.000``), CAD noise is trimmed (``774.26989746093795``
    shows as ``774.270`` in mm),
    but a ``decimalPlaces`` smaller than the value needs (0.438 with 2) never rounds it.
    """
    exponent = value.number.as_tuple().exponent
    written = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    # Up to micrometre-level digits are the file's statement of precision ("2.000"); more
    # are float noise of the CAD system, which decimal_places trims.
    places = written if written <= _NOISE_PLACES else decimal_places(value.number)
    if cap is not None:
        places = min(places, cap)
    return max(places, value.places or 0)


def _number(value: _Value, cap: int | None = None) -> str:
    return format_decimal(value.number, _shown_places(value, cap))


def _deviation(value: _Value, places: int) -> str:
    """A signed deviation as Y14.5 writes it: ``+0.05``, ``-0.10``, and a bare ``0``."""
    if value.number.is_zero():
        return "0"
    return format_decimal(value.number, places, signed=True)


def _display_unit(unit: str | None) -> str | None:
    if unit is None:
        return None
    return _UNIT_DISPLAY.get(unit.lower(), unit)


def _is_degrees(unit: str | None) -> bool:
    return unit is not None and unit.lower() in _DEGREES


def _humanize(kind: str) -> str:
    words: list[str] = []
    for ch in kind:
        if ch.isupper() and words:
            words.append(" ")
        words.append(ch.lower() if words else ch)
    return "".join(words)


def _clip(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


# --------------------------------------------------------------------------------------------
# The streaming reader
# --------------------------------------------------------------------------------------------


class _MbdReader(QifWalk):
    """State of one streamed read of a QIF MBD or Plan file. Elements are turned into records."""

    def __init__(self, name: str, max_characteristics: int) -> None:
        super().__init__(name)
        self.max_characteristics = max_characteristics
        self.qpid: str | None = None
        self.datum_labels: dict[str, str] = {}
        # DRF id -> datums in precedence order, each a tuple of (datum definition id, modifier)
        self.drfs: dict[str, list[tuple[tuple[str, str | None], ...]]] = {}
        self.part: tuple[str | None, str | None, str | None] | None = None
        self.drawing: tuple[str | None, str | None] | None = None
        self.definitions: dict[str, _Definition] = {}
        self.nominals: dict[str, _Nominal] = {}
        self.nominal_order: list[str] = []
        self.items: list[_Item] = []
        self.item_ids: set[str] = set()
        self.notes: list[MbdNote] = []

    # -- errors and values -------------------------------------------------------------------

    def value(self, elem: etree._Element | None) -> _Value | None:
        number = self.decimal(elem)
        if elem is None or number is None:
            return None
        raw = (elem.text or "").strip()
        if abs(number.adjusted()) > _MAX_MAGNITUDE or len(number.as_tuple().digits) > _MAX_DIGITS:
            # xs:decimal has no exponent, but an unvalidated read could meet 1e999999999.
            raise self.error(
                f"<{local_name(elem.tag)}> is out of the range a drawing states: {raw[:40]!r}",
                line_of(elem),
            )
        places_attr = elem.get("decimalPlaces")
        places = int(places_attr) if places_attr and places_attr.isdigit() else None
        if places is not None and places > 12:
            places = 12  # a display hint, and no drawing shows more
        units = (str(v).strip() for k, v in elem.attrib.items() if str(k).endswith("Unit"))
        unit = next((u for u in units if u), None)
        return _Value(number, places, unit)

    # -- the walk ----------------------------------------------------------------------------

    def opened(self, stack: list[str]) -> None:
        """Model files carry nothing this reader notes where an element starts."""

    def is_record(self, stack: list[str]) -> bool:
        depth = len(stack)
        if depth == 2:
            return stack[1] in {"QPId", "FileUnits"}
        if depth == 3:
            return (stack[1], stack[2]) in {
                ("DatumDefinitions", "DatumDefinition"),
                ("DatumReferenceFrames", "DatumReferenceFrame"),
            }
        if depth == 4:
            return (stack[1], stack[2], stack[3]) in {
                ("Product", "PartSet", "Part"),
                ("Product", "NoteSet", "Note"),
            } or (
                stack[1] == "Characteristics"
                and stack[2]
                in {"CharacteristicDefinitions", "CharacteristicNominals", "CharacteristicItems"}
            )
        return False

    def handle(self, stack: list[str], elem: etree._Element) -> None:
        name = stack[-1]
        parent = stack[-2]
        if name == "QPId":
            self.qpid = token_of(elem)
        elif name == "FileUnits":
            self.file_units(elem)
        elif name == "DatumDefinition":
            label, ident = text_of(elem, "DatumLabel"), elem.get("id")
            if ident and label:
                self.datum_labels[ident] = label
                self.check_count()
        elif name == "DatumReferenceFrame":
            self.datum_reference_frame(elem)
        elif name == "Part":
            self.part_record(elem)
        elif name == "Note":
            self.note(elem)
        elif parent == "CharacteristicDefinitions":
            self.definition(elem, name)
        elif parent == "CharacteristicNominals":
            self.nominal(elem, name)
        elif parent == "CharacteristicItems":
            self.item(elem, name)

    # -- records -----------------------------------------------------------------------------

    def datum_reference_frame(self, elem: etree._Element) -> None:
        ident = elem.get("id")
        if not ident:
            return
        ranked: list[tuple[int, int, tuple[tuple[str, str | None], ...]]] = []
        container = child_of(elem, "Datums")
        datums = container.iterchildren(NS + "Datum") if container is not None else ()
        for index, datum in enumerate(datums):
            rank = _PRECEDENCE.get(text_of(datum, "Precedence", "PrecedenceEnum") or "", 9)
            simple, compound = child_of(datum, "SimpleDatum"), child_of(datum, "CompoundDatum")
            parts: list[etree._Element] = []
            if simple is not None:
                parts = [simple]
            elif compound is not None:
                for member in compound.iterchildren(NS + "Datum"):
                    inner = child_of(member, "SimpleDatum")
                    parts.append(inner if inner is not None else member)
            refs = tuple(
                (ref, text_of(p, "MaterialModifier"))
                for p in parts
                if (ref := text_of(p, "DatumDefinitionId"))
            )
            if refs:
                ranked.append((rank, index, refs))
        self.drfs[ident] = [refs for _, _, refs in sorted(ranked)]
        self.check_count()

    def note(self, elem: etree._Element) -> None:
        """Keep a note that says something (most model notes only carry a dimension's
        display and have no text)."""
        text = " ".join((text_of(elem, "Text") or "").split())
        if not text:
            return
        designator = None
        for attribute in elem.iter("{*}AttributeStr"):
            if str(attribute.get("name", "")).endswith("KeyDesignator"):
                designator = (attribute.get("value") or "").strip() or None
        self.notes.append(MbdNote(elem.get("id") or "", elem.get("label"), text, designator))
        self.check_count()

    def part_record(self, elem: etree._Element) -> None:
        if self.part is not None:
            return
        self.part = (
            elem.get("label") or text_of(elem, "Name"),
            text_of(elem, "ModelNumber"),
            text_of(elem, "Version"),
        )
        external = child_of(elem, "DefinitionExternal")
        drawing = child_of(external, "PrintedDrawing") if external is not None else None
        if drawing is not None:
            self.drawing = (text_of(drawing, "DrawingNumber"), text_of(drawing, "Version"))

    def segment(self, elem: etree._Element) -> _Segment:
        seg = _Segment(
            value=self.value(child_of(elem, "ToleranceValue")),
            drf_id=text_of(elem, "DatumReferenceFrameId"),
            material_condition=text_of(elem, "MaterialCondition"),
            projected=self.value(child_of(elem, "ProjectedToleranceZoneValue")),
        )
        shape = child_of(elem, "ZoneShape")
        if shape is not None:
            first = next(shape.iterchildren(tag=etree.Element), None)
            seg.zone_shape = local_name(first.tag) if first is not None else None
        for tag in (
            "ToleranceZonePerUnitLength",
            "ToleranceZonePerUnitArea",
            "ToleranceZonePerUnitAngle",
            "ToleranceZonePerUnitArcLength",
            "ToleranceZonePerUnitPolarArea",
        ):
            per_unit = child_of(elem, tag)
            if per_unit is not None:
                seg.per_unit_value, seg.per_unit = self.per_unit(per_unit)
                break
        return seg

    def per_unit(self, elem: etree._Element) -> tuple[_Value | None, str]:
        """The per-unit tolerance and how a frame writes it: ``0.005/0.25×0.25``."""
        value = self.value(child_of(elem, "ToleranceValuePerUnit"))
        sizes: list[str] = []
        for node in elem.iter(tag=etree.Element):
            tag = local_name(node.tag) or ""
            if node is elem or tag == "ToleranceValuePerUnit" or len(node):
                continue
            size = self.value(node)
            if size is not None:
                prefix = "⌀" if tag.startswith("CircularUnitArea") else ""
                sizes.append(prefix + _number(size))
        head = _number(value) if value is not None else "?"
        return value, f"{head}/{'×'.join(sizes)}" if sizes else head

    def definition(self, elem: etree._Element, tag: str) -> None:
        ident = elem.get("id")
        if not ident:
            raise self.error(f"<{tag}> has no id", line_of(elem))
        record = _Definition(kind=tag.removesuffix("CharacteristicDefinition"), line=line_of(elem))
        record.name = text_of(elem, "Name")
        tolerance = child_of(elem, "Tolerance")
        if tolerance is not None:
            record.has_tolerance = True
            record.max_value = self.value(child_of(tolerance, "MaxValue"))
            record.min_value = self.value(child_of(tolerance, "MinValue"))
            record.defined_as_limit = text_of(tolerance, "DefinedAsLimit") in {"true", "1"}
        first = self.segment(elem)
        if (
            first.value is not None
            or first.per_unit is not None
            or f"{record.kind}Characteristic" in GDT_SYMBOL
        ):
            record.segments.append(first)
        for child in elem.iterchildren(tag=etree.Element):
            if local_name(child.tag) in _SEGMENT_TAGS:
                record.segments.append(self.segment(child))
        record.outer_disposition = self.value(child_of(elem, "OuterDisposition"))
        record.non_tolerance = text_of(elem, "NonTolerance")
        record.dimension_type = text_of(elem, "DimensionType")
        if record.kind.startswith("UserDefined"):
            record.what_to_measure = text_of(elem, "WhatToMeasure")
        record.statistical = text_of(elem, "StatisticalCharacteristic") in {"true", "1"}
        record.free_state = text_of(elem, "FreeState") in {"true", "1"}
        record.tangent_plane = text_of(elem, "TangentPlane") in {"true", "1"}
        record.separate_zone = text_of(elem, "SeparateZone") in {"true", "1"}
        record.extent = text_of(elem, "Extent", "ExtentEnum")
        self.definitions[ident] = record
        self.check_count()

    def designation(self, elem: etree._Element) -> _Designation | None:
        designator = child_of(elem, "CharacteristicDesignator")
        if designator is None:
            return None
        label = text_of(designator, "Designator")
        if label is not None and label.upper() in _NO_DESIGNATOR:
            label = None
        level = child_of(designator, "Criticality")
        criticality = None
        if level is not None:
            raw = text_of(level, "LevelEnum") or text_of(level, "OtherLevel")
            criticality = raw.upper() if raw else None
        return _Designation(label, text_of(designator, "UUID"), criticality)

    def nominal(self, elem: etree._Element, tag: str) -> None:
        ident = elem.get("id")
        if not ident:
            raise self.error(f"<{tag}> has no id", line_of(elem))
        if ident in self.nominals:
            raise self.error(f"characteristic nominal id {ident!r} is used twice", line_of(elem))
        self.nominals[ident] = _Nominal(
            nominal_id=ident,
            kind=tag.removesuffix("CharacteristicNominal"),
            definition_id=text_of(elem, "CharacteristicDefinitionId"),
            target=self.value(child_of(elem, "TargetValue")),
            name=text_of(elem, "Name"),
            designation=self.designation(elem),
            direction=text_of(elem, "Direction"),
            line=line_of(elem),
            features=_count(child_of(elem, "FeatureNominalIds")),
            analysis_mode=text_of(elem, "AnalysisMode"),
        )
        self.nominal_order.append(ident)
        self.check_count()

    def item(self, elem: etree._Element, tag: str) -> None:
        ident = elem.get("id")
        if not ident:
            raise self.error(f"<{tag}> has no id", line_of(elem))
        if ident in self.item_ids:
            raise self.error(f"characteristic item id {ident!r} is used twice", line_of(elem))
        location = child_of(elem, "LocationOnDrawing")
        self.items.append(
            _Item(
                item_id=ident,
                kind=tag.removesuffix("CharacteristicItem"),
                name=text_of(elem, "Name"),
                designation=self.designation(elem),
                nominal_id=text_of(elem, "CharacteristicNominalId"),
                sheet=text_of(location, "SheetNumber") if location is not None else None,
                zone=text_of(location, "DrawingZone") if location is not None else None,
                line=line_of(elem),
                features=_count(child_of(elem, "FeatureItemIds")),
            )
        )
        self.item_ids.add(ident)
        self.check_count()

    def check_count(self) -> None:
        """Refuse a file whose records would grow past any drawing's size."""
        limit = self.max_characteristics
        if max(len(self.items), len(self.nominals), len(self.definitions)) > limit or (
            max(len(self.drfs), len(self.datum_labels), len(self.notes)) > limit
        ):
            raise self.error(
                f"more than {self.max_characteristics} characteristics; "
                "refused as implausible for one drawing"
            )

    # -- resolution, once the whole file is read ---------------------------------------------

    def document(self, sha256: str, validated: bool) -> MbdDocument:
        characteristics: list[MbdCharacteristic] = []
        referenced: set[str] = set()
        for item in self.items:
            if item.nominal_id is None or item.nominal_id not in self.nominals:
                raise self.error(
                    f"characteristic item {item.item_id!r} references nominal "
                    f"{item.nominal_id!r}, which the file does not define",
                    item.line,
                )
            referenced.add(item.nominal_id)
            characteristics.append(self.characteristic(self.nominals[item.nominal_id], item))
        for nominal_id in self.nominal_order:
            if nominal_id not in referenced:
                characteristics.append(self.characteristic(self.nominals[nominal_id], None))
        part_name, part_number, part_version = self.part or (None, None, None)
        drawing_number, drawing_revision = self.drawing or (None, None)
        return MbdDocument(
            characteristics=tuple(characteristics),
            file_name=self.name,
            file_sha256=sha256,
            qpid=self.qpid,
            validated=validated,
            linear_unit=self.unit_named("LinearUnit"),
            angular_unit=self.unit_named("AngularUnit"),
            part_name=part_name,
            part_number=part_number,
            part_version=part_version,
            drawing_number=drawing_number,
            drawing_revision=drawing_revision,
            notes=tuple(self.notes),
        )

    def unit_named(self, kind: str) -> str | None:
        """The file's unit for characteristics: the PMI unit overrides the primary one."""
        return self.units.get("PMI" + kind) or self.units.get(kind)

    def default_unit(self, kind: str) -> str | None:
        full = f"{kind}Characteristic"
        if full in NO_UNIT_KINDS:
            return None
        if full in ANGULAR_KINDS:
            return self.unit_named("AngularUnit")
        return self.unit_named(OTHER_UNIT_KINDS.get(full, "LinearUnit"))

    def characteristic(self, nominal: _Nominal, item: _Item | None) -> MbdCharacteristic:
        definition = self.definitions.get(nominal.definition_id or "")
        if definition is None:
            raise self.error(
                f"characteristic nominal {nominal.nominal_id!r} references definition "
                f"{nominal.definition_id!r}, which the file does not define",
                nominal.line,
            )
        kind = item.kind if item is not None else nominal.kind
        own = item.designation if item is not None else None
        inherited = nominal.designation
        values = [nominal.target, definition.max_value, definition.min_value] + [
            s.value for s in definition.segments
        ]
        units = self.units_of(kind, [v for v in values if v is not None], nominal.line)
        limits = self.limits(kind, definition, nominal.target, nominal.line)
        segments = tuple(
            self.frame_row(kind, definition, s, i) for i, s in enumerate(definition.segments)
        )
        is_geometric = bool(segments)
        text = (
            self.frame_text(definition, segments)
            if is_geometric
            else self.size_text(kind, definition, nominal, units)
        )
        features = max(item.features if item is not None else 1, nominal.features)
        if definition.what_to_measure:
            text = definition.what_to_measure  # already the whole Form 3 text
        else:
            if not text:
                text = _humanize(kind) + (f" {nominal.name}" if nominal.name else "")
            elif _is_inch(units):
                text = _inch_style(text)
            if features > 1 and not kind.endswith(_RELATION_KINDS):
                text = f"{features}X {text}"  # one callout on n features: "4X ⌀.625"
            if _zero_tolerance(definition, is_geometric):
                text += f" {ZERO_TOLERANCE_FLAG}"
        return MbdCharacteristic(
            item_id=item.item_id if item is not None else nominal.nominal_id,
            source="item" if item is not None else "nominal",
            qpid=(own.uuid if own and own.uuid else None)
            or (inherited.uuid if inherited else None),
            designator=(own.designator if own and own.designator else None)
            or (inherited.designator if inherited else None),
            name=(item.name if item is not None else None) or nominal.name or definition.name,
            kind=kind,
            is_geometric=is_geometric,
            sheet=item.sheet if item is not None else None,
            zone=item.zone if item is not None else None,
            criticality=(own.criticality if own and own.criticality else None)
            or (inherited.criticality if inherited else None),
            nominal=limits[0],
            upper_tolerance=limits[1],
            lower_tolerance=limits[2],
            lower_limit=limits[3],
            upper_limit=limits[4],
            units=units,
            dimension_type=_DIMENSION_TYPE.get(definition.dimension_type or "")
            or definition.dimension_type,
            non_tolerance=definition.non_tolerance,
            tolerance=segments[0] if segments else None,
            segments=segments,
            text=text,
            line=item.line if item is not None else nominal.line,
            defined_as_limit=definition.has_tolerance and definition.defined_as_limit,
            outer_disposition=(
                definition.outer_disposition.number
                if definition.outer_disposition is not None
                else None
            ),
            direction=nominal.direction,
            analysis_mode=nominal.analysis_mode,
            definition_notes=self.definition_notes(definition, is_geometric),
        )

    @staticmethod
    def definition_notes(d: _Definition, geometric: bool) -> tuple[str, ...]:
        """What the text shows of the definition beyond its rows and size tolerance."""
        notes = [_EXTENT[d.extent]] if d.extent in _EXTENT else []
        if d.separate_zone:
            notes.append("SEP REQT")
        if d.statistical and not geometric:
            notes.append("⟨ST⟩")  # a frame's is among its first row's modifiers
        return tuple(notes)

    def units_of(self, kind: str, values: Iterable[_Value], line: int | None) -> str | None:
        stated = {v.unit for v in values if v.unit is not None}
        if len(stated) > 1:
            raise self.error(
                f"one characteristic states its values in several units: {sorted(stated)}", line
            )
        return stated.pop() if stated else self.default_unit(kind)

    def limits(
        self, kind: str, d: _Definition, target: _Value | None, line: int | None
    ) -> tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None, Decimal | None]:
        """nominal, upper and lower tolerance, lower and upper limit, exactly."""
        nominal = target.number if target is not None else None
        hi = d.max_value.number if d.max_value is not None else None
        lo = d.min_value.number if d.min_value is not None else None
        try:
            if d.has_tolerance and d.defined_as_limit:
                upper = (
                    _EXACT.subtract(hi, nominal) if hi is not None and nominal is not None else None
                )
                lower = (
                    _EXACT.subtract(lo, nominal) if lo is not None and nominal is not None else None
                )
                if hi is not None and lo is not None and lo > hi:
                    raise self.error("the minimum limit is above the maximum limit", d.line)
                return nominal, upper, lower, lo, hi
            if d.has_tolerance:
                if hi is not None and lo is not None and lo > hi:
                    raise self.error("the lower tolerance is above the upper tolerance", d.line)
                if nominal is None:
                    return None, hi, lo, None, None
                return (
                    nominal,
                    hi,
                    lo,
                    _EXACT.add(nominal, lo) if lo is not None else None,
                    _EXACT.add(nominal, hi) if hi is not None else None,
                )
            first = d.segments[0] if d.segments else None
            zone_value = None
            if first is not None:
                zone_value = first.value or first.per_unit_value
            if zone_value is None:
                return nominal, None, None, None, None
            zone = zone_value.number
            if zone < 0:
                raise self.error("a tolerance zone is negative", d.line)
            if kind == "PointProfile":
                outer = d.outer_disposition.number if d.outer_disposition is not None else None
                up = outer if outer is not None else _EXACT.divide(zone, Decimal(2))
                down = _EXACT.subtract(up, zone)
                return Decimal(0), up, down, down, up
            return Decimal(0), zone, Decimal(0), Decimal(0), zone
        except (Inexact, InvalidOperation, Overflow):
            raise self.error("a value has more digits than can be kept exactly", line) from None

    # -- requirement text --------------------------------------------------------------------

    def datum_reference(self, refs: tuple[tuple[str, str | None], ...]) -> MbdDatumReference:
        labels = tuple(self.datum_labels.get(ref, f"#{ref}") for ref, _ in refs)
        modifiers = tuple(None if (m or "NONE") in _NO_MODIFIER else m for _, m in refs)
        shown = [
            f"{label} {_MATERIAL_SYMBOL.get(m, m)}" if m else label
            for label, m in zip(labels, modifiers, strict=True)
        ]
        return MbdDatumReference(labels, modifiers, "-".join(shown))

    def frame_row(
        self, kind: str, d: _Definition, seg: _Segment, index: int
    ) -> MbdToleranceSegment:
        symbol = GDT_SYMBOL.get(f"{kind}Characteristic", _humanize(kind))
        diameter = seg.zone_shape == "DiametricalZone"
        spherical = seg.zone_shape == "SphericalZone"
        condition = seg.material_condition
        if condition in _NO_MODIFIER:
            condition = None
        material_symbol = _MATERIAL_SYMBOL.get(condition or "", condition)
        modifiers: list[str] = []
        if seg.projected is not None:
            modifiers.append(f"Ⓟ {_number(seg.projected)}")
        if index == 0:
            if d.free_state:
                modifiers.append("Ⓕ")
            if d.tangent_plane:
                modifiers.append("Ⓣ")
            if d.statistical:
                modifiers.append("⟨ST⟩")
            if d.outer_disposition is not None:
                modifiers.append(f"Ⓤ {_number(d.outer_disposition)}")
        zone = ("S⌀" if spherical else "⌀" if diameter else "") + (
            _number(seg.value) if seg.value is not None else ""
        )
        if seg.per_unit is not None:
            zone = f"{zone} {seg.per_unit}".strip() if seg.value is not None else seg.per_unit
        if not zone:
            zone = d.non_tolerance or ""
        cell = " ".join(p for p in [zone, material_symbol or "", *modifiers] if p)
        datums = tuple(self.datum_reference(refs) for refs in self.drfs.get(seg.drf_id or "", []))
        text = " | ".join([f"{symbol} {cell}".strip(), *(r.text for r in datums)])
        return MbdToleranceSegment(
            symbol=symbol,
            value=seg.value.number if seg.value is not None else None,
            diameter_zone=diameter,
            spherical_zone=spherical,
            zone_shape=seg.zone_shape,
            material_condition=condition,
            material_symbol=material_symbol,
            modifiers=tuple(modifiers),
            per_unit=seg.per_unit,
            datums=datums,
            text=text,
        )

    @staticmethod
    def frame_text(d: _Definition, segments: tuple[MbdToleranceSegment, ...]) -> str:
        """The frame's rows; a composite frame's lower rows share the symbol of the first."""
        first = segments[0].text
        notes = list(_MbdReader.definition_notes(d, True))
        if notes:
            first += " " + " ".join(notes)
        rows = [first]
        for seg in segments[1:]:
            rows.append(seg.text.removeprefix(seg.symbol).strip())
        return "\n".join(rows)

    def size_text(self, kind: str, d: _Definition, n: _Nominal, units: str | None) -> str:
        full = f"{kind}Characteristic"
        prefix = SIZE_PREFIX.get(full, "")
        if n.direction in _DIRECTION:
            prefix = f"{_DIRECTION[n.direction]} {prefix}"
        degrees = _is_degrees(units)
        unit = _display_unit(units)
        each = "°" if degrees else ""  # degrees follow every number, other units the whole
        tail = "" if degrees or not unit else f" {unit}"
        cap = 4 if unit == "in" else 3
        hi, lo, target = d.max_value, d.min_value, n.target
        text = ""
        if d.has_tolerance and d.defined_as_limit:
            places = max((_shown_places(v, cap) for v in (hi, lo) if v is not None), default=0)
            if hi is not None and lo is not None:
                text = (
                    f"{prefix}{format_decimal(lo.number, places)}{each} – "
                    f"{format_decimal(hi.number, places)}{each}{tail}"
                )
            elif hi is not None:
                text = f"{prefix}{format_decimal(hi.number, places)}{each}{tail} MAX"
            elif lo is not None:
                text = f"{prefix}{format_decimal(lo.number, places)}{each}{tail} MIN"
        elif d.has_tolerance:
            places = max((_shown_places(v) for v in (hi, lo) if v is not None), default=0)
            nominal = f"{prefix}{_number(target, cap)}{each}" if target is not None else prefix
            if target is not None and unit == "in":
                # Y14.5 inch: the dimension and its tolerance have the same decimal places.
                shown = max(places, _shown_places(target, cap))
                nominal = f"{prefix}{format_decimal(target.number, shown)}{each}"
            if hi is not None and lo is not None and hi.number == -lo.number and hi.number > 0:
                text = f"{nominal} ±{format_decimal(hi.number, places)}{each}{tail}"
            elif hi is not None and lo is not None:
                text = (
                    f"{nominal} {_deviation(hi, places)}{each}/{_deviation(lo, places)}{each}{tail}"
                )
            elif hi is not None:
                text = f"{nominal} {_deviation(hi, places)}{each}{tail} MAX"
            elif lo is not None:
                text = f"{nominal} {_deviation(lo, places)}{each}{tail} MIN"
            text = text.strip()
        elif target is not None:
            value = f"{prefix}{_number(target, cap)}{each}{tail}"
            kind_word = _DIMENSION_TYPE.get(d.dimension_type or "")
            if kind_word == "REF":
                text = f"({value}) REF"
            elif kind_word == "BASIC":
                text = f"{value} BASIC"
            else:
                text = f"{value} {d.non_tolerance}" if d.non_tolerance else value
        elif d.non_tolerance:
            text = f"{_humanize(kind)} {d.non_tolerance}"
        if text and d.statistical:
            text += " ⟨ST⟩"
        return text


# --------------------------------------------------------------------------------------------
# Public function
# --------------------------------------------------------------------------------------------


def read_qif_mbd(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    validate: bool = True,
    name: str | None = None,
    max_characteristics: int = MAX_CHARACTERISTICS,
) -> MbdDocument:
    """Read the design characteristics of a QIF 3.0 MBD or Plan file, streaming.

    ``source`` is a path or a binary stream (left open); ``name`` names it in messages and in
    the result (default: the path, or the stream's ``name``). With ``validate`` (the default)
    the file is checked against the packaged QIF 3.0 schema in the same pass.

    Raises QifError, naming the source and where known the line, for anything that is not
    well-formed XML, a DOCTYPE or entity declaration, a root other than ``QIFDocument`` in
    the QIF 3 namespace, a schema violation, a value that is not a decimal number, a
    reference to a nominal or definition the file does not contain, or more than
    ``max_characteristics`` characteristics. OSError is raised as is when a path cannot be
    opened. A file without characteristics gives an empty tuple.
    """
    label = name or source_name(source)
    reader = _MbdReader(label, max_characteristics)
    with _validator(validate) as schema:
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as raw:
                return _read(reader, HashingReader(raw, label), schema)
        return _read(reader, HashingReader(source, label), schema)


# Compiled schemas for streamed validation. A compiled QIF schema takes some 25 MB, so a
# few are kept and lent out, one reader at a time each, rather than one per thread; they are
# not the one validate_qif shares under its lock.
_POOL_SIZE: Final = 2
_pool: queue.LifoQueue[etree.XMLSchema] = queue.LifoQueue()
_pool_lock: Final = threading.Lock()
_pool_made = [0]


def _compile_schema() -> etree.XMLSchema:
    package = __name__.rpartition(".")[0]
    entry = resources.files(package) / "qif_schema" / "QIFApplications" / "QIFDocument.xsd"
    # The schema includes its siblings by relative path, so it must be a real file.
    with resources.as_file(entry) as path:
        return etree.XMLSchema(etree.parse(str(path), etree.XMLParser(no_network=True)))


@contextmanager
def _validator(wanted: bool) -> Iterator[etree.XMLSchema | None]:
    """A compiled schema for this read alone (None when not validating)."""
    if not wanted:
        yield None
        return
    try:
        schema = _pool.get_nowait()
    except queue.Empty:
        with _pool_lock:
            make = _pool_made[0] < _POOL_SIZE
            if make:
                _pool_made[0] += 1
        if make:
            try:
                schema = _compile_schema()
            except BaseException:
                with _pool_lock:
                    _pool_made[0] -= 1
                raise
        else:
            schema = _pool.get()
    try:
        yield schema
    finally:
        _pool.put(schema)


def _read(reader: _MbdReader, stream: HashingReader, schema: etree.XMLSchema | None) -> MbdDocument:
    # libxml2 logs errors per thread, across parses: start this read with an empty log.
    etree.clear_error_log()
    try:
        reader.walk(stream, schema)
        return reader.document(stream.hexdigest(), validated=schema is not None)
    except QifError:
        raise
    except etree.XMLSyntaxError as exc:
        log = list(cast(Any, exc.error_log))
        if any(getattr(e, "domain_name", "") == "SCHEMASV" for e in log):
            messages = [
                _clip(str(e.message)) for e in log if getattr(e, "domain_name", "") == "SCHEMASV"
            ]
            raise QifError(
                f"{reader.name}: not valid QIF 3.0: " + "; ".join(messages[:5])
            ) from None
        where = f"{reader.name}, line {exc.lineno}" if exc.lineno else reader.name
        raise QifError(f"{where}: not well-formed XML: {_clip(str(exc.msg))}") from None
    except (etree.LxmlError, UnicodeError) as exc:
        raise QifError(f"{reader.name}: cannot be parsed as XML: {_clip(str(exc))}") from None
