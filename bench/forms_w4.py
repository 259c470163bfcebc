"""W4: the AS9102 forms of an assembly FAI with 5,000 characteristics as xlsx and pdf, against
openpyxl write-only of the same cells (goal: xlsx <= 1.5 x baseline); the PDF time and the
whole export through the service (database reads, readiness, signatures) are reported beside.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from bench.common import database_url, fresh_application, save, timed
from bench.readiness_w3 import build_assembly
from firstarticle.exports.pdf import render_pdf
from firstarticle.exports.xlsx import render_xlsx
from firstarticle.services import fai_export


def same_cells(xlsx: bytes) -> list[tuple[str, list[list[Any]]]]:
    """Every sheet's cell values, as the baseline writes them."""
    book = load_workbook(io.BytesIO(xlsx), read_only=True)
    sheets = [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in book]
    book.close()
    return sheets


def baseline_write(sheets: list[tuple[str, list[list[Any]]]]) -> bytes:
    """openpyxl write-only of the same cells, no styles."""
    book = Workbook(write_only=True)
    for title, rows in sheets:
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(n_chars: int = 5_000, repeat: int = 5) -> dict[str, Any]:
    """Build the FAI in a fresh database and report the ratios."""
    with tempfile.TemporaryDirectory() as tmp:
        app = fresh_application(database_url(Path(tmp) / "w4.db"))
        ctx = app.context("bench")
        fai_id = build_assembly(app, n_chars)
        snapshot = fai_export._snapshot(ctx, fai_id)
        report = fai_export._report(ctx, snapshot, None, draft=True)
        xlsx = render_xlsx(report)
        cells = same_cells(xlsx)
        xlsx_t = timed(lambda: render_xlsx(report), repeat)
        base_t = timed(lambda: baseline_write(cells), repeat)
        pdf_t = timed(lambda: render_pdf(report), max(1, repeat // 2))
        service_t = timed(
            lambda: fai_export.export_forms(ctx, fai_id, "xlsx", draft=True), max(1, repeat // 2)
        )
        figures = {
            "database": app.engine.dialect.name,
            "characteristics": n_chars,
            "cells": sum(len(r) for _, rows in cells for r in rows),
            "xlsx_s": xlsx_t.median,
            "baseline_s": base_t.median,
            "ratio": xlsx_t.median / base_t.median,
            "pdf_s": pdf_t.median,
            "service_xlsx_s": service_t.median,
            "pdf_pages": render_pdf(report).count(b"/Type /Page\n")
            or render_pdf(report).count(b"/Type /Page"),
        }
        app.engine.dispose()
    print(
        f"W4 {n_chars} characteristics: xlsx {figures['xlsx_s']:.3f} s, openpyxl write-only "
        f"of the same cells {figures['baseline_s']:.3f} s, ratio {figures['ratio']:.2f}x "
        f"(goal <= 1.5x); pdf {figures['pdf_s']:.3f} s; whole export through the service "
        f"{figures['service_xlsx_s']:.3f} s"
    )
    save("w4_forms", figures)
    return figures
