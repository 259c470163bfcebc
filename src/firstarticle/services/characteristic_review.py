"""A revision's characteristic list for review: the delta between two revisions (for a delta
FAI) and the list as an xlsx workbook, read-only."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from firstarticle.domain.access import Permission
from firstarticle.domain.characteristic_diff import CharacteristicDiff, diff_characteristics
from firstarticle.domain.forms import natural_key
from firstarticle.services import (
    ServiceContext,
    allowed,
    found,
    require_technical,
)


@dataclass(frozen=True)
class RevisionDiff:
    """The characteristic delta between two revisions of a part, for a delta FAI."""

    part_number: str
    from_revision: str
    to_revision: str
    diff: CharacteristicDiff


def diff_revisions(
    ctx: ServiceContext, part_number: str, from_revision: str, to_revision: str
) -> RevisionDiff:
    """The characteristics added, removed and changed from one revision to another.

    Characteristics are matched by the source item they were imported from when both have
    one, else by balloon (per drawing number when a revision has several drawings).
    """
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        part = found(uow.parts.by_number(part_number), "Part", part_number)
        for each in part.revisions:
            require_technical(ctx, part, each, "part")
        old = found(
            part.revision(from_revision), "Part revision", f"{part_number} rev {from_revision}"
        )
        new = found(part.revision(to_revision), "Part revision", f"{part_number} rev {to_revision}")
    numbers = None
    if len(old.drawings) > 1 or len(new.drawings) > 1:
        numbers = {d.id: d.number for d in [*old.drawings, *new.drawings]}
    diff = diff_characteristics(old.characteristics, new.characteristics, numbers)
    return RevisionDiff(part.number, old.revision, new.revision, diff)


_HEADERS = (
    ("Balloon", 9),
    ("Drawing", 14),
    ("Reference location", 20),
    ("Designator", 11),
    ("Type", 13),
    ("Requirement", 50),
    ("Nominal", 13),
    ("Lower limit", 13),
    ("Upper limit", 13),
    ("Units", 7),
    ("Source item", 40),
)


def export_characteristics_xlsx(ctx: ServiceContext, part_number: str, revision: str) -> bytes:
    """The revision's characteristic list as an xlsx workbook, for review before the FAI."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]

    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        part = found(uow.parts.by_number(part_number), "Part", part_number)
        rev = found(part.revision(revision), "Part revision", f"{part_number} rev {revision}")
        require_technical(ctx, part, rev, "part revision")
    book = Workbook()
    sheet = book.active
    sheet.title = "Characteristics"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE4EE")
    for column, (title, width) in enumerate(_HEADERS, start=1):
        cell = sheet.cell(row=1, column=column, value=title)
        cell.font, cell.fill = bold, fill
        sheet.column_dimensions[cell.column_letter].width = width
    rows = sorted(
        ((d, c) for d in rev.drawings for c in d.characteristics),
        key=lambda dc: (dc[0].number, natural_key(dc[1].balloon)),
    )
    top = Alignment(vertical="top")
    wrapped = Alignment(vertical="top", wrap_text=True)
    for row, (drawing, c) in enumerate(rows, start=2):
        r = c.requirement
        values: list[object] = [
            c.balloon,
            drawing.number,
            c.reference_location,
            c.designator.value if c.designator else None,
            c.ctype.value,
            r.text,
            r.nominal,
            r.lower_limit,
            r.upper_limit,
            r.units,
            c.source_item,
        ]
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column)
            _put(cell, value)
            cell.alignment = wrapped if column == 6 else top
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = (
        f"A1:{sheet.cell(row=1, column=len(_HEADERS)).column_letter}{max(1, len(rows) + 1)}"
    )
    about = book.create_sheet("Source")
    facts: list[tuple[str, object]] = [
        ("Part number", part.number),
        ("Part name", part.name),
        ("Revision", rev.revision),
        ("Revision status", rev.status.value),
        ("Drawings", ", ".join(f"{d.number} rev {d.revision}" for d in rev.drawings)),
        ("Characteristics", len(rows)),
        ("Exported at (UTC)", ctx.clock.now().strftime("%Y-%m-%d %H:%M:%S")),
        ("Exported by", ctx.actor),
    ]
    sources = sorted(
        {(c.source_document or "?", c.source_sha256) for _, c in rows if c.source_sha256}
    )
    for document, sha in sources:
        facts.append(("Source document", f"{document} (SHA-256 {sha})"))
    for index, (label, value) in enumerate(facts, start=1):
        about.cell(row=index, column=1, value=label).font = bold
        _put(about.cell(row=index, column=2), value)
    about.column_dimensions["A"].width = 20
    about.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _put(cell: Any, value: object) -> None:
    """Write a value; text is always text (a leading ``=`` never becomes a formula)."""
    if isinstance(value, Decimal):
        cell.value = value
        cell.number_format = _number_format(value)
    elif isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
    else:
        cell.value = value


def _number_format(value: Decimal) -> str:
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if places > 6:  # CAD noise (0.226000000000968): show micrometre-level digits
        trimmed = value.quantize(Decimal("0.000001")).normalize()
        exp = trimmed.as_tuple().exponent
        places = -exp if isinstance(exp, int) and exp < 0 else 0
    return "0" if places == 0 else "0." + "0" * places
