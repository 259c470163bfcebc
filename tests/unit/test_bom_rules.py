"""An assembly's bill of materials (model.BomLine, check_bill_of_materials) and the Form 1
index built from it (FirstArticle.index_from_bom)."""

from __future__ import annotations

import pytest
from builders import a_bare_fai, an_index_entry, walk_to

from firstarticle.domain import model
from firstarticle.domain.errors import ConflictError, ValidationError
from firstarticle.domain.lifecycle import FaiStatus

T = model.IndexPartType
ASSEMBLY = "ASM-500"


def a_line(
    find_number: str = "10",
    part_number: str = "P-200",
    part_type: model.IndexPartType = T.DETAIL,
    revision: str | None = "A",
    quantity: int = 1,
) -> model.BomLine:
    return model.BomLine(
        "rev-asm", find_number, part_number, "Bushing", part_type, quantity, revision
    )


def an_assembly_fai(status: FaiStatus = FaiStatus.DRAFT) -> model.FirstArticle:
    return walk_to(a_bare_fai(fai_type=model.FaiType.ASSEMBLY), status)


def test_a_bom_of_distinct_find_numbers_is_accepted_as_given():
    """Lines with their own find numbers pass, stripped, in the order given."""
    lines = [a_line(" 20 ", "P-300"), a_line("10", "NAS1149", T.STANDARD_CATALOGUE, None, 4)]
    checked = model.check_bill_of_materials(ASSEMBLY, lines)
    assert [(b.find_number, b.part_number) for b in checked] == [
        ("20", "P-300"),
        ("10", "NAS1149"),
    ]


def test_a_find_number_twice_is_refused_naming_the_field():
    """Two lines at one find number are refused: the BOM would be ambiguous."""
    with pytest.raises(ValidationError, match="Find number 10 appears twice") as error:
        model.check_bill_of_materials(ASSEMBLY, [a_line("10"), a_line("10", "P-300")])
    assert error.value.details["field"] == "find_number"


def test_the_assembly_cannot_be_its_own_component():
    """A line naming the assembly's own part number is refused."""
    with pytest.raises(ValidationError, match="cannot be a component of itself") as error:
        model.check_bill_of_materials(ASSEMBLY, [a_line(part_number=ASSEMBLY)])
    assert error.value.details["field"] == "part_number"


@pytest.mark.parametrize("part_type", [T.DETAIL, T.SUB_ASSEMBLY, T.SOFTWARE])
def test_details_sub_assemblies_and_software_are_listed_at_a_revision(part_type):
    """Without its revision such a line is refused; the FAIR it needs depends on it."""
    with pytest.raises(ValidationError, match="listed at its revision") as error:
        model.check_bill_of_materials(ASSEMBLY, [a_line(part_type=part_type, revision=" ")])
    assert error.value.details["field"] == "revision"


@pytest.mark.parametrize("part_type", [T.STANDARD_CATALOGUE, T.COTS])
def test_catalogue_items_and_cots_may_come_without_a_revision(part_type):
    """A catalogue item or COTS is known by its part number alone."""
    [line] = model.check_bill_of_materials(ASSEMBLY, [a_line(part_type=part_type, revision=None)])
    assert line.revision is None


def test_a_quantity_below_one_is_refused():
    """An assembly takes at least one of each item it lists."""
    with pytest.raises(ValidationError) as error:
        model.check_bill_of_materials(ASSEMBLY, [a_line(quantity=0)])
    assert error.value.details["field"] == "quantity"


def test_the_index_lists_every_line_in_find_number_order_with_fairs_only_where_needed():
    """Details and sub-assemblies get the FAIR found for them; catalogue, COTS and software
    get none even when one is offered."""
    fai = an_assembly_fai()
    lines = [
        a_line("30", "SW-1", T.SOFTWARE, "2.1"),
        a_line("10", "P-200"),
        a_line("20", "MS24665", T.COTS, None),
    ]
    fairs = {"10": "FAIR-0042", "20": "FAIR-9999", "30": "FAIR-9998"}
    removed, added = fai.index_from_bom(lines, fairs)
    assert removed == []
    assert [(e.part_number, e.revision, e.fair_identifier, e.origin) for e in fai.index] == [
        ("P-200", "A", "FAIR-0042", model.IndexOrigin.BOM),
        ("MS24665", None, None, model.IndexOrigin.BOM),
        ("SW-1", "2.1", None, model.IndexOrigin.BOM),
    ]
    assert added == fai.index


def test_a_rebuild_replaces_bom_entries_and_hand_entries_the_bom_lists_and_keeps_the_rest():
    """Hand entries for parts the BOM does not list stay; the BOM's own are rebuilt."""
    fai = an_assembly_fai()
    fai.index_from_bom([a_line("10", "P-200"), a_line("20", "P-300")], {"10": "FAIR-0042"})
    kept = an_index_entry(fai, "P-900", fair_identifier="FAIR-0900")
    replaced = an_index_entry(fai, "P-400", fair_identifier=None)
    removed, _ = fai.index_from_bom(
        [a_line("10", "P-200"), a_line("40", "P-400")], {"10": "FAIR-0050", "40": "FAIR-0400"}
    )
    assert replaced in removed
    assert kept not in removed
    assert [(e.part_number, e.fair_identifier, e.origin.value) for e in fai.index] == [
        ("P-900", "FAIR-0900", "hand"),
        ("P-200", "FAIR-0050", "bom"),
        ("P-400", "FAIR-0400", "bom"),
    ]


def test_a_fair_named_before_is_kept_when_none_is_found_now():
    """A FAIR a person named for the same part and revision (a supplier's, say) is not lost
    when no FAI of it is found at the site."""
    fai = an_assembly_fai()
    an_index_entry(fai, "P-200", fair_identifier="SUP-FAIR-7")
    fai.index_from_bom([a_line("10", "P-200")], {"10": None})
    [entry] = fai.index
    assert (entry.fair_identifier, entry.origin) == ("SUP-FAIR-7", model.IndexOrigin.BOM)


def test_only_an_assembly_fai_has_an_index_from_a_bom():
    """A detail FAI lists no index."""
    with pytest.raises(ValidationError, match="Only an assembly FAI"):
        a_bare_fai().index_from_bom([a_line()], {})


def test_the_index_of_a_submitted_fai_does_not_change():
    """Once the package cannot change, neither can its index; nothing is touched."""
    fai = an_assembly_fai(FaiStatus.SUBMITTED)
    with pytest.raises(ConflictError):
        fai.index_from_bom([a_line()], {"10": "FAIR-0042"})
    assert fai.index == []
