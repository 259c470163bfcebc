"""The characteristic diff: what a delta FAI must cover between two revisions."""

from __future__ import annotations

from decimal import Decimal

from firstarticle.domain.characteristic_diff import (
    ChangedField,
    MatchedBy,
    diff_characteristics,
)
from firstarticle.domain.model import (
    Characteristic,
    CharacteristicDesignator,
    CharacteristicType,
)
from firstarticle.domain.values import Requirement

DIMENSIONAL = CharacteristicType.DIMENSIONAL


def size(nominal: str, tolerance: str, units: str = "mm") -> Requirement:
    return Requirement.toleranced(Decimal(nominal), Decimal(tolerance), -Decimal(tolerance), units)


def char(
    balloon: str,
    requirement: Requirement | None = None,
    *,
    item: str | None = None,
    drawing: str = "D1",
    designator: CharacteristicDesignator | None = None,
    zone: str | None = None,
) -> Characteristic:
    return Characteristic(
        drawing,
        balloon,
        DIMENSIONAL,
        requirement or size("10", "0.1"),
        sheet="1" if zone else None,
        zone=zone,
        designator=designator,
        source_document="part.qif" if item else None,
        source_sha256="ab" * 32 if item else None,
        source_item=item,
    )


def test_identical_lists_differ_in_nothing() -> None:
    """Same items, same requirements: an empty diff that counts them unchanged."""
    before = [char("1", item="q1"), char("2", size("5", "0.2"), item="q2")]
    after = [char("1", item="q1"), char("2", size("5", "0.2"), item="q2")]
    diff = diff_characteristics(before, after)
    assert diff.is_empty
    assert not diff.affects_design
    assert diff.unchanged == 2


def test_a_changed_tolerance_is_a_changed_requirement_of_the_same_item() -> None:
    """The same source item with a tighter tolerance: requirement and limits changed."""
    before = [char("1", size("25", "0.15"), item="1494"), char("2", item="1443")]
    after = [char("1", size("25", "0.10"), item="1494"), char("2", item="1443")]
    diff = diff_characteristics(before, after)
    (change,) = diff.changed
    assert change.matched_by is MatchedBy.SOURCE_ITEM
    assert change.fields == (ChangedField.REQUIREMENT, ChangedField.LIMITS)
    assert change.changes[0].before == "25 ±0.15 mm"
    assert change.changes[0].after == "25 ±0.10 mm"
    assert change.changes[1].after == "24.90 .. 25.10 mm"
    assert change.affects_design
    assert diff.affects_design
    assert diff.balloons_to_reinspect == ("1",)
    assert (diff.added, diff.removed, diff.unchanged) == ((), (), 1)


def test_items_gone_and_new_are_removed_and_added() -> None:
    """An item only in the older list is removed, one only in the newer is added."""
    before = [char("1", item="a"), char("2", item="b")]
    after = [char("1", item="a"), char("3", item="c")]
    diff = diff_characteristics(before, after)
    assert [s.balloon for s in diff.removed] == ["2"]
    assert [s.balloon for s in diff.added] == ["3"]
    assert diff.balloons_to_reinspect == ("3",)


def test_a_renumbered_balloon_of_the_same_item_is_a_label_change_only() -> None:
    """Matched by its source item, the characteristic moved from balloon 4 to 7."""
    diff = diff_characteristics([char("4", item="q")], [char("7", item="q")])
    (change,) = diff.changed
    assert change.fields == (ChangedField.BALLOON,)
    assert (change.before.balloon, change.after.balloon) == ("4", "7")
    assert not change.affects_design
    assert not diff.affects_design
    assert diff.balloons_to_reinspect == ()


def test_different_source_items_under_one_balloon_are_different_characteristics() -> None:
    """Both know their item and the items differ: removed and added, never 'changed'."""
    diff = diff_characteristics([char("5", item="old")], [char("5", item="new")])
    assert [s.source_item for s in diff.removed] == ["old"]
    assert [s.source_item for s in diff.added] == ["new"]
    assert diff.changed == ()


def test_characteristics_without_source_item_are_matched_by_balloon() -> None:
    """Typed by hand on both sides: balloon 2 changed its tolerance."""
    diff = diff_characteristics(
        [char("1"), char("2", size("5", "0.2"))], [char("1"), char("2", size("5", "0.1"))]
    )
    (change,) = diff.changed
    assert change.matched_by is MatchedBy.BALLOON
    assert change.after.balloon == "2"
    assert diff.unchanged == 1


def test_a_typed_characteristic_and_an_imported_one_meet_by_balloon() -> None:
    """Only one side knows its source item: the balloon decides."""
    diff = diff_characteristics([char("3")], [char("3", item="q3")])
    assert diff.is_empty
    assert diff.unchanged == 1


def test_a_new_designator_changes_the_design_a_moved_zone_does_not() -> None:
    """Becoming a key characteristic counts for re-inspection; a new drawing zone does not."""
    before = [char("1", item="a", zone="B2"), char("2", item="b", zone="C3")]
    after = [
        char("1", item="a", zone="B2", designator=CharacteristicDesignator.KEY),
        char("2", item="b", zone="D4"),
    ]
    diff = diff_characteristics(before, after)
    first, second = diff.changed
    assert first.fields == (ChangedField.DESIGNATOR,)
    assert (first.changes[0].before, first.changes[0].after) == (None, "key")
    assert second.fields == (ChangedField.REFERENCE_LOCATION,)
    assert second.changes[0].after == "Sheet 1, Zone D4"
    assert diff.balloons_to_reinspect == ("1",)


def test_equal_limits_written_with_other_digits_are_not_a_change() -> None:
    """0.25 and 0.250 are the same limit; only the value counts, when the text is the same."""
    a = Requirement("⌖ ⌀0.25 | A", Decimal(0), Decimal(0), Decimal("0.25"), "mm")
    b = Requirement("⌖ ⌀0.25 | A", Decimal("0.0"), Decimal(0), Decimal("0.250"), "mm")
    assert diff_characteristics([char("9", a, item="p")], [char("9", b, item="p")]).is_empty


def test_balloons_repeat_across_drawings_when_drawing_numbers_are_given() -> None:
    """Balloon 1 of two drawings: compared per drawing number, not mixed up."""
    before = [char("1", drawing="old-a"), char("1", size("7", "0.1"), drawing="old-b")]
    after = [char("1", drawing="new-a"), char("1", size("7", "0.2"), drawing="new-b")]
    numbers = {"old-a": "DWG-A", "new-a": "DWG-A", "old-b": "DWG-B", "new-b": "DWG-B"}
    diff = diff_characteristics(before, after, numbers)
    (change,) = diff.changed
    assert (change.after.drawing, change.after.balloon) == ("DWG-B", "1")
    assert diff.unchanged == 1


def test_reinspection_balloons_are_in_drawing_order() -> None:
    """Added and redefined balloons come sorted as people read them: 2 before 10."""
    after = [char("10", item="x"), char("2", item="y"), char("1", size("1", "0.5"), item="z")]
    diff = diff_characteristics([char("1", item="z")], after)
    assert diff.balloons_to_reinspect == ("1", "2", "10")
