"""An assembly's bill of materials mirrored from PLM, and Form 1's index (fields 15-18) built
from it: each component's FAIR and status, and readiness naming what is not approved."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import plant
import pytest
import sqlalchemy as sa

from firstarticle.domain import model
from firstarticle.domain.errors import ConflictError, ValidationError
from firstarticle.domain.lifecycle import FaiAction
from firstarticle.domain.mirror import MirrorOutcome, SourceSystem, content_hash
from firstarticle.domain.records import BomLineRecord
from firstarticle.services import catalog, first_articles, mirror, orders
from firstarticle.storage import orm

T = model.IndexPartType
NOW = datetime(2026, 11, 20, tzinfo=UTC)


def count(connection: sa.Connection, table: sa.Table) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def index_of(detail: first_articles.FirstArticleDetail) -> list[tuple[object, ...]]:
    return [
        (e.part_number, e.revision, e.part_type, e.fair_identifier, e.origin)
        for e in detail.fai.index
    ]


def index_findings(detail: first_articles.FirstArticleDetail) -> list[tuple[str, str]]:
    return [(f.rule, f.message) for f in detail.findings if f.rule.startswith("INDEX_")]


def test_a_plm_revision_brings_its_bill_of_materials(ctx):
    """The mirrored revision holds PLM's lines, with type, revision and quantity."""
    report = mirror.apply(ctx, "part-revisions", [plant.an_assembly_revision()])
    revision = catalog.get_revision(ctx, report.lines[0].record_id)
    assert [
        (b.find_number, b.part_number, b.revision, b.part_type, b.quantity)
        for b in revision.bill_of_materials
    ] == [
        ("10", "7A1234-101", "C", T.DETAIL, 2),
        ("20", "MS24665-132", None, T.STANDARD_CATALOGUE, 4),
        ("30", "KLR-28V", None, T.COTS, 1),
    ]


def test_an_assembly_fai_gets_its_index_with_the_detail_fair_and_status(ctx):
    """Created for a revision with a BOM, the assembly FAI lists every line; the detail names
    its FAI's FAIR and, while that FAI is a draft, readiness names the detail and its FAIR."""
    p = plant.a_plant(ctx)
    detail_fai = plant.an_fai(ctx, p)
    assembly = plant.an_assembly_fai(ctx, plant.an_assembly_work_order(ctx, p))
    fair = detail_fai.fai.fair_identifier
    assert index_of(assembly) == [
        ("7A1234-101", "C", T.DETAIL, fair, model.IndexOrigin.BOM),
        ("MS24665-132", None, T.STANDARD_CATALOGUE, None, model.IndexOrigin.BOM),
        ("KLR-28V", None, T.COTS, None, model.IndexOrigin.BOM),
    ]
    # COTS and the catalogue item need no FAIR: the detail is the only index finding.
    assert index_findings(assembly) == [
        (
            "INDEX_FAI_NOT_APPROVED",
            f"{fair} for index item 7A1234-101 rev C (detail) is draft, not approved.",
        )
    ]
    trail = first_articles.audit_trail(ctx, assembly.fai.id)
    [created] = [e for e in trail if e["action"] == "first_article.created"]
    assert f"7A1234-101 rev C (detail) {fair} [bom]" in str(created["changes"]["index"])


def test_the_assembly_is_free_of_the_finding_once_the_detail_fai_is_approved(ctx):
    """The finding goes when the customer approves the detail's FAI; nothing else changes."""
    p = plant.a_plant(ctx)
    detail_fai = plant.an_fai(ctx, p)
    assembly = plant.an_assembly_fai(ctx, plant.an_assembly_work_order(ctx, p))
    assert [rule for rule, _ in index_findings(assembly)] == ["INDEX_FAI_NOT_APPROVED"]
    plant.approve(ctx, detail_fai.fai.id)
    assert index_findings(first_articles.get_first_article(ctx, assembly.fai.id)) == []


def test_a_detail_without_an_fai_yet_is_named_and_a_rebuild_finds_its_fai_later(ctx):
    """No FAI of the detail: the entry names no FAIR and readiness says which item; once
    the detail's FAI exists, rebuilding the index from the BOM finds it, audited."""
    p = plant.a_plant(ctx)
    assembly = plant.an_assembly_fai(ctx, plant.an_assembly_work_order(ctx, p))
    assert index_findings(assembly) == [
        (
            "INDEX_FAI_MISSING",
            "Index item 7A1234-101 rev C (detail) names no FAIR: it needs its own approved "
            "FAI before the assembly's.",
        )
    ]
    detail_fai = plant.an_fai(ctx, p)
    rebuilt = first_articles.rebuild_index_from_bom(ctx, assembly.fai.id)
    assert rebuilt.fai.index[0].fair_identifier == detail_fai.fai.fair_identifier
    assert [rule for rule, _ in index_findings(rebuilt)] == ["INDEX_FAI_NOT_APPROVED"]
    trail = first_articles.audit_trail(ctx, assembly.fai.id)
    assert trail[-1]["action"] == "fai.index_built_from_bom"


def test_the_newest_approved_fai_of_a_detail_is_preferred_to_a_newer_live_one(ctx):
    """An approved FAI of the detail wins over a newer one still in draft; a cancelled one
    is never named."""
    p = plant.a_plant(ctx)
    approved = plant.an_fai(ctx, p)
    plant.approve(ctx, approved.fai.id)
    newer = plant.an_fai(ctx, p)
    cancelled = plant.an_fai(ctx, p)
    first_articles.transition(ctx, cancelled.fai.id, FaiAction.CANCEL, reason="Opened twice")
    assembly = plant.an_assembly_fai(ctx, plant.an_assembly_work_order(ctx, p))
    assert assembly.fai.index[0].fair_identifier == approved.fai.fair_identifier
    assert newer.fai.fair_identifier != approved.fai.fair_identifier
    assert index_findings(assembly) == []


def test_a_detail_fai_at_another_site_is_not_named(ctx):
    """FAIRs are found at the assembly's site only."""
    p = plant.a_plant(ctx)
    other = catalog.create_site(ctx, code="TLS", name="Toulouse")
    work_order = orders.create_work_order(
        ctx,
        site_id=other.id,
        number="WO-TLS-1",
        part_revision_id=p.revision.id,
        quantity=1,
        serial_numbers=["T1"],
    )
    elsewhere = first_articles.create_first_article(
        ctx,
        work_order_id=work_order.id,
        fai_type=model.FaiType.DETAIL,
        scope=model.FaiScope.FULL,
        reason="New part",
    )
    assembly = plant.an_assembly_fai(ctx, plant.an_assembly_work_order(ctx, p))
    assert elsewhere.fai.site_id != assembly.fai.site_id
    assert assembly.fai.index[0].fair_identifier is None


def test_hand_entries_for_parts_outside_the_bom_survive_a_rebuild(ctx):
    """A person's entry for a part the BOM does not list stays; the BOM's are rebuilt."""
    p = plant.a_plant(ctx)
    assembly = plant.an_assembly_fai(ctx, plant.an_assembly_work_order(ctx, p))
    first_articles.add_index_entry(
        ctx, assembly.fai.id, part_number="LBL-1", part_name="Label", part_type=T.COTS
    )
    rebuilt = first_articles.rebuild_index_from_bom(ctx, assembly.fai.id)
    assert [(e.part_number, e.origin.value) for e in rebuilt.fai.index] == [
        ("LBL-1", "hand"),
        ("7A1234-101", "bom"),
        ("MS24665-132", "bom"),
        ("KLR-28V", "bom"),
    ]


def test_rebuilding_needs_a_bom_and_an_editable_fai(ctx, connection):
    """No BOM on the revision: no_bill_of_materials; a cancelled FAI: its package cannot
    change. Neither writes anything."""
    p = plant.a_plant(ctx)
    detail = plant.an_fai(ctx, p)
    audit = count(connection, orm.audit_entries)
    with pytest.raises(model.NoBillOfMaterialsError) as error:
        first_articles.rebuild_index_from_bom(ctx, detail.fai.id)
    assert error.value.code == "no_bill_of_materials"
    assembly = plant.an_assembly_fai(ctx, plant.an_assembly_work_order(ctx, p))
    first_articles.transition(ctx, assembly.fai.id, FaiAction.CANCEL, reason="Wrong order")
    audit = count(connection, orm.audit_entries)
    with pytest.raises(ConflictError, match="cannot change now"):
        first_articles.rebuild_index_from_bom(ctx, assembly.fai.id)
    assert count(connection, orm.audit_entries) == audit


def test_a_new_plm_version_replaces_the_lines_and_the_same_version_twice_changes_nothing(
    ctx, connection
):
    """Version 2 drops the relay, changes the pins' quantity and adds a sub-assembly; the
    mirror event says so. Resending version 2 writes nothing."""
    first = mirror.apply(ctx, "part-revisions", [plant.an_assembly_revision()])
    revision_id = first.lines[0].record_id
    pin_id = catalog.get_revision(ctx, revision_id).bill_of_materials[1].id
    bom = (
        plant.a_bom()[0],
        dataclasses.replace(plant.a_bom()[1], quantity=6),
        BomLineRecord("40", "SA-77", "Gearbox", T.SUB_ASSEMBLY, 1, "B"),
    )
    second = mirror.apply(ctx, "part-revisions", [plant.an_assembly_revision(2, bom)])
    assert second.lines[0].outcome is MirrorOutcome.UPDATED
    revision = catalog.get_revision(ctx, revision_id)
    assert [(b.find_number, b.part_number, b.quantity) for b in revision.bill_of_materials] == [
        ("10", "7A1234-101", 2),
        ("20", "MS24665-132", 6),
        ("40", "SA-77", 1),
    ]
    assert revision.bill_of_materials[1].id == pin_id  # a changed line is updated in place
    event = catalog_events(ctx, revision_id)[-1]
    assert event["changes"]["bill_of_materials"][1] == [
        "10: 7A1234-101 rev C x2 (detail)",
        "20: MS24665-132 x6 (standard_catalogue)",
        "40: SA-77 rev B x1 (sub_assembly)",
    ]
    changed = event["changes"]["bill_of_materials_changed"][1]
    assert changed == str({"added": 1, "changed": 1, "removed": 1})
    tables = [orm.bom_lines, orm.audit_entries]
    before = [count(connection, t) for t in tables]
    again = mirror.apply(ctx, "part-revisions", [plant.an_assembly_revision(2, bom)])
    assert again.lines[0].outcome is MirrorOutcome.UNCHANGED
    assert [count(connection, t) for t in tables] == before


def catalog_events(ctx, revision_id: str) -> list[dict[str, object]]:
    with ctx.uow_factory() as uow:
        return uow.audit.for_record("part_revision", revision_id)


def test_a_revision_sent_without_a_bom_keeps_the_hash_it_had_before_boms_existed():
    """An empty BOM is left out of the content hash, so detail revisions stored before this
    field existed are 'unchanged' when PLM resends them."""
    record = dataclasses.replace(plant.an_assembly_revision(), bill_of_materials=())
    payload = dataclasses.asdict(record)
    payload.pop("source_version")
    payload.pop("bill_of_materials")
    prov = mirror.provenance_of(record, SourceSystem.PLM, NOW)
    assert prov.content_sha256 == content_hash(payload)
    with_bom = mirror.provenance_of(plant.an_assembly_revision(), SourceSystem.PLM, NOW)
    assert with_bom.content_sha256 != prov.content_sha256


@pytest.mark.parametrize(
    ("bom", "field", "message"),
    [
        (
            (plant.a_bom()[0], dataclasses.replace(plant.a_bom()[1], find_number="10")),
            "find_number",
            "appears twice",
        ),
        (
            (BomLineRecord("10", plant.ASSEMBLY, "Itself", T.SUB_ASSEMBLY, 1, "A"),),
            "part_number",
            "component of itself",
        ),
        (
            (BomLineRecord("10", "7A1234-101", "Bracket", T.DETAIL, 1),),
            "revision",
            "listed at its revision",
        ),
    ],
)
def test_a_bad_bom_is_refused_and_nothing_is_written(ctx, connection, bom, field, message):
    """Duplicate find numbers, the assembly in its own BOM, a detail without its revision:
    refused naming the field, and no part, revision or line is written."""
    tables = [orm.parts, orm.part_revisions, orm.bom_lines, orm.audit_entries]
    before = [count(connection, t) for t in tables]
    with pytest.raises(ValidationError, match=message) as error:
        mirror.apply(ctx, "part-revisions", [plant.an_assembly_revision(bom=bom)])
    assert error.value.details["field"] == field
    assert [count(connection, t) for t in tables] == before
