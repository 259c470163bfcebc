"""Imported values and balloons (issue 17): units converted exactly or not at all; balloons
numbered by one rule; results shown at the drawing's precision."""

from __future__ import annotations

from decimal import Decimal

import pytest

from firstarticle.domain.errors import UnitMismatchError
from firstarticle.domain.inspection_files import number_balloons
from firstarticle.domain.requirement_text import shown_value
from firstarticle.domain.values import Requirement, convert_exactly, same_at_precision
from firstarticle.integrations.inspection import qif


def test_inches_become_millimetres_exactly() -> None:
    assert convert_exactly(Decimal("1.2345"), "inch", "mm") == Decimal("31.35630")
    assert convert_exactly(Decimal("3"), "mil", "mm") == Decimal("0.0762")


def test_millimetres_become_inches_only_where_that_is_exact() -> None:
    assert convert_exactly(Decimal("25.4"), "mm", "in") == Decimal("1")
    assert convert_exactly(Decimal("10"), "mm", "in") is None


def test_units_that_are_not_both_known_lengths_are_refused() -> None:
    with pytest.raises(UnitMismatchError):
        convert_exactly(Decimal("1"), "furlong", "mm")
    with pytest.raises(UnitMismatchError):
        convert_exactly(Decimal("1"), "deg", "mm")


def test_a_limit_written_in_other_units_to_the_files_digits_is_the_same_limit() -> None:
    assert same_at_precision(Decimal("30.4909"), "in", Decimal("774.47"), "mm")
    assert not same_at_precision(Decimal("30.4950"), "in", Decimal("774.47"), "mm")
    # In the same units the numbers must be equal: 774.5 is not the drawing's 774.47.
    assert not same_at_precision(Decimal("774.5"), "mm", Decimal("774.47"), "mm")
    assert same_at_precision(Decimal("774.470"), "mm", Decimal("774.47"), "mm")


@pytest.mark.parametrize(
    "designators",
    [
        [None, None, None],
        ["1", None, "3", None, None],
        ["A", None, "2", None, "-", None],
        [None, "1", None, "1"],
        [],
    ],
)
def test_the_qif_reader_numbers_balloons_by_the_domains_rule(
    designators: list[str | None],
) -> None:
    """Results and characteristics of one file get the same balloons (issue 17)."""
    assert qif.number_balloons(designators) == [b for b, _ in number_balloons(designators)]


def test_a_result_shows_at_the_requirements_precision_and_keeps_its_digits() -> None:
    """774.30999999999995 against "Y 774.270 ±0.2 mm" reads 774.310; the stored value is
    untouched."""
    requirement = Requirement.toleranced(
        Decimal("774.27"), Decimal("0.2"), Decimal("-0.2"), "mm", text="Y 774.270 ±0.2 mm"
    )
    value = Decimal("774.30999999999995")
    assert shown_value(value, "mm", requirement) == "774.310"
    assert value == Decimal("774.30999999999995")


def test_rounding_for_display_never_hides_a_nonconformance() -> None:
    """10.4004 against ⌀10 ±0.4: 10.400 would look conforming, so 10.4004 is shown."""
    requirement = Requirement.toleranced(
        Decimal("10"), Decimal("0.4"), Decimal("-0.4"), "mm", text="⌀10 ±0.4 mm"
    )
    assert shown_value(Decimal("10.40000000000001"), "mm", requirement) == "10.40000000000001"
    assert shown_value(Decimal("10.16"), "mm", requirement) == "10.16"  # as the gauge says
    assert shown_value(Decimal("10.1"), "mm", requirement) == "10.1"


def test_a_noisy_value_on_whole_numbers_shows_micrometres_or_tenths() -> None:
    """ "⌓ 4" says nothing about places: a float-noisy value shows 3 in mm, 4 in inches."""
    profile = Requirement(
        "⌓ 4", nominal=Decimal(0), lower_limit=Decimal(-2), upper_limit=Decimal(2), units="mm"
    )
    assert shown_value(Decimal("-0.886195693015347"), "mm", profile) == "-0.886"
    requirement = Requirement.toleranced(
        Decimal("2"), Decimal("1"), Decimal("-1"), "in", text="2 ±1 in"
    )
    assert shown_value(Decimal("2.62537000000001"), "in", requirement) == "2.6254"
    assert shown_value(Decimal("2.1"), "in", requirement) == "2.1"
