"""Characteristic lists imported from QIF MBD / Plan files, on the real database.

Through the services only: import, repeat, refuse, compare two revisions, export for review.
"""

from __future__ import annotations

import hashlib
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree
from openpyxl import load_workbook

from firstarticle.domain import model
from firstarticle.domain.characteristic_diff import ChangedField
from firstarticle.domain.errors import ConflictError, NotFoundError, ValidationError
from firstarticle.domain.values import Conformance
from firstarticle.services import ServiceContext, catalog
from firstarticle.services.characteristic_import import (
    DuplicateBalloonError,
    QifImportError,
    diff_revisions,
    export_characteristics_xlsx,
    import_characteristics,
)
from firstarticle.storage import orm

PART = "NIST-CTC-01"
CTC_01 = "NISTmodels/nist_ctc_01_asme1_ap242.qif"
Q = "{http://qifstandards.org/xsd/qif3}"
NIST_COUNTS = {
    "nist_ctc_01_asme1_ap242.qif": 14,
    "nist_ctc_03_asme1_ap242.qif": 22,
    "nist_ctc_05_asme1_ap242.qif": 16,
    "nist_ftc_06_asme1_ap242.qif": 47,
    "nist_ftc_08_asme1_ap242-1.qif": 37,
    "nist_ftc_09_asme1_ap242.qif": 53,
}
PLANS = {
    "Plans/orderedPlan.QIF": 11,
    "Plans/planWithHaltIf.QIF": 11,
    "Plans/repeatabilityTestUsingWhile.QIF": 1,
    "Plans/sheetMetalPlan.QIF": 21,
    "Plans/sheetMetalPlanWithUUIDs.QIF": 21,
    "Plans/simplePlan.QIF": 11,
    "QIFwidget/WIDGET_QIF_PLAN.QIF": 26,
    "QIFwidget/WIDGET_QIF_PLAN_W_QPIDS.QIF": 26,
}


@pytest.fixture
def samples(shared_data: Path) -> Path:
    """The QIF samples of the shared data (the test skips where they are absent)."""
    return shared_data / "qif" / "samples"


def a_part(
    ctx: ServiceContext, number: str = PART, revisions: tuple[str, ...] = ("A",)
) -> model.Part:
    """A part whose revisions are each defined by one model-based definition."""
    part = catalog.create_part(ctx, number=number, name="Test case")
    for rev in revisions:
        catalog.add_revision(
            ctx,
            part.id,
            revision=rev,
            drawings=[
                catalog.DrawingSpec(
                    f"{number}-MBD", rev, model.DefinitionKind.MODEL_BASED_DEFINITION
                )
            ],
        )
    return catalog.part_by_number(ctx, number)


def characteristics(ctx: ServiceContext, number: str, revision: str) -> list[model.Characteristic]:
    rev = catalog.part_by_number(ctx, number).revision(revision)
    assert rev is not None
    return rev.characteristics


def by_balloon(chars: list[model.Characteristic]) -> dict[str, model.Characteristic]:
    return {c.balloon: c for c in chars}


def row_counts(connection: sa.Connection) -> dict[str, int]:
    present = set(sa.inspect(connection).get_table_names())
    return {
        t.name: connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
        for t in orm.metadata.sorted_tables
        if t.name in present
    }


def modified_ctc_01(samples: Path) -> bytes:
    """ctc_01 with balloon 12's tolerance tightened to ±0.10 and balloon 2 (flatness) removed."""
    tree = etree.parse(str(samples / CTC_01))
    root = tree.getroot()
    definition = root.find(f".//{Q}DiameterCharacteristicDefinition[@id='1493']")
    assert definition is not None
    for tag, value in (("MaxValue", "0.10"), ("MinValue", "-0.10")):
        element = definition.find(f"{Q}Tolerance/{Q}{tag}")
        assert element is not None
        element.text = value
    for element_id in ("1470", "1469"):  # the flatness nominal and its definition
        element = root.find(f".//*[@id='{element_id}']")
        assert element is not None
        remove(element)
    # The model's views list the nominal and show it in a PMI display: drop those too.
    for reference in [i for i in root.iter(f"{Q}Id") if i.text == "1470"]:
        holder = reference.getparent()
        assert holder is not None
        if holder.tag == f"{Q}Reference":
            display = holder.getparent()
            assert display is not None
            remove(display)
        else:
            remove(reference)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def remove(element: etree._Element) -> None:
    """Take an element out of its QIF array and keep the array's count ``n`` right."""
    parent = element.getparent()
    assert parent is not None
    parent.remove(element)
    if parent.get("n") is not None:
        parent.set("n", str(sum(1 for child in parent if isinstance(child.tag, str))))


# ---------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------


def test_a_nist_model_becomes_the_revisions_characteristic_list(
    ctx: ServiceContext, samples: Path
) -> None:
    """ctc_01: 14 characteristics, balloons from the model, requirements as the model says."""
    a_part(ctx)
    path = samples / CTC_01
    summary = import_characteristics(ctx, part_number=PART, revision="A", file=path)
    assert (summary.read, summary.created, summary.unchanged) == (14, 14, False)
    assert summary.numbered == 0
    chars = by_balloon(characteristics(ctx, PART, "A"))
    assert sorted(chars, key=int) == [str(n) for n in range(1, 15)]
    size = chars["12"]  # DiameterCharacteristicNominal 1494: 25 ±0.15 mm
    assert size.ctype is model.CharacteristicType.DIMENSIONAL
    assert size.requirement.text == "⌀25.00 ±0.15 mm"
    assert (size.requirement.lower_limit, size.requirement.upper_limit) == (
        Decimal("24.85"),
        Decimal("25.15"),
    )
    position = chars["14"]  # PositionCharacteristicDefinition 1442: 0.75 to A|B|C
    assert position.requirement.text == "⌖ 0.75 | A | B | C"
    assert (position.requirement.nominal, position.requirement.upper_limit) == (
        Decimal(0),
        Decimal("0.75"),
    )
    assert position.requirement.units == "mm"
    assert chars["6"].requirement.units == "deg"  # the angle, in the model's degrees
    assert size.source_document == "nist_ctc_01_asme1_ap242.qif"
    assert size.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert size.source_item == "1494"


def test_imported_limits_judge_results(ctx: ServiceContext, samples: Path) -> None:
    """A 25.20 on ⌀25.00 ±0.15 is out; 0.74 of position in a 0.75 zone is in."""
    a_part(ctx)
    import_characteristics(ctx, part_number=PART, revision="A", file=samples / CTC_01)
    chars = by_balloon(characteristics(ctx, PART, "A"))
    assert chars["12"].requirement.evaluate(Decimal("25.20"), "mm") is Conformance.NONCONFORMING
    assert chars["14"].requirement.evaluate(Decimal("0.74"), "mm") is Conformance.CONFORMING


def test_importing_the_same_file_again_changes_nothing_and_says_so(
    ctx: ServiceContext, connection: sa.Connection, samples: Path
) -> None:
    """The second import of identical bytes writes no row, not even an audit entry."""
    a_part(ctx)
    import_characteristics(ctx, part_number=PART, revision="A", file=samples / CTC_01)
    before = row_counts(connection)
    again = import_characteristics(ctx, part_number=PART, revision="A", file=samples / CTC_01)
    assert (again.unchanged, again.created, again.read) == (True, 0, 14)
    assert "already imported" in again.message
    assert row_counts(connection) == before


def test_the_import_is_audited_per_characteristic_and_per_file(
    ctx: ServiceContext, connection: sa.Connection, samples: Path
) -> None:
    """One created entry per characteristic and one entry naming the file and its hash."""
    a_part(ctx)
    summary = import_characteristics(ctx, part_number=PART, revision="A", file=samples / CTC_01)
    t = orm.audit_entries
    actions = [
        row.action
        for row in connection.execute(
            sa.select(t.c.action).where(
                t.c.action.in_(["characteristic.created", "drawing.characteristics_imported"])
            )
        )
    ]
    assert actions.count("characteristic.created") == 14
    assert actions.count("drawing.characteristics_imported") == 1
    changes = connection.execute(
        sa.select(t.c.changes).where(t.c.action == "drawing.characteristics_imported")
    ).scalar_one()
    if isinstance(changes, str):  # the ledger keeps its canonical JSON text
        changes = json.loads(changes)
    assert changes["source_sha256"] == [None, summary.source_sha256]


def test_a_different_file_is_refused_where_another_one_was_imported(
    ctx: ServiceContext, connection: sa.Connection, samples: Path
) -> None:
    """A changed model is a new revision: the drawing keeps its list and nothing is written."""
    a_part(ctx)
    import_characteristics(ctx, part_number=PART, revision="A", file=samples / CTC_01)
    before = row_counts(connection)
    with pytest.raises(ConflictError, match="new part revision") as refused:
        import_characteristics(
            ctx,
            part_number=PART,
            revision="A",
            file=io.BytesIO(modified_ctc_01(samples)),
            file_name="ctc_01_rev_b.qif",
        )
    assert refused.value.details["source_documents"] == ["nist_ctc_01_asme1_ap242.qif"]
    assert row_counts(connection) == before


def test_a_dry_run_reads_and_checks_everything_and_writes_nothing(
    ctx: ServiceContext, connection: sa.Connection, samples: Path
) -> None:
    """The dry run reports the 14 characteristics it would add, and adds none."""
    a_part(ctx)
    before = row_counts(connection)
    summary = import_characteristics(
        ctx, part_number=PART, revision="A", file=samples / CTC_01, dry_run=True
    )
    assert (summary.dry_run, summary.read, summary.created) == (True, 14, 0)
    assert "nothing was written" in summary.message
    assert row_counts(connection) == before
    assert characteristics(ctx, PART, "A") == []


@pytest.mark.parametrize(("name", "expected"), sorted(NIST_COUNTS.items()))
def test_every_nist_model_imports_with_every_characteristic(
    ctx: ServiceContext, samples: Path, name: str, expected: int
) -> None:
    """Each model's characteristics, each with its requirement, balloon and source item."""
    a_part(ctx, number=name)
    summary = import_characteristics(
        ctx, part_number=name, revision="A", file=samples / "NISTmodels" / name
    )
    assert summary.created == expected
    chars = characteristics(ctx, name, "A")
    assert len(chars) == expected
    assert all(c.requirement.text and c.source_item for c in chars)


@pytest.mark.parametrize(("relative", "expected"), sorted(PLANS.items()))
def test_every_plan_file_imports_the_same_way(
    ctx: ServiceContext, samples: Path, relative: str, expected: int
) -> None:
    """Plans and widget plans: one characteristic per item, each with its requirement."""
    a_part(ctx, number=relative)
    summary = import_characteristics(
        ctx, part_number=relative, revision="A", file=samples / relative
    )
    assert summary.created == expected
    assert len(characteristics(ctx, relative, "A")) == expected


def test_a_plan_gives_locations_designators_qpids_and_numbers_missing_balloons(
    ctx: ServiceContext, samples: Path
) -> None:
    """simplePlan: criticality becomes the designator; the -NONE- item is numbered 1."""
    a_part(ctx, number="QM_X_123456")
    summary = import_characteristics(
        ctx, part_number="QM_X_123456", revision="A", file=samples / "Plans/simplePlan.QIF"
    )
    assert summary.numbered == 1
    chars = by_balloon(characteristics(ctx, "QM_X_123456", "A"))
    assert sorted(chars) == sorted(["A", "B", "1", "2", "3", "4", "6", "7", "8", "9", "11"])
    assert chars["1"].requirement.text == "⌀30 mm SET"  # item 66, designator -NONE-
    assert chars["1"].source_item == "ee9bb7c3-31fb-40a4-841d-4f1b9fc885bd"  # its UUID
    assert chars["2"].source_item == "24"  # no UUID: the item id
    assert chars["A"].designator is model.CharacteristicDesignator.MINOR
    assert chars["3"].designator is model.CharacteristicDesignator.MAJOR
    assert chars["4"].designator is model.CharacteristicDesignator.CRITICAL
    # Item 21: an untoleranced coordinate (MEASURED) of criticality REF: a reference dimension.
    assert chars["B"].designator is model.CharacteristicDesignator.REFERENCE
    assert chars["1"].designator is model.CharacteristicDesignator.BASIC  # ⌀30 SET
    assert chars["A"].reference_location == "Sheet SHEET1, Zone C2"


def test_a_repeated_designator_refuses_the_file_and_writes_nothing(
    ctx: ServiceContext, connection: sa.Connection, samples: Path
) -> None:
    """simplePlan with item 27 also ballooned 2: refused, naming the balloon and both items;
    no balloon is renumbered ("2.2" is on no drawing)."""
    a_part(ctx, number="QM_X_123456")
    data = (samples / "Plans/simplePlan.QIF").read_bytes()
    data = data.replace(b"<Designator>3</Designator>", b"<Designator>2</Designator>", 1)
    before = row_counts(connection)
    with pytest.raises(DuplicateBalloonError, match="balloon 2 is given to 2 characteristics") as e:
        import_characteristics(
            ctx, part_number="QM_X_123456", revision="A", file=io.BytesIO(data), file_name="p.qif"
        )
    assert e.value.code == "duplicate_balloon"
    assert "QIF items 24, 27" in e.value.message
    assert row_counts(connection) == before


def test_a_file_without_units_needs_the_drawings_units(
    ctx: ServiceContext, connection: sa.Connection, samples: Path
) -> None:
    """planWithWorkInstructions has no FileUnits: refused, then imported in the named units."""
    a_part(ctx, number="Widget")
    path = samples / "Plans/planWithWorkInstructions.QIF"
    before = row_counts(connection)
    with pytest.raises(QifImportError, match="states no units"):
        import_characteristics(ctx, part_number="Widget", revision="A", file=path)
    assert row_counts(connection) == before
    import_characteristics(ctx, part_number="Widget", revision="A", file=path, units="mm")
    d1 = by_balloon(characteristics(ctx, "Widget", "A"))["D1"]
    assert d1.requirement.text == "⌀2.000 +2.200/+1.800 mm"
    assert (d1.requirement.lower_limit, d1.requirement.units) == (Decimal("3.800"), "mm")


def test_an_inch_model_keeps_inches(ctx: ServiceContext, samples: Path) -> None:
    """ctc_05 is toleranced in inches: requirement units 'in', limits in inches."""
    a_part(ctx, number="CTC-05")
    import_characteristics(
        ctx,
        part_number="CTC-05",
        revision="A",
        file=samples / "NISTmodels/nist_ctc_05_asme1_ap242.qif",
    )
    diameter = by_balloon(characteristics(ctx, "CTC-05", "A"))["17"]
    assert diameter.requirement.text == "⌀10.000 ±.001 in"  # Y14.5 inch: no leading zero
    assert diameter.requirement.units == "in"
    assert diameter.requirement.evaluate(Decimal("254.03"), "mm") is Conformance.NONCONFORMING


# ---------------------------------------------------------------------------------------------
# Refusals: nothing written
# ---------------------------------------------------------------------------------------------

HOSTILE = {
    "broken XML": b'<?xml version="1.0"?><QIFDocument xmlns="http://qifstandards.org/xsd/qif3">',
    "entity expansion": b'<?xml version="1.0"?>\n<!DOCTYPE QIFDocument [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
    b'<QIFDocument xmlns="http://qifstandards.org/xsd/qif3"><QPId>&b;</QPId></QIFDocument>',
    "external entity": b'<?xml version="1.0"?>\n<!DOCTYPE QIFDocument [<!ENTITY x SYSTEM '
    b'"file:///etc/passwd">]>\n<QIFDocument xmlns="http://qifstandards.org/xsd/qif3">'
    b"<QPId>&x;</QPId></QIFDocument>",
    "wrong root": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
    "not XML": b"\x89PNG\r\n\x1a\n",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_file_is_refused_and_writes_nothing(
    ctx: ServiceContext, connection: sa.Connection, case: str
) -> None:
    """Broken, entity-laden, external-entity, foreign and binary files: a clear refusal."""
    a_part(ctx)
    before = row_counts(connection)
    with pytest.raises(QifImportError) as refused:
        import_characteristics(
            ctx, part_number=PART, revision="A", file=io.BytesIO(HOSTILE[case]), file_name="x.qif"
        )
    assert refused.value.code == "invalid_qif_file"
    if "entity" in case:
        assert refused.value.details["reason"] == "xml_declaration_refused"
    assert str(refused.value).startswith("x.qif")
    assert "root:" not in str(refused.value)
    assert row_counts(connection) == before


def test_a_schema_invalid_model_is_refused_and_writes_nothing(
    ctx: ServiceContext, connection: sa.Connection, samples: Path
) -> None:
    """A tolerance '0,75' is not xs:decimal: the error names it, and no row is written."""
    a_part(ctx)
    data = (samples / CTC_01).read_bytes().replace(b">0.75<", b">0,75<", 1)
    before = row_counts(connection)
    with pytest.raises(QifImportError, match="'0,75'"):
        import_characteristics(ctx, part_number=PART, revision="A", file=io.BytesIO(data))
    assert row_counts(connection) == before


def test_a_balloon_taken_by_hand_refuses_the_whole_import(
    ctx: ServiceContext, connection: sa.Connection, samples: Path
) -> None:
    """Balloon 5 typed by hand collides with the model's 5: all or nothing."""
    part = a_part(ctx)
    rev = part.revision("A")
    assert rev is not None
    catalog.add_characteristics(
        ctx,
        rev.id,
        f"{PART}-MBD",
        [catalog.CharacteristicSpec("5", model.CharacteristicType.NOTE, requirement="Deburr")],
    )
    before = row_counts(connection)
    with pytest.raises(ConflictError, match="Balloon 5 already exists"):
        import_characteristics(ctx, part_number=PART, revision="A", file=samples / CTC_01)
    assert row_counts(connection) == before


def test_an_unknown_part_or_revision_is_named(ctx: ServiceContext, samples: Path) -> None:
    """The part and revision are checked before the file is read."""
    a_part(ctx)
    with pytest.raises(NotFoundError, match="NOPE"):
        import_characteristics(ctx, part_number="NOPE", revision="A", file=samples / CTC_01)
    with pytest.raises(NotFoundError, match="rev Z"):
        import_characteristics(ctx, part_number=PART, revision="Z", file=samples / CTC_01)


def test_a_revision_with_two_drawings_needs_the_drawing_named(
    ctx: ServiceContext, samples: Path
) -> None:
    """Which drawing gets the list is never guessed."""
    part = catalog.create_part(ctx, number="TWO", name="Two drawings")
    catalog.add_revision(
        ctx,
        part.id,
        revision="A",
        drawings=[catalog.DrawingSpec("D-1", "A"), catalog.DrawingSpec("D-2", "A")],
    )
    with pytest.raises(ValidationError, match="name the one"):
        import_characteristics(ctx, part_number="TWO", revision="A", file=samples / CTC_01)
    summary = import_characteristics(
        ctx, part_number="TWO", revision="A", file=samples / CTC_01, drawing_number="D-2"
    )
    assert summary.drawing_number == "D-2"
    with pytest.raises(ConflictError, match="already imported into drawing D-2"):
        import_characteristics(
            ctx, part_number="TWO", revision="A", file=samples / CTC_01, drawing_number="D-1"
        )


# ---------------------------------------------------------------------------------------------
# Diff of two revisions
# ---------------------------------------------------------------------------------------------


def test_a_changed_model_imported_as_a_new_revision_gives_exactly_its_diff(
    ctx: ServiceContext, samples: Path
) -> None:
    """Rev B tightens balloon 12 and drops balloon 2: one changed, one removed, none added."""
    a_part(ctx, revisions=("A", "B"))
    import_characteristics(ctx, part_number=PART, revision="A", file=samples / CTC_01)
    import_characteristics(
        ctx,
        part_number=PART,
        revision="B",
        file=io.BytesIO(modified_ctc_01(samples)),
        file_name="nist_ctc_01_rev_b.qif",
    )
    result = diff_revisions(ctx, PART, "A", "B")
    diff = result.diff
    assert diff.added == ()
    assert [(r.balloon, r.requirement) for r in diff.removed] == [("2", "⏥ 0.2")]
    (change,) = diff.changed
    assert change.after.balloon == "12"
    assert change.fields == (ChangedField.REQUIREMENT, ChangedField.LIMITS)
    assert (change.changes[0].before, change.changes[0].after) == (
        "⌀25.00 ±0.15 mm",
        "⌀25.00 ±0.10 mm",
    )
    assert diff.unchanged == 12
    assert diff.affects_design
    assert diff.balloons_to_reinspect == ("12",)
    assert diff_revisions(ctx, PART, "B", "A").diff.added[0].balloon == "2"


def test_a_revision_compared_with_itself_has_no_diff(ctx: ServiceContext, samples: Path) -> None:
    """The same list on both sides: nothing to re-inspect."""
    a_part(ctx)
    import_characteristics(ctx, part_number=PART, revision="A", file=samples / CTC_01)
    diff = diff_revisions(ctx, PART, "A", "A").diff
    assert diff.is_empty
    assert diff.unchanged == 14


# ---------------------------------------------------------------------------------------------
# Export for review
# ---------------------------------------------------------------------------------------------


def test_the_xlsx_export_lists_every_characteristic_readably(
    ctx: ServiceContext, samples: Path
) -> None:
    """One row per balloon in drawing order, the header frozen, values as numbers."""
    a_part(ctx)
    summary = import_characteristics(ctx, part_number=PART, revision="A", file=samples / CTC_01)
    book = load_workbook(io.BytesIO(export_characteristics_xlsx(ctx, PART, "A")))
    sheet = book["Characteristics"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == (
        "Balloon",
        "Drawing",
        "Reference location",
        "Designator",
        "Type",
        "Requirement",
    )
    assert [r[0] for r in rows[1:]] == [str(n) for n in range(1, 15)]
    twelve = rows[12]
    assert twelve[5] == "⌀25.00 ±0.15 mm"
    assert (twelve[6], twelve[7], twelve[8], twelve[9]) == (25, 24.85, 25.15, "mm")
    assert twelve[10] == "1494"
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["F"].width >= 40
    source = list(book["Source"].iter_rows(values_only=True))
    assert ("Part number", PART) in source
    assert any(summary.source_sha256 in str(r[1]) for r in source)


def test_text_from_a_file_never_becomes_a_spreadsheet_formula(ctx: ServiceContext) -> None:
    """A requirement beginning with '=' is exported as text."""
    part = a_part(ctx)
    rev = part.revision("A")
    assert rev is not None
    catalog.add_characteristics(
        ctx,
        rev.id,
        f"{PART}-MBD",
        [
            catalog.CharacteristicSpec(
                "1", model.CharacteristicType.NOTE, requirement='=HYPERLINK("http://x","y")'
            )
        ],
    )
    book = load_workbook(io.BytesIO(export_characteristics_xlsx(ctx, PART, "A")))
    cell = book["Characteristics"]["F2"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://x","y")'


# ---------------------------------------------------------------------------------------------
# General notes
# ---------------------------------------------------------------------------------------------

EDGES = "BREAK ALL SHARP EDGES 0.4 MAX"
UNTOLERANCED = "ALL UNTOLERANCED DIMENSIONS ±0.5 MM"


def ctc_01_with_notes(samples: Path) -> bytes:
    """ctc_01 whose two text notes say what the NIST drawing's general notes say (NIST's
    export leaves their text empty): Text.1 flagged 3, a balloon a dimension holds already,
    and Text.2 flagged 19, which is free."""
    tree = etree.parse(str(samples / CTC_01))
    for note_id, text, flag in (("1500", EDGES, "3"), ("1502", UNTOLERANCED, "19")):
        note = tree.getroot().find(f".//{Q}Note[@id='{note_id}']")
        assert note is not None
        element = note.find(f"{Q}Text")
        assert element is not None
        element.text = text
        designator = note.find(f"{Q}Attributes/{Q}AttributeStr")
        assert designator is not None
        designator.set("value", flag)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def test_a_models_empty_notes_are_not_offered(ctx: ServiceContext, samples: Path) -> None:
    """NIST's notes carry no text: nothing is offered, nothing is added."""
    a_part(ctx)
    summary = import_characteristics(ctx, part_number=PART, revision="A", file=samples / CTC_01)
    assert summary.notes_offered == ()
    assert all(c.ctype is not model.CharacteristicType.NOTE for c in summary.characteristics)


def test_general_notes_are_offered_then_taken_as_note_characteristics(
    ctx: ServiceContext, samples: Path
) -> None:
    """Without asking, the two notes are offered and not created; asked, each becomes a note
    characteristic with its text, ballooned as the file flags it where that balloon is free
    (19), else N1 (3 is a dimension's), traced to its QIF item."""
    a_part(ctx, revisions=("A", "B"))
    data = ctc_01_with_notes(samples)
    offered = import_characteristics(
        ctx, part_number=PART, revision="A", file=io.BytesIO(data), file_name="ctc.qif"
    )
    assert offered.notes_offered == (EDGES, UNTOLERANCED)
    assert "2 general note(s)" in offered.message
    assert {c.requirement.text for c in characteristics(ctx, PART, "A")}.isdisjoint(
        {EDGES, UNTOLERANCED}
    )
    taken = import_characteristics(
        ctx, part_number=PART, revision="B", file=io.BytesIO(data), file_name="ctc.qif", notes=True
    )
    assert taken.notes_offered == ()
    assert taken.created == offered.created + 2
    notes = {
        c.requirement.text: (c.balloon, c.source_item)
        for c in characteristics(ctx, PART, "B")
        if c.ctype is model.CharacteristicType.NOTE
    }
    assert notes == {EDGES: ("N1", "1500"), UNTOLERANCED: ("19", "1502")}
