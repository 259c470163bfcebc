"""QIF 3.0 Results files as incoming result rows: validated, streamed, one row per result.

Two passes over the file, both streaming with the hardening of :mod:`.qif` (no DTD, no
entities, no network, libxml2's size limits):

1. validation against the packaged QIF 3.0 schema while parsing (lxml ``iterparse`` with the
   schema), which also collects the inspection program and operator of the traceability,
   root ``Attributes`` named like portal metadata tags, and ``<identifier=data>`` tags
   written in XML comments. Files up to :data:`FULL_VALIDATION_MAX_BYTES` are checked against
   the whole schema. Larger files are checked against the same schema without its identity
   constraints (``xs:key``, ``xs:keyref``, ``xs:unique``: some 1,300 in QIFDocument.xsd,
   which libxml2 evaluates at every element: about one second and 2.5 MB of memory per MB
   of file, against 0.07 s and no growth without them). Element structure, order and data
   types are still checked in full; the references the import relies on (measurement to
   characteristic item, item to nominal, nominal to definition, unique item ids) are checked
   by the reader. Which validation ran is stated in ``ResultFile.notes``;
2. :func:`.qif.read_qif_results` for characteristics, measurements, serials and traceability.

Rows, in file order, one per characteristic measured on each part:

- ``row`` is the position of the measurement in the file (1 for the first
  ``...CharacteristicMeasurement``);
- a characteristic item measured more than once for the same serial (a point profile reports
  one deviation per point; CheckMate repeats each one with 0) becomes one row: the value
  farthest outside (or closest to leaving) the file's own limits counts, the status is FAIL
  if any repeat failed, and ``repeats`` names the other positions;
- the value is in its own unit attribute (``<Value linearUnit="inch">``) when it has one,
  else in the file's units for the characteristic's kind (``FileUnits``); a value without
  either is refused (``units_unknown``), never given a guessed unit;
- a characteristic without a value (``UserDefinedAttribute``) gives an attribute verdict from
  its status;
- status PASS and FAIL (REWORK counts as FAIL) are stated; BASIC_OR_TED rows are skipped (a
  basic dimension is not a result); SYSERROR, INDETERMINATE and NOT_ANALYZED rows are
  refused as measurements that did not produce a result.

This module imports nothing from the rest of firstarticle but the QIF reader beside it.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO, Final, cast

from lxml import etree

from firstarticle.integrations.inspection import qif
from firstarticle.integrations.inspection.incoming import (
    FileMetadata,
    IncomingResult,
    ResultFile,
    ResultFileError,
    RowProblem,
    metadata_tags,
    source_label,
    take_tags,
)
from firstarticle.integrations.inspection.xml_guard import XmlGuardError, checked_xml_stream

__all__ = ["FULL_VALIDATION_MAX_BYTES", "read_qif_rows", "validate_qif_streaming"]

FULL_VALIDATION_MAX_BYTES: Final = 1024 * 1024
_XS: Final = "{http://www.w3.org/2001/XMLSchema}"
_IDENTITY: Final = (_XS + "key", _XS + "keyref", _XS + "unique")

_NS: Final = "{" + qif.QIF_NAMESPACE + "}"
_STATED: Final = {"PASS": "PASS", "FAIL": "FAIL", "REWORK": "FAIL"}
_NOT_A_RESULT: Final = {"SYSERROR", "INDETERMINATE", "NOT_ANALYZED"}
_SKIPPED: Final = {"BASIC_OR_TED"}
_PORTAL_NAMES: Final = {
    "serialnumber",
    "partnumber",
    "partrevision",
    "measdevice",
    "progname",
    "operator",
    "starttime",
    "endtime",
    "runnumber",
    "partname",
}
_MAX_ERRORS: Final = 5
# Elements whose text the validating pass keeps (anywhere; Attributes under the root only).
_CAPTURED: Final = frozenset({_NS + "InspectionProgram", _NS + "InspectionOperator"})
_ATTRIBUTES: Final = _NS + "Attributes"


def _local(tag: object) -> str | None:
    if isinstance(tag, str) and tag.startswith(_NS):
        return tag[len(_NS) :]
    return None


def _text(elem: etree._Element) -> str | None:
    for node in elem.iter(_NS + "Name"):
        if node.text and node.text.strip():
            return " ".join(node.text.split())
    return None


class _StrippingResolver(etree.Resolver):
    """Serves the packaged schema files without their identity constraints."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder.resolve()

    # lxml-stubs leaves out the context argument that lxml passes.
    def resolve(self, system_url: str, public_id: str, context: object) -> Any:  # type: ignore[override]
        path = Path(system_url)
        if path.suffix == ".xsd" and path.resolve().is_relative_to(self.folder):
            return self.resolve_string(_without_identity(path), context, base_url=str(path))
        return None


def _without_identity(path: Path) -> bytes:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    doc = etree.parse(str(path), parser)
    for constraint in list(doc.iter(*_IDENTITY)):
        parent = constraint.getparent()
        if parent is not None:
            parent.remove(constraint)
    return etree.tostring(doc)


_STRUCTURAL_LOCK: Final = threading.Lock()
_structural: list[etree.XMLSchema] = []


def _structural_schema() -> etree.XMLSchema:
    """The packaged QIF 3.0 schema minus identity constraints, compiled once per process."""
    with _STRUCTURAL_LOCK:
        if not _structural:
            package = qif.__name__.rpartition(".")[0]
            folder = resources.files(package) / "qif_schema"
            with resources.as_file(folder) as root:
                parser = etree.XMLParser(no_network=True, resolve_entities=False)
                parser.resolvers.add(_StrippingResolver(Path(root)))
                entry = Path(root) / "QIFApplications" / "QIFDocument.xsd"
                doc = etree.fromstring(_without_identity(entry), parser, base_url=str(entry))
                _structural.append(etree.XMLSchema(doc))
        return _structural[0]


def validate_qif_streaming(
    stream: BinaryIO, name: str, metadata: FileMetadata, *, full: bool = True
) -> None:
    """Validate a QIF document against the packaged schema while streaming it.

    ``full=False`` leaves out the schema's identity constraints (see the module docstring).

    Fills ``metadata`` with what only this pass reads (program, operator, portal tags).
    Raises :class:`ResultFileError` for malformed XML, DOCTYPE or entity declarations, a root
    other than the QIF 3 ``QIFDocument`` and schema violations (the message quotes the
    first ones, with the line of the element being read when the parser stopped).
    """
    # iterparse reports through the thread's global error log, which keeps earlier parses'
    # errors: start from an empty one so that the message is this file's.
    etree.clear_error_log()
    try:
        checked = checked_xml_stream(stream)
    except XmlGuardError as refused:
        raise ResultFileError(str(refused), code=refused.code) from None
    events = cast(Any, etree.iterparse)(
        checked,
        events=("start", "end", "comment"),
        # The whole schema is the one the QIF reader compiles once per process.
        schema=qif.qif_schema() if full else _structural_schema(),
        **qif.SAFE_PARSING,
    )
    depth = 0
    capture = 0
    # The element last started, for the line of an error (asked only then: profile of W2).
    current: etree._Element | None = None
    try:
        for event, elem in events:
            if event == "start":
                depth += 1
                current = elem
                if depth == 1:
                    _check_root(elem, name)
                tag = elem.tag
                if not capture and (tag in _CAPTURED or (depth == 2 and tag == _ATTRIBUTES)):
                    capture = depth
                continue
            if event == "comment":
                text = elem.text or ""
                for key in metadata_tags(text):
                    if key in _PORTAL_NAMES:
                        take_tags(metadata, text)
                        break
                continue
            if capture and depth == capture:
                _capture(elem, metadata)
                capture = 0
            depth -= 1
            if capture:
                continue
            elem.clear()
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
    except ResultFileError:
        raise
    except etree.XMLSyntaxError as exc:
        messages = [str(e.message) for e in list(cast(Any, exc.error_log))[:_MAX_ERRORS]]
        detail = "; ".join(dict.fromkeys(messages)) or str(exc.msg)
        schema_error = any(m.startswith("Element ") for m in messages) or "Element '" in str(
            exc.msg
        )
        kind = "not valid QIF 3.0" if schema_error else "not well-formed XML"
        where = exc.lineno or _line(current)
        raise ResultFileError(f"{kind}: {detail}", line=where) from None
    except (etree.LxmlError, UnicodeError) as exc:
        raise ResultFileError(f"cannot be parsed as XML: {exc}", line=_line(current)) from None


def _line(elem: etree._Element | None) -> int | None:
    return None if elem is None else cast(Any, elem).sourceline


def _check_root(elem: etree._Element, name: str) -> None:
    docinfo = cast(Any, elem.getroottree().docinfo)
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise ResultFileError("DOCTYPE / ENTITY declarations are not allowed in QIF")
    if elem.tag != _NS + "QIFDocument":
        raise ResultFileError(
            f"root element is {elem.tag!r}, expected {_NS}QIFDocument",
            line=cast(Any, elem).sourceline,
        )


def _capture(elem: etree._Element, metadata: FileMetadata) -> None:
    local = _local(elem.tag)
    if local == "InspectionProgram" and metadata.program is None:
        metadata.program = _text(elem)
    elif local == "InspectionOperator" and metadata.operator is None:
        metadata.operator = _text(elem)
    elif local == "Attributes":
        for attribute in elem:
            key = (attribute.get("name") or "").strip().lower()
            value = attribute.get("value")
            if key in _PORTAL_NAMES and value is not None:
                take_tags(metadata, f"<{key}={value}>")


def read_qif_rows(source: BinaryIO, name: str | None = None) -> ResultFile:
    """Validate and read a QIF 3.0 Results file (``source`` must be seekable).

    Both passes run here, so the returned file's metadata is complete; rows then come from
    memory (one small record per measurement). Raises :class:`ResultFileError` for anything
    the validator or the reader refuses.
    """
    label = name or source_label(source)
    if not source.seekable():
        raise ResultFileError("a QIF file is read twice; give a seekable stream")
    start = source.tell()
    size = source.seek(0, os.SEEK_END) - start
    source.seek(start)
    metadata = FileMetadata()
    full = size <= FULL_VALIDATION_MAX_BYTES
    validate_qif_streaming(source, label, metadata, full=full)
    source.seek(start)
    try:
        results = qif.read_qif_results(source)
    except qif.QifError as exc:
        # The reader names its source and line: "<name>, line 12: <reason>".
        located = re.match(r"^.*?, line (\d+): (.*)$", str(exc), re.DOTALL)
        if located:
            raise ResultFileError(
                located.group(2), line=int(located.group(1)), code=exc.code
            ) from None
        raise ResultFileError(str(exc).split(": ", 1)[-1], code=exc.code) from None
    metadata.part_number = metadata.part_number or results.part_number
    metadata.part_name = metadata.part_name or results.part_name
    metadata.part_revision = metadata.part_revision or results.part_revision
    metadata.drawing_number = results.drawing_number
    metadata.drawing_revision = results.drawing_revision
    metadata.report_number = results.report_number
    metadata.inspection_scope = results.inspection_scope
    metadata.inspection_mode = results.inspection_mode
    metadata.serials = results.serials
    metadata.part_verdicts = results.part_verdicts
    metadata.supplier_code = results.supplier_code
    metadata.purchase_order = results.purchase_order_number
    metadata.inspecting_organization = results.inspecting_organization
    file = ResultFile(
        fmt="qif",
        name=label,
        metadata=metadata,
        rows=_rows(results, metadata),
        sha256=lambda: results.file_sha256,
        bytes_read=lambda: 2 * size,
    )
    file.notes.append(
        "validated against the QIF 3.0 schema"
        if full
        else "validated against the QIF 3.0 schema without its identity constraints (file over "
        f"{FULL_VALIDATION_MAX_BYTES // (1024 * 1024)} MB); references checked by the reader"
    )
    return file


def _badness(value: Decimal, c: qif.QifCharacteristic) -> Decimal | None:
    """How far ``value`` is beyond its limits (negative: inside), None without limits."""
    margins = []
    if c.upper_limit is not None:
        margins.append(value - c.upper_limit)
    if c.lower_limit is not None:
        margins.append(c.lower_limit - value)
    return max(margins) if margins else None


def _rows(results: qif.QifResults, metadata: FileMetadata) -> Iterator[IncomingResult | RowProblem]:
    characteristics = {c.item_id: c for c in results.characteristics}
    groups: dict[tuple[str, str | None], list[int]] = {}
    for position, actual in enumerate(results.actuals):
        groups.setdefault((actual.item_id, actual.serial), []).append(position)
    for (item_id, _serial), positions in groups.items():
        c = characteristics[item_id]
        actuals = [results.actuals[p] for p in positions]
        statuses = {a.status for a in actuals}
        row = positions[0] + 1
        refused = statuses & _NOT_A_RESULT
        if refused:
            yield RowProblem(
                row,
                "measurement_not_a_result",
                f"balloon {c.balloon}: the file reports {sorted(refused)[0]} for this "
                "measurement, which is not a result",
            )
            continue
        if statuses <= _SKIPPED:
            yield IncomingResult(
                row=row,
                balloon=c.balloon,
                serial=actuals[0].serial,
                skip=f"balloon {c.balloon} is reported as a basic or theoretically exact "
                "dimension (BASIC_OR_TED), not a result to verify",
            )
            continue
        chosen = 0
        worst: Decimal | None = None
        for index, actual in enumerate(actuals):
            if actual.value is None:
                continue
            badness = _badness(actual.value, c)
            if badness is not None and (worst is None or badness > worst):
                chosen, worst = index, badness
        kept = actuals[chosen]
        stated = [_STATED[s] for s in statuses if s in _STATED]
        status = ("FAIL" if "FAIL" in stated else "PASS") if stated else None
        nonconformance = next((a.nonconformance for a in actuals if a.nonconformance), None)
        attribute = None
        if kept.value is None:
            if status is None:
                yield RowProblem(
                    row,
                    "value_missing",
                    f"balloon {c.balloon}: the measurement has neither a value nor a PASS/FAIL",
                )
                continue
            attribute = "accept" if status == "PASS" else "reject"
        elif (kept.units or c.units) is None:
            yield RowProblem(
                row,
                "units_unknown",
                f"balloon {c.balloon}: the file gives no unit for a {c.kind}",
            )
            continue
        yield IncomingResult(
            row=positions[chosen] + 1,
            balloon=c.balloon,
            serial=kept.serial or metadata.serial_number,
            value=kept.value,
            units=(kept.units or c.units) if kept.value is not None else None,
            attribute=attribute,
            status=status,
            nonconformance=nonconformance,
            device=kept.device or metadata.device,
            operator=metadata.operator,
            program=metadata.program,
            measured_at=kept.measured_at or metadata.measured_at,
            nominal=c.nominal,
            upper_limit=c.upper_limit,
            lower_limit=c.lower_limit,
            entry="device",
            repeats=tuple(p + 1 for i, p in enumerate(positions) if i != chosen),
        )
