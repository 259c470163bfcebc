"""Forms 1, 2 and 3 exported as xlsx, read back with openpyxl: every field under its number."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import plant
import pytest
from forms_reading import numbered_fields, table, workbook

from firstarticle.demo import loader
from firstarticle.domain import model
from firstarticle.domain.access import Principal
from firstarticle.domain.classification import ExportRegime
from firstarticle.domain.errors import NotFoundError
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.readiness import Severity
from firstarticle.exports.report import DRAFT_MARK
from firstarticle.services import catalog, fai_export, first_articles
from firstarticle.services.first_articles import ResultInput

FORM1_C = [str(n) for n in range(1, 15)] + [str(n) for n in range(19, 27)]
FLAT_C = [
    "3 Serial Number",
    "5 Char No.",
    "6 Reference Location",
    "7 Designator",
    "8 Requirement",
    "9 Results",
    "10 Tooling",
    "11 NC Number",
    "12 Comments",
]


def _approved_detail(ctx):
    p = plant.a_plant(ctx)
    fai = plant.an_fai(ctx, p)
    plant.approve(ctx, fai.fai.id)
    return p, fai.fai.id


def test_a_detail_fai_shows_every_form1_field_under_its_rev_c_number(ctx):
    _, fai_id = _approved_detail(ctx)
    exported = fai_export.export_forms(ctx, fai_id, "xlsx")
    assert exported.file_name.endswith(".xlsx")
    book = workbook(exported.content)
    assert book.sheetnames == ["Form 1", "Form 2", "Form 3", "Form 3 flat"]
    form1 = numbered_fields(book["Form 1"])
    assert [n for n in FORM1_C if n not in form1] == []
    assert form1["1"] == ("Part Number", "7A1234-101")
    assert form1["4"] == ("FAIR Identifier", "FAIR-WCH-2026-0001")
    assert form1["5"][1] == "C"
    assert (form1["6"][1], form1["7"][1]) == ("7A1234", "C")
    assert form1["9"][1].startswith("WO WO-WCH-1")
    assert form1["11"][1] == "AP-1"
    assert form1["13"][1] == "Detail"
    assert form1["14"][1] == "Full FAI; Reason: New part"
    assert form1["19"] == ("Does FAIR Contain Documented Nonconformance(s)?", "No")
    verified = form1["20"][1]
    assert "Q Verifier" in verified
    assert "2026-11-20 14:00:00 UTC" in verified
    assert "Verified by" in verified
    assert "Q Manager" in form1["22"][1]
    assert "Reviewed/approved" in form1["22"][1]
    assert form1["21"][1] == "2026-11-20 14:00:00 UTC"
    assert DRAFT_MARK not in [c.value for c in next(book["Form 1"].iter_rows())]


def test_the_flat_form3_sheet_has_one_row_per_characteristic_and_serial(ctx):
    _, fai_id = _approved_detail(ctx)
    book = workbook(fai_export.export_forms(ctx, fai_id, "xlsx").content)
    header = next(book["Form 3 flat"].iter_rows(values_only=True))
    assert list(header) == FLAT_C
    rows = table(book["Form 3 flat"], "3 Serial Number")
    assert [(r["3 Serial Number"], r["5 Char No."], r["9 Results"]) for r in rows] == [
        ("SN0001", "1", "25.01 mm"),
        ("SN0001", "2", "ACCEPT"),
    ]
    assert rows[0]["6 Reference Location"] == "Sheet 1, Zone B2"
    assert rows[0]["7 Designator"] == "Key"
    assert rows[0]["8 Requirement"] == "25.00 ±0.05 mm"
    form3 = table(book["Form 3"], "5 Char No.")
    assert form3[0]["9 Results"] == "SN0001: 25.01 mm"


def test_a_nonconforming_result_is_listed_with_its_value_and_nc_number(ctx):
    p = plant.a_plant(ctx, serials=("SN0001", "SN0002"))
    fai = first_articles.create_first_article(
        ctx,
        work_order_id=p.work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
        serial_numbers=["SN0001", "SN0002"],
    )
    fai_id = fai.fai.id
    first_articles.transition(ctx, fai_id, FaiAction.START)
    now = ctx.clock.now()
    first_articles.record_results(
        ctx,
        fai_id,
        [
            ResultInput(
                "1",
                now,
                model.ResultSource.DEVICE_IMPORT,
                Decimal("25.01"),
                "mm",
                serial_number="SN0001",
            ),
            ResultInput(
                "1",
                now,
                model.ResultSource.DEVICE_IMPORT,
                Decimal("25.09"),
                "mm",
                serial_number="SN0002",
            ),
        ],
    )
    first_articles.link_nonconformance(
        ctx,
        fai_id,
        kind=model.NonconformanceKind.NONCONFORMANCE,
        number="NC-7781",
        balloons=["1"],
    )
    book = workbook(fai_export.export_forms(ctx, fai_id, "xlsx", draft=True).content)
    assert numbered_fields(book["Form 1"])["19"][1] == "Yes"
    rows = {
        (r["3 Serial Number"], r["5 Char No."]): r for r in table(book["Form 3 flat"], FLAT_C[0])
    }
    assert rows[("SN0002", "1")]["9 Results"] == "25.09 mm NONCONFORMING"
    assert rows[("SN0002", "1")]["11 NC Number"] == "NC-7781"
    assert rows[("SN0001", "1")]["9 Results"] == "25.01 mm"
    line = table(book["Form 3"], "5 Char No.")[0]
    assert line["9 Results"] == "SN0001: 25.01 mm; SN0002: 25.09 mm NONCONFORMING"
    assert line["11 Nonconformance Number"] == "NC-7781"


def test_a_blocking_finding_refuses_the_forms_but_a_draft_is_built_and_marked(ctx):
    p = plant.a_plant(ctx)
    fai_id = plant.an_fai(ctx, p).fai.id
    findings = fai_export.presubmission_check(ctx, fai_id)
    assert {"RESULT_MISSING", "SIGNATURE_MISSING"} <= {f.rule for f in findings}
    assert all(f.severity is Severity.BLOCKING for f in findings if f.rule == "SIGNATURE_MISSING")
    with pytest.raises(fai_export.SubmissionBlockedError) as refused:
        fai_export.export_forms(ctx, fai_id, "xlsx")
    assert refused.value.code == "submission_blocked"
    draft = fai_export.export_forms(ctx, fai_id, "xlsx", draft=True)
    assert "DRAFT" in draft.file_name
    book = workbook(draft.content)
    for sheet in ("Form 1", "Form 2", "Form 3"):
        assert next(book[sheet].iter_rows(values_only=True))[0] == DRAFT_MARK


def _assembly(ctx):
    return first_articles.create_first_article(
        ctx,
        work_order_id=plant.a_plant(ctx).work_order.id,
        fai_type=model.FaiType.ASSEMBLY,
        scope=model.FaiScope.FULL,
        reason="New assembly",
    )


def test_an_assembly_fai_lists_its_index_under_fields_15_to_18(ctx):
    fai = _assembly(ctx)
    first_articles.add_index_entry(
        ctx,
        fai.fai.id,
        part_number="7A1300-1",
        part_name="Bushing",
        part_type=model.IndexPartType.DETAIL,
        fair_identifier="FAIR-WCH-2026-0077",
    )
    first_articles.add_index_entry(
        ctx,
        fai.fai.id,
        part_number="FW-22",
        part_name="Firmware",
        part_type=model.IndexPartType.SOFTWARE,
        revision="4.1",
    )
    book = workbook(fai_export.export_forms(ctx, fai.fai.id, "xlsx", draft=True).content)
    assert numbered_fields(book["Form 1"])["13"][1] == "Assembly"
    index = table(book["Form 1"], "15 Part Number")
    assert index == [
        {
            "15 Part Number": "7A1300-1",
            "16 Part Name": "Bushing",
            "17 Part Type": "Detail",
            "18 FAIR Identifier": "FAIR-WCH-2026-0077",
        },
        {
            "15 Part Number": "FW-22",
            "16 Part Name": "Firmware",
            "17 Part Type": "Software rev 4.1",
            "18 FAIR Identifier": "",
        },
    ]


def test_a_partial_fai_names_its_baseline_and_reason_in_field_14(ctx):
    p = plant.a_plant(ctx)
    fai = first_articles.create_first_article(
        ctx,
        work_order_id=p.work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.PARTIAL,
        reason="Drawing change: tolerance of balloon 1",
        balloons=["1"],
        baseline_part_number="7A1234-101",
        baseline_part_revision="B",
        baseline_fair_identifier="FAIR-WCH-2025-0009",
    )
    book = workbook(fai_export.export_forms(ctx, fai.fai.id, "xlsx", draft=True).content)
    field14 = numbered_fields(book["Form 1"])["14"][1]
    assert field14.startswith("Partial FAI")
    assert "7A1234-101 rev B (FAIR-WCH-2025-0009)" in field14
    assert "Reason: Drawing change: tolerance of balloon 1" in field14
    assert [r["5 Char No."] for r in table(book["Form 3"], "5 Char No.")] == ["1"]


def test_rev_b_numbering_names_field_4_and_moves_the_signatures(ctx):
    _, fai_id = _approved_detail(ctx)
    book = workbook(fai_export.export_forms(ctx, fai_id, "xlsx", revision="B").content)
    form1 = numbered_fields(book["Form 1"])
    assert form1["4"] == ("FAIR Number", "FAIR-WCH-2026-0001")
    assert form1["19"][0].startswith("FAI Complete / Not Complete")
    assert form1["19"][1].startswith("FAI Complete; Q Verifier")
    assert form1["20"] == ("Date", "2026-11-20 14:00:00 UTC")
    assert form1["21"][0] == "Reviewed By"
    assert "Q Manager" in form1["21"][1]
    assert form1["23"][0] == "Customer Approval"
    assert "25" not in form1
    assert "26" not in form1
    assert "Q Verifier" in numbered_fields(book["Form 2"])["14/15"][1]
    assert "Q Verifier" in numbered_fields(book["Form 3"])["12/13"][1]
    header = next(book["Form 3 flat"].iter_rows(values_only=True))
    assert header[-1] == "14 Comments"
    assert table(book["Form 1"], "15 Part Number") == []
    assert "17 Part Serial Number" in next(
        r for r in book["Form 1"].iter_rows(values_only=True) if r[0] == "15 Part Number"
    )


def test_a_customer_reading_rev_b_gets_rev_b_without_asking(ctx):
    p, fai_id = _approved_detail(ctx)
    with ctx.uow_factory() as uow:
        customer = uow.customers.get(p.customer.id)
        customer.form_revision = model.FormRevision.B
        uow.commit()
    book = workbook(fai_export.export_forms(ctx, fai_id, "xlsx").content)
    assert numbered_fields(book["Form 1"])["4"][0] == "FAIR Number"
    book = workbook(fai_export.export_forms(ctx, fai_id, "xlsx", revision="C").content)
    assert numbered_fields(book["Form 1"])["4"][0] == "FAIR Identifier"


def test_form2_rows_show_fields_5_to_13(ctx):
    p = plant.a_plant(ctx)
    fai_id = plant.an_fai(ctx, p).fai.id
    first_articles.add_form2_row(
        ctx,
        fai_id,
        kind=model.Form2Kind.MATERIAL,
        name="Aluminium 7075-T7351 plate",
        specification="AMS 4078",
        supplier="Alu Mill Co",
        customer_approval=model.CustomerApprovalVerification.YES,
        certificate_number="MTR-5521",
    )
    first_articles.add_form2_row(
        ctx,
        fai_id,
        kind=model.Form2Kind.SPECIAL_PROCESS,
        name="Anodize",
        specification="MIL-A-8625 Type II Class 1",
        supplier="Coat Inc",
        customer_approval=model.CustomerApprovalVerification.NO,
        certificate_number="C-9",
    )
    book = workbook(fai_export.export_forms(ctx, fai_id, "xlsx", draft=True).content)
    rows = table(book["Form 2"], "5 Material or Process Name")
    assert rows[0]["6 Specification Number"] == "AMS 4078"
    assert rows[0]["9 Customer Approval Verification"] == "Yes"
    assert rows[0]["10 Certificate of Conformance Number"] == "MTR-5521"
    assert rows[1]["5 Material or Process Name"] == "Anodize"
    assert rows[1]["9 Customer Approval Verification"] == "No"
    rules = {f.rule for f in fai_export.presubmission_check(ctx, fai_id)}
    assert "FORM2_UNAPPROVED_SOURCE" in rules


def test_a_material_listed_in_the_form1_index_is_a_paperwork_finding(ctx):
    fai_id = _assembly(ctx).fai.id
    first_articles.add_form2_row(
        ctx, fai_id, kind=model.Form2Kind.MATERIAL, name="Al plate", specification="AMS 4078"
    )
    first_articles.add_index_entry(
        ctx,
        fai_id,
        part_number="AMS 4078",
        part_name="Al plate",
        part_type=model.IndexPartType.STANDARD_CATALOGUE,
    )
    rules = {f.rule for f in fai_export.presubmission_check(ctx, fai_id)}
    assert "FORM2_ITEM_ON_FORM1" in rules


def test_a_caller_who_may_not_receive_the_parts_technical_data_gets_no_forms(ctx):
    p, fai_id = _approved_detail(ctx)
    catalog.classify(ctx, p.part.id, regime=ExportRegime.ITAR, category="XIX", reason="USML")
    foreign = ctx.as_principal(replace(Principal.trusted("f.national"), authorizations=()))
    with pytest.raises(NotFoundError):
        fai_export.export_forms(foreign, fai_id, "xlsx", draft=True)
    assert fai_export.export_forms(ctx, fai_id, "xlsx").content


def test_the_demo_fai_from_the_qif_sample_says_what_the_file_says(ctx):
    """Part, drawing, supplier code, PO, and each characteristic's location, designator,
    result and NC number as QIF_Results_Sample.QIF states them."""
    qif = loader.read_packaged_qif("QIF_Results_Sample.QIF")
    site = catalog.create_site(ctx, code="TLS", name="Toulouse")
    customer = catalog.create_customer(ctx, code="HELIX", name="Helix")
    *_, fai_id = loader.qif_part(
        ctx, qif, site, customer, "X", "Housing, QIF sample", "WO-T1001", ctx.clock.now(), 1
    )
    book = workbook(fai_export.export_forms(ctx, fai_id, "xlsx", draft=True).content)
    form1 = numbered_fields(book["Form 1"])
    assert form1["1"][1] == qif.part_number == "QM_X_123456"
    assert form1["2"][1] == "Housing, QIF sample"  # the file names no part
    assert (form1["5"][1], form1["6"][1], form1["7"][1]) == ("1.02", "#1", "1.0.0")
    assert (form1["11"][1], form1["12"][1]) == ("North_Fab", "PO123456")
    assert form1["19"][1] == "Yes"
    rows = {r["5 Char No."]: r for r in table(book["Form 3 flat"], FLAT_C[0])}
    expected = {
        c.balloon: c
        for c in qif.characteristics
        if c.lower_limit is not None or c.upper_limit is not None
    }
    assert set(rows) == set(expected)
    first_actual = {}
    for a in qif.actuals:
        first_actual.setdefault(a.balloon, a)
    for balloon, c in expected.items():
        row, actual = rows[balloon], first_actual[balloon]
        assert row["6 Reference Location"] == f"Sheet {c.sheet}, Zone {c.zone}"
        assert row["7 Designator"] == (c.criticality or "").capitalize()
        # Shown at the drawing's precision, without the file's float noise (issue 17).
        value = row["9 Results"].split()[0]
        assert actual.value is not None
        assert abs(Decimal(value) - actual.value) <= Decimal("0.0005")
        assert len(value.partition(".")[2]) <= 6
        assert row["9 Results"].endswith("NONCONFORMING") == (actual.status == "FAIL")
        assert row["11 NC Number"] == (actual.nonconformance or "").replace("NA", "")
    assert {b for b, r in rows.items() if r["11 NC Number"]} == {"4", "6", "9"}
