"""Read exported AS9102 workbooks back as a customer's inspector would: fields by number."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook


def workbook(content: bytes) -> Any:
    return load_workbook(io.BytesIO(content))


def numbered_fields(sheet: Any) -> dict[str, tuple[str, str]]:
    """``{number: (name, value)}`` of every "number | name | value" row of a form sheet."""
    fields = {}
    for row in sheet.iter_rows(values_only=True):
        number, name, value = ([*list(row), None, None, None])[:3]
        if isinstance(number, str) and number.split("/")[0].isdigit() and name:
            fields[number] = (name, value or "")
    return fields


def table(sheet: Any, first_title: str) -> list[dict[str, str]]:
    """The rows under the header row whose first cell is ``first_title``, as dicts by title."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r and r[0] == first_title)
    titles = [t for t in rows[start] if t]
    out = []
    for row in rows[start + 1 :]:
        if not row or all(v is None for v in row):
            break
        out.append({t: (v or "") for t, v in zip(titles, row, strict=False)})
    return out
