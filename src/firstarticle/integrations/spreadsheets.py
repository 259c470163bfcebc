"""Tables written as xlsx workbooks with openpyxl (the SpreadsheetWriter of ports.py).

Text is always stored as text, so a cell that starts with ``=`` never becomes a formula;
decimals keep the places they were stated with (CAD noise beyond micrometres trimmed).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from firstarticle.ports import TableColumn

__all__ = ["XlsxWriter"]


class XlsxWriter:
    """One table sheet with a bold, shaded, frozen and filtered header row; a Source sheet."""

    def table(
        self,
        title: str,
        columns: Sequence[TableColumn],
        rows: Sequence[Sequence[object]],
        facts: Sequence[tuple[str, object]],
    ) -> bytes:
        from openpyxl import Workbook  # type: ignore[import-untyped]
        from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]

        book = Workbook()
        sheet = book.active
        sheet.title = title
        bold = Font(bold=True)
        fill = PatternFill("solid", fgColor="DDE4EE")
        for number, column in enumerate(columns, start=1):
            cell = sheet.cell(row=1, column=number, value=column.title)
            cell.font, cell.fill = bold, fill
            sheet.column_dimensions[cell.column_letter].width = column.width
        top = Alignment(vertical="top")
        wrapped = Alignment(vertical="top", wrap_text=True)
        for row, values in enumerate(rows, start=2):
            for number, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
                cell = sheet.cell(row=row, column=number)
                _put(cell, value)
                cell.alignment = wrapped if column.wrap else top
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = (
            f"A1:{sheet.cell(row=1, column=len(columns)).column_letter}{max(1, len(rows) + 1)}"
        )
        about = book.create_sheet("Source")
        for index, (label, value) in enumerate(facts, start=1):
            about.cell(row=index, column=1, value=label).font = bold
            _put(about.cell(row=index, column=2), value)
        about.column_dimensions["A"].width = 20
        about.column_dimensions["B"].width = 100
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


def _put(cell: Any, value: object) -> None:
    """Write a value; text is always text (a leading ``=`` never becomes a formula)."""
    if isinstance(value, Decimal):
        cell.value = value
        cell.number_format = _number_format(value)
    elif isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
    else:
        cell.value = value


def _number_format(value: Decimal) -> str:
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if places > 6:  # CAD noise (0.226000000000968): show micrometre-level digits
        trimmed = value.quantize(Decimal("0.000001")).normalize()
        exp = trimmed.as_tuple().exponent
        places = -exp if isinstance(exp, int) and exp < 0 else 0
    return "0" if places == 0 else "0." + "0" * places
