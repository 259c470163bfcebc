"""The report as a workbook: one sheet per form, and the flat Form 3 sheet portals import.

Written in openpyxl's write-only mode (streamed rows), so 5,000 characteristics cost about
what the cells themselves cost. Text that starts with "=" is written as text, never as a
formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from firstarticle.exports.report import DRAFT_MARK, FairReport, Field

SHEETS = ("Form 1", "Form 2", "Form 3", "Form 3 flat")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BOLD = Font(bold=True)
_MARK = Font(bold=True, color="C00000", size=14)


def _cell(ws: WriteOnlyWorksheet, value: str, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if value.startswith("="):
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def _plain(ws: WriteOnlyWorksheet, values: Iterable[str]) -> Sequence[str | Any | None]:
    # Plain strings are the cheap path; only a leading "=" needs a cell that says "text".
    row = tuple(v or None for v in values)  # an empty field is no cell at all
    if any(v[:1] == "=" for v in row if v):
        return [_cell(ws, v) if v and v[:1] == "=" else v for v in row]
    return row


def _bold_row(ws: WriteOnlyWorksheet, values: Sequence[str]) -> None:
    ws.append([_cell(ws, v, _BOLD) for v in values])


def _top(ws: WriteOnlyWorksheet, report: FairReport, title: str, widths: Sequence[int]) -> None:
    for index, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    if report.draft:
        ws.append([_cell(ws, DRAFT_MARK, _MARK)])
    ws.append([_cell(ws, f"AS9102 Rev {report.revision.value} — {title}", _BOLD)])
    for f in report.header:
        ws.append(_plain(ws, (f.number, f.name, f.value)))
    ws.append([])


def _fields(ws: WriteOnlyWorksheet, fields: Iterable[Field]) -> None:
    for f in fields:
        ws.append(_plain(ws, (f.number, f.name, f.value)))


def render_xlsx(report: FairReport) -> bytes:
    """The workbook's bytes: sheets "Form 1", "Form 2", "Form 3" and "Form 3 flat"."""
    book = Workbook(write_only=True)
    form1 = book.create_sheet(SHEETS[0])
    _top(form1, report, "Form 1: Part Number Accountability", (8, 46, 70))
    _fields(form1, report.form1[:10])
    form1.append([])
    _bold_row(form1, [f"{f.number} {f.name}" for f in report.index_names])
    for row in report.index:
        form1.append(
            _plain(form1, (row.part_number, row.part_name, row.part_type, row.fair_identifier))
        )
    form1.append([])
    _fields(form1, report.form1[10:])
    form1.append([])
    _bold_row(form1, ["", "Signatures (printed name — date and time — meaning)"])
    for manifestation in report.signatures:
        form1.append(_plain(form1, ("", manifestation)))
    form1.append(_plain(form1, ("", "Content SHA-256", report.content_sha256)))

    form2 = book.create_sheet(SHEETS[1])
    _top(form2, report, "Form 2: Product Accountability", (22, 24, 10, 20, 14, 20, 20, 20, 24))
    names = report.form2[0].fields if report.form2 else ()
    if names:
        _bold_row(form2, [f"{f.number} {f.name}" for f in names])
    else:
        form2.append(["No materials, special processes or functional tests recorded."])
    for line in report.form2:
        form2.append(_plain(form2, (f.value for f in line.fields)))
    if report.form2_signature is not None:
        form2.append([])
        _fields(form2, [report.form2_signature])

    form3 = book.create_sheet(SHEETS[2])
    _top(form3, report, "Form 3: Characteristic Accountability", (8, 18, 14, 36, 40, 18, 16, 24))
    if report.form3:
        _bold_row(form3, [f"{f.number} {f.name}" for f in report.form3[0].fields])
    for entry in report.form3:
        form3.append(_plain(form3, (f.value for f in entry.fields)))
    if report.form3_signature is not None:
        form3.append([])
        _fields(form3, [report.form3_signature])

    flat = book.create_sheet(SHEETS[3])
    _bold_row(flat, report.flat_columns)
    for r in report.flat_rows:
        flat.append(
            _plain(
                flat,
                (
                    r.serial,
                    r.char_no,
                    r.reference_location,
                    r.designator,
                    r.requirement,
                    r.result,
                    r.tooling,
                    r.nc_number,
                    r.comments,
                ),
            )
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
