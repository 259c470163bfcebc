"""Streaming, hardened reader of QIF 3.0 Results files (ANSI/DMSC QIF 3.0, ISO 23952:2020).

A QIF Results file carries what AS9102 Form 3 needs: characteristic items (balloon designator,
drawing sheet and zone, criticality), their definitions and nominals (the requirement), and one
``MeasurementResults`` block per measured part with a status, a value and a nonconformance
designator for each characteristic measurement. Serial numbers sit on the ``ActualComponent``
elements that each block references through ``ActualComponentIds``; those come after the
results in the file, so references are resolved once the whole file has been read.

The reader walks the file with ``lxml.etree.iterparse`` and throws every element away as soon
as it has been turned into a small Python record, so the XML tree never grows with the file.
It refuses DOCTYPE declarations, never resolves entities, never touches the network and keeps
libxml2's size limits (no ``huge_tree``). Every number becomes a :class:`~decimal.Decimal`.

Balloons: an item's ``CharacteristicDesignator``; items without one (or with ``-NONE-``) are
numbered by :func:`number_balloons`, the rule the characteristic import applies
(``domain.inspection_files.number_balloons``; a test keeps the two equal), so that a file's
own results match the characteristics imported from it.

This module imports nothing from the rest of firstarticle.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import threading
from abc import ABC, abstractmethod
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from importlib import resources
from typing import Any, BinaryIO, Final, cast

from lxml import etree

from firstarticle.integrations.inspection.xml_guard import XmlGuardError, checked_xml_stream

__all__ = [
    "QIF_NAMESPACE",
    "QifActual",
    "QifCharacteristic",
    "QifError",
    "QifResults",
    "read_qif_results",
    "validate_qif",
]

QIF_NAMESPACE: Final = "http://qifstandards.org/xsd/qif3"
NS: Final = "{" + QIF_NAMESPACE + "}"
ROOT: Final = "QIFDocument"

# lxml-stubs does not declare iterparse; give it the one signature this module relies on.
_iterparse: Callable[..., Iterator[tuple[str, etree._Element]]] = etree.iterparse


class QifError(ValueError):
    """A QIF file that cannot be read safely or does not make sense as QIF 3.0 Results.

    ``code`` is stable: ``invalid_qif_file``, or the prolog check's code (``xml_*``).
    """

    def __init__(self, message: str, *, code: str = "invalid_qif_file") -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QifCharacteristic:
    """One characteristic item of the file: a Form 3 row's design side.

    ``upper_tolerance`` / ``lower_tolerance`` are signed deviations from ``nominal``. For a
    geometric tolerance (position, flatness, ...) the nominal is 0, the upper tolerance is the
    tolerance zone and the lower tolerance 0; a point profile is the exception, its measured
    value being a signed deviation: its zone is split around 0 (``OuterDisposition`` outside,
    the rest inside, half and half when the file gives none). ``upper_limit`` /
    ``lower_limit`` are the absolute acceptance limits when the file lets them be derived.
    """

    item_id: str
    qpid: str | None
    balloon: str
    name: str
    kind: str
    sheet: str | None
    zone: str | None
    criticality: str | None
    nominal: Decimal | None
    upper_tolerance: Decimal | None
    lower_tolerance: Decimal | None
    units: str | None
    requirement_text: str
    upper_limit: Decimal | None = None
    lower_limit: Decimal | None = None


@dataclass(frozen=True, slots=True)
class QifActual:
    """One characteristic measurement: a Form 3 result for one serial (or for the one part).

    ``units`` is the value's own unit attribute (``linearUnit``, ``angularUnit``, ...) when
    the file states one; otherwise the value is in its characteristic's units.
    """

    item_id: str
    balloon: str
    serial: str | None
    value: Decimal | None
    status: str
    nonconformance: str | None
    measured_at: datetime | None
    device: str | None
    units: str | None = None


@dataclass(frozen=True, slots=True)
class QifResults:
    """Everything read from one QIF Results file, in file order."""

    characteristics: tuple[QifCharacteristic, ...]
    actuals: tuple[QifActual, ...]
    serials: tuple[str, ...]
    part_number: str | None
    part_name: str | None
    part_revision: str | None
    report_number: str | None
    inspection_scope: str | None
    inspection_mode: str | None
    file_sha256: str
    supplier_code: str | None = None
    purchase_order_number: str | None = None
    drawing_number: str | None = None
    drawing_revision: str | None = None
    #: The whole-part verdicts the file states (``InspectionStatus`` of a measured part or of
    #: an actual component): (serial or None, PASS / FAIL / ...), in file order, once each.
    part_verdicts: tuple[tuple[str | None, str], ...] = ()
    inspecting_organization: str | None = None


# --------------------------------------------------------------------------------------------
# Internal records, one per kind of element kept while streaming
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Definition:
    kind: str
    line: int | None
    max_value: Decimal | None = None
    min_value: Decimal | None = None
    has_tolerance: bool = False
    defined_as_limit: bool = False
    tolerance_value: Decimal | None = None
    outer_disposition: Decimal | None = None
    non_tolerance: str | None = None
    drf_id: str | None = None
    material_condition: str | None = None
    zone_prefix: str = ""


@dataclass(slots=True)
class _Nominal:
    definition_id: str | None
    target: Decimal | None
    line: int | None


@dataclass(slots=True)
class _Item:
    item_id: str
    balloon: str
    kind: str
    name: str | None
    designator: str | None
    qpid: str | None
    criticality: str | None
    sheet: str | None
    zone: str | None
    nominal_id: str | None
    device_ids: tuple[str, ...]
    line: int | None


@dataclass(slots=True)
class _Block:
    """One MeasurementResults element: the results of one measured part."""

    component_ids: tuple[str, ...] = ()
    measured_at: datetime | None = None
    verdict: str | None = None


@dataclass(slots=True)
class _Unresolved:
    """What an actual still needs when its item or device came later in the file."""

    item_id: str
    device_ids: tuple[str, ...]
    line: int | None


@dataclass(slots=True)
class _Traceability:
    report_number: str | None = None
    inspection_scope: str | None = None
    inspection_mode: str | None = None
    supplier_code: str | None = None
    purchase_order_number: str | None = None
    inspecting_organization: str | None = None
    measured_at: datetime | None = None


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

# xs:decimal, plus a finite exponent form that some writers emit; never NaN or INF.
DECIMAL_RE: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# xs:dateTime: a date, a time, optional fraction and optional zone (Python parses the rest).
_DATETIME_RE: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?"
)
# Designators that stand for "no balloon number".
NO_DESIGNATOR: Final = frozenset({"", "-NONE-", "NONE", "N/A", "NA", "-"})
# Designators that CMM software writes when there is no nonconformance report.
_NO_NONCONFORMANCE: Final = frozenset({"", "NA", "N/A", "NONE", "-"})

ANGULAR_KINDS: Final = frozenset(
    {
        "AngleCharacteristic",
        "AngleBetweenCharacteristic",
        "AngleFromCharacteristic",
        "AngularCoordinateCharacteristic",
        "UserDefinedAngularCharacteristic",
    }
)
OTHER_UNIT_KINDS: Final = {
    "UserDefinedTemperatureCharacteristic": "TemperatureUnit",
    "UserDefinedAreaCharacteristic": "AreaUnit",
    "UserDefinedForceCharacteristic": "ForceUnit",
    "UserDefinedMassCharacteristic": "MassUnit",
    "UserDefinedPressureCharacteristic": "PressureUnit",
    "UserDefinedSpeedCharacteristic": "SpeedUnit",
    "UserDefinedTimeCharacteristic": "TimeUnit",
}
NO_UNIT_KINDS: Final = frozenset(
    {"UserDefinedAttributeCharacteristic", "UserDefinedUnitCharacteristic"}
)
SIZE_PREFIX: Final = {
    "DiameterCharacteristic": "⌀",
    "SphericalDiameterCharacteristic": "S⌀",
    "RadiusCharacteristic": "R",
    "SphericalRadiusCharacteristic": "SR",
}
GDT_SYMBOL: Final = {
    "PositionCharacteristic": "⌖",
    "FlatnessCharacteristic": "⏥",
    "StraightnessCharacteristic": "⏤",
    "CircularityCharacteristic": "○",
    "CylindricityCharacteristic": "⌭",
    "PerpendicularityCharacteristic": "⟂",
    "ParallelismCharacteristic": "∥",
    "AngularityCharacteristic": "∠",
    "SurfaceProfileCharacteristic": "⌓",
    "SurfaceProfileNonUniformCharacteristic": "⌓",
    "PointProfileCharacteristic": "⌓",
    "LineProfileCharacteristic": "⌒",
    "ConcentricityCharacteristic": "◎",
    "CoaxialityCharacteristic": "◎",
    "SymmetryCharacteristic": "⌯",
    "CircularRunoutCharacteristic": "↗",
    "TotalRunoutCharacteristic": "⌰",
}
_MODIFIER_SYMBOL: Final = {
    "MAXIMUM": "Ⓜ",
    "LEAST": "Ⓛ",
    "MAXIMUM_RPR": "Ⓜ Ⓡ",
    "LEAST_RPR": "Ⓛ Ⓡ",
}
_ZONE_PREFIX: Final = {"DiametricalZone": "⌀", "SphericalZone": "S⌀"}
_DISPLAY_QUANTUM: Final = Decimal("0.000001")


def number_balloons(designators: list[str | None]) -> list[str]:
    """Each item's balloon: its designator, else the next number 1, 2, ... that no designator
    uses and no earlier number took (the domain's rule, which this module may not import)."""
    used = {d for d in designators if d is not None}
    counter = 0
    balloons: list[str] = []
    for designator in designators:
        if designator is None:
            counter += 1
            while str(counter) in used:
                counter += 1
            used.add(str(counter))
            designator = str(counter)
        balloons.append(designator)
    return balloons


def _verdict(elem: etree._Element) -> str | None:
    """An InspectionStatus's PASS / FAIL / ... (the enumeration, else the other status)."""
    return text_of(elem, "InspectionStatusEnum") or text_of(elem, "OtherInspectionStatus")


def own_unit(elem: etree._Element | None) -> str | None:
    """The unit a QIF value states for itself (``linearUnit="inch"``), None without one."""
    if elem is None:
        return None
    for key, raw in elem.attrib.items():
        text = str(raw).strip()
        if str(key).endswith("Unit") and text:
            return text
    return None


def local_name(tag: object) -> str | None:
    """The local name of a QIF element, None for anything outside the QIF namespace."""
    if isinstance(tag, str) and tag.startswith(NS):
        return tag[len(NS) :]
    return None


def line_of(elem: etree._Element) -> int | None:
    """The element's line in the source (lxml-stubs types ``sourceline`` loosely)."""
    line = cast(Any, elem).sourceline
    return line if isinstance(line, int) else None


def child_of(elem: etree._Element, name: str) -> etree._Element | None:
    return elem.find(NS + name)


def children_of(elem: etree._Element) -> dict[object, etree._Element]:
    """The element's children by tag, the first of each (what ``find`` would return)."""
    kids: dict[object, etree._Element] = {}
    for child in elem:
        kids.setdefault(child.tag, child)
    return kids


def token_of(elem: etree._Element | None) -> str | None:
    """Text of an element with whitespace collapsed (xs:token); None when absent or empty."""
    if elem is None or elem.text is None:
        return None
    text = " ".join(elem.text.split())
    return text or None


def text_of(elem: etree._Element, *path: str) -> str | None:
    node: etree._Element | None = elem
    for name in path:
        if node is None:
            return None
        node = child_of(node, name)
    return token_of(node)


def _ids(elem: etree._Element | None) -> tuple[str, ...]:
    """The ``Id`` children of an ArrayReferenceType element."""
    if elem is None:
        return ()
    return tuple(t for t in (token_of(c) for c in elem.iterchildren(NS + "Id")) if t)


class _Interner:
    """Shares equal strings between the many actuals of a large file."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self._seen.setdefault(value, value)


def decimal_places(value: Decimal) -> int:
    """Decimal places worth showing: the file's digits, trimmed to micrometre-level noise."""
    try:
        trimmed = value.quantize(_DISPLAY_QUANTUM, rounding=ROUND_HALF_EVEN).normalize()
    except InvalidOperation:
        return 0
    exponent = trimmed.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def format_decimal(value: Decimal, places: int, *, signed: bool = False) -> str:
    try:
        shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    except InvalidOperation:
        shown = value
    if shown.is_zero():
        shown = abs(shown)  # never print "-0.00"
    text = f"{shown:f}"
    return "+" + text if signed and shown > 0 else text


def _unit_suffix(units: str | None) -> str:
    if not units:
        return ""
    return "°" if units.lower() in {"degree", "degrees", "deg"} else " " + units


# --------------------------------------------------------------------------------------------
# Source handling
# --------------------------------------------------------------------------------------------


class HashingReader:
    """File-like wrapper that hashes exactly the bytes lxml reads, so the file is read once."""

    __slots__ = ("_hash", "_name", "_raw")

    def __init__(self, raw: BinaryIO, name: str) -> None:
        self._raw = guarded(raw, name)
        self._name = name
        self._hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if not isinstance(data, bytes | bytearray | memoryview):
            raise QifError(f"{self._name}: expected a binary stream, got {type(data).__name__}")
        self._hash.update(data)
        return bytes(data)

    def hexdigest(self) -> str:
        # lxml may stop at the end of the root element: hash whatever trails it too.
        while chunk := self._raw.read(1 << 16):
            self._hash.update(chunk)
        return self._hash.hexdigest()


def guarded(raw: BinaryIO, name: str) -> BinaryIO:
    """``raw`` for a parser, once its prolog passed our own check (QifError otherwise)."""
    try:
        return checked_xml_stream(raw)
    except XmlGuardError as refused:
        raise QifError(f"{name}: {refused}", code=refused.code) from None


def source_name(source: str | os.PathLike[str] | BinaryIO) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<stream>"


# --------------------------------------------------------------------------------------------
# The streamed walk both QIF readers (Results here, MBD and Plan in qif_mbd.py) share
# --------------------------------------------------------------------------------------------

#: lxml parser options of every QIF read: no entities, no network, no DTD, bounded trees.
SAFE_PARSING: Final[dict[str, Any]] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "attribute_defaults": False,
    "huge_tree": False,
    "remove_pis": True,
    "collect_ids": False,
}


class QifWalk(ABC):
    """One streamed read of a QIF document, in constant memory.

    :meth:`walk` hands each element :meth:`is_record` accepts to :meth:`handle` once it is
    complete, then clears it and the siblings before it; :meth:`opened` sees every other
    element as it starts. The root must be a QIF 3 ``QIFDocument`` without a DOCTYPE.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.units: dict[str, str] = {}

    @abstractmethod
    def is_record(self, stack: list[str]) -> bool:
        """Whether the element on top of ``stack`` (local names from the root) is a record."""

    @abstractmethod
    def handle(self, stack: list[str], elem: etree._Element) -> None:
        """Turn a complete record element into this reader's state."""

    @abstractmethod
    def opened(self, stack: list[str]) -> None:
        """An element that is no record (or is inside one) starts."""

    def error(self, message: str, line: int | None = None) -> QifError:
        """A QifError naming the file and, when known, the line."""
        where = f"{self.name}, line {line}" if line else self.name
        return QifError(f"{where}: {message}")

    def decimal(self, elem: etree._Element | None) -> Decimal | None:
        """The element's xs:decimal text as a Decimal (None without the element)."""
        if elem is None:
            return None
        raw = (elem.text or "").strip()
        if not DECIMAL_RE.fullmatch(raw):
            raise self.error(
                f"<{local_name(elem.tag)}> is not a decimal number: {raw[:40]!r}", line_of(elem)
            )
        return Decimal(raw)

    def walk(self, stream: HashingReader, schema: etree.XMLSchema | None = None) -> None:
        """Read the whole document (validating against ``schema`` when given)."""
        options: dict[str, Any] = {
            **SAFE_PARSING,
            "events": ("start", "end"),
            "remove_comments": True,
        }
        if schema is not None:
            options["schema"] = schema
        stack: list[str] = []
        capture = False  # True while a record (the top of ``stack``) is being collected
        inner = 0  # elements open inside that record
        for event, elem in _iterparse(stream, **options):
            if capture:
                # Inside a record only its own end matters; its elements are counted, not
                # named (most of a results file is inside records: profile of W2).
                if event == "start":
                    inner += 1
                    continue
                if inner:
                    inner -= 1
                    continue
                self.handle(stack, elem)
                capture = False
            elif event == "start":
                name = local_name(elem.tag)
                if not stack:
                    self.check_root(elem, name)
                # Foreign-namespace elements get a name no rule can match.
                stack.append(name if name is not None else "#foreign")
                if self.is_record(stack):
                    capture = True
                else:
                    self.opened(stack)
                continue
            stack.pop()
            # Drop what has been read: the element's content, and the siblings before it
            # (they were already handled). The root keeps only the current path alive.
            elem.clear()
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]

    def check_root(self, elem: etree._Element, name: str | None) -> None:
        """Refuse a DOCTYPE (the door to entity expansion) and any root but QIFDocument."""
        docinfo = cast(Any, elem.getroottree().docinfo)
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise self.error("DOCTYPE / ENTITY declarations are not allowed in QIF files")
        if name != ROOT:
            raise self.error(
                f"root element is {elem.tag!r}, expected {{{QIF_NAMESPACE}}}{ROOT}",
                line_of(elem),
            )

    def file_units(self, elem: etree._Element) -> None:
        """The file's primary units by kind (LinearUnit: mm, ...)."""
        primary = child_of(elem, "PrimaryUnits")
        for unit in primary.iterchildren(tag=etree.Element) if primary is not None else ():
            kind, unit_name = local_name(unit.tag), text_of(unit, "UnitName")
            if kind and unit_name:
                self.units[kind] = unit_name


# --------------------------------------------------------------------------------------------
# The streaming reader
# --------------------------------------------------------------------------------------------


class _Reader(QifWalk):
    """State of one streamed read of QIF Results. Elements are turned into records."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.datum_labels: dict[str, str] = {}
        # DRF id -> datums in precedence order, each (datum definition ids, modifier)
        self.drfs: dict[str, list[tuple[tuple[str, ...], str | None]]] = {}
        self.devices: dict[str, str] = {}
        self.part: tuple[str | None, str | None, str | None] | None = None
        self.drawing: tuple[str | None, str | None] | None = None
        self.definitions: dict[str, _Definition] = {}
        self.nominals: dict[str, _Nominal] = {}
        self.items: list[_Item] = []
        self.item_by_id: dict[str, _Item] = {}
        self.blocks: list[_Block] = []
        # Actuals are built as they are read (the file is schema-ordered: items and devices
        # come first), so a large file holds one small object per result and nothing more.
        # What only the end of the file can tell (serials) is patched in afterwards.
        self.actuals: list[QifActual] = []
        self.actual_block = array("l")  # index of each actual's MeasurementResults block
        self.component_override: dict[int, str] = {}  # actual index -> its ActualComponentId
        self.unresolved: dict[int, _Unresolved] = {}
        self.device_text: dict[tuple[str, ...], str | None] = {}
        self.components: dict[str, str | None] = {}
        self.component_verdicts: list[tuple[str, str]] = []
        self.pre_trace = _Traceability()
        self.post_trace = _Traceability()
        self.intern = _Interner()
        self.times: dict[str, datetime] = {}
        self.numbered = False

    # -- errors and values -------------------------------------------------------------------

    def timestamp(self, elem: etree._Element | None) -> datetime | None:
        text = token_of(elem)
        if elem is None or text is None:
            return None
        cached = self.times.get(text)
        if cached is not None:
            return cached
        try:
            if not _DATETIME_RE.fullmatch(text):
                raise ValueError(text)
            # Python 3.11 takes at most 6 fraction digits; xs:dateTime allows any number.
            value = datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text))
        except ValueError:
            raise self.error(
                f"<{local_name(elem.tag)}> is not an xs:dateTime: {text[:40]!r}", line_of(elem)
            ) from None
        self.times[text] = value
        return value

    # -- the walk ----------------------------------------------------------------------------

    def opened(self, stack: list[str]) -> None:
        if len(stack) == 4 and stack[3] == "MeasurementResults" and stack[1] == "Results":
            self.blocks.append(_Block())  # a new measured part begins

    def is_record(self, stack: list[str]) -> bool:
        """Whether the element on top of ``stack`` is one this reader turns into a record."""
        depth = len(stack)
        name = stack[-1]
        parent = stack[-2] if depth > 1 else ""
        if depth < 2:
            return False
        if depth == 2:
            return name in {"PreInspectionTraceability", "FileUnits"}
        section = stack[1]
        if depth == 3:
            return (section, name) in {
                ("DatumDefinitions", "DatumDefinition"),
                ("DatumReferenceFrames", "DatumReferenceFrame"),
                ("Results", "InspectionTraceability"),
            }
        if depth == 4:
            return (
                (section == "MeasurementResources" and parent == "MeasurementDevices")
                or (section == "Product" and (parent, name) == ("PartSet", "Part"))
                or (
                    section == "Characteristics"
                    and parent
                    in {
                        "CharacteristicDefinitions",
                        "CharacteristicNominals",
                        "CharacteristicItems",
                    }
                )
            )
        if section != "Results":
            return False
        if depth == 5:
            return (
                parent == "MeasurementResults"
                and name in {"InspectionTraceability", "ActualComponentIds", "InspectionStatus"}
            ) or (parent == "ActualComponentSet" and name == "ActualComponent")
        return (
            depth == 7
            and parent == "CharacteristicMeasurements"
            and stack[3] == "MeasurementResults"
        )

    def handle(self, stack: list[str], elem: etree._Element) -> None:
        depth = len(stack)
        name = stack[-1]
        parent = stack[-2]
        if depth == 2:
            if name == "FileUnits":
                self.file_units(elem)
            else:
                self.traceability(elem, self.pre_trace)
        elif name == "DatumDefinition":
            self.datum_definition(elem)
        elif name == "DatumReferenceFrame":
            self.datum_reference_frame(elem)
        elif parent == "MeasurementDevices":
            self.device(elem)
        elif name == "Part":
            self.part_record(elem)
        elif parent == "CharacteristicDefinitions":
            self.definition(elem, name)
        elif parent == "CharacteristicNominals":
            self.nominal(elem)
        elif parent == "CharacteristicItems":
            self.item(elem, name)
        elif parent == "CharacteristicMeasurements":
            self.measurement(elem, name)
        elif name == "ActualComponentIds":
            self.blocks[-1].component_ids = _ids(elem)
        elif name == "InspectionStatus":
            self.blocks[-1].verdict = _verdict(elem)
        elif name == "ActualComponent":
            self.component(elem)
        elif name == "InspectionTraceability":
            if depth == 3:
                self.traceability(elem, self.post_trace)
            else:
                self.blocks[-1].measured_at = self.inspection_time(elem)

    # -- records -----------------------------------------------------------------------------

    def traceability(self, elem: etree._Element, into: _Traceability) -> None:
        into.report_number = text_of(elem, "ReportNumber")
        into.inspection_scope = text_of(elem, "InspectionScope")
        into.inspection_mode = text_of(elem, "InspectionMode")
        into.supplier_code = text_of(elem, "SupplierCode")
        into.purchase_order_number = text_of(elem, "PurchaseOrderNumber")
        organization = child_of(elem, "InspectingOrganization")
        into.inspecting_organization = (
            text_of(organization, "Name") if organization is not None else None
        )
        into.measured_at = self.inspection_time(elem)

    def inspection_time(self, elem: etree._Element) -> datetime | None:
        # The end of the inspection is when the results became true; the start will do.
        end = self.timestamp(child_of(elem, "InspectionEnd"))
        return end if end is not None else self.timestamp(child_of(elem, "InspectionStart"))

    def datum_definition(self, elem: etree._Element) -> None:
        label = text_of(elem, "DatumLabel")
        ident = elem.get("id")
        if ident and label:
            self.datum_labels[ident] = label

    def datum_reference_frame(self, elem: etree._Element) -> None:
        ident = elem.get("id")
        if not ident:
            return
        datums: list[tuple[tuple[str, ...], str | None]] = []
        container = child_of(elem, "Datums")
        for datum in container.iterchildren(NS + "Datum") if container is not None else ():
            simple = child_of(datum, "SimpleDatum")
            compound = child_of(datum, "CompoundDatum")
            if simple is not None:
                ref = text_of(simple, "DatumDefinitionId")
                if ref:
                    datums.append(((ref,), text_of(simple, "MaterialModifier")))
            elif compound is not None:
                parts = [
                    text_of(d, "DatumDefinitionId") for d in compound.iterchildren(NS + "Datum")
                ]
                refs = tuple(p for p in parts if p)
                if refs:
                    datums.append((refs, None))
        self.drfs[ident] = datums

    def device(self, elem: etree._Element) -> None:
        ident = elem.get("id")
        if not ident:
            return
        label = text_of(elem, "Name") or text_of(elem, "ModelNumber") or f"device {ident}"
        serial = text_of(elem, "SerialNumber")
        self.devices[ident] = f"{label} (SN {serial})" if serial else label

    def part_record(self, elem: etree._Element) -> None:
        if self.part is not None:
            return  # the first part is the inspected one in a detail FAI
        self.part = (text_of(elem, "ModelNumber"), elem.get("label"), text_of(elem, "Version"))
        external = child_of(elem, "DefinitionExternal")
        drawing = child_of(external, "PrintedDrawing") if external is not None else None
        if drawing is not None:
            self.drawing = (text_of(drawing, "DrawingNumber"), text_of(drawing, "Version"))

    def definition(self, elem: etree._Element, tag: str) -> None:
        ident = elem.get("id")
        if not ident:
            return
        record = _Definition(kind=tag.removesuffix("Definition"), line=line_of(elem))
        tolerance = child_of(elem, "Tolerance")
        if tolerance is not None:
            record.has_tolerance = True
            record.max_value = self.decimal(child_of(tolerance, "MaxValue"))
            record.min_value = self.decimal(child_of(tolerance, "MinValue"))
            record.defined_as_limit = text_of(tolerance, "DefinedAsLimit") in {"true", "1"}
        record.tolerance_value = self.decimal(child_of(elem, "ToleranceValue"))
        record.outer_disposition = self.decimal(child_of(elem, "OuterDisposition"))
        record.non_tolerance = text_of(elem, "NonTolerance")
        record.drf_id = text_of(elem, "DatumReferenceFrameId")
        record.material_condition = text_of(elem, "MaterialCondition")
        shape = child_of(elem, "ZoneShape")
        if shape is not None and len(shape):
            record.zone_prefix = _ZONE_PREFIX.get(local_name(shape[0].tag) or "", "")
        self.definitions[ident] = record

    def nominal(self, elem: etree._Element) -> None:
        ident = elem.get("id")
        if ident:
            self.nominals[ident] = _Nominal(
                definition_id=text_of(elem, "CharacteristicDefinitionId"),
                target=self.decimal(child_of(elem, "TargetValue")),
                line=line_of(elem),
            )

    def item(self, elem: etree._Element, tag: str) -> None:
        ident = elem.get("id")
        if not ident:
            raise self.error(f"<{tag}> has no id", line_of(elem))
        designator = child_of(elem, "CharacteristicDesignator")
        criticality: str | None = None
        if designator is not None:
            level = child_of(designator, "Criticality")
            if level is not None:
                raw = text_of(level, "LevelEnum") or text_of(level, "OtherLevel")
                criticality = raw.upper() if raw else None
        location = child_of(elem, "LocationOnDrawing")
        name = text_of(elem, "Name")
        balloon = text_of(designator, "Designator") if designator is not None else None
        if balloon is not None and balloon.upper() in NO_DESIGNATOR:
            balloon = None
        if ident in self.item_by_id:
            raise self.error(f"characteristic item id {ident!r} is used twice", line_of(elem))
        self.items.append(
            _Item(
                item_id=ident,
                balloon=balloon or name or ident,
                kind=tag.removesuffix("Item"),
                name=name,
                designator=balloon,
                qpid=text_of(designator, "UUID") if designator is not None else None,
                criticality=criticality,
                sheet=text_of(location, "SheetNumber") if location is not None else None,
                zone=text_of(location, "DrawingZone") if location is not None else None,
                nominal_id=text_of(elem, "CharacteristicNominalId"),
                device_ids=_ids(child_of(elem, "MeasurementDeviceIds")),
                line=line_of(elem),
            )
        )
        self.item_by_id[ident] = self.items[-1]
        self.numbered = False

    def number_items(self) -> None:
        """Give every item its balloon: its designator, else the domain's numbering."""
        if self.numbered:
            return
        for item, balloon in zip(
            self.items, number_balloons([i.designator for i in self.items]), strict=True
        ):
            item.balloon = balloon
        self.numbered = True

    def measurement(self, elem: etree._Element, tag: str) -> None:
        self.number_items()
        # One pass over the children instead of a find per field (profile of W2).
        kids = children_of(elem)
        item_id = token_of(kids.get(NS + "CharacteristicItemId"))
        if not item_id:
            raise self.error(f"<{tag}> has no CharacteristicItemId", line_of(elem))
        status_elem = kids.get(NS + "Status")
        status = None
        if status_elem is not None:
            status = text_of(status_elem, "CharacteristicStatusEnum") or text_of(
                status_elem, "OtherCharacteristicStatus"
            )
        # A user-defined attribute characteristic carries text ("accept"), not a number.
        value_elem = None if tag.startswith("UserDefinedAttribute") else kids.get(NS + "Value")
        value = self.decimal(value_elem)
        value_units = own_unit(value_elem)
        designator = token_of(kids.get(NS + "NonConformanceDesignator"))
        if designator is not None and designator.upper() in _NO_NONCONFORMANCE:
            designator = None
        index = len(self.actuals)
        component_id = token_of(kids.get(NS + "ActualComponentId"))
        if component_id is not None:
            self.component_override[index] = component_id
        self.actual_block.append(len(self.blocks) - 1)
        device_ids = _ids(kids.get(NS + "MeasurementDeviceIds"))
        item = self.item_by_id.get(item_id)
        device, known = self.device_for(device_ids or (item.device_ids if item else ()))
        if item is None or not known:
            self.unresolved[index] = _Unresolved(item_id, device_ids, line_of(elem))
        self.actuals.append(
            QifActual(
                item_id=item.item_id if item else item_id,
                balloon=item.balloon if item else item_id,
                serial=None,
                value=value,
                status=sys.intern(status or "UNDEFINED"),
                nonconformance=self.intern(designator),
                measured_at=self.timestamp(kids.get(NS + "TimeStamp")),
                device=device,
                units=self.intern(value_units),
            )
        )

    def device_for(self, ids: tuple[str, ...]) -> tuple[str | None, bool]:
        """Device names for the ids, and whether every id was known when asked."""
        text = self.device_text.get(ids)
        if text is not None or ids in self.device_text:
            return text, True
        names = [self.devices[i] for i in ids if i in self.devices]
        text = self.intern(", ".join(names)) if names else None
        known = len(names) == len(ids)
        if known:
            self.device_text[ids] = text
        return text, known

    def component(self, elem: etree._Element) -> None:
        ident = elem.get("id")
        if ident:
            self.components[ident] = self.intern(text_of(elem, "SerialNumber"))
            status = child_of(elem, "Status")
            verdict = _verdict(status) if status is not None else None
            if verdict:
                self.component_verdicts.append((ident, verdict))

    # -- resolution, once the whole file is read ---------------------------------------------

    def results(self, sha256: str) -> QifResults:
        self.number_items()
        characteristics = tuple(self.characteristic(item) for item in self.items)
        for index, actual in enumerate(self.actuals):
            late = self.unresolved.get(index)
            if late is not None:
                item = self.item_by_id.get(late.item_id)
                if item is None:
                    raise self.error(
                        f"a measurement references characteristic item {late.item_id!r}, "
                        "which the file does not define",
                        late.line,
                    )
                device = self.device_for(late.device_ids or item.device_ids)[0]
                actual = replace(actual, item_id=item.item_id, balloon=item.balloon, device=device)
            block_index = self.actual_block[index]
            block = self.blocks[block_index] if block_index >= 0 else None
            serial = self.serial(self.component_override.get(index), block)
            measured_at = (
                actual.measured_at
                or (block.measured_at if block else None)
                or self.post_trace.measured_at
            )
            if late is not None or serial is not None or measured_at is not actual.measured_at:
                # Replacing in place frees the old object at once: peak memory stays one
                # actual above the result's own size.
                self.actuals[index] = replace(actual, serial=serial, measured_at=measured_at)
        serials = tuple(dict.fromkeys(s for s in self.components.values() if s))
        verdicts: dict[tuple[str | None, str], None] = {}
        for block in self.blocks:
            if block.verdict:
                verdicts[(self.serial(None, block), block.verdict)] = None
        for ident, verdict in self.component_verdicts:
            verdicts[(self.components.get(ident), verdict)] = None
        part_number, part_name, part_revision = self.part or (None, None, None)
        drawing_number, drawing_revision = self.drawing or (None, None)
        post, pre = self.post_trace, self.pre_trace
        return QifResults(
            characteristics=characteristics,
            actuals=tuple(self.actuals),
            serials=serials,
            part_number=part_number,
            part_name=part_name,
            part_revision=part_revision,
            # The results' own traceability is the report as issued; the pre-inspection one
            # is what was planned. Prefer the former where both say something.
            report_number=post.report_number or pre.report_number,
            inspection_scope=post.inspection_scope or pre.inspection_scope,
            inspection_mode=post.inspection_mode or pre.inspection_mode,
            file_sha256=sha256,
            supplier_code=post.supplier_code or pre.supplier_code,
            purchase_order_number=post.purchase_order_number or pre.purchase_order_number,
            drawing_number=drawing_number,
            drawing_revision=drawing_revision,
            part_verdicts=tuple(verdicts),
            inspecting_organization=post.inspecting_organization or pre.inspecting_organization,
        )

    def serial(self, component_id: str | None, block: _Block | None) -> str | None:
        """The serial of the measurement's own component, else of its block's first one."""
        if component_id is not None:
            return self.components.get(component_id)
        for ident in block.component_ids if block else ():
            serial = self.components.get(ident)
            if serial:
                return serial
        return None

    def characteristic(self, item: _Item) -> QifCharacteristic:
        nominal = self.nominals.get(item.nominal_id or "")
        if nominal is None:
            raise self.error(
                f"characteristic item {item.item_id!r} references nominal "
                f"{item.nominal_id!r}, which the file does not define",
                item.line,
            )
        definition = self.definitions.get(nominal.definition_id or "")
        if definition is None:
            raise self.error(
                f"characteristic nominal references definition {nominal.definition_id!r}, "
                "which the file does not define",
                nominal.line,
            )
        kind = item.kind
        units = self.unit_for(kind)
        target = nominal.target
        upper: Decimal | None = None
        lower: Decimal | None = None
        upper_limit: Decimal | None = None
        lower_limit: Decimal | None = None
        zone = definition.tolerance_value
        if definition.has_tolerance:
            if definition.defined_as_limit:
                upper_limit, lower_limit = definition.max_value, definition.min_value
                if target is not None:
                    upper = upper_limit - target if upper_limit is not None else None
                    lower = lower_limit - target if lower_limit is not None else None
            else:
                upper, lower = definition.max_value, definition.min_value
                if target is not None:
                    upper_limit = target + upper if upper is not None else None
                    lower_limit = target + lower if lower is not None else None
        elif zone is not None:
            target = Decimal(0)
            if kind == "PointProfileCharacteristic":
                # A point profile is reported as a signed deviation: split the zone around 0.
                outer = definition.outer_disposition
                upper = outer if outer is not None else zone / 2
                lower = upper - zone
            else:
                upper, lower = zone, Decimal(0)
            upper_limit, lower_limit = upper, lower
        return QifCharacteristic(
            item_id=item.item_id,
            qpid=item.qpid,
            balloon=item.balloon,
            name=item.name or item.balloon,
            kind=kind,
            sheet=item.sheet,
            zone=item.zone,
            criticality=item.criticality,
            nominal=target,
            upper_tolerance=upper,
            lower_tolerance=lower,
            units=units,
            requirement_text=self.requirement(kind, definition, nominal.target, units),
            upper_limit=upper_limit,
            lower_limit=lower_limit,
        )

    def unit_for(self, kind: str) -> str | None:
        if kind in NO_UNIT_KINDS:
            return None
        if kind in ANGULAR_KINDS:
            return self.units.get("AngularUnit")
        return self.units.get(OTHER_UNIT_KINDS.get(kind, "LinearUnit"))

    # -- requirement text --------------------------------------------------------------------

    def requirement(
        self, kind: str, d: _Definition, target: Decimal | None, units: str | None
    ) -> str:
        """The requirement as a drawing states it, with the file's own numbers."""
        if d.tolerance_value is not None and not d.has_tolerance:
            return self.feature_control_frame(kind, d)
        prefix = SIZE_PREFIX.get(kind, "")
        suffix = _unit_suffix(units)
        # Nominals and limits often carry CAD float noise (774.26989746093795): show them to
        # drawing precision, but never with fewer places than the tolerance has.
        cap = 4 if (units or "").lower() in {"in", "inch", "inches"} else 3
        if d.has_tolerance:
            hi, lo = d.max_value, d.min_value
            if d.defined_as_limit or target is None:
                places = max(
                    (min(decimal_places(v), cap) for v in (hi, lo) if v is not None), default=0
                )
                if hi is not None and lo is not None:
                    low, high = format_decimal(lo, places), format_decimal(hi, places)
                    return f"{prefix}{low} – {high}{suffix}"
                if hi is not None:
                    return f"{prefix}{format_decimal(hi, places)}{suffix} MAX"
                if lo is not None:
                    return f"{prefix}{format_decimal(lo, places)}{suffix} MIN"
            else:
                places = max(
                    [min(decimal_places(target), cap)]
                    + [decimal_places(v) for v in (hi, lo) if v is not None]
                )
                nominal_text = f"{prefix}{format_decimal(target, places)}"
                if hi is not None and lo is not None:
                    return (
                        f"{nominal_text} {format_decimal(hi, places, signed=True)}"
                        f"/{format_decimal(lo, places, signed=True)}{suffix}"
                    )
                if hi is not None:
                    return f"{nominal_text} {format_decimal(hi, places, signed=True)}{suffix} MAX"
                if lo is not None:
                    return f"{nominal_text} {format_decimal(lo, places, signed=True)}{suffix} MIN"
        if target is not None:
            text = f"{prefix}{format_decimal(target, min(decimal_places(target), cap))}{suffix}"
            return f"{text} {d.non_tolerance}" if d.non_tolerance else text
        if d.non_tolerance:
            return f"{kind.removesuffix('Characteristic')} {d.non_tolerance}"
        return ""

    def feature_control_frame(self, kind: str, d: _Definition) -> str:
        assert d.tolerance_value is not None
        symbol = GDT_SYMBOL.get(kind, kind.removesuffix("Characteristic"))
        zone = (
            f"{d.zone_prefix}{format_decimal(d.tolerance_value, decimal_places(d.tolerance_value))}"
        )
        modifier = _MODIFIER_SYMBOL.get(d.material_condition or "")
        if modifier:
            zone += " " + modifier
        if d.outer_disposition is not None:
            zone += f" Ⓤ {format_decimal(d.outer_disposition, decimal_places(d.outer_disposition))}"
        cells = [f"{symbol} {zone}"]
        for refs, datum_modifier in self.drfs.get(d.drf_id or "", []):
            label = "-".join(self.datum_labels.get(r, f"#{r}") for r in refs)
            extra = _MODIFIER_SYMBOL.get(datum_modifier or "")
            cells.append(f"{label} {extra}" if extra else label)
        return " | ".join(cells)


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def read_qif_results(source: str | os.PathLike[str] | BinaryIO) -> QifResults:
    """Read a QIF 3.0 file's characteristics and measurement results, streaming.

    ``source`` is a path or a binary stream (left open). Guarantees: the XML tree is discarded
    as it is read, so memory grows with the number of results returned, not with the file;
    no DTD, entity, network or file access beyond ``source`` happens; every number is a
    ``Decimal`` taken verbatim from the file; ``file_sha256`` is the hash of the bytes read.

    Raises QifError (naming the source and, when known, the line) for anything that is not
    well-formed XML, a DOCTYPE or entity declaration, a root other than ``QIFDocument`` in the
    QIF 3 namespace, a value that is not a decimal number or date-time, and a reference to a
    characteristic item, nominal or definition the file does not contain. A file without
    results (a plan, a model) yields characteristics and no actuals. OSError is raised as is
    when a path cannot be opened.
    """
    name = source_name(source)
    reader = _Reader(name)
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as raw:
            return _read(reader, HashingReader(raw, name))
    return _read(reader, HashingReader(source, name))


def _read(reader: _Reader, stream: HashingReader) -> QifResults:
    try:
        reader.walk(stream)
        return reader.results(stream.hexdigest())
    except QifError:
        raise
    except etree.XMLSyntaxError as exc:
        where = f"{reader.name}, line {exc.lineno}" if exc.lineno else reader.name
        raise QifError(f"{where}: not well-formed XML: {exc.msg}") from None
    except (etree.LxmlError, UnicodeError) as exc:
        raise QifError(f"{reader.name}: cannot be parsed as XML: {exc}") from None


_SCHEMA_LOCK: Final = threading.Lock()
_schema_cache: list[etree.XMLSchema] = []
_MAX_REPORTED_ERRORS: Final = 10


def qif_schema() -> etree.XMLSchema:
    """The QIF 3.0 schema shipped beside this module, compiled once per process."""
    with _SCHEMA_LOCK:
        if not _schema_cache:
            package = __name__.rpartition(".")[0]
            entry = resources.files(package) / "qif_schema" / "QIFApplications" / "QIFDocument.xsd"
            # The schema includes its siblings by relative path, so it must be a real file.
            with resources.as_file(entry) as path:
                parser = etree.XMLParser(no_network=True)
                _schema_cache.append(etree.XMLSchema(etree.parse(str(path), parser)))
        return _schema_cache[0]


def validate_qif(source: str | os.PathLike[str] | BinaryIO) -> None:
    """Validate a QIF file against the QIF 3.0 schema (QIFDocument.xsd); return None if valid.

    Uses the same hardened parser as :func:`read_qif_results` (no DTD, entities or network)
    and raises QifError for the same malformed input; for a schema-invalid document the
    message lists the first schema errors with their lines. Unlike the reader, validation
    holds the whole document in memory.
    """
    name = source_name(source)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        collect_ids=False,
    )
    try:
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as raw:
                tree = etree.parse(guarded(raw, name), parser)
        else:
            tree = etree.parse(guarded(source, name), parser)
    except etree.XMLSyntaxError as exc:
        where = f"{name}, line {exc.lineno}" if exc.lineno else name
        raise QifError(f"{where}: not well-formed XML: {exc.msg}") from None
    except (etree.LxmlError, UnicodeError) as exc:
        raise QifError(f"{name}: cannot be parsed as XML: {exc}") from None
    docinfo = cast(Any, tree.docinfo)
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise QifError(f"{name}: DOCTYPE / ENTITY declarations are not allowed in QIF files")
    root = tree.getroot()
    if root.tag != NS + ROOT:
        raise QifError(f"{name}: root element is {root.tag!r}, expected {NS}{ROOT}")
    schema = qif_schema()
    with _SCHEMA_LOCK:  # a validator keeps its error log on itself: one caller at a time
        valid = schema.validate(tree)
        errors = [
            f"line {e.line}: {e.message}"
            for e in list(cast(Any, schema.error_log))[:_MAX_REPORTED_ERRORS]
        ]
    if not valid:
        raise QifError(f"{name}: not valid QIF 3.0: " + "; ".join(errors))
