"""What the inspection-results readers share: metadata tags, cells, lines, hashing.

A reader (generic CSV, Zeiss Calypso table file, QIF 3.0 Results) turns a file into the
:class:`~firstarticle.domain.inspection_files.ResultFile` the services read (the records live
in the domain, so that the services need no reader).

Metadata tags follow the portal convention (Net-Inspect's "optional metadata tags"): text of
the form ``<identifier=data>``, e.g. ``<serialnumber=1234567>``, ``<partnumber=PN4321>``,
``<partrevision=C>``, ``<measdevice=CMM 231>``, ``<progname=PN4321_FAI.DMI>``,
``<operator=John Smith>``, ``<starttime=2016-02-17T09:45:17>``, ``<endtime=...>``. Text
readers take them from comment lines (``#`` first); the QIF reader from XML comments.

This module imports only the domain's inspection-file records.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import BinaryIO, Final

from firstarticle.domain.inspection_files import (
    FileMetadata,
    IncomingResult,
    ResultFile,
    ResultFileError,
    RowProblem,
)
from firstarticle.domain.text import FORMULA_LEADS

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
    "open_text",
    "parse_timestamp",
    "refused_cell",
    "source_label",
    "take_tags",
]

# A physical line longer than this is refused: no real result row comes close, and a reader
# that accepted any length could be made to hold a whole file as one line.
MAX_LINE_BYTES: Final = 64 * 1024

# Cells that a spreadsheet would evaluate as a formula: the plant's one list (domain/text.py).
FORMULA_PREFIXES: Final = FORMULA_LEADS

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


def take_tags(metadata: FileMetadata, text: str) -> None:
    """Fill ``metadata`` from the portal metadata tags found in ``text`` (first one wins)."""
    for key, value in metadata_tags(text).items():
        name = _TAG_FIELDS.get(key)
        if name is not None:
            if getattr(metadata, name) is None and value:
                setattr(metadata, name, value)
        elif key in {"starttime", "endtime"}:
            when = parse_timestamp(value)
            # The end of the inspection is when the results became true.
            if when is not None and (key == "endtime" or metadata.measured_at is None):
                metadata.measured_at = when
        else:
            metadata.extra.setdefault(key, value)


def source_label(source: BinaryIO) -> str:
    """The base name of the stream's file, or ``<stream>``."""
    name = getattr(source, "name", None)
    return os.path.basename(name) if isinstance(name, str) else "<stream>"


@dataclass
class OpenedText:
    """A text results file read up to its header line, which both text readers start from."""

    name: str
    stream: HashingStream
    lines: Iterator[tuple[int, str]]
    metadata: FileMetadata
    header_line: int
    header_text: str

    def result_file(self, fmt: str) -> ResultFile:
        """The file as the services read it; the caller sets its ``rows``."""
        stream = self.stream
        return ResultFile(
            fmt=fmt,
            name=self.name,
            metadata=self.metadata,
            rows=iter(()),
            sha256=stream.hexdigest,
            bytes_read=lambda: stream.count,
        )


def open_text(source: BinaryIO, name: str | None, no_header: str) -> OpenedText:
    """Read blank lines and ``#`` comment lines (their portal tags taken) up to the header.

    Raises ResultFileError with ``no_header`` for a file that has no header line.
    """
    label = name or source_label(source)
    stream = HashingStream(source)
    lines = text_lines(stream, label)
    metadata = FileMetadata()
    for number, text in lines:
        stripped = text.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            take_tags(metadata, stripped)
            continue
        return OpenedText(label, stream, lines, metadata, number, text)
    raise ResultFileError(no_header)


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


def refused_cell(row: int, column: str, raw: str, code: str, message: str) -> RowProblem:
    """The refusal of a cell that does not read as its column: as a formula when a spreadsheet
    would run it, else with ``code`` and ``message``."""
    if formula_risk(raw):
        return injection_problem(row, column, raw)
    return RowProblem(row, code, message, column)


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
