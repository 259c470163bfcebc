"""A flat Form 3 sheet (one row per characteristic and serial, columns named by field number)
read back into characteristics: every row checked, every refusal named with its row.

Columns are found by their field number ("5 Char No.", "6 Reference Location", "7 Designator",
"8 Requirement"; "3 Serial Number" optional; others ignored). Rows that repeat a Char No. are
the same characteristic for another serial and must agree; otherwise the Char No. is a
duplicate. Requirements written as firstarticle writes them ("25.00 ±0.05 mm",
"10.0 +0.4/-0.2 mm", "9.6 - 10.4 mm", "12 mm max") become numeric requirements, a symbol
before the number allowed ("⌀10.0 ±0.4 mm"); any other text is a note verified by attribute.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from firstarticle.domain import model
from firstarticle.domain.text import WHY, text_problem

MAX_TEXT = 2000
MAX_BALLOON = 32
MAX_SHEET_OR_ZONE = 16

_NUM = r"[-+]?\d+(?:\.\d+)?"
_PREFIX = r"(?P<prefix>[^\d+\-]*?)"
_UNITS = r"(?P<units>[A-Za-z°µ\"']+)"
_TOLERANCED = re.compile(rf"^{_PREFIX}(?P<nominal>{_NUM}) ±(?P<tol>\d+(?:\.\d+)?) {_UNITS}$")
_ASYMMETRIC = re.compile(
    rf"^{_PREFIX}(?P<nominal>{_NUM}) (?P<upper>[-+]\d+(?:\.\d+)?)/(?P<lower>[-+]\d+(?:\.\d+)?)"
    rf" {_UNITS}$"
)
_LIMITS = re.compile(rf"^{_PREFIX}(?P<low>{_NUM}) [-–] (?P<high>{_NUM}) {_UNITS}$")
_ONE_SIDED = re.compile(rf"^{_PREFIX}(?P<value>{_NUM}) {_UNITS} (?P<side>max|min)$")
_LOCATION = re.compile(r"^(?:Sheet (?P<sheet>[^,]+?))?(?:,? ?Zone (?P<zone>.+))?$")
_DESIGNATORS = {d.value: d for d in model.CharacteristicDesignator}


@dataclass(frozen=True)
class RowIssue:
    """Why one row is refused; ``code`` is stable."""

    row: int
    code: str
    message: str
    char_no: str | None = None


@dataclass(frozen=True)
class SheetCharacteristic:
    """One characteristic read from the sheet, ready to be added to a drawing."""

    char_no: str
    ctype: model.CharacteristicType
    requirement: str
    nominal: Decimal | None = None
    upper_tolerance: Decimal | None = None
    lower_tolerance: Decimal | None = None
    lower_limit: Decimal | None = None
    upper_limit: Decimal | None = None
    units: str | None = None
    sheet: str | None = None
    zone: str | None = None
    designator: model.CharacteristicDesignator | None = None


@dataclass
class SheetReading:
    """The characteristics of the sheet in row order, and the refused rows."""

    characteristics: list[SheetCharacteristic] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    rows: int = 0


def _column(header: Sequence[str], number: str) -> int | None:
    for index, title in enumerate(header):
        if title.strip().split(" ", 1)[0] == number:
            return index
    return None


def parse_requirement(text: str) -> dict[str, object]:
    """The numeric reading of a requirement text, or a note when it is not one."""
    if m := _TOLERANCED.match(text):
        tol = Decimal(m["tol"])
        return {
            "ctype": model.CharacteristicType.DIMENSIONAL,
            "nominal": Decimal(m["nominal"]),
            "upper_tolerance": tol,
            "lower_tolerance": -tol,
            "units": m["units"],
        }
    if m := _ASYMMETRIC.match(text):
        return {
            "ctype": model.CharacteristicType.DIMENSIONAL,
            "nominal": Decimal(m["nominal"]),
            "upper_tolerance": Decimal(m["upper"]),
            "lower_tolerance": Decimal(m["lower"]),
            "units": m["units"],
        }
    if m := _LIMITS.match(text):
        return {
            "ctype": model.CharacteristicType.DIMENSIONAL,
            "lower_limit": Decimal(m["low"]),
            "upper_limit": Decimal(m["high"]),
            "units": m["units"],
        }
    if m := _ONE_SIDED.match(text):
        side = "upper_limit" if m["side"] == "max" else "lower_limit"
        return {
            "ctype": model.CharacteristicType.DIMENSIONAL,
            side: Decimal(m["value"]),
            "units": m["units"],
        }
    return {"ctype": model.CharacteristicType.NOTE}


def _characteristic(
    row: int, char_no: str, location: str, designator: str, requirement: str
) -> SheetCharacteristic | RowIssue:
    for number, text in (("5", char_no), ("6", location), ("7", designator), ("8", requirement)):
        problem = text_problem(text, multiline=number == "8")
        if problem is not None:
            return RowIssue(row, problem, f"Field {number}: {WHY[problem]}.", char_no)
    if len(char_no) > MAX_BALLOON:
        return RowIssue(row, "char_no_too_long", f"Char No. longer than {MAX_BALLOON}.", char_no)
    if not requirement:
        return RowIssue(row, "requirement_missing", "Field 8 (Requirement) is empty.", char_no)
    if len(requirement) > MAX_TEXT:
        return RowIssue(row, "requirement_too_long", "Field 8 is too long.", char_no)
    found = _DESIGNATORS.get(designator.lower()) if designator else None
    if designator and found is None:
        return RowIssue(
            row, "designator_unknown", f"Field 7 {designator!r} is not a designator.", char_no
        )
    m = _LOCATION.match(location) if location else None
    if location and (m is None or not (m["sheet"] or m["zone"])):
        return RowIssue(row, "location_unreadable", "Field 6 reads 'Sheet S, Zone Z'.", char_no)
    sheet, zone = (m["sheet"], m["zone"]) if m else (None, None)
    if any(v and len(v) > MAX_SHEET_OR_ZONE for v in (sheet, zone)):
        return RowIssue(row, "location_too_long", "Sheet or zone is too long.", char_no)
    parsed = parse_requirement(requirement)
    return SheetCharacteristic(
        char_no=char_no,
        requirement=requirement,
        sheet=sheet,
        zone=zone,
        designator=found,
        **parsed,  # type: ignore[arg-type]
    )


def read_rows(header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]]) -> SheetReading:
    """Check ``rows`` (number, cell texts) under ``header``; a refused row is named, never
    silently dropped."""
    reading = SheetReading()
    columns = {n: _column(header, n) for n in ("3", "5", "6", "7", "8")}
    missing = [n for n in ("5", "8") if columns[n] is None]
    if missing:
        reading.issues.append(
            RowIssue(1, "column_missing", f"No column for field(s) {', '.join(missing)}.")
        )
        return reading
    seen: dict[str, tuple[SheetCharacteristic, set[str]]] = {}

    def cell(values: Sequence[str], number: str) -> str:
        index = columns[number]
        return values[index].strip() if index is not None and index < len(values) else ""

    for number, values in rows:
        reading.rows += 1
        char_no = cell(values, "5")
        if not char_no:
            if any(v.strip() for v in values):
                reading.issues.append(RowIssue(number, "char_no_missing", "Field 5 is empty."))
            continue
        got = _characteristic(
            number, char_no, cell(values, "6"), cell(values, "7"), cell(values, "8")
        )
        if isinstance(got, RowIssue):
            reading.issues.append(got)
            continue
        serial = cell(values, "3")
        earlier = seen.get(char_no)
        if earlier is None:
            seen[char_no] = (got, {serial})
            reading.characteristics.append(got)
        elif earlier[0] != got or serial in earlier[1] or not serial:
            reading.issues.append(
                RowIssue(number, "char_no_duplicate", f"Char No. {char_no} appears twice.", char_no)
            )
        else:
            earlier[1].add(serial)
    return reading
