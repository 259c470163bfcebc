"""Importing inspection results into an FAI through the service, on the test database.

Every QIF Results sample of the QIF working group is imported into an FAI built from the
file's own characteristic list and serials; the counts are checked against an independent
XPath reading of the raw file. Then all-or-none, partial import, re-sending, hostile files,
the Calypso file of our own making and the QIF export. Rows are counted straight from the
tables through the ``connection`` fixture.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from lxml import etree
from plant import a_plant, an_fai, as_

from firstarticle.domain import model
from firstarticle.domain.errors import ConflictError, NotFoundError
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.integrations.inspection.qif import read_qif_results, validate_qif
from firstarticle.services import ServiceContext, catalog, first_articles, orders
from firstarticle.services.catalog import CharacteristicSpec as Spec
from firstarticle.services.result_export import export_results_qif
from firstarticle.services.result_import import (
    ResultFileRefusedError,
    ResultImportRefusedError,
    UnsupportedResultFormatError,
    import_results,
)
from firstarticle.storage import orm

TESTS = Path(__file__).resolve().parents[1]
SHARED_DATA = TESTS.parent.parent / "shared" / "data"
RESULTS_SAMPLES = SHARED_DATA / "qif" / "samples" / "Results"
CALYPSO = TESTS / "data" / "calypso" / "4471-220_FAI_chr.txt"
Q = {"q": "http://qifstandards.org/xsd/qif3"}
CT = model.CharacteristicType


def _samples() -> list[str]:
    if not RESULTS_SAMPLES.is_dir():
        return []
    return sorted(
        str(p.relative_to(RESULTS_SAMPLES))
        for p in RESULTS_SAMPLES.rglob("*")
        if p.suffix.lower() == ".qif"
    )


def _sample(name: str) -> Path:
    if not RESULTS_SAMPLES.is_dir():
        pytest.skip(f"QIF samples not found at {RESULTS_SAMPLES} (checkout without ../shared)")
    return RESULTS_SAMPLES / name


def count(connection: sa.Connection, table: sa.Table, **where: Any) -> int:
    """Rows of ``table`` (optionally filtered by column values), read straight from SQL."""
    stmt = sa.select(sa.func.count()).select_from(table)
    for column, value in where.items():
        stmt = stmt.where(table.c[column] == value)
    return int(connection.execute(stmt).scalar_one())


def imports_audited(connection: sa.Connection, fai_id: str) -> list[dict[str, Any]]:
    """The FAI's ``fai.results_imported`` audit entries, oldest first, changes decoded."""
    t = orm.audit_entries
    rows = connection.execute(
        sa.select(t)
        .where(t.c.record_id == fai_id, t.c.action == "fai.results_imported")
        .order_by(t.c.position)
    ).mappings()
    return [{**row, "changes": json.loads(row["changes"])} for row in rows]


# --- an FAI built from a QIF file's own characteristics and serials ------------------------


@dataclass
class Expected:
    """What an independent XPath reading of a QIF file says an import must find."""

    characteristics: int
    serials_in_file: int
    serials_measured: int
    results: int
    failing: int
    basic: int


def expected_from(path: Path) -> Expected:
    """Count the file's measured (item, serial) pairs, FAIL pairs and serials with XPath."""
    tree = etree.parse(str(path))
    serial_of = {
        c.get("id"): " ".join((c.findtext("q:SerialNumber", namespaces=Q) or "").split())
        for c in tree.iterfind(".//q:ActualComponent", namespaces=Q)
    }
    pairs: dict[tuple[str, str | None], set[str]] = {}
    for block in tree.iterfind(".//q:MeasurementResults", namespaces=Q):
        ids = block.xpath("q:ActualComponentIds/q:Id/text()", namespaces=Q)
        block_serial = next((serial_of.get(i.strip()) for i in ids if i.strip() in serial_of), None)
        for m in block.iterfind("q:MeasuredCharacteristics/q:CharacteristicMeasurements/*", Q):
            item = (m.findtext("q:CharacteristicItemId", namespaces=Q) or "").strip()
            status = (m.findtext("q:Status/q:CharacteristicStatusEnum", namespaces=Q) or "").strip()
            own = (m.findtext("q:ActualComponentId", namespaces=Q) or "").strip()
            serial = serial_of.get(own) if own else block_serial
            pairs.setdefault((item, serial), set()).add(status)
    measured = {k: v for k, v in pairs.items() if v != {"BASIC_OR_TED"}}
    return Expected(
        characteristics=len({item for item, _ in measured}),
        serials_in_file=len({s for s in serial_of.values() if s}),
        serials_measured=len({s for _, s in measured if s}) or (1 if measured else 0),
        results=len(measured),
        failing=sum("FAIL" in v for v in measured.values()),
        basic=len(pairs) - len(measured),
    )


def fai_for_qif(ctx: ServiceContext, path: Path, code: str = "QIF") -> str:
    """A site, part, revision, drawing, characteristics and work order made from the file."""
    qif = read_qif_results(path)
    site = catalog.create_site(ctx, code=code, name=f"Plant {code}")
    customer = catalog.create_customer(ctx, code=f"C{code}", name="Prime")
    number = qif.part_number or f"P-{path.stem}"[:64]
    part = catalog.create_part(ctx, number=number, name=qif.part_name or path.stem)
    revision_name = qif.part_revision or "A"
    drawing = qif.drawing_number or f"{number[:50]}-DWG"
    revision = catalog.add_revision(
        ctx,
        part.id,
        revision=revision_name,
        drawings=[catalog.DrawingSpec(drawing, qif.drawing_revision or revision_name)],
    )
    specs = [
        Spec(
            c.balloon,
            CT.DIMENSIONAL,
            requirement=c.requirement_text or c.balloon,
            nominal=c.nominal,
            lower_limit=c.lower_limit,
            upper_limit=c.upper_limit,
            units=c.units,
            sheet=c.sheet,
            zone=c.zone,
        )
        for c in qif.characteristics
        # Basic and reference dimensions carry no requirement to verify (AS9102 allows
        # leaving them out); the import skips the file's BASIC_OR_TED rows for them.
        if c.lower_limit is not None or c.upper_limit is not None
    ]
    if specs:
        catalog.add_characteristics(ctx, revision.id, drawing, specs)
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


@pytest.mark.parametrize("name", _samples() or ["(samples absent)"])
def test_every_results_sample_imports_with_the_counts_the_file_states(
    name: str, ctx: ServiceContext, connection: sa.Connection
) -> None:
    """Characteristics, serials, results and FAIL count match an XPath reading of the file."""
    path = _sample(name)
    expected = expected_from(path)
    fai_id = fai_for_qif(ctx, path)
    if expected.results == 0:
        # A file without one result for the FAI is refused, not "imported" with 0 rows
        # (issue 17; the mitutoyo sample states only a whole-part verdict).
        with pytest.raises(ResultImportRefusedError, match="states no result") as refused:
            import_results(as_(ctx, "cmm.link"), fai_id, path)
        assert {i.code for i in refused.value.report.refused} == {"no_results_matched"}
        assert count(connection, orm.inspection_results, first_article_id=fai_id) == 0
        return
    report = import_results(as_(ctx, "cmm.link"), fai_id, path)
    assert report.status == "imported", report.refused
    assert report.format == "qif"
    assert report.characteristics == expected.characteristics
    assert len(report.metadata.get("serials", [])) == expected.serials_in_file
    assert report.serials == expected.serials_measured
    assert report.results_recorded == expected.results
    assert report.rows_skipped == expected.basic
    # The computed conformance counts; where it disagrees with the file's own verdict the
    # report says so row by row, so the file's FAIL count is recovered exactly.
    disagree = [w for w in report.warnings if w.code == "status_disagrees"]
    said_pass = sum("file says PASS" in w.message for w in disagree)
    said_fail = sum("file says FAIL" in w.message for w in disagree)
    assert report.nonconforming - said_pass + said_fail == expected.failing
    assert report.stated_fail == expected.failing
    assert count(connection, orm.inspection_results, first_article_id=fai_id) == expected.results
    sources = connection.execute(
        sa.select(orm.inspection_results.c.source, orm.inspection_results.c.source_reference).where(
            orm.inspection_results.c.first_article_id == fai_id
        )
    ).all()
    assert {s for s, _ in sources} <= {"device_import"}
    assert all(f"sha256:{report.sha256}" in ref for _, ref in sources)
    (audit,) = imports_audited(connection, fai_id)
    assert audit["actor"] == "cmm.link"
    assert audit["changes"]["import.sha256"] == [None, report.sha256]
    assert audit["changes"]["import.results_recorded"] == [None, expected.results]


def test_the_results_sample_keeps_the_worst_of_a_repeated_point_profile(
    ctx: ServiceContext,
) -> None:
    """Balloon 4 is reported twice (-0.886 FAIL, then 0): -0.886 is recorded, nonconforming."""
    path = _sample("QIF_Results_Sample.QIF")
    fai_id = fai_for_qif(ctx, path)
    report = import_results(ctx, fai_id, path)
    repeated = {w.balloon for w in report.warnings if w.code == "repeated_measurement"}
    assert repeated == {"4", "5"}
    detail = first_articles.get_first_article(ctx, fai_id)
    (line,) = [line for line in detail.form3 if line.char_no == "4"]
    (result,) = line.results
    assert result.value == Decimal("-0.886195693015347")
    assert result.conformance.value == "nonconforming"
    assert {w.code for w in report.warnings} >= {"nc_not_linked", "measured_at_missing"}


# --- all or none, partial, re-sending -------------------------------------------------------

CSV_HEADER = "balloon,serial_number,value,units,attribute,status,measured_at,operator,device\n"


def csv_file(*rows: str, header: str = CSV_HEADER) -> bytes:
    return (header + "".join(r + "\n" for r in rows)).encode()


@pytest.fixture
def bracket(ctx: ServiceContext) -> str:
    """The plant's bracket FAI: balloon 1 (25.00 ±0.05 mm), balloon 2 (a note), two serials."""
    plant = a_plant(ctx, serials=("SN0001", "SN0002"))
    fai_id = first_articles.create_first_article(
        ctx,
        work_order_id=plant.work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
        serial_numbers=["SN0001", "SN0002"],
    ).fai.id
    first_articles.transition(ctx, fai_id, FaiAction.START)
    return fai_id


GOOD = (
    "1,SN0001,25.01,mm,,PASS,2026-11-20T09:00:00Z,t.brandt,CMM-1",
    "2,SN0001,,,accept,,2026-11-20T09:00:00Z,t.brandt,",
    "1,SN0002,25.09,mm,,FAIL,2026-11-20T09:05:00Z,t.brandt,CMM-1",
    "2,SN0002,,,accept,,2026-11-20T09:05:00Z,t.brandt,",
)


def test_a_clean_csv_is_recorded_with_provenance_and_one_audit_entry(
    ctx: ServiceContext, bracket: str, connection: sa.Connection
) -> None:
    """Four rows become four file-import results referencing file, hash and row."""
    report = import_results(ctx, bracket, csv_file(*GOOD), name="bracket.csv")
    assert (report.status, report.results_recorded, report.nonconforming) == ("imported", 4, 1)
    refs = connection.execute(
        sa.select(orm.inspection_results.c.source_reference, orm.inspection_results.c.source)
        .where(orm.inspection_results.c.first_article_id == bracket)
        .order_by(orm.inspection_results.c.source_reference)
    ).all()
    assert [r.source_reference for r in refs] == [
        f"bracket.csv; sha256:{report.sha256}; row {n}" for n in (2, 3, 4, 5)
    ]
    assert {r.source for r in refs} == {"file_import"}
    assert len(imports_audited(connection, bracket)) == 1


def test_one_bad_row_refuses_the_whole_file_and_writes_nothing(
    ctx: ServiceContext, bracket: str, connection: sa.Connection
) -> None:
    """An unknown balloon on the last row: the error carries the report, no row is written."""
    results_before = count(connection, orm.inspection_results)
    audit_before = count(connection, orm.audit_entries)
    data = csv_file(*GOOD, "99,SN0001,1.0,mm,,,2026-11-20T09:00:00Z,,")
    with pytest.raises(ResultImportRefusedError) as refused:
        import_results(ctx, bracket, data, name="bracket.csv")
    report = refused.value.report
    assert report.status == "refused"
    assert report.results_recorded == 0
    assert [(i.row, i.code) for i in report.refused] == [(6, "unmatched_balloon")]
    assert refused.value.details["report"]["rows_refused"] == 1
    assert count(connection, orm.inspection_results) == results_before
    assert count(connection, orm.audit_entries) == audit_before


def test_partial_import_records_the_valid_rows_and_says_so_in_the_audit(
    ctx: ServiceContext, bracket: str, connection: sa.Connection
) -> None:
    """With partial, the four good rows are recorded; the audit names the refusals and hash."""
    data = csv_file(*GOOD, "99,SN0001,1.0,mm,,,2026-11-20T09:00:00Z,,", "1,SN0003,25,mm,,,,,")
    report = import_results(ctx, bracket, data, name="bracket.csv", partial=True)
    assert report.status == "partially_imported"
    assert (report.results_recorded, report.rows_refused) == (4, 2)
    assert report.refused_by_code == {"unmatched_balloon": 1, "serial_not_in_scope": 1}
    assert count(connection, orm.inspection_results, first_article_id=bracket) == 4
    (audit,) = imports_audited(connection, bracket)
    assert audit["reason"].startswith("Partial import of bracket.csv (sha256 ")
    assert report.sha256 in audit["reason"]
    assert audit["changes"]["import.partial"] == [None, True]
    assert audit["changes"]["import.rows_refused"] == [None, 2]


def test_partial_import_of_a_file_without_one_valid_row_is_refused_and_writes_nothing(
    ctx: ServiceContext, bracket: str, connection: sa.Connection
) -> None:
    """Partial asks for the valid rows; when there are none, nothing is audited or written."""
    audit_before = count(connection, orm.audit_entries)
    with pytest.raises(ResultImportRefusedError) as refused:
        import_results(ctx, bracket, csv_file("99,SN0001,1.0,mm,,,,,"), partial=True)
    assert refused.value.report.status == "refused"
    assert count(connection, orm.inspection_results, first_article_id=bracket) == 0
    assert count(connection, orm.audit_entries) == audit_before


def test_sending_the_same_file_twice_is_a_no_op_the_second_time(
    ctx: ServiceContext, bracket: str, connection: sa.Connection
) -> None:
    """The second import of identical bytes records nothing and reports already_imported."""
    first = import_results(ctx, bracket, csv_file(*GOOD), name="bracket.csv")
    again = import_results(ctx, bracket, csv_file(*GOOD), name="copy-of-bracket.csv")
    assert first.status == "imported"
    assert again.status == "already_imported"
    assert again.results_recorded == 0
    assert count(connection, orm.inspection_results, first_article_id=bracket) == 4
    assert len(imports_audited(connection, bracket)) == 1


def test_a_dry_run_reports_everything_and_writes_nothing(
    ctx: ServiceContext, bracket: str, connection: sa.Connection
) -> None:
    """A dry run of a clean file counts four acceptable results and leaves no trace."""
    audit_before = count(connection, orm.audit_entries)
    report = import_results(ctx, bracket, csv_file(*GOOD), dry_run=True)
    assert (report.status, report.results_accepted, report.results_recorded) == ("dry_run", 4, 0)
    assert count(connection, orm.inspection_results, first_article_id=bracket) == 0
    assert count(connection, orm.audit_entries) == audit_before
    assert import_results(ctx, bracket, csv_file(*GOOD)).status == "imported"


def test_each_kind_of_bad_row_is_refused_with_its_row_and_reason(
    ctx: ServiceContext, bracket: str
) -> None:
    """Duplicates, serials, units, limits, times and formulas are named row by row."""
    data = csv_file(
        "1,SN0001,25.01,mm,,,2026-11-20T09:00:00Z,,",
        "1,SN0001,25.02,mm,,,2026-11-20T09:01:00Z,,",  # same balloon and serial again
        "1,,25.01,mm,,,2026-11-20T09:00:00Z,,",  # two serials in scope: name one
        "1,SN0002,25.01,deg,,,2026-11-20T09:00:00Z,,",  # degrees against millimetres
        "2,SN0002,3.5,mm,,,2026-11-20T09:00:00Z,,",  # a note has no limits for a value
        "1,SN0002,25.01,mm,,,2027-01-01T00:00:00Z,,",  # measured after the import
        "1,SN0002,25.01,mm,,,2026-11-20T09:00:00Z,=cmd|'/c calc'!A1,",  # a formula
        "1,SN0002,25.01,,,,2026-11-20T09:00:00Z,,",  # no units
    )
    with pytest.raises(ResultImportRefusedError) as refused:
        import_results(ctx, bracket, data)
    assert [(i.row, i.code) for i in refused.value.report.refused] == [
        (3, "duplicate"),
        (4, "serial_missing"),
        (5, "units_incomparable"),
        (6, "value_on_text_requirement"),
        (7, "measured_in_future"),
        (8, "formula_injection"),
        (9, "units_missing"),
    ]
    duplicate = refused.value.report.refused[0]
    assert "already given in row 2" in duplicate.message
    formula = refused.value.report.refused[5]
    assert formula.column == "operator"


@pytest.mark.parametrize(
    ("cell", "code"),
    [("j.ortiz\x1b[2J", "control_character"), ("j.\u202eztiro", "bidi_control")],
)
def test_a_csv_operator_with_escape_or_override_refuses_its_row(
    ctx: ServiceContext, bracket: str, connection: sa.Connection, cell: str, code: str
) -> None:
    """The row is named with its column; nothing of the file is written."""
    data = csv_file(f"1,SN0001,25.01,mm,,,2026-11-20T09:00:00Z,{cell},CMM-1")
    with pytest.raises(ResultImportRefusedError) as refused:
        import_results(ctx, bracket, io.BytesIO(data), name="results.csv")
    (issue,) = refused.value.report.refused
    assert (issue.row, issue.code, issue.column) == (2, code, "operator")
    assert count(connection, orm.inspection_results, first_article_id=bracket) == 0


def test_stated_status_that_disagrees_is_a_warning_and_the_computed_one_counts(
    ctx: ServiceContext, bracket: str
) -> None:
    """25.09 against 25.00 ±0.05 stated PASS: recorded, nonconforming, with a warning."""
    data = csv_file("1,SN0001,25.09,mm,,PASS,2026-11-20T09:00:00Z,,", "1,SN0002,25.00,mm,,FAIL,,,")
    report = import_results(ctx, bracket, data)
    assert report.nonconforming == 1
    assert [(w.row, w.code) for w in report.warnings if w.code == "status_disagrees"] == [
        (2, "status_disagrees"),
        (3, "status_disagrees"),
    ]


def test_a_time_without_zone_is_the_plants_local_time(ctx: ServiceContext) -> None:
    """The Toulouse plant's 10:00 on 20 November is 09:00 UTC."""
    plant = a_plant(ctx, code="TLS")
    catalog_site = plant.site
    with ctx.uow_factory() as uow:
        site = uow.sites.get(catalog_site.id)
        assert site is not None
        site.timezone = "Europe/Paris"
        uow.commit()
    fai_id = an_fai(ctx, plant).fai.id
    first_articles.transition(ctx, fai_id, FaiAction.START)
    import_results(ctx, fai_id, csv_file("1,SN0001,25.00,mm,,,2026-11-20T10:00:00,,"))
    (line,) = [x for x in first_articles.get_first_article(ctx, fai_id).form3 if x.char_no == "1"]
    assert line.results[0].measured_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_rows_marked_manual_are_manual_entries_that_readiness_asks_to_verify(
    ctx: ServiceContext, bracket: str
) -> None:
    """A value pasted by hand from another system is flagged until a second person verifies."""
    header = "balloon,serial_number,value,units,attribute,measured_at,entry\n"
    data = csv_file(
        "1,SN0001,25.01,mm,,2026-11-20T09:00:00Z,manual",
        "1,SN0002,25.01,mm,,2026-11-20T09:00:00Z,device",
        header=header,
    )
    import_results(as_(ctx, "clerk"), bracket, data)
    detail = first_articles.get_first_article(ctx, bracket)
    (line,) = [x for x in detail.form3 if x.char_no == "1"]
    assert sorted(r.source.value for r in line.results) == ["device_import", "manual_entry"]
    unverified = [f for f in detail.findings if f.rule == "RESULT_MANUAL_UNVERIFIED"]
    assert len(unverified) == 1
    assert "SN0001" in unverified[0].message


def test_a_file_for_another_part_or_revision_is_refused_even_with_partial(
    ctx: ServiceContext, bracket: str, connection: sa.Connection
) -> None:
    """Metadata tags naming another part refuse the file as a whole, partial or not."""
    data = b"# <partnumber=9Z9999-1> <partrevision=A>\n" + csv_file(*GOOD)
    with pytest.raises(ResultImportRefusedError) as refused:
        import_results(ctx, bracket, data, partial=True)
    assert [i.code for i in refused.value.report.refused] == ["wrong_part", "wrong_revision"]
    assert count(connection, orm.inspection_results, first_article_id=bracket) == 0


def test_a_row_naming_another_revision_is_refused(ctx: ServiceContext, bracket: str) -> None:
    """A part_revision column that is not the FAI's revision refuses that row."""
    header = "balloon,serial_number,value,units,measured_at,part_number,part_revision\n"
    data = csv_file(
        "1,SN0001,25.01,mm,2026-11-20T09:00:00Z,7A1234-101,C",
        "1,SN0002,25.01,mm,2026-11-20T09:00:00Z,7A1234-101,B",
        header=header,
    )
    report = import_results(ctx, bracket, data, partial=True)
    assert [(i.row, i.code) for i in report.refused] == [(3, "wrong_revision")]


def test_an_fai_that_is_submitted_takes_no_more_results(ctx: ServiceContext) -> None:
    """Importing into an FAI whose package is closed is a conflict, nothing else."""
    plant = a_plant(ctx)
    fai_id = an_fai(ctx, plant).fai.id
    first_articles.transition(ctx, fai_id, FaiAction.CANCEL, reason="Program stopped")
    with pytest.raises(ConflictError):
        import_results(ctx, fai_id, csv_file(*GOOD[:1]))
    with pytest.raises(NotFoundError):
        import_results(ctx, "no-such-fai", csv_file(*GOOD[:1]))


# --- hostile files --------------------------------------------------------------------------

_LAUGHS = "".join(f' <!ENTITY lol{i} "{(f"&lol{i - 1};") * 10}">\n' for i in range(1, 10))
QIF_OPEN = '<QIFDocument xmlns="http://qifstandards.org/xsd/qif3" versionQIF="3.0.0" idMax="1">'
HOSTILE: dict[str, tuple[bytes, type[Exception]]] = {
    "broken XML": (QIF_OPEN.encode() + b"<QPId>", ResultFileRefusedError),
    "XML entity expansion": (
        (
            '<?xml version="1.0"?>\n<!DOCTYPE QIFDocument [\n <!ENTITY lol0 "lol">\n'
            + _LAUGHS
            + "]>\n"
            + QIF_OPEN
            + "<QPId>&lol9;</QPId></QIFDocument>"
        ).encode(),
        ResultFileRefusedError,
    ),
    "external entity": (
        b'<?xml version="1.0"?><!DOCTYPE QIFDocument [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + QIF_OPEN.encode()
        + b"<QPId>&x;</QPId></QIFDocument>",
        ResultFileRefusedError,
    ),
    "QIF that breaks the schema": (
        QIF_OPEN.encode() + b"<Bogus/></QIFDocument>",
        ResultFileRefusedError,
    ),
    "CSV in Latin-1": (
        CSV_HEADER.encode() + "1,SN0001,25.01,mm,,,,Jos\u00e9,\n".encode("latin-1"),
        ResultFileRefusedError,
    ),
    "CSV in UTF-16": (
        (CSV_HEADER + "1,SN0001,25.01,mm,,,,,\n").encode("utf-16"),
        ResultFileRefusedError,
    ),
    "a 100 KB line": (
        CSV_HEADER.encode() + b"1,SN0001," + b"9" * 100_000 + b"\n",
        ResultFileRefusedError,
    ),
    "NUL bytes in text": (
        CSV_HEADER.encode() + b"1,SN\x000001,25,mm,,,,,\n",
        UnsupportedResultFormatError,
    ),
    "a spreadsheet, not CSV": (b"PK\x03\x04" + b"\x00" * 200, UnsupportedResultFormatError),
    "an empty file": (b"", UnsupportedResultFormatError),
    "CSV injection in a text field": (
        csv_file("1,SN0001,25.01,mm,,,2026-11-20T09:00:00Z,@SUM(1+1),"),
        ResultImportRefusedError,
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_give_a_clear_error_and_write_nothing(
    case: str, ctx: ServiceContext, bracket: str, connection: sa.Connection
) -> None:
    """Each hostile file raises its typed error with a message; no result or audit is added."""
    data, error = HOSTILE[case]
    results_before = count(connection, orm.inspection_results)
    audit_before = count(connection, orm.audit_entries)
    with pytest.raises(error) as raised:
        import_results(ctx, bracket, data, partial=error is not ResultImportRefusedError)
    assert raised.value.message
    assert "root:x" not in raised.value.message
    assert count(connection, orm.inspection_results) == results_before
    assert count(connection, orm.audit_entries) == audit_before
    if "entity" in case:
        assert raised.value.details["reason"] == "xml_declaration_refused"


def test_a_qif_text_node_beyond_libxml2s_limit_is_refused(
    ctx: ServiceContext, bracket: str, connection: sa.Connection
) -> None:
    """A 12 MB text node (a huge-file attack) is refused by the parser's limits."""
    data = QIF_OPEN.encode() + b"<QPId>" + b"a" * (12 * 1024 * 1024) + b"</QPId></QIFDocument>"
    with pytest.raises(ResultFileRefusedError, match="cannot be imported"):
        import_results(ctx, bracket, data)
    assert count(connection, orm.inspection_results, first_article_id=bracket) == 0


# --- the Calypso file of our own making ------------------------------------------------------


def fai_for_calypso(ctx: ServiceContext) -> str:
    """Part 4471-220 rev B with the eight characteristics the synthetic Calypso file measures."""
    site = catalog.create_site(ctx, code="ZEI", name="Plant ZEI")
    part = catalog.create_part(ctx, number="4471-220", name="Housing, actuator")
    revision = catalog.add_revision(
        ctx, part.id, revision="B", drawings=[catalog.DrawingSpec("4471-220", "B")]
    )
    d = Decimal

    def tol(balloon: str, nominal: str, up: str, low: str, units: str = "mm") -> Spec:
        return Spec(
            balloon,
            CT.DIMENSIONAL,
            nominal=d(nominal),
            upper_tolerance=d(up),
            lower_tolerance=d(low),
            units=units,
        )

    def zone(balloon: str, size: str, text: str) -> Spec:
        return Spec(
            balloon,
            CT.DIMENSIONAL,
            requirement=text,
            lower_limit=d(0),
            upper_limit=d(size),
            units="mm",
        )

    catalog.add_characteristics(
        ctx,
        revision.id,
        "4471-220",
        [
            tol("1", "12.000", "0.018", "0"),
            zone("2", "0.05", "⌖ ⌀0.05 | A | B"),
            tol("3", "45.00", "0.10", "-0.10"),
            zone("4", "0.02", "⏥ 0.02"),
            tol("5", "8.00", "0.05", "-0.05"),
            tol("6", "45", "1", "-1", "deg"),
            zone("7", "0.1", "⌖ ⌀0.1 | A"),
            zone("8", "0.1", "⌖ ⌀0.1 | A"),
        ],
    )
    work_order = orders.create_work_order(
        ctx,
        site_id=site.id,
        number="WO-4471",
        part_revision_id=revision.id,
        quantity=2,
        serial_numbers=["1001", "1002"],
    )
    fai_id = first_articles.create_first_article(
        ctx,
        work_order_id=work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
        serial_numbers=["1001", "1002"],
    ).fai.id
    first_articles.transition(ctx, fai_id, FaiAction.START)
    return fai_id


def test_the_calypso_table_file_imports_as_device_results(
    ctx: ServiceContext, connection: sa.Connection
) -> None:
    """16 results (8 balloons x 2 parts), helper rows skipped, one flatness over its zone."""
    fai_id = fai_for_calypso(ctx)
    report = import_results(ctx, fai_id, CALYPSO)
    assert report.format == "calypso"
    assert report.status == "imported", report.refused
    assert (report.results_recorded, report.rows_skipped) == (16, 4)
    assert (report.characteristics, report.serials) == (8, 2)
    assert (report.nonconforming, report.stated_fail) == (1, 1)
    assert report.metadata["device"] == "Contura G2 (SN 41-2210)"
    rows = connection.execute(
        sa.select(orm.inspection_results.c.source, orm.inspection_results.c.device).where(
            orm.inspection_results.c.first_article_id == fai_id
        )
    ).all()
    assert Counter(rows) == Counter({("device_import", "Contura G2 (SN 41-2210)"): 16})
    detail = first_articles.get_first_article(ctx, fai_id)
    failing = [
        (line.char_no, r.serial_number)
        for line in detail.form3
        for r in line.results
        if r.conformance.value == "nonconforming"
    ]
    assert failing == [("4", "1002")]


def test_the_calypso_file_for_another_revision_is_refused(ctx: ServiceContext) -> None:
    """The file's partrevision tag (B) against an FAI of rev C: refused as a whole."""
    plant = a_plant(ctx, code="REV", part_number="4471-220")
    fai_id = an_fai(ctx, plant).fai.id
    first_articles.transition(ctx, fai_id, FaiAction.START)
    with pytest.raises(ResultImportRefusedError) as refused:
        import_results(ctx, fai_id, CALYPSO)
    assert [i.code for i in refused.value.report.refused] == ["wrong_revision"]


# --- QIF export -------------------------------------------------------------------------------


def test_the_qif_export_validates_and_reimports_into_a_twin_fai(ctx: ServiceContext) -> None:
    """The export of the imported Calypso results is valid QIF and gives back the same values."""
    fai_id = fai_for_calypso(ctx)
    import_results(ctx, fai_id, CALYPSO)
    first_articles.link_nonconformance(
        ctx,
        fai_id,
        kind=model.NonconformanceKind.NONCONFORMANCE,
        number="NC-2211",
        balloons=["4"],
    )
    data = export_results_qif(ctx, fai_id)
    validate_qif(io.BytesIO(data))
    qif = read_qif_results(io.BytesIO(data))
    fair = first_articles.get_first_article(ctx, fai_id).fai.fair_identifier
    assert (qif.report_number, qif.inspection_scope, qif.inspection_mode) == (
        fair,
        "DETAIL",
        "FAI_Full",
    )
    assert (qif.part_number, qif.part_revision) == ("4471-220", "B")
    assert sorted(c.balloon for c in qif.characteristics) == [str(n) for n in range(1, 9)]
    assert qif.serials == ("1001", "1002")
    failed = [(a.balloon, a.serial, a.nonconformance) for a in qif.actuals if a.status == "FAIL"]
    assert failed == [("4", "1002", "NC-2211")]
    values = {(a.balloon, a.serial): a.value for a in qif.actuals}
    assert values[("1", "1001")] == Decimal("12.0094000")
    assert values[("6", "1002")] == Decimal("45.3100000")


def test_the_qif_export_of_a_partial_fai_with_a_note_validates(ctx: ServiceContext) -> None:
    """A partial FAI with an attribute-verified note exports FAI_Partial with its reason."""
    plant = a_plant(ctx, code="PRT")
    fai_id = first_articles.create_first_article(
        ctx,
        work_order_id=plant.work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.PARTIAL,
        reason="ECO-778 changed the deburr note",
        balloons=["2"],
        baseline_part_number="7A1234-101",
        baseline_part_revision="B",
    ).fai.id
    first_articles.transition(ctx, fai_id, FaiAction.START)
    header = "balloon,attribute,measured_at\n"
    import_results(ctx, fai_id, csv_file("2,accept,2026-11-20T09:00:00Z", header=header))
    data = export_results_qif(ctx, fai_id)
    validate_qif(io.BytesIO(data))
    text = data.decode()
    assert "<InspectionMode>FAI_Partial</InspectionMode>" in text
    assert "<ReasonForPartialInspection>ECO-778 changed the deburr note<" in text
    assert "<BaselineProductVersion>B</BaselineProductVersion>" in text
    (actual,) = read_qif_results(io.BytesIO(data)).actuals
    assert (actual.balloon, actual.serial, actual.status) == ("2", "SN0001", "PASS")


def test_the_qif_export_carries_every_re_measurement_with_the_one_that_counts_last(
    ctx: ServiceContext,
) -> None:
    """Balloon 4 of serial 1002 measured again after the Calypso run: the export holds one
    measurement record per result recorded (17, not 16), the earlier FAIL and then the later
    PASS of balloon 4 for 1002, and still validates."""
    from firstarticle.services import fai_results

    fai_id = fai_for_calypso(ctx)
    import_results(ctx, fai_id, CALYPSO)
    line = {li.char_no: li for li in first_articles.get_first_article(ctx, fai_id).form3}["4"]
    assert line.upper_limit is not None
    assert line.units is not None
    within = ((line.lower_limit or Decimal(0)) + line.upper_limit) / 2
    fai_results.record_results(
        ctx,
        fai_id,
        [
            fai_results.ResultInput(
                balloon="4",
                serial_number="1002",
                measured_at=ctx.clock.now(),
                source=model.ResultSource.MANUAL_ENTRY,
                value=within,
                units=line.units,
            )
        ],
    )
    data = export_results_qif(ctx, fai_id)
    validate_qif(io.BytesIO(data))
    tree = etree.parse(io.BytesIO(data))
    records = tree.xpath("//q:CharacteristicMeasurements/*", namespaces=Q)
    assert len(records) == 17
    items = {
        i.get("id"): i.findtext("q:Name", namespaces=Q)
        for i in tree.xpath("//q:CharacteristicItems/*", namespaces=Q)
    }
    serial_of = {
        c.get("id"): c.findtext("q:SerialNumber", namespaces=Q)
        for c in tree.xpath("//q:ActualComponent", namespaces=Q)
    }
    balloon_4_of_1002 = [
        m.findtext("q:Status/q:CharacteristicStatusEnum", namespaces=Q)
        for m in records
        if items[m.findtext("q:CharacteristicItemId", namespaces=Q)] == "4"
        and serial_of[m.xpath("string(../../../q:ActualComponentIds/q:Id)", namespaces=Q)] == "1002"
    ]
    assert balloon_4_of_1002 == ["FAIL", "PASS"]
