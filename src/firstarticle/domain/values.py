"""Requirements, measured values and their evaluation, all in Decimal with explicit units.

Conformance is always computed from the requirement and the measured value, never typed.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from firstarticle.domain.errors import UnitMismatchError, ValidationError

# Exact factors to millimetres; 1 in = 25.4 mm by definition (1959), so no rounding enters.
_LENGTH_TO_MM: dict[str, Decimal] = {
    "mm": Decimal(1),
    "m": Decimal(1000),
    "cm": Decimal(10),
    "um": Decimal("0.001"),
    "µm": Decimal("0.001"),
    "in": Decimal("25.4"),
    "mil": Decimal("0.0254"),
    "ft": Decimal("304.8"),
    "µin": Decimal("0.0000254"),
    "uin": Decimal("0.0000254"),
}
_UNIT_ALIASES: dict[str, str] = {
    "millimeter": "mm",
    "millimetre": "mm",
    "millimeters": "mm",
    "millimetres": "mm",
    "inch": "in",
    "inches": "in",
    '"': "in",
    "micron": "um",
    "microns": "um",
    "degree": "deg",
    "degrees": "deg",
    "°": "deg",
}


_CANONICAL = frozenset(_UNIT_ALIASES.values())


def exact() -> decimal.Context:
    """A context wide enough for drawing values, refusing (not rounding) what would not fit."""
    return decimal.Context(
        prec=100,
        traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero],
    )


def normalize_unit(unit: str) -> str:
    """Return the canonical spelling of a unit name (``"Inch"`` -> ``"in"``); unknown units pass."""
    cleaned = unit.strip()
    if not cleaned:
        raise ValidationError("A unit must not be blank.", field="units")
    lowered = cleaned.lower().replace("\u03bc", "\u00b5")  # Greek mu and micro sign alike
    if lowered in _UNIT_ALIASES:
        return _UNIT_ALIASES[lowered]
    return lowered if lowered in _LENGTH_TO_MM or lowered in _CANONICAL else cleaned


def to_decimal(value: object, field: str) -> Decimal:
    """Parse ``value`` as a finite Decimal; floats are refused because they are not exact."""
    if isinstance(value, (bool, float)):
        raise ValidationError(f"{field} must be given as a decimal string or integer.", field=field)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{field} is not a decimal number: {value!r}.", field=field) from None
    if not number.is_finite():
        raise ValidationError(f"{field} must be a finite number, not {value!r}.", field=field)
    return number


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Convert ``value`` between length units, for display.

    Towards smaller units (in to mm) the result is exact; the other way it is rounded to
    50 significant digits. Conformance never uses this: see :func:`compare`.
    """
    source, target = _comparable(from_unit, to_unit)
    if source == target:
        return value
    with decimal.localcontext(decimal.Context(prec=50)):
        return value * _LENGTH_TO_MM[source] / _LENGTH_TO_MM[target]


def convert_exactly(value: Decimal, from_unit: str, to_unit: str) -> Decimal | None:
    """``value`` in ``to_unit`` when the conversion is exact, None when it would round.

    Inch to millimetre (a multiplication by 25.4) is always exact; millimetre to inch is
    exact only for values that happen to be multiples of 0.0254 mm. Raises UnitMismatchError
    for units that are not both known lengths (or the same unit).
    """
    source, target = _comparable(from_unit, to_unit)
    if source == target:
        return value
    try:
        with decimal.localcontext(exact()):
            return value * _LENGTH_TO_MM[source] / _LENGTH_TO_MM[target]
    except decimal.Inexact:
        return None


def same_at_precision(
    stated: Decimal, stated_units: str, exact_value: Decimal, exact_units: str
) -> bool:
    """True when ``stated`` is ``exact_value`` written to ``stated``'s own decimal places
    (within one unit of its last place).

    A file that states our limit of 774.47 mm in inches writes 30.4909... to the digits it
    keeps: it states the same limit, not another one. Units that cannot be compared give False.
    """
    try:
        if normalize_unit(stated_units) == normalize_unit(exact_units):
            return stated == exact_value
        converted = convert(exact_value, exact_units, stated_units)
    except (UnitMismatchError, ValidationError):
        return False
    exponent = stated.as_tuple().exponent
    if not isinstance(exponent, int):
        return False
    # One unit in the file's last place: a limit the file derives (nominal + tolerance) from
    # numbers it rounded may be off by that much.
    with decimal.localcontext(decimal.Context(prec=100)):
        return abs(converted - stated) <= Decimal(1).scaleb(exponent)


def compare(value: Decimal, value_units: str, limit: Decimal, limit_units: str) -> int:
    """-1, 0 or 1 as ``value`` is below, at or above ``limit``, exactly across length units.

    Both sides are scaled to millimetres by multiplication only, so no rounding can move a
    value across a limit.
    """
    source, target = _comparable(value_units, limit_units)
    if source == target:
        left, right = value, limit
    else:
        with decimal.localcontext(exact()):
            left, right = value * _LENGTH_TO_MM[source], limit * _LENGTH_TO_MM[target]
    return (left > right) - (left < right)


def _comparable(from_unit: str, to_unit: str) -> tuple[str, str]:
    source, target = normalize_unit(from_unit), normalize_unit(to_unit)
    if source == target or (source in _LENGTH_TO_MM and target in _LENGTH_TO_MM):
        return source, target
    raise UnitMismatchError(
        f"A value in {from_unit!r} cannot be compared with a requirement in {to_unit!r}.",
        value_units=from_unit,
        requirement_units=to_unit,
    )


class Conformance(StrEnum):
    """Whether a result meets its requirement, as computed."""

    CONFORMING = "conforming"
    NONCONFORMING = "nonconforming"


class AttributeResult(StrEnum):
    """A go/no-go verdict, used only where variables data is not feasible."""

    ACCEPT = "accept"
    REJECT = "reject"


@dataclass(frozen=True)
class Requirement:
    """What the drawing asks of a characteristic (Form 3 field 8).

    Numeric requirements keep their limits; ``nominal`` is kept for the drawing's reading.
    Text requirements (notes, specifications, software versions) have no limits and are
    verified by an attribute result.
    """

    text: str
    nominal: Decimal | None = None
    lower_limit: Decimal | None = None
    upper_limit: Decimal | None = None
    units: str | None = None

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValidationError("A requirement needs its drawing text.", field="requirement")
        if self.is_numeric and self.units is None:
            raise ValidationError("A numeric requirement needs explicit units.", field="units")
        if (
            self.lower_limit is not None
            and self.upper_limit is not None
            and self.lower_limit > self.upper_limit
        ):
            raise ValidationError(
                "The lower limit of a requirement is above its upper limit.",
                field="requirement",
                lower_limit=str(self.lower_limit),
                upper_limit=str(self.upper_limit),
            )

    @property
    def is_numeric(self) -> bool:
        """True when a measured value can be judged against limits."""
        return self.lower_limit is not None or self.upper_limit is not None

    @classmethod
    def toleranced(
        cls,
        nominal: Decimal,
        upper_tolerance: Decimal,
        lower_tolerance: Decimal,
        units: str,
        text: str | None = None,
    ) -> Requirement:
        """Build a requirement from a nominal and signed deviations (``+0.05`` / ``-0.02``)."""
        if upper_tolerance < lower_tolerance:
            raise ValidationError(
                "The upper tolerance is below the lower tolerance.", field="upper_tolerance"
            )
        unit = normalize_unit(units)
        try:
            with decimal.localcontext(exact()):
                lower, upper = nominal + lower_tolerance, nominal + upper_tolerance
        except decimal.Inexact:
            raise ValidationError(
                "The nominal and tolerances differ by too many digits.", field="nominal"
            ) from None
        return cls(
            text=text or format_toleranced(nominal, upper_tolerance, lower_tolerance, unit),
            nominal=nominal,
            lower_limit=lower,
            upper_limit=upper,
            units=unit,
        )

    @property
    def upper_tolerance(self) -> Decimal | None:
        """Signed deviation of the upper limit from nominal, where both exist."""
        if self.nominal is None or self.upper_limit is None:
            return None
        return self.upper_limit - self.nominal

    @property
    def lower_tolerance(self) -> Decimal | None:
        """Signed deviation of the lower limit from nominal, where both exist."""
        if self.nominal is None or self.lower_limit is None:
            return None
        return self.lower_limit - self.nominal

    def evaluate(self, value: Decimal, units: str) -> Conformance:
        """Judge a measured value; limits are inclusive and units are converted exactly."""
        if not self.is_numeric or self.units is None:
            raise ValidationError(
                "This requirement has no limits; verify it with an attribute result.",
                field="value",
            )
        if self.lower_limit is not None and compare(value, units, self.lower_limit, self.units) < 0:
            return Conformance.NONCONFORMING
        if self.upper_limit is not None and compare(value, units, self.upper_limit, self.units) > 0:
            return Conformance.NONCONFORMING
        return Conformance.CONFORMING


def format_toleranced(nominal: Decimal, upper: Decimal, lower: Decimal, units: str) -> str:
    """Write a toleranced dimension as a drawing shows it: ``25.00 ±0.05 mm``."""
    if upper == -lower:
        return f"{nominal} ±{upper} {units}"
    return f"{nominal} {_signed(upper)}/{_signed(lower)} {units}"


def _signed(value: Decimal) -> str:
    # format(..., "+") keeps a unilateral "-0" as drawings write it, never "+-0".
    return format(value, "+")
