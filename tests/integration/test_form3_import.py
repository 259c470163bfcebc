"""A flat Form 3 sheet imported as a characteristic list: round trip, refusals, bounds."""

from __future__ import annotations

import io
import re
import time
import zipfile

import plant
import pytest
from openpyxl import Workbook, load_workbook

from firstarticle.domain import model
from firstarticle.exports.form3_sheet import WorkbookError
from firstarticle.services import catalog, fai_export, form3_import
from firstarticle.services.catalog import CharacteristicSpec as Spec

HEADER = ["3 Serial Number", "5 Char No.", "6 Reference Location", "7 Designator", "8 Requirement"]


def sheet(*rows, header=HEADER) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = "Form 3 flat"
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def an_empty_revision(ctx, number="7B5000-1"):
    part = catalog.create_part(ctx, number=number, name="Bracket, copy")
    catalog.add_revision(ctx, part.id, revision="A", drawings=[catalog.DrawingSpec("7B5000", "A")])
    return {"part_number": number, "revision": "A"}


def shape(characteristics):
    return sorted(
        (
            c.balloon,
            c.ctype,
            c.requirement.text,
            c.requirement.nominal,
            c.requirement.lower_limit,
            c.requirement.upper_limit,
            c.requirement.units,
            c.sheet,
            c.zone,
            c.designator,
        )
        for c in characteristics
    )


def characteristics_of(ctx, target):
    revision = catalog.part_by_number(ctx, target["part_number"]).revision(target["revision"])
    return [c for d in revision.drawings for c in d.characteristics]


def test_our_own_flat_sheet_round_trips_to_the_same_characteristics(ctx):
    p = plant.a_plant(ctx, serials=("SN0001", "SN0002"))
    fai_id = plant.an_fai(ctx, p).fai.id
    exported = fai_export.export_forms(ctx, fai_id, "xlsx", draft=True).content
    target = an_empty_revision(ctx)
    report = form3_import.import_form3_sheet(ctx, **target, data=exported)
    assert (report.status, report.char_nos, report.issues) == ("imported", ["1", "2"], [])
    assert shape(characteristics_of(ctx, target)) == shape(
        characteristics_of(ctx, {"part_number": "7A1234-101", "revision": "C"})
    )


def test_one_sheet_row_per_serial_is_one_characteristic(ctx):
    target = an_empty_revision(ctx)
    data = sheet(
        ("SN1", "4", "Sheet 2, Zone C3", "Critical", "⌀10.0 +0.4/-0.2 mm"),
        ("SN2", "4", "Sheet 2, Zone C3", "Critical", "⌀10.0 +0.4/-0.2 mm"),
        ("SN1", "5", "", "", "9.6 - 10.4 mm"),
        ("SN1", "6", "Zone A1", "", "12 in max"),
    )
    report = form3_import.import_form3_sheet(ctx, **target, data=data)
    assert report.status == "imported"
    by_balloon = {c.balloon: c for c in characteristics_of(ctx, target)}
    assert set(by_balloon) == {"4", "5", "6"}
    four = by_balloon["4"].requirement
    assert (str(four.lower_limit), str(four.upper_limit), four.units) == ("9.8", "10.4", "mm")
    assert str(by_balloon["6"].requirement.upper_limit) == "12"
    assert by_balloon["6"].zone == "A1"


@pytest.mark.parametrize(
    ("rows", "code"),
    [
        ((("", "7", "", "", "Deburr"), ("", "7", "", "", "Break edges")), "char_no_duplicate"),
        ((("", "7", "", "", "Deburr"), ("", "8", "", "", "")), "requirement_missing"),
        ((("", "7", "", "", '=HYPERLINK("http://x.example","Deburr")'),), "formula_refused"),
        ((("", "7", "", "Important", "Deburr"),), "designator_unknown"),
    ],
)
def test_a_bad_row_refuses_the_sheet_names_the_row_and_writes_nothing(ctx, rows, code):
    target = an_empty_revision(ctx)
    report = form3_import.import_form3_sheet(ctx, **target, data=sheet(*rows))
    assert report.status == "refused"
    assert code in {i.code for i in report.issues}
    assert all(i.row >= 2 for i in report.issues)
    assert characteristics_of(ctx, target) == []


def test_a_char_no_already_on_the_drawing_is_refused_not_overwritten(ctx):
    target = an_empty_revision(ctx)
    form3_import.import_form3_sheet(ctx, **target, data=sheet(("", "1", "", "", "Deburr")))
    again = form3_import.import_form3_sheet(
        ctx, **target, data=sheet(("", "1", "", "", "Paint"), ("", "2", "", "", "Mark"))
    )
    assert (again.status, [i.code for i in again.issues]) == ("refused", ["char_no_exists"])
    assert [c.requirement.text for c in characteristics_of(ctx, target)] == ["Deburr"]


def test_a_sheet_without_the_numbered_columns_or_not_a_workbook_is_refused(ctx):
    target = an_empty_revision(ctx)
    report = form3_import.import_form3_sheet(
        ctx, **target, data=sheet(("1", "x"), header=["Balloon", "Spec"])
    )
    assert [i.code for i in report.issues] == ["column_missing"]
    with pytest.raises(WorkbookError) as refused:
        form3_import.import_form3_sheet(ctx, **target, data=b"balloon,requirement\n1,x\n")
    assert refused.value.code == "invalid_workbook"


def many_rows(count: int) -> bytes:
    """A workbook of ``count`` rows under the header, its sheet XML written directly (fast)."""
    base = zipfile.ZipFile(io.BytesIO(sheet()))
    name = next(n for n in base.namelist() if n.startswith("xl/worksheets/"))
    rows = "".join(
        f'<row r="{n}"><c r="B{n}" t="inlineStr"><is><t>{n}</t></is></c>'
        f'<c r="E{n}" t="inlineStr"><is><t>Deburr</t></is></c></row>'
        for n in range(2, count + 2)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in base.infolist():
            content = base.read(info)
            if info.filename == name:
                content = content.replace(b"</sheetData>", rows.encode() + b"</sheetData>")
                content = re.sub(rb"<dimension [^>]*/>", b"", content)
            target.writestr(info.filename, content)
    return out.getvalue()


def test_a_sheet_of_100000_rows_is_refused_without_reading_it_all(ctx):
    target = an_empty_revision(ctx)
    data = many_rows(100_000)
    started = time.monotonic()
    report = form3_import.import_form3_sheet(ctx, **target, data=data)
    assert [i.code for i in report.issues] == ["too_many_rows"]
    assert report.rows == form3_import.MAX_ROWS + 2  # the header, the bound, one past it
    assert time.monotonic() - started < 30
    assert characteristics_of(ctx, target) == []


def test_a_requirement_that_looks_like_a_formula_is_exported_as_text_and_reads_back(ctx):
    p = plant.a_plant(ctx)
    text = '=HYPERLINK("http://x.example","spec")'
    catalog.add_characteristics(
        ctx, p.revision.id, "7A1234", [Spec("3", model.CharacteristicType.NOTE, requirement=text)]
    )
    exported = fai_export.export_forms(ctx, plant.an_fai(ctx, p).fai.id, "xlsx", draft=True)
    flat = load_workbook(io.BytesIO(exported.content))["Form 3 flat"]
    cell = next(c for row in flat.iter_rows() for c in row if c.value == text)
    assert cell.data_type == "s"
    target = an_empty_revision(ctx)
    report = form3_import.import_form3_sheet(ctx, **target, data=exported.content)
    assert report.status == "imported"
    assert text in [c.requirement.text for c in characteristics_of(ctx, target)]
