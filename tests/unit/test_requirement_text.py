"""A characteristic's drawing text must name the numbers it is judged by (Form 3 field 8)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from firstarticle.domain import model
from firstarticle.domain.records import CharacteristicSpec
from firstarticle.domain.requirement_text import RequirementTextMismatchError, disagreement

D = Decimal


def spec(text: str | None, **numbers: str) -> CharacteristicSpec:
    return CharacteristicSpec(
        "8",
        model.CharacteristicType.DIMENSIONAL,
        requirement=text,
        units="mm",
        **{k: D(v) for k, v in numbers.items()},
    )


def test_the_demo_case_a_radius_text_over_other_limits_is_refused():
    """The case seen in the field: 'R1.5 ±0.2 mm' judged against 2.8-3.2 is refused with a
    stable code, so '2.924 OK' can no longer be printed against R1.5."""
    with pytest.raises(RequirementTextMismatchError) as refused:
        spec(
            "R1.5 ±0.2 mm", nominal="3.0", upper_tolerance="0.2", lower_tolerance="-0.2"
        ).build_requirement()
    assert refused.value.code == "requirement_text_mismatch"


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("R3.0 ±0.2 mm", {"nominal": "3.0", "upper_tolerance": "0.2", "lower_tolerance": "-0.2"}),
        (
            "⌀12.70 +0.05/0 mm THRU (2X)",
            {"nominal": "12.70", "upper_tolerance": "0.05", "lower_tolerance": "0"},
        ),
        ("⌀6.35 +0.05/-0 mm", {"lower_limit": "6.35", "upper_limit": "6.40"}),
        ("2.8-3.2 mm", {"lower_limit": "2.8", "upper_limit": "3.2"}),
        ("Ra 1.6 µm max", {"upper_limit": "1.6"}),
        ("⏥ 0.05", {"nominal": "0", "upper_limit": "0.05"}),
        ("⌓ 4", {"lower_limit": "-2", "upper_limit": "2"}),
        (
            "Y 774.270 ±0.2 mm",
            {"nominal": "774.26989746093795", "upper_tolerance": "0.2", "lower_tolerance": "-0.2"},
        ),
    ],
)
def test_texts_that_name_their_numbers_are_accepted(text, numbers):
    """Nominal and tolerances, limits, a zone width, or float noise below the text's digits."""
    units = "um" if "µm" in text else "mm"
    built = CharacteristicSpec(
        "8",
        model.CharacteristicType.DIMENSIONAL,
        requirement=text,
        units=units,
        **{k: D(v) for k, v in numbers.items()},
    ).build_requirement()
    assert built.text == text


def test_a_whole_number_in_the_text_is_not_a_rounding():
    """'R1 ±0.2' does not stand for a radius of 1.4; '81.209' does stand for 81.20884."""
    assert disagreement("R1 ±0.2 mm", D("1.4"), D("1.2"), D("1.6"), "mm")
    assert disagreement("81.209 ±0.5 mm", D("81.20884"), D("80.70884"), D("81.70884"), "mm") is None


def test_a_text_in_inches_over_limits_in_millimetres_is_refused():
    """The digits match but the unit does not: refused."""
    assert disagreement("0.250 ±0.005 in", D("0.250"), D("0.245"), D("0.255"), "mm")


def test_without_a_text_the_requirement_text_is_derived_from_the_numbers():
    """A characteristic given only numbers reads as its numbers."""
    built = spec(None, nominal="3.0", upper_tolerance="0.2", lower_tolerance="-0.2")
    assert built.build_requirement().text == "3.0 ±0.2 mm"


@given(
    nominal=st.decimals("0.1", "999", places=2),
    tolerance=st.decimals("0.01", "1", places=2),
    other=st.decimals("0.1", "999", places=2),
)
def test_a_text_naming_another_nominal_is_always_refused(nominal, tolerance, other):
    """For any toleranced dimension, the text of another nominal disagrees; its own agrees."""
    assume(nominal != tolerance)  # a text naming the tolerance would name the nominal too
    own = f"{nominal} ±{tolerance} mm"
    assert disagreement(own, nominal, nominal - tolerance, nominal + tolerance, "mm") is None
    if other.quantize(D("0.01")) not in {
        nominal,
        nominal - tolerance,
        nominal + tolerance,
        tolerance,
    }:
        text = f"{other} ±{tolerance} mm"
        assert disagreement(text, nominal, nominal - tolerance, nominal + tolerance, "mm")
