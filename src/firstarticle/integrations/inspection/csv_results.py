"""Generic CSV of inspection results, read row by row (documented in docs/results-csv.md).

The file
    UTF-8, with or without a byte order mark; any other encoding is refused, naming the line.
    Comma or semicolon separated (found from the header line); fields may be quoted ("...").
    With a semicolon separator a value may use a decimal comma (``12,5``).
    Lines before the header that start with ``#`` are comments; portal metadata tags in them
    (``<serialnumber=...>``, ``<partnumber=...>``, ``<partrevision=...>``,
    ``<measdevice=...>``, ``<progname=...>``, ``<operator=...>``, ``<starttime=...>``,
    ``<endtime=...>``) apply to every row that does not say otherwise.
    No line may be longer than 64 KiB.

The header names the columns, in any order, case-insensitive (spaces and hyphens count as
underscores). Columns other than these are ignored and listed in the import report.

    balloon        required  the characteristic number (Form 3 field 5), as ballooned
    serial_number            the unit measured; blank when the FAI covers a single unit
    value                    the measured value, a decimal number (``-0.02``, ``25.013``)
    units                    the value's units (``mm``, ``in``, ``deg``, ...); required
                             with a value
    attribute                ``accept`` or ``reject``, only where no value can be measured
    status                   ``PASS`` or ``FAIL`` as the source system judged it; checked
                             against the computed conformance, which is what counts
    measured_at              ISO 8601 date and time; without a zone it is the plant's local
                             time
    operator                 who measured
    device                   the gauge or machine, with its id (Form 3 field 10)
    program                  the inspection program
    nc_number                the nonconformance document the source system names
    part_number              the part measured (checked against the FAI's part)
    part_revision            its revision (checked against the FAI's revision)
    entry                    ``device`` when the value was read from a gauge or machine
                             export, ``manual`` when a person typed or pasted it (then it
                             needs a second person's verification); blank: file import

Each row has a value or an attribute, not both. Text cells that a spreadsheet would run as a
formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) are refused,
naming the row and column; a number such as ``-0.02`` in ``value`` is of course fine, and a
lone ``-`` counts as blank.

It imports nothing from firstarticle but incoming.py and the domain's file records.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO, Final

from firstarticle.domain.text import text_problem
from firstarticle.integrations.inspection.incoming import (
    FORMULA_PREFIXES,
    FileMetadata,
    IncomingResult,
    ResultFile,
    ResultFileError,
    RowProblem,
    decimal_cell,
    injection_problem,
    open_text,
    parse_timestamp,
    refused_cell,
)

__all__ = ["COLUMNS", "read_csv_results"]

COLUMNS: Final = (
    "balloon",
    "serial_number",
    "value",
    "units",
    "attribute",
    "status",
    "measured_at",
    "operator",
    "device",
    "program",
    "nc_number",
    "part_number",
    "part_revision",
    "entry",
)
_ALIASES: Final = {
    "char_no": "balloon",
    "characteristic": "balloon",
    "serial": "serial_number",
    "sn": "serial_number",
    "unit": "units",
    "nc": "nc_number",
    "nonconformance": "nc_number",
    "revision": "part_revision",
}
# Cells kept as text: each is checked for formula prefixes.
_TEXT: Final = (
    "balloon",
    "serial_number",
    "units",
    "operator",
    "device",
    "program",
    "nc_number",
    "part_number",
    "part_revision",
)
_ATTRIBUTES: Final = {"accept": "accept", "reject": "reject"}
_STATUSES: Final = {"PASS", "FAIL"}
_ENTRIES: Final = {"device": "device", "manual": "manual", "file": None, "": None}


def _column_name(raw: str) -> str:
    name = "_".join(raw.strip().lower().replace("-", " ").split())
    return _ALIASES.get(name, name)


def read_csv_results(source: BinaryIO, name: str | None = None) -> ResultFile:
    """Open a generic results CSV; the returned file's rows are read as they are consumed.

    The header (and any comment lines before it) is read at once, so a missing ``balloon``
    column, a file that is not UTF-8 at its start or one without a header fails here with
    :class:`ResultFileError`. Later problems of the file as a whole (a line that is not
    UTF-8, too long, NUL bytes, broken quoting) raise it while the rows are consumed; a row
    that cannot be read as a result comes out as a :class:`RowProblem` instead.
    """
    opened = open_text(source, name, "the file has no header line (balloon, value, units, ...)")
    header_line, header_text = opened.header_line, opened.header_text
    delimiter = _delimiter(header_text)
    cells = next(csv.reader([header_text], delimiter=delimiter))
    columns = [_column_name(c) for c in cells]
    while columns and not columns[-1]:
        columns.pop()  # a trailing separator on the header
    seen: set[str] = set()
    for column in columns:
        if column in seen and column in COLUMNS:
            raise ResultFileError(f"column {column!r} appears twice", line=header_line)
        seen.add(column)
    if "balloon" not in seen:
        raise ResultFileError(
            f"the header has no 'balloon' column (found: {', '.join(c for c in columns if c)}); "
            "see docs/results-csv.md",
            line=header_line,
        )
    if "value" not in seen and "attribute" not in seen:
        raise ResultFileError(
            "the header has neither a 'value' nor an 'attribute' column", line=header_line
        )
    result = opened.result_file("csv")
    ignored = [c for c in columns if c and c not in COLUMNS]
    if ignored:
        result.notes.append(f"columns ignored: {', '.join(ignored)}")
    result.rows = _rows(opened.lines, columns, delimiter, header_line, opened.metadata)
    return result


def _delimiter(header: str) -> str:
    commas, semicolons = header.count(","), header.count(";")
    return ";" if semicolons > commas else ","


def _rows(
    lines: Iterator[tuple[int, str]],
    columns: list[str],
    delimiter: str,
    header_line: int,
    metadata: FileMetadata,
) -> Iterator[IncomingResult | RowProblem]:
    width = len(columns)
    read = _RowReader(columns, delimiter == ";", metadata)
    line_of = {"n": header_line}

    def physical() -> Iterator[str]:
        for number, text in lines:
            line_of["n"] = number
            yield text

    reader = csv.reader(physical(), delimiter=delimiter, strict=True)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ResultFileError(f"not a well-formed CSV line: {exc}", line=line_of["n"]) from None
        row = line_of["n"]
        if not any(cells):
            continue
        while len(cells) > width and not cells[-1].strip():
            cells.pop()  # trailing separators
        if len(cells) > width:
            yield RowProblem(
                row,
                "too_many_cells",
                f"the row has {len(cells)} cells, the header names {width}",
            )
            continue
        yield read(row, cells)


_RISKY: Final = frozenset(FORMULA_PREFIXES)


class _RowReader:
    """Turns the cells of one row into a result or a problem (positions resolved once)."""

    def __init__(self, columns: list[str], decimal_comma: bool, metadata: FileMetadata) -> None:
        self.width = len(columns)
        # A column the header lacks reads from one extra, always empty, cell.
        at = {c: i for i, c in reversed(list(enumerate(columns))) if c in COLUMNS}
        self.pos = {c: at.get(c, self.width) for c in COLUMNS}
        self.text = [(c, self.pos[c]) for c in _TEXT]
        self.decimal_comma = decimal_comma
        self.metadata = metadata
        self.times: dict[str, datetime | None] = {}

    def timestamp(self, raw: str) -> datetime | None:
        # Rows of one unit usually share their time: parse each distinct text once.
        if raw in self.times:
            return self.times[raw]
        parsed = parse_timestamp(raw)
        if len(self.times) < 4096:
            self.times[raw] = parsed
        return parsed

    def __call__(self, row: int, raw_cells: list[str]) -> IncomingResult | RowProblem:
        cells = [c.strip() for c in raw_cells]
        cells.extend([""] * (self.width + 1 - len(cells)))
        pos = self.pos
        text: dict[str, str | None] = {}
        for column, position in self.text:
            cell = cells[position]
            if cell and cell[0] in _RISKY and cell != "-":
                return injection_problem(row, column, cell)
            problem = text_problem(cell)
            if problem:
                return RowProblem(
                    row, problem, f"column {column!r} holds a character plant text refuses", column
                )
            text[column] = cell if cell and cell != "-" else None
        balloon = text["balloon"]
        if balloon is None:
            return RowProblem(row, "balloon_missing", "the row names no balloon", "balloon")
        raw_value = cells[pos["value"]]
        value = None
        if raw_value and raw_value != "-":
            value = decimal_cell(raw_value, decimal_comma=self.decimal_comma)
            if value is None:
                return refused_cell(
                    row,
                    "value",
                    raw_value,
                    "value_not_decimal",
                    f"value {raw_value[:40]!r} is not a decimal number",
                )
        raw_attribute = cells[pos["attribute"]]
        attribute = None
        if raw_attribute and raw_attribute != "-":
            attribute = _ATTRIBUTES.get(raw_attribute.lower())
            if attribute is None:
                return refused_cell(
                    row,
                    "attribute",
                    raw_attribute,
                    "attribute_invalid",
                    f"attribute {raw_attribute[:40]!r} is neither accept nor reject",
                )
        if (value is None) == (attribute is None):
            return RowProblem(
                row,
                "value_or_attribute",
                "the row needs a value or an attribute verdict, not both"
                if value is not None
                else "the row has neither a value nor an attribute verdict",
                "value",
            )
        raw_status = cells[pos["status"]]
        status = None
        if raw_status and raw_status != "-":
            status = raw_status.upper()
            if status not in _STATUSES:
                return refused_cell(
                    row,
                    "status",
                    raw_status,
                    "status_invalid",
                    f"status {raw_status[:40]!r} is not PASS or FAIL",
                )
        raw_time = cells[pos["measured_at"]]
        measured_at = None
        if raw_time and raw_time != "-":
            measured_at = self.timestamp(raw_time)
            if measured_at is None:
                return refused_cell(
                    row,
                    "measured_at",
                    raw_time,
                    "measured_at_invalid",
                    f"measured_at {raw_time[:40]!r} is not an ISO 8601 date and time",
                )
        raw_entry = cells[pos["entry"]].lower()
        if raw_entry not in _ENTRIES:
            return refused_cell(
                row,
                "entry",
                raw_entry,
                "entry_invalid",
                f"entry {raw_entry[:40]!r} is not device or manual",
            )
        meta = self.metadata
        return IncomingResult(
            row=row,
            balloon=balloon,
            serial=text["serial_number"] or meta.serial_number,
            value=value,
            units=text["units"],
            attribute=attribute,
            status=status,
            nonconformance=text["nc_number"],
            device=text["device"] or meta.device,
            operator=text["operator"] or meta.operator,
            program=text["program"] or meta.program,
            measured_at=measured_at or meta.measured_at,
            part_number=text["part_number"],
            part_revision=text["part_revision"],
            entry=_ENTRIES[raw_entry],
        )
