"""The report as a paginated PDF (fpdf2, pure Python): fields 1-4 head every page, text stays
extractable, a draft says so on every page.

The PDF uses the standard Helvetica font, so no font file is needed anywhere; characters it
cannot show (drawing symbols such as ⌀ or ⌖) are spelled out ("DIA", "POS"). The xlsx keeps
them exactly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fpdf import FPDF
from fpdf.fonts import FontFace

from firstarticle.exports.report import DRAFT_MARK, FairReport, Field

PDF_MEDIA_TYPE = "application/pdf"
SPELLED = {
    "—": "-",
    "–": "-",
    "’": "'",
    "“": '"',
    "”": '"',
    "⌀": "DIA ",
    "⌖": "POS ",
    "⌓": "PROFILE ",
    "⌒": "PROFILE ",
    "⏥": "FLAT ",
    "⊥": "PERP ",
    "∠": "ANG ",
    "∥": "PAR ",
    "◎": "CONC ",
    "⌭": "CYL ",
    "○": "CIRC ",
    "↗": "RUNOUT ",
    "⌰": "TOTAL RUNOUT ",
    "Ⓜ": "(M)",
    "Ⓛ": "(L)",
    "Ⓤ": "(U)",
    "Ⓟ": "(P)",
    "Ⓕ": "(F)",
    "Ⓢ": "(S)",
    "Ⓣ": "(T)",
    "≤": "<=",
    "≥": ">=",
}
_TABLE = str.maketrans(SPELLED)
_HEADING = FontFace(emphasis="BOLD", fill_color=(225, 225, 225))


def shown(text: str) -> str:
    """``text`` in the characters the PDF font has: symbols spelled, others as "?"."""
    spelled = re.sub(r"(?<=\S)  +", " ", text.translate(_TABLE))
    return spelled.encode("latin-1", "replace").decode("latin-1")


class _FormsPdf(FPDF):
    def __init__(self, report: FairReport) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.report = report
        self.form_title = ""
        self.set_auto_page_break(auto=True, margin=14)
        self.set_title(shown(f"AS9102 FAIR {report.fair_identifier}"))
        self.set_creator("firstarticle")
        self.alias_nb_pages()

    def header(self) -> None:
        r = self.report
        if r.draft:
            self.set_font("Helvetica", "B", 14)
            self.set_text_color(192, 0, 0)
            self.cell(0, 7, DRAFT_MARK, new_x="LMARGIN", new_y="NEXT", align="C")
            self.set_text_color(0, 0, 0)
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 6, shown(f"AS9102 Rev {r.revision.value} - {self.form_title}"))
        self.ln(6)
        self.set_font("Helvetica", "", 8)
        line = "   ".join(f"{f.number} {f.name}: {f.value}" for f in r.header)
        self.multi_cell(0, 4, shown(line), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("Helvetica", "", 7)
        mark = " - DRAFT" if self.report.draft else ""
        self.cell(
            0,
            5,
            f"{self.report.fair_identifier}{mark} - content SHA-256 "
            f"{self.report.content_sha256} - page {self.page_no()}/{{nb}}",
            align="C",
        )

    def form(self, title: str) -> None:
        self.form_title = title
        self.add_page()

    def fields(self, fields: Sequence[Field]) -> None:
        self.set_font("Helvetica", "", 8)
        with self.table(
            col_widths=(12, 70, 185), headings_style=_HEADING, line_height=4.5
        ) as table:
            table.row(("No.", "Field", "Value"))
            for f in fields:
                table.row((f.number, shown(f.name), shown(f.value)))

    def rows(self, headings: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.set_font("Helvetica", "", 7)
        with self.table(headings_style=_HEADING, line_height=3.8) as table:
            table.row([shown(h) for h in headings])
            for row in rows:
                table.row([shown(v) for v in row])
        self.ln(2)


def render_pdf(report: FairReport) -> bytes:
    """The PDF's bytes: Form 1 (with the index and the signatures), Form 2, Form 3."""
    pdf = _FormsPdf(report)
    pdf.form("Form 1: Part Number Accountability")
    pdf.fields(report.form1[:10])
    pdf.ln(2)
    if report.index:
        pdf.rows(
            [f"{f.number} {f.name}" for f in report.index_names],
            [(i.part_number, i.part_name, i.part_type, i.fair_identifier) for i in report.index],
        )
    else:
        pdf.fields([Field(f"{report.index_names[0].number}-18", "Index", "none (not an assembly)")])
        pdf.ln(2)
    pdf.fields(report.form1[10:])
    pdf.ln(2)
    pdf.rows(
        ["Signatures: printed name - date and time with zone - meaning"],
        [(s,) for s in report.signatures] or [("none",)],
    )

    pdf.form("Form 2: Product Accountability")
    if report.form2:
        pdf.rows(
            [f"{f.number} {f.name}" for f in report.form2[0].fields],
            [[f.value for f in line.fields] for line in report.form2],
        )
    else:
        pdf.rows(["5-13"], [("No materials, special processes or functional tests recorded.",)])
    if report.form2_signature is not None:
        pdf.fields([report.form2_signature])

    pdf.form("Form 3: Characteristic Accountability")
    if report.form3:
        pdf.rows(
            [f"{f.number} {f.name}" for f in report.form3[0].fields],
            [[f.value for f in entry.fields] for entry in report.form3],
        )
    if report.form3_signature is not None:
        pdf.fields([report.form3_signature])
    return bytes(pdf.output())
