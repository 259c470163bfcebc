"""Requirements, units and conformance in Decimal (firstarticle.domain.values)."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from firstarticle.domain.errors import UnitMismatchError, ValidationError
from firstarticle.domain.values import (
    Conformance,
    Requirement,
    convert,
    format_toleranced,
    normalize_unit,
    to_decimal,
)

C, NC = Conformance.CONFORMING, Conformance.NONCONFORMING
D = Decimal


def toleranced(nominal: str, plus: str, minus: str, units: str = "mm") -> Requirement:
    """Shorthand for a toleranced requirement from decimal strings."""
    return Requirement.toleranced(D(nominal), D(plus), D(minus), units)


# --- limits are inclusive, and one step beyond is out ----------------------------------------


def test_a_value_exactly_at_the_upper_limit_conforms():
    """25.05 against 25.00 ±0.05 mm is on the limit, and limits are inclusive."""
    assert toleranced("25.00", "0.05", "-0.05").evaluate(D("25.05"), "mm") is C


def test_a_value_exactly_at_the_lower_limit_conforms():
    """24.95 against 25.00 ±0.05 mm is on the lower limit and conforms."""
    assert toleranced("25.00", "0.05", "-0.05").evaluate(D("24.95"), "mm") is C


def test_a_value_at_the_limit_written_with_more_zeros_conforms():
    """25.050000 equals 25.05 as a number; trailing zeros do not move the limit."""
    assert toleranced("25.00", "0.05", "-0.05").evaluate(D("25.050000"), "mm") is C


def test_one_unit_in_the_last_place_above_the_upper_limit_does_not_conform():
    """25.0500001 is beyond 25.05 by 1e-7 and is nonconforming."""
    assert toleranced("25.00", "0.05", "-0.05").evaluate(D("25.0500001"), "mm") is NC


def test_one_unit_in_the_last_place_below_the_lower_limit_does_not_conform():
    """24.9499999 is below 24.95 by 1e-7 and is nonconforming."""
    assert toleranced("25.00", "0.05", "-0.05").evaluate(D("24.9499999"), "mm") is NC


@pytest.mark.parametrize(
    ("value", "expected"),
    [("-5.20", C), ("-5.2000001", NC), ("-4.90", C), ("-4.8999999", NC), ("-5.00", C)],
)
def test_a_negative_nominal_keeps_its_limits_on_the_right_side(value, expected):
    """-5.00 +0.10/-0.20 spans -5.20 to -4.90, both inclusive."""
    requirement = toleranced("-5.00", "0.10", "-0.20")
    assert (requirement.lower_limit, requirement.upper_limit) == (D("-5.20"), D("-4.90"))
    assert requirement.evaluate(D(value), "mm") is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("10.05", C), ("10.0500001", NC), ("9.98", C), ("9.9799999", NC), ("9.99", C)],
)
def test_an_asymmetric_tolerance_judges_each_side_by_its_own_deviation(value, expected):
    """10.00 +0.05/-0.02 accepts 9.98 to 10.05 and nothing beyond."""
    assert toleranced("10.00", "0.05", "-0.02").evaluate(D(value), "mm") is expected


def test_an_asymmetric_requirement_reports_its_signed_deviations():
    """upper_tolerance and lower_tolerance give back the deviations from nominal."""
    requirement = toleranced("10.00", "0.05", "-0.02")
    assert requirement.upper_tolerance == D("0.05")
    assert requirement.lower_tolerance == D("-0.02")


def test_a_band_entirely_above_nominal_refuses_the_nominal_itself():
    """10.00 +0.05/+0.01 (a drawing can say so) does not accept 10.00."""
    requirement = toleranced("10.00", "0.05", "0.01")
    assert requirement.evaluate(D("10.00"), "mm") is NC
    assert requirement.evaluate(D("10.01"), "mm") is C


def test_an_upper_tolerance_below_the_lower_tolerance_is_refused():
    """+0.01/+0.05 is written the wrong way round and is refused."""
    with pytest.raises(ValidationError) as info:
        toleranced("10.00", "0.01", "0.05")
    assert info.value.details["field"] == "upper_tolerance"


def test_a_zero_width_band_accepts_only_the_exact_value():
    """A requirement whose limits are equal accepts that value and nothing else."""
    requirement = Requirement(
        "12.7 exactly", lower_limit=D("12.7"), upper_limit=D("12.7"), units="mm"
    )
    assert requirement.evaluate(D("12.70"), "mm") is C
    assert requirement.evaluate(D("12.7000001"), "mm") is NC


# --- one-sided limits ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [("1.6", C), ("1.6000001", NC), ("0", C), ("0.8", C)]
)
def test_a_maximum_only_requirement_has_no_lower_limit(value, expected):
    """Ra 1.6 max accepts anything up to and including 1.6."""
    requirement = Requirement("Ra 1.6 max", upper_limit=D("1.6"), units="um")
    assert requirement.is_numeric
    assert requirement.evaluate(D(value), "um") is expected


@pytest.mark.parametrize(
    ("value", "expected"), [("5", C), ("4.9999999", NC), ("1000000", C), ("-5", NC)]
)
def test_a_minimum_only_requirement_has_no_upper_limit(value, expected):
    """5.0 min accepts 5 and anything larger."""
    requirement = Requirement("Thread engagement 5.0 min", lower_limit=D("5.0"), units="mm")
    assert requirement.evaluate(D(value), "mm") is expected


def test_a_one_sided_requirement_without_nominal_has_no_deviations():
    """Without a nominal there is no signed deviation to report."""
    requirement = Requirement("Ra 1.6 max", upper_limit=D("1.6"), units="um")
    assert requirement.upper_tolerance is None
    assert requirement.lower_tolerance is None


# --- units ---------------------------------------------------------------------------------


def test_one_inch_converts_to_exactly_25_4_millimetres():
    """1 in = 25.4 mm by definition; no rounding enters."""
    assert convert(D("1"), "in", "mm") == D("25.4")
    assert convert(D("0.0005"), "inch", "millimetre") == D("0.0127")


def test_micro_inches_convert_exactly_to_millimetres():
    """1 µin = 0.0000254 mm exactly."""
    assert convert(D("32"), "µin", "mm") == D("0.0008128")
    assert convert(D("32"), "uin", "mm") == D("0.0008128")


def test_a_value_in_millimetres_is_judged_against_an_inch_requirement_at_its_limit():
    """25.4127 mm is exactly 1.0005 in, the upper limit of 1.0000 ±0.0005 in."""
    requirement = toleranced("1.0000", "0.0005", "-0.0005", "in")
    assert requirement.evaluate(D("25.4127"), "mm") is C
    assert requirement.evaluate(D("25.4127001"), "mm") is NC


def test_a_value_in_inches_is_judged_against_a_millimetre_requirement_at_its_limit():
    """2.001 in is exactly 50.8254 mm, the upper limit of 50.8000 ±0.0254 mm."""
    requirement = toleranced("50.8000", "0.0254", "-0.0254", "mm")
    assert requirement.evaluate(D("2.001"), "in") is C
    assert requirement.evaluate(D("2.0010001"), "in") is NC


def test_unit_spellings_are_normalised_to_their_canonical_names():
    """Inch, " MM ", millimetres and the inch mark all have one canonical spelling."""
    assert [normalize_unit(u) for u in ("Inch", " MM ", "millimetres", '"', "Microns")] == [
        "in",
        "mm",
        "mm",
        "in",
        "um",
    ]


def test_an_unknown_unit_passes_unchanged():
    """Units the domain does not know (psi) are kept as written."""
    assert normalize_unit(" psi ") == "psi"


def test_a_blank_unit_is_refused():
    """A unit made of whitespace is no unit."""
    with pytest.raises(ValidationError):
        normalize_unit("   ")


@pytest.mark.parametrize(("value_units", "requirement_units"), [("deg", "mm"), ("in", "psi")])
def test_incompatible_units_raise_a_unit_mismatch(value_units, requirement_units):
    """An angle cannot be judged against a length, nor a length against a pressure."""
    requirement = Requirement("x", upper_limit=D("1"), units=requirement_units)
    with pytest.raises(UnitMismatchError) as info:
        requirement.evaluate(D("1"), value_units)
    assert info.value.code == "unit_mismatch"
    assert info.value.details == {
        "value_units": value_units,
        "requirement_units": requirement_units,
    }


def test_a_unit_mismatch_is_a_validation_error():
    """Callers that handle ValidationError also handle a unit mismatch."""
    with pytest.raises(ValidationError):
        convert(D("1"), "deg", "in")


# --- to_decimal ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        25.05,
        float("nan"),
        True,
        False,
        "NaN",
        "sNaN",
        "Infinity",
        "-inf",
        D("NaN"),
        D("-Infinity"),
        "25,05",
        "abc",
        "",
        None,
    ],
    ids=repr,
)
def test_to_decimal_refuses_floats_bools_and_non_finite_or_non_numeric_input(raw):
    """Only finite decimal strings, integers and Decimals are numbers here."""
    with pytest.raises(ValidationError) as info:
        to_decimal(raw, "value")
    assert info.value.details["field"] == "value"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("25.0500", "25.0500"), (" -3.2 ", "-3.2"), (7, "7"), (D("1.5"), "1.5"), ("1E-3", "0.001")],
)
def test_to_decimal_accepts_decimal_strings_integers_and_decimals(raw, expected):
    """Accepted input keeps its value exactly."""
    assert to_decimal(raw, "value") == D(expected)


def test_to_decimal_keeps_the_drawing_precision_of_trailing_zeros():
    """'25.0500' stays four decimal places: the exponent is not normalised away."""
    assert to_decimal("25.0500", "value").as_tuple().exponent == -4


# --- requirement construction --------------------------------------------------------------


def test_a_lower_limit_above_the_upper_limit_is_refused():
    """A band from 10.1 down to 10.0 is an input error, not an empty band."""
    with pytest.raises(ValidationError) as info:
        Requirement("x", lower_limit=D("10.1"), upper_limit=D("10.0"), units="mm")
    assert info.value.details["lower_limit"] == "10.1"


@pytest.mark.parametrize("limits", [{"upper_limit": D("1")}, {"lower_limit": D("0")}])
def test_a_numeric_requirement_without_units_is_refused(limits):
    """A limit without units cannot be compared with anything."""
    with pytest.raises(ValidationError) as info:
        Requirement("x", **limits)
    assert info.value.details["field"] == "units"


def test_a_requirement_without_drawing_text_is_refused():
    """Form 3 field 8 always shows the requirement's text."""
    with pytest.raises(ValidationError):
        Requirement("  ", upper_limit=D("1"), units="mm")


def test_a_text_requirement_refuses_evaluation_of_a_value():
    """A note has no limits; it is verified by an attribute result instead."""
    note = Requirement("Break all sharp edges 0.2 max")
    assert not note.is_numeric
    with pytest.raises(ValidationError, match="attribute"):
        note.evaluate(D("0.1"), "mm")


def test_a_basic_dimension_with_only_a_nominal_is_not_numeric():
    """A nominal without limits (a basic dimension) cannot judge a value."""
    basic = Requirement("[25.00] BASIC", nominal=D("25.00"), units="mm")
    assert not basic.is_numeric
    with pytest.raises(ValidationError):
        basic.evaluate(D("25.00"), "mm")


# --- text of a toleranced dimension -------------------------------------------------------


def test_a_symmetric_tolerance_is_written_with_plus_minus():
    """25.00 +0.05/-0.05 mm reads 25.00 ±0.05 mm."""
    assert toleranced("25.00", "0.05", "-0.05").text == "25.00 ±0.05 mm"


def test_an_asymmetric_tolerance_is_written_with_both_signed_deviations():
    """10.00 +0.05/-0.02 mm keeps both signs."""
    assert toleranced("10.00", "0.05", "-0.02").text == "10.00 +0.05/-0.02 mm"


def test_a_band_above_nominal_is_written_with_two_plus_signs():
    """A lower deviation above zero is written with its plus sign."""
    assert format_toleranced(D("10.00"), D("0.05"), D("0.01"), "mm") == "10.00 +0.05/+0.01 mm"


def test_a_toleranced_requirement_writes_its_text_in_canonical_units():
    """Units given as 'Inch' appear as 'in' in the generated text and the requirement."""
    requirement = toleranced("1.000", "0.002", "-0.001", "Inch")
    assert requirement.text == "1.000 +0.002/-0.001 in"
    assert requirement.units == "in"


def test_a_toleranced_requirement_keeps_the_drawing_text_when_given():
    """The drawing's own wording wins over the generated text."""
    requirement = Requirement.toleranced(
        D("25.00"), D("0.05"), D("-0.05"), "mm", text="⌀25.00 ±0.05"
    )
    assert requirement.text == "⌀25.00 ±0.05"


def test_a_unilateral_tolerance_written_minus_zero_reads_as_the_drawing_shows_it():
    """25.00 +0.05/-0 is a common unilateral callout; its text must not read '+-0'."""
    assert toleranced("25.00", "0.05", "-0").text == "25.00 +0.05/-0 mm"


def test_an_angle_in_upper_case_degrees_compares_with_a_requirement_in_degrees():
    """'DEG' and 'deg' are the same unit, as 'MM' and 'mm' are."""
    requirement = Requirement(
        "30° ±0.5°", lower_limit=D("29.5"), upper_limit=D("30.5"), units="deg"
    )
    assert requirement.evaluate(D("30.1"), "DEG") is C


def test_a_nominal_with_more_than_28_digits_is_either_kept_exactly_or_refused():
    """Silently rounding a limit would judge the nominal itself nonconforming."""
    nominal = D("1.0000000000000000000000000001")  # 29 significant digits
    try:
        requirement = Requirement.toleranced(nominal, D(0), D(0), "mm")
    except ValidationError:
        return
    assert requirement.evaluate(nominal, "mm") is C


# --- properties ----------------------------------------------------------------------------

# Drawing-like numbers: up to 4 decimals, within a metre (or 1000 inches).
nominals = st.decimals(min_value=-1000, max_value=1000, places=4)
deviations = st.decimals(min_value=0, max_value=10, places=4)
# A step beyond a limit: from 1e-9 up to 100.
steps = st.decimals(min_value=D("1e-9"), max_value=100, places=9)
# Lengths as instruments report them: up to 6 decimals, up to a kilometre.
lengths = st.decimals(min_value=-(10**6), max_value=10**6, places=6)


@settings(max_examples=200)
@given(nominal=nominals, plus=deviations, minus=deviations)
def test_the_nominal_and_both_limits_of_any_tolerance_band_conform(nominal, plus, minus):
    """For any nominal and deviations +plus/-minus, nominal and limits conform."""
    requirement = Requirement.toleranced(nominal, plus, -minus, "mm")
    assert requirement.evaluate(nominal, "mm") is C
    assert requirement.lower_limit is not None
    assert requirement.upper_limit is not None
    assert requirement.evaluate(requirement.lower_limit, "mm") is C
    assert requirement.evaluate(requirement.upper_limit, "mm") is C


@settings(max_examples=200)
@given(nominal=nominals, plus=deviations, minus=deviations, step=steps, above=st.booleans())
def test_any_value_strictly_outside_the_band_does_not_conform(nominal, plus, minus, step, above):
    """Any step beyond either limit, however small, is nonconforming."""
    requirement = Requirement.toleranced(nominal, plus, -minus, "mm")
    assert requirement.lower_limit is not None
    assert requirement.upper_limit is not None
    value = requirement.upper_limit + step if above else requirement.lower_limit - step
    assert requirement.evaluate(value, "mm") is NC


@settings(max_examples=200)
@given(nominal=nominals, plus=deviations, minus=deviations, offset=st.integers(-3, 3))
def test_a_length_in_inches_near_a_millimetre_limit_gets_its_millimetre_verdict(
    nominal, plus, minus, offset
):
    """x in is judged against a mm requirement as x * 25.4 mm is."""
    requirement = Requirement.toleranced(nominal, plus, -minus, "mm")
    assert requirement.lower_limit is not None
    assert requirement.upper_limit is not None
    inches = (requirement.upper_limit / D("25.4")).quantize(D("1e-8")) + offset * D("1e-8")
    in_mm = inches * D("25.4")
    expected = C if requirement.lower_limit <= in_mm <= requirement.upper_limit else NC
    assert requirement.evaluate(inches, "in") is expected


@settings(max_examples=200)
@given(nominal=nominals, plus=deviations, minus=deviations, offset=st.integers(-3, 3))
def test_a_length_in_millimetres_near_an_inch_limit_gets_its_inch_verdict(
    nominal, plus, minus, offset
):
    """x * 25.4 mm is judged against an inch requirement as x in is."""
    requirement = Requirement.toleranced(nominal, plus, -minus, "in")
    assert requirement.lower_limit is not None
    assert requirement.upper_limit is not None
    inches = requirement.upper_limit + offset * D("0.0001")
    expected = C if requirement.lower_limit <= inches <= requirement.upper_limit else NC
    assert requirement.evaluate(inches, "in") is expected
    assert requirement.evaluate(inches * D("25.4"), "mm") is expected


@settings(max_examples=200)
@given(length=lengths)
def test_inches_to_millimetres_and_back_round_trips_exactly(length):
    """in -> mm multiplies by 25.4 exactly, and dividing back is exact again."""
    assert convert(convert(length, "in", "mm"), "mm", "in") == length


@settings(max_examples=200)
@given(length=lengths)
def test_millimetres_to_inches_and_back_round_trips_to_the_original_precision(length):
    """mm -> in -> mm, rounded to the digits the instrument gave, is the original value."""
    back = convert(convert(length, "mm", "in"), "in", "mm")
    assert back.quantize(length) == length


@settings(max_examples=200)
@example(length=D("3"))
@given(length=lengths)
def test_a_limit_in_inches_judges_its_exact_millimetre_equivalent_as_at_the_limit(length):
    """1 in = 25.4 mm exactly: a value equal to the limit in the other unit conforms."""
    limit_in_inches = length
    requirement = Requirement("limit", upper_limit=limit_in_inches, units="in")
    with localcontext(prec=100):
        at_limit = length * D("25.4")
        just_above = at_limit + D("1e-30")
    assert requirement.evaluate(at_limit, "mm") is C
    assert requirement.evaluate(just_above, "mm") is NC
