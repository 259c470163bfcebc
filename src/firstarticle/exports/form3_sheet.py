"""Read a flat Form 3 workbook (the shape :mod:`firstarticle.exports.xlsx` writes) as text
rows, bounded: formulas are refused, not evaluated, and a sheet past ``max_rows`` is refused
without reading the rest."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from firstarticle.domain.errors import ValidationError
from firstarticle.domain.form3_sheet import RowIssue, SheetReading, read_rows
from firstarticle.exports.xlsx import SHEETS

FLAT_SHEET = SHEETS[3]


class WorkbookError(ValidationError):
    """The file is not a workbook that can be read."""

    code = "invalid_workbook"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _too_many(row: int, max_rows: int) -> SheetReading:
    reading = SheetReading(rows=row)
    reading.issues.append(
        RowIssue(row, "too_many_rows", f"The sheet has more than {max_rows} rows; split it.")
    )
    return reading


def read_flat_form3(data: bytes, *, max_rows: int) -> SheetReading:
    """The sheet "Form 3 flat" (else the first sheet) checked row by row."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise WorkbookError("The file is not an xlsx workbook.") from error
    try:
        sheet = book[FLAT_SHEET] if FLAT_SHEET in book.sheetnames else book.worksheets[0]
        declared = sheet.max_row or 0  # the sheet's own dimension; the loop bounds a lie
        if declared > max_rows + 1:
            return _too_many(declared, max_rows)
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        formulas: list[RowIssue] = []
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            values = []
            for cell in cells:
                if getattr(cell, "data_type", None) == "f":
                    formulas.append(
                        RowIssue(number, "formula_refused", "Formulas are not read; give values.")
                    )
                values.append(_text(cell.value))
            if header is None:
                if any(values):
                    header = values
                continue
            if len(rows) >= max_rows:
                return _too_many(number, max_rows)
            rows.append((number, values))
    finally:
        book.close()
    reading = read_rows(header or [], rows)
    reading.issues = sorted([*formulas, *reading.issues], key=lambda i: i.row)
    return reading
