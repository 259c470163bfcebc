"""Mirrors of PLM, ERP and QMS records: idempotent, versioned, never edited by hand."""

from __future__ import annotations

import dataclasses
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from firstarticle import drop_folder
from firstarticle.domain import model
from firstarticle.domain.errors import ConflictError
from firstarticle.domain.holds import HoldStatus
from firstarticle.domain.mirror import MirrorOutcome
from firstarticle.integrations import records
from firstarticle.services import catalog, first_articles, holds, mirror, orders
from firstarticle.services.catalog import CharacteristicSpec as Spec
from firstarticle.storage import orm

DIM = model.CharacteristicType.DIMENSIONAL


def count(connection: sa.Connection, table: sa.Table) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def a_revision(
    version: int = 1,
    tolerance: str = "0.05",
    balloons: int = 3,
    status: model.RevisionStatus = model.RevisionStatus.RELEASED,
    external_id: str = "PLM-7A1234-101-C",
    revision: str = "C",
) -> mirror.PartRevisionRecord:
    specs = tuple(
        Spec(
            str(i),
            DIM,
            nominal=Decimal("10") * i,
            upper_tolerance=Decimal(tolerance),
            lower_tolerance=-Decimal(tolerance),
            units="mm",
        )
        for i in range(1, balloons + 1)
    )
    return mirror.PartRevisionRecord(
        external_id,
        version,
        "7A1234-101",
        "Bracket",
        revision,
        status,
        (mirror.DrawingRecord("7A1234", revision, characteristics=specs),),
    )


def setup_erp(ctx) -> None:
    catalog.create_site(ctx, code="WCH", name="Wichita")
    mirror.apply(ctx, "part-revisions", [a_revision()])
    mirror.apply(ctx, "customers", [mirror.CustomerRecord("ERP-C-1", 1, "AERO", "Aero Prime")])


def a_work_order(version: int = 1, serials: tuple[str, ...] = ("SN1",)) -> mirror.WorkOrderRecord:
    return mirror.WorkOrderRecord(
        "ERP-WO-1",
        version,
        "WCH",
        "WO-58812",
        "7A1234-101",
        "C",
        10,
        customer="AERO",
        router="R-1",
        serial_numbers=serials,
    )


def test_a_plm_revision_is_created_with_its_provenance(ctx):
    """The first upsert creates the part, revision, drawing and characteristics."""
    report = mirror.apply(ctx, "part-revisions", [a_revision()])
    assert report.counts["created"] == 1
    revision = catalog.get_revision(ctx, report.lines[0].record_id)
    assert revision.provenance is not None
    assert (
        revision.provenance.source_system,
        revision.provenance.external_id,
        revision.provenance.source_version,
    ) == ("plm", "PLM-7A1234-101-C", 1)
    assert len(revision.provenance.content_sha256) == 64
    assert [c.balloon for c in revision.characteristics] == ["1", "2", "3"]


def test_resending_the_same_payload_a_thousand_times_changes_nothing(ctx, connection):
    """After the first, every resend is 'unchanged' and writes no row, audit included."""
    mirror.apply(ctx, "part-revisions", [a_revision()])
    tables = [orm.parts, orm.part_revisions, orm.drawings, orm.characteristics, orm.audit_entries]
    before = [count(connection, t) for t in tables]
    outcomes = {
        mirror.apply(ctx, "part-revisions", [a_revision()]).lines[0].outcome for _ in range(1000)
    }
    assert outcomes == {MirrorOutcome.UNCHANGED}
    assert [count(connection, t) for t in tables] == before


def test_an_older_version_never_overwrites_a_newer(ctx):
    """Version 1 arriving after version 2 is reported stale and ignored."""
    mirror.apply(ctx, "part-revisions", [a_revision(version=2, tolerance="0.10")])
    report = mirror.apply(ctx, "part-revisions", [a_revision(version=1, tolerance="0.05")])
    assert report.lines[0].outcome is MirrorOutcome.STALE
    revision = catalog.get_revision(ctx, report.lines[0].record_id)
    assert revision.characteristics[0].requirement.upper_limit == Decimal("10.10")


def test_other_content_under_the_same_version_is_refused(ctx, connection):
    """A conflicting payload for the same version is a conflict, and nothing is written."""
    mirror.apply(ctx, "part-revisions", [a_revision(version=3)])
    before = count(connection, orm.audit_entries)
    with pytest.raises(ConflictError, match="same version must carry the same content"):
        mirror.apply(ctx, "part-revisions", [a_revision(version=3, tolerance="0.2")])
    assert count(connection, orm.audit_entries) == before


def test_a_newer_version_updates_the_characteristics_in_place(ctx):
    """PLM's correction of a tolerance reaches the mirror; ids stay, so FAIs keep them."""
    first = mirror.apply(ctx, "part-revisions", [a_revision()]).lines[0].record_id
    ids = [c.id for c in catalog.get_revision(ctx, first).characteristics]
    report = mirror.apply(
        ctx, "part-revisions", [a_revision(version=2, tolerance="0.01", balloons=4)]
    )
    assert report.lines[0].outcome is MirrorOutcome.UPDATED
    revision = catalog.get_revision(ctx, first)
    assert [c.id for c in revision.characteristics][:3] == ids
    assert revision.characteristics[0].requirement.text == "10 ±0.01 mm"
    assert len(revision.characteristics) == 4


def test_a_characteristic_in_an_fai_cannot_be_removed_by_plm(ctx):
    """Removing an accounted-for balloon from a released revision is refused."""
    setup_erp(ctx)
    wo = mirror.apply(ctx, "work-orders", [a_work_order()]).lines[0].record_id
    first_articles.create_first_article(
        ctx,
        work_order_id=wo,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
    )
    with pytest.raises(ConflictError, match="accounted for in an FAI"):
        mirror.apply(ctx, "part-revisions", [a_revision(version=2, balloons=2)])


def test_people_cannot_edit_mirrored_records(ctx):
    """Characteristics of a PLM revision, serials of an ERP work order: change them there."""
    setup_erp(ctx)
    revision_id = mirror.apply(ctx, "part-revisions", [a_revision()]).lines[0].record_id
    with pytest.raises(ConflictError, match="mirrored from PLM"):
        catalog.add_characteristics(
            ctx,
            revision_id,
            "7A1234",
            [Spec("9", model.CharacteristicType.NOTE, requirement="Added by hand")],
        )
    wo = mirror.apply(ctx, "work-orders", [a_work_order()]).lines[0].record_id
    with pytest.raises(ConflictError, match="mirrored from ERP"):
        orders.add_serials(ctx, wo, ["SN-HAND"])


def test_an_erp_work_order_places_the_fai_required_hold(ctx):
    """Mirrored work orders start production like any other: the hold follows."""
    setup_erp(ctx)
    mirror.apply(ctx, "work-orders", [a_work_order()])
    site = catalog.site_by_code(ctx, "WCH")
    active = holds.list_holds(ctx, site_id=site.id, status=HoldStatus.ACTIVE).items
    assert len(active) == 1
    assert "WO-58812" in active[0].reason


def test_a_newer_erp_version_adds_serials(ctx):
    """Serials released later arrive with a newer work order version."""
    setup_erp(ctx)
    wo = mirror.apply(ctx, "work-orders", [a_work_order()]).lines[0].record_id
    mirror.apply(ctx, "work-orders", [a_work_order(version=2, serials=("SN1", "SN2"))])
    assert [s.number for s in orders.get_work_order(ctx, wo).serials] == ["SN1", "SN2"]


def test_a_qms_disposition_reaches_the_fai_and_its_readiness(ctx):
    """The QMS opens, then closes an NC; the FAI's link follows and cannot be edited here."""
    setup_erp(ctx)
    wo = mirror.apply(ctx, "work-orders", [a_work_order()]).lines[0].record_id
    fai = first_articles.create_first_article(
        ctx,
        work_order_id=wo,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
    )
    nc = mirror.NonconformanceRecord(
        "QMS-30911", 1, "WCH", fai.fai.fair_identifier, "NC-30911", balloons=("2",)
    )
    mirror.apply(ctx, "nonconformances", [nc])
    rules = {f.rule for f in first_articles.evaluate_readiness(ctx, fai.fai.id)}
    assert "NC_OPEN" in rules
    closed = dataclasses.replace(
        nc,
        source_version=2,
        status=model.NonconformanceStatus.CLOSED,
        disposition=model.Disposition.REWORK,
    )
    mirror.apply(ctx, "nonconformances", [closed])
    detail = first_articles.get_first_article(ctx, fai.fai.id)
    (link,) = detail.fai.nonconformances
    assert (link.status, link.disposition) == (
        model.NonconformanceStatus.CLOSED,
        model.Disposition.REWORK,
    )
    assert "NC_OPEN" not in {f.rule for f in detail.findings}
    with pytest.raises(ConflictError, match="mirrored from QMS"):
        first_articles.update_nonconformance(
            ctx, fai.fai.id, link.id, status=model.NonconformanceStatus.OPEN, disposition=None
        )


def test_a_batch_with_one_bad_record_writes_none_of_them(ctx, connection):
    """Batches are all or none."""
    before = count(connection, orm.customers)
    with pytest.raises(ConflictError):
        mirror.apply(
            ctx,
            "customers",
            [
                mirror.CustomerRecord("ERP-C-1", 1, "AERO", "Aero Prime"),
                mirror.CustomerRecord("ERP-C-2", 1, "AERO", "Aero Prime again"),
            ],
        )
    assert count(connection, orm.customers) == before


# --- files --------------------------------------------------------------------------------

REVISIONS_CSV = (
    "external_id,source_version,part_number,part_name,revision,status,drawing_number,"
    "drawing_revision,balloon,type,requirement,nominal,upper_tolerance,lower_tolerance,units,"
    "sheet,zone,designator\n"
    "PLM-1,1,7A1234-101,Bracket,C,released,7A1234,C,1,dimensional,,25.00,0.05,-0.05,mm,1,B2,"
    "key\n"
    "PLM-1,1,7A1234-101,Bracket,C,released,7A1234,C,2,note,Deburr all edges,,,,,1,D1,\n"
)


def test_a_csv_file_of_revisions_imports_grouped_by_external_id(ctx):
    """One row per characteristic; rows of one external id form one revision."""
    batch = records.read_file("part-revisions", "revisions.csv", io.BytesIO(REVISIONS_CSV.encode()))
    report = mirror.apply(ctx, "part-revisions", batch)
    revision = catalog.get_revision(ctx, report.lines[0].record_id)
    assert [c.requirement.text for c in revision.characteristics] == [
        "25.00 ±0.05 mm",
        "Deburr all edges",
    ]
    assert revision.characteristics[0].designator is model.CharacteristicDesignator.KEY


def test_a_dry_run_reports_without_writing(ctx, connection):
    """--dry-run says what would change and leaves the database as it was."""
    batch = records.read_file("part-revisions", "revisions.csv", io.BytesIO(REVISIONS_CSV.encode()))
    before = count(connection, orm.part_revisions)
    report = mirror.apply(ctx, "part-revisions", batch, dry_run=True)
    assert report.counts["created"] == 1
    assert count(connection, orm.part_revisions) == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "customers.csv",
            b'external_id,source_version,code,name\nE1,1,AERO,=HYPERLINK("x")\n',
            "formula",
        ),
        (
            "customers.csv",
            "external_id,source_version,code,name\nE1,1,AERO,Aéro\n".encode("latin-1"),
            "not UTF-8",
        ),
        (
            "customers.csv",
            b"external_id,source_version,code,name\nE1,x,AERO,Aero\n",
            "source_version",
        ),
        ("customers.json", b'{"records": [', "not JSON"),
        (
            "customers.json",
            b'[{"external_id": "E1", "source_version": 1, "code": "A", '
            b'"name": "A", "surprise": 1}]',
            "surprise",
        ),
        ("customers.txt", b"", "end in .csv or .json"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(name, content, message):
    """CSV injection, wrong encodings, bad numbers, broken JSON, unknown fields: refused."""
    with pytest.raises(records.RecordFileError, match=message):
        records.read_file("customers", name, io.BytesIO(content))


def test_the_drop_folder_files_what_it_imported_and_what_failed(ctx, tmp_path: Path):
    """Good files go to processed/ with a report, bad ones to failed/ with the reason."""
    (tmp_path / "customers-2026-11-25.json").write_text(
        json.dumps(
            [{"external_id": "E1", "source_version": 1, "code": "AERO", "name": "Aero Prime"}]
        )
    )
    (tmp_path / "work-orders-broken.csv").write_text("no,header\n")
    (tmp_path / "customers-upload.csv.part").write_text("still uploading")
    filed = drop_folder.process_once(ctx, tmp_path, now=1e12)
    assert {(f.name, f.ok) for f in filed} == {
        ("customers-2026-11-25.json", True),
        ("work-orders-broken.csv", False),
    }
    report = json.loads(
        (tmp_path / "processed" / "customers-2026-11-25.json.report.json").read_text()
    )
    assert report["counts"]["created"] == 1
    assert "external_id" in (tmp_path / "failed" / "work-orders-broken.csv.error.txt").read_text()
    assert (tmp_path / "customers-upload.csv.part").exists()
    assert catalog.customer_by_code(ctx, "AERO").provenance is not None
