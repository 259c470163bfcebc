"""Fidelity to the files plants send (issue 17): what a results or characteristics file states
is carried, compared or refused, never bent.

Each FAI here is built the way a plant builds it: the characteristic list imported from a QIF
file, the results imported from a QIF file. Expected counts are read from the raw files with a
few lines of lxml, independently of the readers under test.
"""

from __future__ import annotations

import io
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from lxml import etree
from plant import as_

from firstarticle.domain import model
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.integrations.inspection.qif import read_qif_results, validate_qif
from firstarticle.services import ServiceContext, catalog, fai_results, first_articles, orders
from firstarticle.services.characteristic_import import QifImportError, import_characteristics
from firstarticle.services.result_export import export_results_qif
from firstarticle.services.result_import import ResultImportRefusedError, import_results

Q = "{http://qifstandards.org/xsd/qif3}"
NS = {"q": Q[1:-1]}
RESULTS_SAMPLE = "Results/QIF_Results_Sample.QIF"


@pytest.fixture
def samples(shared_data: Path) -> Path:
    return shared_data / "qif" / "samples"


def fai_from_file(
    ctx: ServiceContext, path: Path, code: str = "Q", *, characteristics: bool = True
) -> str:
    """An FAI whose characteristics were imported from ``path`` itself (with
    ``characteristics``; else none), in progress."""
    qif = read_qif_results(path)
    site = catalog.create_site(ctx, code=code, name=f"Plant {code}")
    customer = catalog.create_customer(ctx, code=f"C{code}", name="Prime")
    number = qif.part_number or f"P-{path.stem}"[:60]
    part = catalog.create_part(ctx, number=number, name=qif.part_name or path.stem)
    rev = qif.part_revision or "A"
    revision = catalog.add_revision(
        ctx,
        part.id,
        revision=rev,
        drawings=[
            catalog.DrawingSpec(qif.drawing_number or f"{number}-DWG", qif.drawing_revision or rev)
        ],
    )
    if characteristics:
        import_characteristics(ctx, part_number=number, revision=rev, file=path)
    serials = list(qif.serials) or [f"{code}-S1"]
    work_order = orders.create_work_order(
        ctx,
        site_id=site.id,
        number=f"WO-{code}",
        part_revision_id=revision.id,
        quantity=len(serials),
        customer_id=customer.id,
        serial_numbers=serials,
    )
    detail = first_articles.create_first_article(
        ctx,
        work_order_id=work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
        serial_numbers=serials,
    )
    first_articles.transition(ctx, detail.fai.id, FaiAction.START)
    return detail.fai.id


def verdicts(ctx: ServiceContext, fai_id: str) -> dict[str, list[str]]:
    """Balloon -> the computed conformance of each result on Form 3."""
    detail = first_articles.get_first_article(ctx, fai_id)
    return {
        line.char_no: [r.conformance.value for r in line.results]
        for line in detail.form3
        if line.results
    }


def in_inches(path: Path) -> bytes:
    """The mm file rewritten in inches: FileUnits says inch, every linear number / 25.4."""
    tree = etree.parse(str(path))
    unit = tree.find(f".//{Q}FileUnits/{Q}PrimaryUnits/{Q}LinearUnit/{Q}UnitName")
    assert unit is not None
    assert unit.text == "mm"
    unit.text = "inch"
    for tag in ("TargetValue", "MaxValue", "MinValue", "ToleranceValue", "OuterDisposition"):
        for element in tree.iter(Q + tag):
            element.text = _inch(element.text)
    for element in tree.iter(Q + "Value"):
        parent = element.getparent()
        if parent is not None and "Angle" not in str(parent.tag):
            element.text = _inch(element.text)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _inch(text: str | None) -> str:
    with localcontext() as context:
        context.prec = 40
        return format(Decimal(text or "0") / Decimal("25.4"), "f")


# --- 1. units ----------------------------------------------------------------------------------


def test_an_inch_results_file_gives_the_same_verdicts_as_the_mm_file(
    ctx: ServiceContext, samples: Path
) -> None:
    """QIF_Results_Sample in inches against its own mm characteristics: no flip, no warning
    about limits (the file states our limits in inches), values recorded in mm exactly."""
    path = samples / RESULTS_SAMPLE
    mm_fai = fai_from_file(ctx, path, "MM")
    as_mm = import_results(as_(ctx, "cmm"), mm_fai, path)
    in_fai = fai_from_file_again(ctx, path, mm_fai)
    as_in = import_results(as_(ctx, "cmm"), in_fai, io.BytesIO(in_inches(path)), name="in.qif")
    assert as_in.status == as_mm.status == "imported"
    assert as_in.nonconforming == as_mm.nonconforming == 3
    assert verdicts(ctx, in_fai) == verdicts(ctx, mm_fai)
    assert [w.message for w in as_in.warnings if w.code == "requirement_differs"] == []
    line = next(
        li for li in first_articles.get_first_article(ctx, in_fai).form3 if li.char_no == "6"
    )
    (result,) = line.results
    assert result.units == "mm"  # inch to mm is exact (x 25.4): recorded in drawing units
    mm_line = next(
        li for li in first_articles.get_first_article(ctx, mm_fai).form3 if li.char_no == "6"
    )
    assert abs(result.value - mm_line.results[0].value) < Decimal("1e-30")  # type: ignore[operator]


def fai_from_file_again(
    ctx: ServiceContext, path: Path, first_fai: str, site: str | None = None, **form1: str
) -> str:
    """A second FAI on the same revision (a new work order and serial; at a new site named
    ``site`` if given), with the given Form 1 facts."""
    fai = first_articles.get_first_article(ctx, first_fai).fai
    site_id = fai.site_id
    if site is not None:
        site_id = catalog.create_site(ctx, code="S2", name=site).id
    work_order = orders.create_work_order(
        ctx,
        site_id=site_id,
        number="WO-AGAIN",
        part_revision_id=fai.part_revision_id,
        quantity=1,
        customer_id=orders.get_work_order(ctx, fai.work_order_id).customer_id,
        serial_numbers=["AGAIN-S1"],
    )
    detail = first_articles.create_first_article(
        ctx,
        work_order_id=work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="Again",
        serial_numbers=["AGAIN-S1"],
        **form1,
    )
    first_articles.transition(ctx, detail.fai.id, FaiAction.START)
    return detail.fai.id


def test_a_value_with_its_own_unit_attribute_is_read_in_that_unit(
    ctx: ServiceContext, samples: Path
) -> None:
    """A measured value written <Value linearUnit="inch"> in an mm file is an inch value."""
    path = samples / RESULTS_SAMPLE
    fai_id = fai_from_file(ctx, path)
    tree = etree.parse(str(path))
    # Balloon 6 (item 50, ⌀10 ±0.4 mm): written as 0.40 inch (10.16 mm, inside).
    value = tree.xpath(
        ".//q:DiameterCharacteristicMeasurement[q:CharacteristicItemId='50']/q:Value",
        namespaces=NS,
    )[0]
    value.text, value.attrib["linearUnit"] = "0.40", "inch"
    primary = tree.find(f".//{Q}FileUnits/{Q}PrimaryUnits")
    assert primary is not None
    primary.addnext(
        etree.fromstring(
            f'<OtherUnits xmlns="{Q[1:-1]}" n="1"><LinearUnit><SIUnitName>meter</SIUnitName>'
            "<UnitName>inch</UnitName><UnitConversion><Factor>0.0254</Factor></UnitConversion>"
            "</LinearUnit></OtherUnits>"
        )
    )
    data = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    import_results(ctx, fai_id, io.BytesIO(data), name="attr.qif")
    line = next(
        li for li in first_articles.get_first_article(ctx, fai_id).form3 if li.char_no == "6"
    )
    (result,) = line.results
    assert (result.value, result.units, result.conformance.value) == (
        Decimal("10.160"),
        "mm",
        "conforming",
    )


def test_a_value_in_a_unit_that_cannot_be_compared_is_refused_not_guessed(
    ctx: ServiceContext, samples: Path
) -> None:
    """A length in furlongs is no unit firstarticle converts: units_incomparable, nothing
    written."""
    path = samples / RESULTS_SAMPLE
    fai_id = fai_from_file(ctx, path)
    data = path.read_bytes().replace(b"<UnitName>mm</UnitName>", b"<UnitName>furlong</UnitName>")
    with pytest.raises(ResultImportRefusedError) as refused:
        import_results(ctx, fai_id, io.BytesIO(data), name="furlong.qif")
    assert "units_incomparable" in {i.code for i in refused.value.report.refused}
    assert verdicts(ctx, fai_id) == {}


# --- 2. balloons ---------------------------------------------------------------------------------


def test_a_results_files_own_results_match_its_own_characteristics(
    ctx: ServiceContext, samples: Path
) -> None:
    """testPython30 gives its items no designator: both imports number them alike (1-7), so
    each of the file's 7 measurements finds its characteristic."""
    path = samples / "Results/testPython30.qif"
    measured = len(
        etree.parse(str(path)).xpath(
            "//q:CharacteristicMeasurements/*[q:CharacteristicItemId]", namespaces=NS
        )
    )
    fai_id = fai_from_file(ctx, path)
    report = import_results(ctx, fai_id, path)
    assert report.status == "imported"
    assert report.results_recorded == measured == 7
    assert sorted(verdicts(ctx, fai_id), key=int) == [str(n) for n in range(1, 8)]


# --- 3. basic and reference dimensions ----------------------------------------------------------


def test_basic_and_reference_dimensions_are_form3_lines_that_need_no_result(
    ctx: ServiceContext, samples: Path
) -> None:
    """QIF_Results_Sample: balloon 1 (a coordinate of criticality REF) and balloon 10 (⌀30 SET)
    are on Form 3 as REF and BASIC; the file's BASIC_OR_TED rows for them are skipped and no
    readiness finding names them."""
    path = samples / RESULTS_SAMPLE
    basic_rows = len(
        etree.parse(str(path)).xpath(
            "//q:CharacteristicMeasurements/*[q:Status/q:CharacteristicStatusEnum='BASIC_OR_TED']",
            namespaces=NS,
        )
    )
    fai_id = fai_from_file(ctx, path)
    report = import_results(ctx, fai_id, path)
    assert report.rows_skipped == basic_rows == 2
    lines = {li.char_no: li for li in first_articles.get_first_article(ctx, fai_id).form3}
    assert (lines["1"].designator, lines["1"].results) == ("ref", ())
    assert (lines["10"].designator, lines["10"].results) == ("basic", ())
    findings = first_articles.evaluate_readiness(ctx, fai_id)
    named = {ref.label for f in findings for ref in f.records}
    assert not named & {"balloon 1", "balloon 10"}
    assert "RESULT_MISSING" not in {f.rule for f in findings}


# --- 4. NC numbers and tooling ------------------------------------------------------------------


def stated_ncs(path: Path) -> dict[str, set[str]]:
    """Balloon (the item's designator) -> NC numbers the file's measurements state (not NA)."""
    tree = etree.parse(str(path))
    balloon = {
        item.get("id"): item.findtext("q:CharacteristicDesignator/q:Designator", namespaces=NS)
        for item in tree.xpath("//q:CharacteristicItems/*", namespaces=NS)
    }
    out: dict[str, set[str]] = {}
    for m in tree.xpath("//q:CharacteristicMeasurements/*", namespaces=NS):
        nc = m.findtext("q:NonConformanceDesignator", namespaces=NS)
        if nc and nc != "NA":
            item = m.findtext("q:CharacteristicItemId", namespaces=NS)
            out.setdefault(str(balloon[item]), set()).add(nc)
    return out


def test_the_nc_number_a_file_states_is_on_form3_field_11_and_the_device_is_offered(
    ctx: ServiceContext, samples: Path
) -> None:
    """QIF_Results_Sample names NC 1234 for balloons 4, 6 and 9: Form 3 shows it before
    anyone links it (readiness still asks for the link); the CMM is offered as tooling."""
    path = samples / RESULTS_SAMPLE
    expected = stated_ncs(path)
    assert expected == {"4": {"1234"}, "6": {"1234"}, "9": {"1234"}}
    fai_id = fai_from_file(ctx, path)
    import_results(ctx, fai_id, path)
    lines = {li.char_no: li for li in first_articles.get_first_article(ctx, fai_id).form3}
    shown = {
        no: set(li.nonconformance_numbers) for no, li in lines.items() if li.nonconformance_numbers
    }
    assert shown == expected
    assert lines["6"].tooling is None  # field 10 is a person's to confirm
    assert lines["6"].tooling_offered == ("CMM",)
    rules = {f.rule for f in first_articles.evaluate_readiness(ctx, fai_id)}
    assert "RESULT_NONCONFORMING_WITHOUT_NC" in rules


# --- 5. files that match nothing; whole-part verdicts -------------------------------------------


def test_a_file_that_matches_no_characteristic_is_refused_with_a_message(
    ctx: ServiceContext, samples: Path
) -> None:
    """The mitutoyo sample states only a whole-part PASS for SN#1234-56789: refused
    (no_results_matched), its verdict reported, nothing written."""
    path = samples / "Results/mitutoyo_results_serialized_pass_fail_sample.QIF"
    tree = etree.parse(str(path))
    assert tree.xpath("count(//q:CharacteristicMeasurements/*)", namespaces=NS) == 0
    fai_id = fai_from_file(ctx, samples / RESULTS_SAMPLE)
    with pytest.raises(ResultImportRefusedError, match="states no result for any") as refused:
        import_results(ctx, fai_id, path)
    report = refused.value.report
    assert [i.code for i in report.refused] == ["no_results_matched"]
    assert "whole-part verdict" in refused.value.message
    verdicts_stated = [w.message for w in report.warnings if w.code == "part_verdict"]
    (verdict,) = verdicts_stated
    assert "PASS for serial SN#1234-56789" in verdict
    assert verdicts(ctx, fai_id) == {}


def test_a_whole_part_verdict_is_reported_and_a_disagreeing_one_is_flagged(
    ctx: ServiceContext, samples: Path
) -> None:
    """QIF_Results_Sample states FAIL for the part (its block and its component): reported
    once; the same file saying PASS while three results fail is flagged as disagreeing."""
    path = samples / RESULTS_SAMPLE
    stated = etree.parse(str(path)).xpath("//q:InspectionStatusEnum/text()", namespaces=NS)
    assert stated == ["FAIL", "FAIL"]
    fai_id = fai_from_file(ctx, path)
    as_is = import_results(ctx, fai_id, path, dry_run=True)
    (verdict,) = [w.message for w in as_is.warnings if w.code == "part_verdict"]
    assert "whole-part verdict FAIL for the part" in verdict
    assert "part_verdict_disagrees" not in {w.code for w in as_is.warnings}
    data = path.read_bytes().replace(
        b"<InspectionStatusEnum>FAIL</InspectionStatusEnum>",
        b"<InspectionStatusEnum>PASS</InspectionStatusEnum>",
    )
    report = import_results(ctx, fai_id, io.BytesIO(data), name="verdict.qif")
    codes = [w.code for w in report.warnings]
    assert (codes.count("part_verdict"), codes.count("part_verdict_disagrees")) == (1, 1)
    assert report.nonconforming == 3


# --- 6. precision --------------------------------------------------------------------------------


def test_form3_shows_a_result_at_the_drawings_precision_and_stores_it_exactly(
    ctx: ServiceContext, samples: Path
) -> None:
    """QIF_Results_Sample measures balloon 2 (Y 774.270 ±0.2 mm) as 774.30999999999995."""
    path = samples / RESULTS_SAMPLE
    (raw,) = etree.parse(str(path)).xpath(
        "//q:CharacteristicMeasurements/*[q:CharacteristicItemId='29']/q:Value/text()",
        namespaces=NS,
    )
    fai_id = fai_from_file(ctx, path)
    import_results(ctx, fai_id, path)
    line = next(
        li for li in first_articles.get_first_article(ctx, fai_id).form3 if li.char_no == "2"
    )
    assert line.requirement == "Y 774.270 ±0.2 mm"
    (result,) = line.results
    assert result.value == Decimal(raw) == Decimal("774.30999999999995")
    assert result.shown_value == "774.310"


# --- 7. every sample file ------------------------------------------------------------------------

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "qif" / "samples"


def _every_sample() -> list[str]:
    if not SAMPLES.is_dir():
        return ["(samples absent)"]
    return sorted(
        str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*") if p.suffix.lower() == ".qif"
    )


def characteristics_stated(tree: etree._ElementTree) -> int:
    """Items, plus nominals no item refers to (a model has nominals only)."""
    items = tree.xpath("//q:CharacteristicItems/*", namespaces=NS)
    used = {i.findtext("q:CharacteristicNominalId", namespaces=NS) for i in items}
    nominals = tree.xpath("//q:CharacteristicNominals/*/@id", namespaces=NS)
    return len(items) + sum(1 for n in nominals if n not in used)


def results_stated(tree: etree._ElementTree) -> tuple[int, int]:
    """(measured (item, serial) pairs that are results, those the file says FAIL for)."""
    serial_of = {
        c.get("id"): (c.findtext("q:SerialNumber", namespaces=NS) or "").strip()
        for c in tree.xpath("//q:ActualComponent", namespaces=NS)
    }
    pairs: dict[tuple[str, str | None], set[str]] = {}
    for block in tree.xpath("//q:MeasurementResults", namespaces=NS):
        ids = [i.strip() for i in block.xpath("q:ActualComponentIds/q:Id/text()", namespaces=NS)]
        block_serial = next((serial_of[i] for i in ids if serial_of.get(i)), None)
        for m in block.xpath(
            "q:MeasuredCharacteristics/q:CharacteristicMeasurements/*", namespaces=NS
        ):
            own = (m.findtext("q:ActualComponentId", namespaces=NS) or "").strip()
            serial = serial_of.get(own) if own else block_serial
            item = (m.findtext("q:CharacteristicItemId", namespaces=NS) or "").strip()
            status = m.findtext("q:Status/q:CharacteristicStatusEnum", namespaces=NS) or ""
            pairs.setdefault((item, serial), set()).add(status.strip())
    results = {k: v for k, v in pairs.items() if v != {"BASIC_OR_TED"}}
    return len(results), sum("FAIL" in v for v in results.values())


@pytest.mark.parametrize("name", _every_sample())
def test_every_sample_file_is_imported_or_refused_as_it_states(
    ctx: ServiceContext, name: str
) -> None:
    """Characteristics, then the file's own results: accepted with the counts an lxml reading
    of the file gives, or refused with the reason."""
    if not SAMPLES.is_dir():
        pytest.skip("QIF samples absent (checkout without ../shared)")
    path = SAMPLES / name
    tree = etree.parse(str(path))
    stated = characteristics_stated(tree)
    has_units = bool(tree.xpath("//q:FileUnits", namespaces=NS))
    number, rev = f"S-{path.stem}"[:60], "A"
    part = catalog.create_part(ctx, number=number, name=path.stem)
    catalog.add_revision(ctx, part.id, revision=rev, drawings=[catalog.DrawingSpec("D", "A")])
    if stated == 0:
        with pytest.raises(QifImportError, match="defines no characteristics"):
            import_characteristics(ctx, part_number=number, revision=rev, file=path)
    elif not has_units:
        with pytest.raises(QifImportError, match="states no units"):
            import_characteristics(ctx, part_number=number, revision=rev, file=path)
    else:
        summary = import_characteristics(ctx, part_number=number, revision=rev, file=path)
        assert summary.created == stated
    fai_id = fai_from_file(ctx, path, "R", characteristics=stated > 0 and has_units)
    results, failing = results_stated(tree)
    if results == 0:
        with pytest.raises(ResultImportRefusedError, match="states no result for any") as e:
            import_results(ctx, fai_id, path)
        assert [i.code for i in e.value.report.refused] == ["no_results_matched"]
        return
    report = import_results(ctx, fai_id, path)
    assert report.status == "imported"
    assert report.results_recorded == results
    assert report.stated_fail == failing


# --- header facts ---------------------------------------------------------------------------------


def test_the_files_header_facts_are_compared_with_form1(ctx: ServiceContext, samples: Path) -> None:
    """QIF_Results_Sample states report QIF 1, Origin International, North_Fab, PO123456:
    each one Form 1 does not say is a warning; an FAI that says the same gets none."""
    path = samples / RESULTS_SAMPLE
    tree = etree.parse(str(path))
    header = {
        tag: tree.xpath(f"string(//q:PreInspectionTraceability/{tag})", namespaces=NS)
        for tag in ("q:ReportNumber", "q:InspectingOrganization/q:Name", "q:SupplierCode")
    }
    assert set(header.values()) == {"QIF 1", "Origin International", "North_Fab"}
    other = fai_from_file(ctx, path, "OT")
    differs = [
        w.message
        for w in import_results(ctx, other, path, dry_run=True).warnings
        if w.code == "header_differs"
    ]
    assert len(differs) == 4
    assert any("'North_Fab'" in m and "field 11" in m for m in differs)
    same = fai_from_file_again(
        ctx,
        path,
        other,
        site="Origin International",
        fair_identifier="QIF 1",
        supplier_code="North_Fab",
        purchase_order="PO123456",
    )
    report = import_results(ctx, same, path, dry_run=True)
    assert "header_differs" not in {w.code for w in report.warnings}


# --- file verdict against computed verdict -------------------------------------------------------


def test_a_file_verdict_that_disagrees_blocks_readiness_until_a_person_resolves_it(
    ctx: ServiceContext, samples: Path
) -> None:
    """Sheet metal sample 3 says PASS for a profile at -0.500113560341811 against ±0.5: the
    computed verdict (nonconforming) counts, and readiness names the disagreement until a
    person resolves it with a reason."""
    path = samples / "Results/Sheet_Metal/SheetMetal_QIF_Results_sample_3.QIF"
    (stated,) = etree.parse(str(path)).xpath(
        "//q:CharacteristicMeasurements/*[q:Value='-0.500113560341811']"
        "/q:Status/q:CharacteristicStatusEnum/text()",
        namespaces=NS,
    )
    assert stated == "PASS"
    fai_id = fai_from_file(ctx, path)
    report = import_results(ctx, fai_id, path)
    disagreeing = [w for w in report.warnings if w.code == "status_disagrees"]
    assert len(disagreeing) == 1
    findings = [
        f
        for f in first_articles.evaluate_readiness(ctx, fai_id)
        if f.rule == "RESULT_VERDICT_DISAGREES"
    ]
    assert len(findings) == 1
    assert "says PASS" in findings[0].message
    assert "nonconforming" in findings[0].message
    result_id = next(r.id for r in findings[0].records if r.type == "inspection_result")
    fai_results.resolve_verdict_disagreement(
        ctx, fai_id, result_id, "Profile point on the trimmed edge; NC raised"
    )
    rules = {f.rule for f in first_articles.evaluate_readiness(ctx, fai_id)}
    assert "RESULT_VERDICT_DISAGREES" not in rules
    assert "RESULT_NONCONFORMING_WITHOUT_NC" in rules  # the computed verdict still counts


def test_the_qif_export_carries_the_nc_numbers_the_file_stated_and_validates(
    ctx: ServiceContext, samples: Path
) -> None:
    """QIF_Results_Sample imported then exported: schema-valid, and balloons 4, 6 and 9 carry
    NC 1234 again, with the same values and verdicts for every result that counts."""
    path = samples / RESULTS_SAMPLE
    fai_id = fai_from_file(ctx, path)
    import_results(ctx, fai_id, path)
    data = export_results_qif(ctx, fai_id)
    validate_qif(io.BytesIO(data))
    again = read_qif_results(io.BytesIO(data))
    ncs = {a.balloon: a.nonconformance for a in again.actuals if a.nonconformance}
    assert ncs == dict.fromkeys(stated_ncs(path), "1234")
    lines = {li.char_no: li for li in first_articles.get_first_article(ctx, fai_id).form3}
    for actual in again.actuals:
        (result,) = lines[actual.balloon].results
        assert actual.value == result.value
        assert (actual.status == "FAIL") == (result.conformance.value == "nonconforming")


def test_the_results_sample_fai_leaves_only_what_a_person_must_do(
    ctx: ServiceContext, samples: Path
) -> None:
    """After importing its own characteristics and results, the QIF_Results_Sample FAI is
    blocked only by a person's work: link the NCs of its three failing balloons and account
    for Form 2. No finding names a basic or reference dimension or a missing result."""
    path = samples / RESULTS_SAMPLE
    fai_id = fai_from_file(ctx, path)
    import_results(ctx, fai_id, path)
    blocking = [
        f for f in first_articles.evaluate_readiness(ctx, fai_id) if f.severity.value == "blocking"
    ]
    assert {f.rule for f in blocking} == {
        "FORM2_CATEGORY_UNACCOUNTED",
        "RESULT_NONCONFORMING_WITHOUT_NC",
    }
    without_nc = sorted(
        ref.label for f in blocking if f.rule.endswith("WITHOUT_NC") for ref in f.records[:1]
    )
    assert without_nc == ["balloon 4", "balloon 6", "balloon 9"]
    assert any("(-0.886 mm against ⌓ 1.5 Ⓤ 1)" in f.message for f in blocking)
