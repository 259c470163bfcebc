"""Zeiss Calypso table files (``<plan>_chr.txt``), read row by row.

Calypso's "table file" output writes one characteristic a line, tab-separated, under a header
line naming the columns: ``planid  partnb  id  type  idsymbol  actual  nominal  uppertol
lowertol  deviation  exceed  ... unit ...``. The order may change between installations
(custom fields), so columns are found by name. This reader needs ``id`` and ``actual``; it
uses ``planid``, ``partnb``, ``nominal``, ``uppertol``, ``lowertol``, ``exceed`` and
``unit`` when present, and ignores the rest.

Mapping onto results (the portal convention for Calypso files):
    balloon   ``id`` when it is a number (``12``, ``12.1``), else the number(s) written
              between angle brackets in it (``Diameter <12>``; ``Pos <7 8>`` gives the same
              result for balloons 7 and 8). A row whose id carries no balloon number is a
              helper characteristic (alignment, construction): it is skipped and reported.
    serial    the ``<serialnumber=...>`` metadata tag if the file has one, else ``partnb``
    value     ``actual``, in ``unit`` (required)
    limits    ``nominal`` + ``uppertol`` / ``lowertol`` (signed deviations), compared with
              the drawing's requirement
    status    ``exceed``: a non-zero amount is FAIL, zero is PASS, blank states nothing
    program   ``planid``

Files are UTF-8 (a byte order mark is fine). Calypso writes the Windows code page unless told
otherwise; such a file is refused with the line and byte that are not UTF-8. Lines before the
header starting with ``#`` are comments and may carry portal metadata tags (part number,
revision, serial number, device, operator, start and end time).

It imports nothing from firstarticle but incoming.py and the domain's file records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import BinaryIO, Final

from firstarticle.integrations.inspection.incoming import (
    FileMetadata,
    IncomingResult,
    ResultFile,
    ResultFileError,
    RowProblem,
    decimal_cell,
    formula_risk,
    injection_problem,
    open_text,
)

__all__ = ["REQUIRED_COLUMNS", "balloons_of", "looks_like_calypso", "read_calypso_results"]

REQUIRED_COLUMNS: Final = ("id", "actual")
_NUMBER: Final = re.compile(r"\d+(?:\.\d+)?")
_BRACKETED: Final = re.compile(r"<([^<>=]+)>")


def looks_like_calypso(first_line: str) -> bool:
    """True when a header line is Calypso's table-file header (tab-separated, planid, id)."""
    cells = [c.strip().lower() for c in first_line.split("\t")]
    return "id" in cells and "actual" in cells and ("planid" in cells or "partnb" in cells)


def balloons_of(identifier: str) -> tuple[str, ...]:
    """The balloon numbers a Calypso characteristic id names (none for helper rows)."""
    cleaned = identifier.strip()
    if _NUMBER.fullmatch(cleaned):
        return (cleaned,)
    found: list[str] = []
    for group in _BRACKETED.findall(cleaned):
        found += [part for part in group.replace(",", " ").split() if part]
    return tuple(dict.fromkeys(found))


def read_calypso_results(source: BinaryIO, name: str | None = None) -> ResultFile:
    """Open a Calypso ``_chr.txt`` table file; rows are read as they are consumed.

    Raises :class:`ResultFileError` at once for a file without the header or without the
    ``id`` and ``actual`` columns, and while reading for lines that are not UTF-8, too long
    or contain NUL bytes. Rows that cannot be read become :class:`RowProblem`.
    """
    opened = open_text(
        source, name, "the file has no Calypso header line (planid, partnb, id, ...)"
    )
    header_line, header_text = opened.header_line, opened.header_text
    columns = [c.strip().lower() for c in header_text.rstrip("\r\n").split("\t")]
    if len(columns) < 2:
        raise ResultFileError(
            "the header is not tab-separated; a Calypso table file separates columns by tabs",
            line=header_line,
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ResultFileError(
            f"the Calypso header has no {' or '.join(repr(c) for c in missing)} column",
            line=header_line,
        )
    result = opened.result_file("calypso")
    result.rows = _rows(opened.lines, columns, opened.metadata)
    return result


def _rows(
    lines: Iterator[tuple[int, str]], columns: list[str], metadata: FileMetadata
) -> Iterator[IncomingResult | RowProblem]:
    index: dict[str, int] = {}
    for position, column in enumerate(columns):
        index.setdefault(column, position)
    for row, text in lines:
        line = text.rstrip("\r\n")
        if not line.strip():
            continue
        cells = line.split("\t")
        yield from _row(row, cells, index, metadata)


def _row(
    row: int, cells: list[str], index: dict[str, int], metadata: FileMetadata
) -> Iterator[IncomingResult | RowProblem]:
    def cell(column: str) -> str:
        position = index.get(column)
        if position is None or position >= len(cells):
            return ""
        return cells[position].strip()

    for column in ("planid", "partnb", "id", "unit"):
        raw = cell(column)
        if formula_risk(raw):
            yield injection_problem(row, column, raw)
            return
    identifier = cell("id")
    if not identifier:
        yield RowProblem(row, "balloon_missing", "the row has no characteristic id", "id")
        return
    balloons = balloons_of(identifier)
    program = cell("planid") or metadata.program
    if not balloons:
        yield IncomingResult(
            row=row,
            balloon=None,
            program=program,
            skip=f"characteristic {identifier[:60]!r} names no balloon number "
            "(write it as a number, or between angle brackets: 'Diameter <12>')",
        )
        return
    numbers: dict[str, Decimal | None] = {}
    for column in ("actual", "nominal", "uppertol", "lowertol", "exceed"):
        raw = cell(column)
        if not raw:
            numbers[column] = None
            continue
        number = decimal_cell(raw)
        if number is None:
            yield RowProblem(
                row,
                f"{column}_not_decimal",
                f"{column} {raw[:40]!r} is not a decimal number",
                column,
            )
            return
        numbers[column] = number
    actual = numbers["actual"]
    if actual is None:
        yield RowProblem(row, "value_missing", f"{identifier[:60]!r} has no actual value", "actual")
        return
    nominal = numbers["nominal"]
    upper = lower = None
    if nominal is not None:
        if numbers["uppertol"] is not None:
            upper = nominal + numbers["uppertol"]
        if numbers["lowertol"] is not None:
            lower = nominal + numbers["lowertol"]
    exceed = numbers["exceed"]
    status = None if exceed is None else ("PASS" if exceed.is_zero() else "FAIL")
    units = cell("unit") or None
    serial = metadata.serial_number or cell("partnb") or None
    for balloon in balloons:
        yield IncomingResult(
            row=row,
            balloon=balloon,
            serial=serial,
            value=actual,
            units=units,
            status=status,
            device=metadata.device,
            operator=metadata.operator,
            program=program,
            measured_at=metadata.measured_at,
            nominal=nominal,
            upper_limit=upper,
            lower_limit=lower,
            entry="device",
        )
