"""Whether a requirement's drawing text agrees with the numbers it is judged by.

Form 3 field 8 shows the text; conformance is judged against the limits. A text that reads
"R1.5 ±0.2 mm" over limits 2.8-3.2 makes "2.924 OK" look right to a customer's inspector
while it is wrong for the drawing. So a text that comes with a numeric requirement must name
its numbers: the nominal and the tolerances, or the limits themselves.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from firstarticle.domain.errors import UnitMismatchError, ValidationError
from firstarticle.domain.values import Requirement, normalize_unit

# Numbers as drawings write them: 25, 25.00, .250, 0,5 (decimal comma).
_NUMBER = re.compile(r"(?<![\d.])(\d+(?:[.,]\d+)?|[.,]\d+)")
# Units a text may name, by family: a text in inches over limits in mm (or the reverse)
# disagrees even when the digits happen to match.
_UNIT_WORDS = {
    "mm": "mm",
    "millimetre": "mm",
    "millimeter": "mm",
    "in": "in",
    "inch": "in",
    '"': "in",
    "µm": "um",
    "um": "um",
    "deg": "deg",
    "°": "deg",
}
_UNIT_TOKEN = re.compile(
    r"(?<![A-Za-z])(mm|millimetre|millimeter|inch|in|µm|um|deg)(?![A-Za-z])|°|\""
)


# Relative difference a float32 round trip may leave (its epsilon is about 1.2e-7).
_NOISE = Decimal("1e-6")
_ONE = Decimal(1)


class RequirementTextMismatchError(ValidationError):
    """A characteristic's drawing text names other numbers or units than it is judged by."""

    code = "requirement_text_mismatch"


def numbers_in(text: str) -> set[Decimal]:
    """Every number the text names, as exact decimals (signs and tolerance marks dropped)."""
    found: set[Decimal] = set()
    for match in _NUMBER.finditer(text):
        try:
            found.add(Decimal(match.group(1).replace(",", ".")))
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            continue
    return found


def _named(named: set[Decimal], value: Decimal) -> bool:
    """True when the text names ``value``: equal within float noise (a model exported through
    a binary float says 25.399999999999999 for 25.4), or rounded to the decimals the text
    writes (a plan shows 81.209 for 81.20884). A whole number is not a rounding: "R1" does
    not stand for 1.4."""
    for number in named:
        if abs(value - number) <= _NOISE * max(abs(number), _ONE):
            return True
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0 and _rounds_to(value, number):
            return True
    return False


def _rounds_to(value: Decimal, number: Decimal) -> bool:
    try:
        return value.quantize(number) == number
    except InvalidOperation:  # more digits than the context holds: not this number
        return False


def disagreement(
    text: str,
    nominal: Decimal | None,
    lower: Decimal | None,
    upper: Decimal | None,
    units: str | None,
) -> str | None:
    """Why ``text`` disagrees with the numbers, or None when it names them.

    The text agrees when it names the nominal (or, without one, some number) and every
    non-zero tolerance from it, or every non-zero limit, or (a geometric tolerance) the width
    of the zone; a unit it names must be of the requirement's unit.
    """
    if lower is None and upper is None:
        return None
    named = numbers_in(text)
    limits = [abs(v) for v in (lower, upper) if v is not None and v != 0]
    by_limits = bool(limits) and all(_named(named, v) for v in limits)
    # Without a stated nominal, any number the text names may be the one it tolerances.
    candidates = [nominal] if nominal is not None else sorted(named)
    by_tolerances = any(
        (n == 0 or _named(named, abs(n)))
        and all(_named(named, abs(v - n)) for v in (lower, upper) if v is not None and v != n)
        for n in candidates
    )
    # A geometric tolerance names its zone width ("⌓ 4" over -2 to 2).
    by_zone = (
        not nominal and lower is not None and upper is not None and _named(named, upper - lower)
    )
    if not (by_limits or by_tolerances or by_zone):
        wanted = (
            f"nominal {nominal} with limits {lower} to {upper}"
            if nominal is not None
            else f"limits {lower} to {upper}"
        )
        return f"the text {text!r} does not name the {wanted} it is judged against"
    mentioned = {_UNIT_WORDS[m.group(0).lower()] for m in _UNIT_TOKEN.finditer(text)}
    family = _UNIT_WORDS.get((units or "").lower(), (units or "").lower())
    if units and mentioned and family not in mentioned:
        return f"the text {text!r} names {', '.join(sorted(mentioned))}, not {units}"
    return None


# Places a float-noisy result shows at least: a micrometre in mm, 0.0001 in.
_MIN_PLACES = {"mm": 3, "in": 4}
_MAX_PLACES = 6


def shown_value(value: Decimal, units: str | None, requirement: Requirement) -> str:
    """A measured value as Form 3 field 9 shows it: at the drawing's precision.

    The drawing's places are the most the requirement's text writes (``774.270 ±0.2`` gives
    3). A value as a gauge states it (up to 6 places) is shown as measured, padded with zeros
    to those places (25.01 against ``25.00 ±0.05``). A value with more places carries binary
    float noise from the file (774.30999999999995): it is rounded half-even to the drawing's
    places, and to at least 3 in mm or 4 in inches (a ``⌓ 4`` writes none). Rounding never
    hides a verdict: where the rounded value would be judged otherwise than the value itself,
    more places are shown. The stored value is never changed.
    """
    unit = normalize_unit(units) if units else ""
    drawing = max((-_places(n) for n in numbers_in(requirement.text)), default=0)
    own = max(-_places(value), 0)
    if own <= _MAX_PLACES:
        return format(value.quantize(Decimal(1).scaleb(-max(own, drawing))), "f")
    places = min(max(drawing, _MIN_PLACES.get(unit, 0)), _MAX_PLACES)
    while places < own:
        rounded = value.quantize(Decimal(1).scaleb(-places))
        if units is None or _same_verdict(requirement, value, rounded, units):
            return format(rounded, "f")
        places += 1
    return format(value, "f")


def _places(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _same_verdict(requirement: Requirement, value: Decimal, rounded: Decimal, units: str) -> bool:
    if not requirement.is_numeric:
        return True
    try:
        return requirement.evaluate(value, units) is requirement.evaluate(rounded, units)
    except (UnitMismatchError, ValidationError):
        return True


def check(
    text: str,
    nominal: Decimal | None,
    lower: Decimal | None,
    upper: Decimal | None,
    units: str | None,
) -> None:
    """Raise RequirementTextMismatchError when the text disagrees with the numbers."""
    problem = disagreement(text, nominal, lower, upper, units)
    if problem is not None:
        raise RequirementTextMismatchError(
            f"The requirement text disagrees with its limits: {problem}.", field="requirement"
        )
