"""Characteristic lists that arrive as a flat Form 3 sheet (a customer's Excel, a ballooning
tool, or firstarticle's own export): checked row by row, matched by Char No., all or nothing.

A sheet with any refused row writes nothing and says which rows and why (stable codes); a
Char No. that the drawing already holds is refused, never overwritten. The sheet is bounded
(``MAX_BYTES``, ``MAX_ROWS``) and its formulas are refused, never evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from firstarticle.domain.access import Permission
from firstarticle.domain.errors import ValidationError
from firstarticle.domain.form3_sheet import RowIssue
from firstarticle.exports.form3_sheet import read_flat_form3
from firstarticle.services import ServiceContext, allowed, catalog, found
from firstarticle.services.catalog import CharacteristicSpec

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 30_000  # 5,000 characteristics for six serials


@dataclass(frozen=True)
class Form3SheetReport:
    """What the import did: ``imported``, ``checked`` (dry run) or ``refused``."""

    status: str
    rows: int
    char_nos: list[str] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)


def import_form3_sheet(
    ctx: ServiceContext,
    *,
    part_number: str,
    revision: str,
    data: bytes,
    drawing_number: str | None = None,
    dry_run: bool = False,
) -> Form3SheetReport:
    """Add the sheet's characteristics to one drawing of a revision (its only drawing when
    none is named), all or none."""
    allowed(ctx, Permission.PART_MANAGE)
    if len(data) > MAX_BYTES:
        raise ValidationError(
            f"The workbook is larger than {MAX_BYTES // (1024 * 1024)} MB.", field="file"
        )
    part = catalog.part_by_number(ctx, part_number)
    rev = found(part.revision(revision), "Part revision", f"{part_number} rev {revision}")
    drawings = [d for d in rev.drawings if drawing_number in (None, d.number)]
    if len(drawings) != 1:
        raise ValidationError(
            "Name the drawing (drawing_number): "
            + (", ".join(d.number for d in rev.drawings) or "the revision has none")
            + ".",
            field="drawing_number",
        )
    drawing = drawings[0]
    reading = read_flat_form3(data, max_rows=MAX_ROWS)
    held = {c.balloon for c in drawing.characteristics}
    issues = list(reading.issues)
    issues += [
        RowIssue(0, "char_no_exists", f"Char No. {c.char_no} is already on the drawing.", c.char_no)
        for c in reading.characteristics
        if c.char_no in held
    ]
    char_nos = [c.char_no for c in reading.characteristics]
    if issues:
        return Form3SheetReport("refused", reading.rows, char_nos, issues)
    if dry_run:
        return Form3SheetReport("checked", reading.rows, char_nos)
    catalog.add_characteristics(
        ctx,
        rev.id,
        drawing.number,
        [
            CharacteristicSpec(
                balloon=c.char_no,
                ctype=c.ctype,
                requirement=c.requirement,
                nominal=c.nominal,
                upper_tolerance=c.upper_tolerance,
                lower_tolerance=c.lower_tolerance,
                lower_limit=c.lower_limit,
                upper_limit=c.upper_limit,
                units=c.units,
                sheet=c.sheet,
                zone=c.zone,
                designator=c.designator,
            )
            for c in reading.characteristics
        ],
    )
    return Form3SheetReport("imported", reading.rows, char_nos)
