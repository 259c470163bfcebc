"""Inspection files as the services see them, whatever their format.

The readers and the writer behind the ports (``ResultFileReader``, ``CharacteristicSource``,
``ResultWriter`` in ports.py; CSV, Zeiss Calypso and QIF in integrations/inspection) exchange
these records with the use cases:

- a results file is read as a :class:`ResultFile`: its :class:`FileMetadata`, then a stream of
  :class:`IncomingResult` rows interleaved with :class:`RowProblem` for rows the reader could
  not make sense of; a file that cannot be read at all raises :class:`ResultFileError`;
- a model (QIF MBD or Plan) file is read as a ``CharacteristicDocument`` (ports.py); an
  unreadable one raises :class:`InspectionFileError`;
- an FAI goes out as an :class:`ExportHeader`, :class:`ExportCharacteristic` lines and the
  :class:`ExportActual` results of each serial.

Matching rows to characteristics and every judgement against the FAI happen in the services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from firstarticle.domain.errors import ValidationError
from firstarticle.domain.tolerancing import DesignTolerance


class InspectionFileError(ValueError):
    """An inspection file that cannot be read safely or makes no sense in its format.

    ``code`` is stable (``invalid_results_file``, ``invalid_qif_file``, or the XML prolog
    check's ``xml_*``).
    """

    def __init__(self, message: str, *, code: str = "invalid_inspection_file") -> None:
        super().__init__(message)
        self.code = code


class ResultFileError(InspectionFileError):
    """A results file that cannot be read safely: encoding, structure, size, syntax.

    ``code`` is stable: ``invalid_results_file``, or the XML prolog check's (``xml_*``).
    """

    def __init__(
        self, message: str, *, line: int | None = None, code: str = "invalid_results_file"
    ) -> None:
        super().__init__(f"line {line}: {message}" if line else message, code=code)
        self.line = line
        self.reason = message


class UnsupportedResultFormatError(ValidationError):
    """The file is none of the formats this service reads."""

    code = "unsupported_result_format"


# --- balloon numbers ----------------------------------------------------------------------


def number_balloons(designators: Sequence[str | None]) -> list[tuple[str, bool]]:
    """(balloon, numbered by firstarticle) for each characteristic of a file, in file order.

    A characteristic keeps the designator the file gives it; one without gets the next number
    1, 2, ... that no designator of the file uses and no earlier number took. Characteristics
    and results read from the same file are numbered alike, so a file's own results match its
    own characteristics. Repeated designators are left repeated: refusing them is the
    caller's decision (:func:`repeated_balloons`).
    """
    used = {d for d in designators if d is not None}
    taken: set[str] = set()
    counter = 0
    result: list[tuple[str, bool]] = []
    for designator in designators:
        if designator is not None:
            result.append((designator, False))
            continue
        counter += 1
        while str(counter) in used or str(counter) in taken:
            counter += 1
        taken.add(str(counter))
        result.append((str(counter), True))
    return result


def repeated_balloons(designators: Sequence[str | None]) -> dict[str, list[int]]:
    """Designators given more than once, each with the positions (0-based) that give it."""
    seen: dict[str, list[int]] = {}
    for position, designator in enumerate(designators):
        if designator is not None:
            seen.setdefault(designator, []).append(position)
    return {d: positions for d, positions in seen.items() if len(positions) > 1}


# --- a results file, read ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row the reader refuses, with where and why (``column`` names the cell)."""

    row: int
    code: str
    message: str
    column: str | None = None


@dataclass(slots=True)
class IncomingResult:
    """One result as a file states it, before it is matched to anything (read-only by use;
    not frozen, because frozen dataclasses cost a setattr call per field on every row).

    ``row`` is the file's line number for text formats and the measurement's position (1 for
    the first ``...CharacteristicMeasurement``) for QIF. A row is either a ``value`` with its
    ``units`` or an ``attribute`` verdict (``accept`` / ``reject``). ``status`` is the
    PASS / FAIL the file states, if it states one; the service computes its own. ``nominal``,
    ``upper_limit`` and ``lower_limit`` are the requirement the file was measured against,
    when the file carries it. ``skip`` says why the row is not a Form 3 result at all (a
    basic dimension, a helper characteristic with no balloon number).
    """

    row: int
    balloon: str | None
    serial: str | None = None
    value: Decimal | None = None
    units: str | None = None
    attribute: str | None = None
    status: str | None = None
    nonconformance: str | None = None
    device: str | None = None
    operator: str | None = None
    program: str | None = None
    measured_at: datetime | None = None
    part_number: str | None = None
    part_revision: str | None = None
    nominal: Decimal | None = None
    upper_limit: Decimal | None = None
    lower_limit: Decimal | None = None
    entry: str | None = None
    skip: str | None = None
    repeats: tuple[int, ...] = ()


@dataclass(slots=True)
class FileMetadata:
    """What the file says about itself as a whole (tags, header, QIF traceability)."""

    part_number: str | None = None
    part_name: str | None = None
    part_revision: str | None = None
    drawing_number: str | None = None
    drawing_revision: str | None = None
    serial_number: str | None = None
    device: str | None = None
    program: str | None = None
    operator: str | None = None
    run_number: str | None = None
    measured_at: datetime | None = None
    report_number: str | None = None
    inspection_scope: str | None = None
    inspection_mode: str | None = None
    serials: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)
    #: Whole-part verdicts the file states: (serial or None, PASS / FAIL / ...).
    part_verdicts: tuple[tuple[str | None, str], ...] = ()
    supplier_code: str | None = None
    purchase_order: str | None = None
    inspecting_organization: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The fields that are set, for reports and audit entries."""
        out: dict[str, object] = {}
        for name in (
            "part_number",
            "part_name",
            "part_revision",
            "drawing_number",
            "drawing_revision",
            "serial_number",
            "device",
            "program",
            "operator",
            "run_number",
            "report_number",
            "inspection_scope",
            "inspection_mode",
            "supplier_code",
            "purchase_order",
            "inspecting_organization",
        ):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.measured_at is not None:
            out["measured_at"] = self.measured_at.isoformat()
        if self.serials:
            out["serials"] = list(self.serials)
        if self.part_verdicts:
            out["part_verdicts"] = [
                {"serial": serial, "verdict": verdict} for serial, verdict in self.part_verdicts
            ]
        return out


@dataclass
class ResultFile:
    """A file being read: its format, metadata, rows (an iterator) and, once read, its hash.

    ``rows`` can be consumed once. ``sha256()`` finishes reading the source if the rows were
    not all consumed and returns the digest of every byte. ``bytes_read()`` tells a progress
    bar how far the reader is.
    """

    fmt: str
    name: str
    metadata: FileMetadata
    rows: Iterator[IncomingResult | RowProblem]
    sha256: Callable[[], str]
    bytes_read: Callable[[], int]
    notes: list[str] = field(default_factory=list)


# --- an FAI's results, written -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportCharacteristic:
    """A Form 3 line's design side; numbers in ``units`` (None for text requirements).

    ``kind`` and ``tolerance``: the QIF type and typed tolerance the characteristic was
    imported with (None for one keyed in, mirrored or read from a table), its numbers in
    ``units`` too.
    """

    key: str
    balloon: str
    requirement: str
    nominal: Decimal | None = None
    lower_limit: Decimal | None = None
    upper_limit: Decimal | None = None
    units: str | None = None
    sheet: str | None = None
    zone: str | None = None
    criticality: str | None = None
    drawing: str | None = None
    kind: str | None = None
    tolerance: DesignTolerance | None = None


@dataclass(frozen=True, slots=True)
class ExportActual:
    """One result that counts; ``value`` in its characteristic's units, or an attribute."""

    characteristic_key: str
    value: Decimal | None
    attribute: str | None
    passed: bool
    nonconformance: str | None = None
    measured_at: datetime | None = None
    device: str | None = None


@dataclass(frozen=True, slots=True)
class ExportHeader:
    """Form 1 fields that QIF traceability and product data carry."""

    report_number: str
    part_number: str
    part_name: str
    part_revision: str
    inspection_scope: str
    inspection_mode: str
    drawings: tuple[tuple[str, str], ...] = ()
    partial_reason: str | None = None
    baseline_part_number: str | None = None
    baseline_part_revision: str | None = None
    supplier_code: str | None = None
    purchase_order: str | None = None
    organization: str | None = None
    additional_changes: str | None = None
    created_at: datetime | None = None
    linear_unit: str = "mm"
