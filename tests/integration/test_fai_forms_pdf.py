"""Forms 1, 2 and 3 as PDF, read back with pypdf: numbered fields, fields 1-4 on every page."""

from __future__ import annotations

import io
from decimal import Decimal

import plant
from pypdf import PdfReader

from firstarticle.domain import model
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.exports.report import DRAFT_MARK
from firstarticle.services import catalog, fai_export, first_articles
from firstarticle.services.catalog import CharacteristicSpec as Spec
from firstarticle.services.first_articles import ResultInput


def pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_the_pdf_carries_every_form1_field_and_the_signatures(ctx):
    p = plant.a_plant(ctx)
    fai_id = plant.an_fai(ctx, p).fai.id
    plant.approve(ctx, fai_id)
    exported = fai_export.export_forms(ctx, fai_id, "pdf")
    assert exported.media_type == "application/pdf"
    assert exported.file_name == "FAIR-WCH-2026-0001-forms.pdf"
    text = "\n".join(pages(exported.content))
    for number, name in [
        ("1", "Part Number"),
        ("4", "FAIR Identifier"),
        ("9", "Manufacturing Process Reference"),
        ("14", "Full / Partial FAI"),
        ("19", "Does FAIR Contain Documented Nonconformance(s)?"),
        ("20", "FAIR Verified By"),
        ("22", "FAIR Reviewed/Approved By"),
        ("26", "Comments"),
    ]:
        assert f"{number} {name}" in text or f"{number}\n{name}" in text, (number, name)
    assert "Q Verifier - 2026-11-20 14:00:00 UTC - Verified by" in text
    assert "Full FAI; Reason: New part" in text
    assert "25.00 ±0.05 mm" in text
    assert DRAFT_MARK not in text


def test_a_long_form3_spans_pages_each_headed_by_fields_1_to_4_and_the_draft_mark(ctx):
    p = plant.a_plant(ctx)
    catalog.add_characteristics(
        ctx,
        p.revision.id,
        "7A1234",
        [
            Spec(
                str(n),
                model.CharacteristicType.DIMENSIONAL,
                nominal=Decimal("10.0"),
                upper_tolerance=Decimal("0.1"),
                lower_tolerance=Decimal("-0.1"),
                units="mm",
            )
            for n in range(3, 123)
        ],
    )
    fai_id = plant.an_fai(ctx, p).fai.id
    first_articles.transition(ctx, fai_id, FaiAction.START)
    now = ctx.clock.now()
    first_articles.record_results(
        ctx,
        fai_id,
        [
            ResultInput(str(n), now, model.ResultSource.DEVICE_IMPORT, Decimal("10.02"), "mm")
            for n in range(3, 123)
        ],
    )
    text_of = pages(fai_export.export_forms(ctx, fai_id, "pdf", draft=True).content)
    assert len(text_of) >= 4
    for number, page in enumerate(text_of, start=1):
        assert DRAFT_MARK in page
        assert "1 Part Number: 7A1234-101" in page
        assert "4 FAIR Identifier: FAIR-WCH-2026-0001" in page
        assert "3 Serial Number: SN0001" in page
        assert f"page {number}/{len(text_of)}" in page
    everything = "\n".join(text_of)
    assert "122" in everything
    assert "SN0001: 10.02 mm" in everything


def test_rev_b_pdf_numbers_field_4_fair_number_and_signs_forms_2_and_3(ctx):
    p = plant.a_plant(ctx)
    fai_id = plant.an_fai(ctx, p).fai.id
    plant.approve(ctx, fai_id)
    text = "\n".join(pages(fai_export.export_forms(ctx, fai_id, "pdf", revision="B").content))
    assert "4 FAIR Number: FAIR-WCH-2026-0001" in text
    assert "FAI Complete; Q Verifier" in text
    assert "14/15" in text
    assert "12/13" in text
    assert "14 Additional Data / Comments" in text


def test_drawing_symbols_are_spelled_out_in_the_pdf():
    from firstarticle.exports.pdf import shown

    assert shown("⌖ ⌀1 Ⓜ | A") == "POS DIA 1 (M) | A"
    assert shown("25.00 ±0.05 mm") == "25.00 ±0.05 mm"
