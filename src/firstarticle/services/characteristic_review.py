"""A revision's characteristic list for review: the delta between two revisions (for a delta
FAI) and the list as an xlsx workbook, read-only."""

from __future__ import annotations

from dataclasses import dataclass

from firstarticle.domain.access import Permission
from firstarticle.domain.characteristic_diff import CharacteristicDiff, diff_characteristics
from firstarticle.domain.forms import natural_key
from firstarticle.ports import TableColumn
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


_COLUMNS = (
    TableColumn("Balloon", 9),
    TableColumn("Drawing", 14),
    TableColumn("Reference location", 20),
    TableColumn("Designator", 11),
    TableColumn("Type", 13),
    TableColumn("Requirement", 50, wrap=True),
    TableColumn("Nominal", 13),
    TableColumn("Lower limit", 13),
    TableColumn("Upper limit", 13),
    TableColumn("Units", 7),
    TableColumn("Source item", 40),
)


def export_characteristics_xlsx(ctx: ServiceContext, part_number: str, revision: str) -> bytes:
    """The revision's characteristic list as an xlsx workbook, for review before the FAI."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        part = found(uow.parts.by_number(part_number), "Part", part_number)
        rev = found(part.revision(revision), "Part revision", f"{part_number} rev {revision}")
        require_technical(ctx, part, rev, "part revision")
    listed = sorted(
        ((d, c) for d in rev.drawings for c in d.characteristics),
        key=lambda dc: (dc[0].number, natural_key(dc[1].balloon)),
    )
    rows = [
        [
            c.balloon,
            drawing.number,
            c.reference_location,
            c.designator.value if c.designator else None,
            c.ctype.value,
            c.requirement.text,
            c.requirement.nominal,
            c.requirement.lower_limit,
            c.requirement.upper_limit,
            c.requirement.units,
            c.source_item,
        ]
        for drawing, c in listed
    ]
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
        {(c.source_document or "?", c.source_sha256) for _, c in listed if c.source_sha256}
    )
    for document, sha in sources:
        facts.append(("Source document", f"{document} (SHA-256 {sha})"))
    return ctx.formats.spreadsheets.table("Characteristics", _COLUMNS, rows, facts)
