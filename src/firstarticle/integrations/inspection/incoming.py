"""The one shape every inspection-results reader produces, and what the readers share.

A reader (generic CSV, Zeiss Calypso table file, QIF 3.0 Results) turns a file into a
:class:`ResultFile`: file-level :class:`FileMetadata`, then a stream of
:class:`IncomingResult` rows, interleaved with :class:`RowProblem` for rows the reader could
not make sense of. A file that cannot be read at all raises :class:`ResultFileError` naming
the line. Matching rows to characteristics, and every judgement against the FAI, happen in
the service, not here.

Metadata tags follow the portal convention (Net-Inspect's "optional metadata tags"): text of
the form ``<identifier=data>``, e.g. ``<serialnumber=1234567>``, ``<partnumber=PN4321>``,
``<partrevision=C>``, ``<measdevice=CMM 231>``, ``<progname=PN4321_FAI.DMI>``,
``<operator=John Smith>``, ``<starttime=2016-02-17T09:45:17>``, ``<endtime=...>``. Text
readers take them from comment lines (``#`` first); the QIF reader from XML comments.

This module imports nothing from the rest of firstarticle.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import BinaryIO, Final

__all__ = [
    "FORMULA_PREFIXES",
    "MAX_LINE_BYTES",
    "FileMetadata",
    "IncomingResult",
    "ResultFile",
    "ResultFileError",
    "RowProblem",
    "decimal_cell",
    "formula_risk",
    "injection_problem",
    "metadata_tags",
    "parse_timestamp",
]

# A physical line longer than this is refused: no real result row comes close, and a reader
# that accepted any length could be made to hold a whole file as one line.
MAX_LINE_BYTES: Final = 64 * 1024

# Cells that a spreadsheet would evaluate as a formula (OWASP "CSV injection"); tab and
# carriage return are listed there too, as prefixes that some spreadsheets strip first.
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")

_TAG_RE: Final = re.compile(r"<\s*([A-Za-z][A-Za-z0-9_]*)\s*=\s*([^<>]*?)\s*>")
_DATETIME_RE: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
_DECIMAL_RE: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

# Portal tag names (lower case) -> FileMetadata field.
_TAG_FIELDS: Final = {
    "serialnumber": "serial_number",
    "partnumber": "part_number",
    "partrevision": "part_revision",
    "measdevice": "device",
    "progname": "program",
    "operator": "operator",
    "runnumber": "run_number",
    "partname": "part_name",
}


class ResultFileError(ValueError):
    """A results file that cannot be read safely: encoding, structure, size, syntax.

    ``code`` is stable: ``invalid_results_file``, or the XML prolog check's (``xml_*``).
    """

    def __init__(
        self, message: str, *, line: int | None = None, code: str = "invalid_results_file"
    ) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.reason = message
        self.code = code


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

    def take_tags(self, text: str) -> None:
        """Fill fields from the portal metadata tags found in ``text`` (first one wins)."""
        for key, value in metadata_tags(text).items():
            name = _TAG_FIELDS.get(key)
            if name is not None:
                if getattr(self, name) is None and value:
                    setattr(self, name, value)
            elif key in {"starttime", "endtime"}:
                when = parse_timestamp(value)
                # The end of the inspection is when the results became true.
                if when is not None and (key == "endtime" or self.measured_at is None):
                    self.measured_at = when
            else:
                self.extra.setdefault(key, value)

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
        ):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.measured_at is not None:
            out["measured_at"] = self.measured_at.isoformat()
        if self.serials:
            out["serials"] = list(self.serials)
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


class HashingStream:
    """Reads a binary stream once, hashing and counting exactly the bytes handed out."""

    __slots__ = ("_done", "_hash", "_raw", "count")

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._hash = hashlib.sha256()
        self._done = False
        self.count = 0

    def _take(self, data: bytes) -> bytes:
        if type(data) is not bytes:
            if not isinstance(data, bytes | bytearray | memoryview):
                raise ResultFileError(f"expected a binary stream, got {type(data).__name__}")
            data = bytes(data)
        self._hash.update(data)
        self.count += len(data)
        return data

    def read(self, size: int = -1) -> bytes:
        return self._take(self._raw.read(size))

    def readline(self, limit: int = -1) -> bytes:
        return self._take(self._raw.readline(limit))

    def hexdigest(self) -> str:
        """The digest of the whole stream, reading whatever was not read yet."""
        if not self._done:
            while chunk := self._raw.read(1 << 16):
                self._take(chunk)
            self._done = True
        return self._hash.hexdigest()


def metadata_tags(text: str) -> dict[str, str]:
    """The ``<identifier=data>`` tags in ``text``, identifiers lower-cased, first one kept."""
    found: dict[str, str] = {}
    for key, value in _TAG_RE.findall(text):
        found.setdefault(key.lower(), value)
    return found


def parse_timestamp(text: str) -> datetime | None:
    """An ISO 8601 date and time (zone optional; naive means plant-local), else None."""
    cleaned = text.strip()
    if not _DATETIME_RE.fullmatch(cleaned):
        return None
    try:
        return datetime.fromisoformat(cleaned)  # Python 3.11 reads Z, +HHMM and spaces
    except ValueError:
        pass
    cleaned = re.sub(r"(\.\d{6})\d+", r"\1", cleaned.replace("Z", "+00:00"))
    try:
        return datetime.fromisoformat(re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", cleaned))
    except ValueError:
        return None


def formula_risk(cell: str) -> bool:
    """True when a spreadsheet could take ``cell`` for a formula (a lone ``-`` is blank)."""
    return cell.startswith(FORMULA_PREFIXES) and cell != "-"


def injection_problem(row: int, column: str, raw: str) -> RowProblem:
    """The refusal of a cell that a spreadsheet would run as a formula."""
    return RowProblem(
        row,
        "formula_injection",
        f"column {column!r} starts with {raw[:1]!r}: a spreadsheet would run {raw[:40]!r} "
        "as a formula, so the row is refused (fix the cell at its source)",
        column,
    )


def decimal_cell(text: str, *, decimal_comma: bool = False) -> Decimal | None:
    """A finite decimal number as written (``12.5``, ``-0.02``, ``1e-3``), else None.

    With ``decimal_comma`` a single comma may stand for the decimal point (``12,5``), as in
    files written with a semicolon separator by European spreadsheets.
    """
    cleaned = text.strip()
    if decimal_comma and "," in cleaned and "." not in cleaned and cleaned.count(",") == 1:
        cleaned = cleaned.replace(",", ".")
    if not _DECIMAL_RE.fullmatch(cleaned):
        return None
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def text_lines(stream: HashingStream, name: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of each physical line, UTF-8 (an optional BOM), bounded length.

    Refuses, naming the line: UTF-16 or UTF-32 files (byte order mark), bytes that are not
    UTF-8, NUL characters and lines longer than :data:`MAX_LINE_BYTES`.
    """
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if number == 1:
            if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise ResultFileError(
                    "the file is UTF-16 (or UTF-32); save it as UTF-8", line=number
                )
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise ResultFileError(
                f"the line is longer than {MAX_LINE_BYTES} bytes; this is not a results file "
                "this reader accepts",
                line=number,
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ResultFileError(
                f"byte 0x{raw[exc.start]:02x} (byte {exc.start + 1} of the line) is not "
                "UTF-8; save the file as UTF-8",
                line=number,
            ) from None
        if "\x00" in text:
            raise ResultFileError("the line contains a NUL character", line=number)
        yield number, text
