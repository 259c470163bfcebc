"""Characteristic lists from QIF MBD and Plan files: import (comparing revisions and the xlsx
export are in characteristic_review.py, re-exported here).

A part revision's characteristic list is built straight from the model (AS9102 Rev C asks for
a documented extraction of the design characteristics): every characteristic the QIF file
defines becomes one ballooned characteristic of the revision's drawing, keeping the file's
name, its SHA-256 and the item it came from, so that a later revision can be compared item by
item and nobody types a requirement.

Rules:

- Balloons are the file's designators; characteristics without one are numbered 1, 2, ... in
  file order, skipping numbers the file already uses (the plant may renumber them once); the
  results reader numbers a results file's items the same way, so that a file's own results
  match its own characteristics. A designator the file repeats refuses the whole file
  (``duplicate_balloon``): nothing is renumbered silently.
- The Form 3 designator comes from the file's criticality: KEY, CRITICAL, MAJOR, MINOR. An
  untoleranced reference dimension (``REFERENCE_OR_AUXILIARY``, or criticality ``REF``) is
  designated REF, an untoleranced basic one (``BASIC_OR_TED``, or ``NonTolerance`` MEASURED /
  SET) BASIC: both stay on Form 3 and need no result.
- Values are in the file's units. A file without FileUnits is refused unless the caller names
  the drawing's units; the file's own units always win.
- Importing the same file (same SHA-256) into the same drawing again changes nothing and says
  so. A drawing that holds characteristics of another file is not overwritten: a changed
  model is a new part revision, compared with :func:`diff_revisions`.
- A file that is not well-formed, not schema-valid QIF 3.0, hostile (DOCTYPE, entities) or
  otherwise unreadable is refused with :class:`QifImportError` before anything is written.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.domain.errors import ConflictError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.inspection_files import (
    InspectionFileError,
    number_balloons,
    repeated_balloons,
)
from firstarticle.domain.records import CharacteristicSpec
from firstarticle.domain.text import TextNotAllowedError
from firstarticle.domain.tolerancing import DatumReference, DesignTolerance, FrameRow
from firstarticle.domain.values import Requirement
from firstarticle.ports import CharacteristicDocument, DesignCharacteristic, UnitOfWork
from firstarticle.services import (
    ServiceContext,
    allowed,
    found,
    record,
    require_technical,
)
from firstarticle.services.catalog import characteristic_created
from firstarticle.services.characteristic_review import (
    RevisionDiff,
    diff_revisions,
    export_characteristics_xlsx,
)

__all__ = [
    "DuplicateBalloonError",
    "ImportSummary",
    "ImportedCharacteristic",
    "QifImportError",
    "RevisionDiff",
    "diff_revisions",
    "export_characteristics_xlsx",
    "import_characteristics",
]

# Column sizes of the characteristics table (storage/orm.py): checked here, so that a long
# value from a file is refused with its item named rather than by the database.
MAX_BALLOON = 32
MAX_SHEET_OR_ZONE = 16
MAX_SOURCE_ITEM = 200
MAX_SOURCE_DOCUMENT = 500
MAX_UNITS = 32
MAX_QIF_KIND = 64

_DESIGNATOR = {
    "KEY": model.CharacteristicDesignator.KEY,
    "CRITICAL": model.CharacteristicDesignator.CRITICAL,
    "MAJOR": model.CharacteristicDesignator.MAJOR,
    "MINOR": model.CharacteristicDesignator.MINOR,
}
_NOTE_KINDS = frozenset({"UserDefinedAttribute"})


# QIF NonTolerance: MEASURED is a basic dimension that can be measured, SET one that cannot.
_BASIC_WORDS = frozenset({"BASIC", "MEASURED", "SET"})


def _designator(c: DesignCharacteristic) -> model.CharacteristicDesignator | None:
    """Form 3 field 7: REF / BASIC for an untoleranced reference or basic dimension (it needs
    no result), else the file's criticality."""
    untoleranced = c.lower_limit is None and c.upper_limit is None
    if untoleranced and "REF" in {c.dimension_type, c.criticality}:
        return model.CharacteristicDesignator.REFERENCE
    if untoleranced and {c.dimension_type, c.non_tolerance} & _BASIC_WORDS:
        return model.CharacteristicDesignator.BASIC
    return _DESIGNATOR.get(c.criticality or "")


def _design_tolerance(c: DesignCharacteristic) -> DesignTolerance | None:
    """The tolerance as the file types it, or None when a DesignTolerance cannot state all
    of it (a zone modifier other than a profile's outer disposition, a per-unit zone, an
    extent, a separate zone, a statistical size): such
    a frame is kept as its text alone, and the export writes it as user-defined."""
    if c.definition_notes:
        return None
    rows: list[FrameRow] = []
    for index, row in enumerate(c.segments):
        stated = 1 if index == 0 and c.outer_disposition is not None else 0
        if row.per_unit is not None or len(row.modifiers) > stated:
            return None
        rows.append(
            FrameRow(
                zone=row.value,
                zone_shape=row.zone_shape,
                material_condition=row.material_condition,
                datums=tuple(DatumReference(d.labels, d.modifiers) for d in row.datums),
            )
        )
    return DesignTolerance(
        rows=tuple(rows),
        defined_as_limit=c.defined_as_limit,
        outer_disposition=c.outer_disposition,
        dimension_type=c.dimension_type,
        non_tolerance=c.non_tolerance,
        direction=c.direction,
        analysis_mode=c.analysis_mode,
    )


class QifImportError(ValidationError):
    """The file cannot be imported: unreadable, invalid or hostile QIF, or unusable values."""

    code = "invalid_qif_file"


class DuplicateBalloonError(QifImportError):
    """The file gives one balloon number to several characteristics."""

    code = "duplicate_balloon"


Source = str | os.PathLike[str] | BinaryIO


@dataclass(frozen=True)
class ImportedCharacteristic:
    """One characteristic of an import, as the plant will see it on Form 3."""

    balloon: str
    ctype: model.CharacteristicType
    requirement: str
    designator: model.CharacteristicDesignator | None
    reference_location: str | None
    source_item: str
    numbered: bool


@dataclass(frozen=True)
class ImportSummary:
    """What an import read and wrote (``created`` is 0 for a dry run and a repeat)."""

    part_number: str
    revision: str
    drawing_number: str
    source_document: str
    source_sha256: str
    read: int
    created: int
    unchanged: bool
    dry_run: bool
    characteristics: tuple[ImportedCharacteristic, ...]
    #: The file's general notes not taken as characteristics (``notes`` takes them).
    notes_offered: tuple[str, ...] = ()

    @property
    def numbered(self) -> int:
        """How many balloons firstarticle numbered because the file gave no designator."""
        return sum(1 for c in self.characteristics if c.numbered)

    @property
    def message(self) -> str:
        """One sentence for people."""
        where = f"{self.part_number} rev {self.revision}, drawing {self.drawing_number}"
        if self.unchanged:
            return (
                f"{self.source_document} is already imported into {where}; nothing changed "
                f"({self.read} characteristics)."
            )
        if self.dry_run:
            return (
                f"Dry run: {self.read} characteristics of {self.source_document} would be "
                f"added to {where}; nothing was written."
            )
        offered = (
            f" {len(self.notes_offered)} general note(s) of the file were not taken; "
            "import with notes to add them as characteristics."
            if self.notes_offered
            else ""
        )
        return (
            f"{self.created} characteristics of {self.source_document} added to {where}." + offered
        )


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


def import_characteristics(
    ctx: ServiceContext,
    *,
    part_number: str,
    revision: str,
    file: Source,
    drawing_number: str | None = None,
    file_name: str | None = None,
    units: str | None = None,
    dry_run: bool = False,
    notes: bool = False,
) -> ImportSummary:
    """Create the characteristic list of a part revision from a QIF MBD or Plan file.

    ``file`` is a path or a binary stream; ``file_name`` names it (default: the path's name).
    The characteristics go to the revision's drawing, or to ``drawing_number`` when the
    revision has several. ``units`` are the drawing's units for a file that states none.
    The file's general notes are offered (``notes_offered``), and with ``notes`` taken as
    note characteristics. All or nothing: on any error nothing is written. See the module
    for the rules.
    """
    name = _document_name(file, file_name)
    allowed(ctx, Permission.PART_MANAGE)
    with ctx.uow_factory() as uow:  # fail fast on a typo before reading a large file
        _drawing(uow, ctx, part_number, revision, drawing_number)
    try:
        document = ctx.formats.characteristics.read(file, name)
    except InspectionFileError as error:
        raise QifImportError(str(error), file=name, reason=error.code) from None
    except OSError as error:
        raise QifImportError(
            f"{name}: cannot be read: {error.strerror or error}", file=name
        ) from None
    if not document.characteristics:
        raise QifImportError(f"{name} defines no characteristics.", file=name)
    planned = _plan(document, name, units)
    if notes:
        planned += _plan_notes(document, name, {row.balloon for _, _, row in planned})
    with ctx.uow_factory() as uow:
        part, rev, drawing = _drawing(uow, ctx, part_number, revision, drawing_number)
        summary = ImportSummary(
            part_number=part.number,
            revision=rev.revision,
            drawing_number=drawing.number,
            source_document=name,
            source_sha256=document.file_sha256,
            read=len(planned),
            created=0,
            unchanged=False,
            dry_run=dry_run,
            characteristics=tuple(row for _, _, row in planned),
            notes_offered=() if notes else tuple(n.text for n in document.notes),
        )
        if _already_imported(rev, drawing, document.file_sha256, name):
            return dataclasses.replace(summary, unchanged=True, dry_run=False)
        added: list[model.Characteristic] = []
        for spec, requirement, _ in planned:
            added.append(drawing.add_characteristic(spec.on_drawing(drawing.id, requirement)))
        if dry_run:
            uow.rollback()
            return summary
        events = [characteristic_created(ctx, c, drawing, source_item=c.source_item) for c in added]
        events.append(
            Event(
                action="drawing.characteristics_imported",
                record_type="drawing",
                record_id=drawing.id,
                site_id=None,
                actor=ctx.actor,
                at=ctx.clock.now(),
                changes={
                    "source_document": (None, name),
                    "source_sha256": (None, document.file_sha256),
                    "characteristics": (0, len(added)),
                },
            )
        )
        record(uow, ctx, events)
        uow.commit()
    return dataclasses.replace(summary, created=len(added))


def _document_name(file: Source, file_name: str | None) -> str:
    if file_name is None:
        if isinstance(file, str | os.PathLike):
            file_name = os.path.basename(os.fspath(file))
        else:
            raw = getattr(file, "name", None)
            file_name = os.path.basename(raw) if isinstance(raw, str) else None
    # Uploads name themselves: keep the last path segment, printable and of column size.
    cleaned = "".join(ch for ch in (file_name or "") if ch.isprintable())
    cleaned = cleaned.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return cleaned[:MAX_SOURCE_DOCUMENT] or "upload.qif"


def _drawing(
    uow: UnitOfWork,
    ctx: ServiceContext,
    part_number: str,
    revision: str,
    drawing_number: str | None,
) -> tuple[model.Part, model.PartRevision, model.Drawing]:
    part = found(uow.parts.by_number(part_number), "Part", part_number)
    rev = found(part.revision(revision), "Part revision", f"{part_number} rev {revision}")
    require_technical(ctx, part, rev, "part revision")
    if drawing_number is not None:
        drawing = next((d for d in rev.drawings if d.number == drawing_number), None)
        return (
            part,
            rev,
            found(drawing, "Drawing", f"{drawing_number} of {part_number} rev {revision}"),
        )
    if len(rev.drawings) != 1:
        raise ValidationError(
            f"{part_number} rev {revision} is defined by {len(rev.drawings)} drawings "
            f"({', '.join(d.number for d in rev.drawings)}); name the one to import into.",
            field="drawing_number",
        )
    return part, rev, rev.drawings[0]


def _already_imported(
    rev: model.PartRevision, drawing: model.Drawing, sha256: str, name: str
) -> bool:
    """True when this very file is on the drawing; ConflictError when another one is."""
    here = {c.source_sha256: c.source_document for c in drawing.characteristics}
    if sha256 in here:
        return True
    others = sorted({doc or "?" for sha, doc in here.items() if sha is not None})
    if others:
        raise ConflictError(
            f"Drawing {drawing.number} of rev {rev.revision} already holds the characteristics "
            f"of {', '.join(others)}; {name} differs. A changed model is a new part revision: "
            "add one and import the file there, then compare the revisions.",
            drawing=drawing.number,
            source_documents=others,
        )
    elsewhere = [
        d.number
        for d in rev.drawings
        if d is not drawing and any(c.source_sha256 == sha256 for c in d.characteristics)
    ]
    if elsewhere:
        raise ConflictError(
            f"{name} is already imported into drawing {elsewhere[0]} of rev {rev.revision}.",
            drawing=elsewhere[0],
        )
    return False


def _plan(
    document: CharacteristicDocument, name: str, units: str | None
) -> list[tuple[CharacteristicSpec, Requirement, ImportedCharacteristic]]:
    """CharacteristicSpecs for the file's characteristics, balloons assigned, all checked."""
    balloons = _balloons(document.characteristics, name)
    if units is not None and (not units.strip() or len(units.strip()) > MAX_UNITS):
        raise ValidationError("units must be a unit name such as mm or in.", field="units")
    planned = []
    for c, (balloon, numbered) in zip(document.characteristics, balloons, strict=True):
        item = c.qpid or c.item_id
        where = f"{name}: characteristic {balloon} (QIF item {c.item_id})"
        for label, value, limit in (
            ("source item", item, MAX_SOURCE_ITEM),
            ("sheet", c.sheet, MAX_SHEET_OR_ZONE),
            ("zone", c.zone, MAX_SHEET_OR_ZONE),
            ("units", c.units, MAX_UNITS),
        ):
            if value is not None and len(value) > limit:
                raise QifImportError(
                    f"{where}: its {label} is longer than {limit} characters.", file=name
                )
        text = c.text
        value_units = c.units
        numeric = c.lower_limit is not None or c.upper_limit is not None or c.nominal is not None
        if value_units is None and numeric and not c.kind.startswith("UserDefined"):
            if units is None:
                raise QifImportError(
                    f"{where}: the file states no units (no FileUnits); give the drawing's "
                    "units (mm, in) to import it.",
                    file=name,
                )
            value_units = units.strip()
            if not c.is_geometric:
                text = f"{text} {value_units}"
        spec = CharacteristicSpec(
            balloon=balloon,
            ctype=(
                model.CharacteristicType.NOTE
                if c.kind in _NOTE_KINDS
                else model.CharacteristicType.DIMENSIONAL
            ),
            requirement=text,
            nominal=c.nominal,
            lower_limit=c.lower_limit,
            upper_limit=c.upper_limit,
            units=value_units,
            sheet=c.sheet,
            zone=c.zone,
            designator=_designator(c),
            source_document=name,
            source_sha256=document.file_sha256,
            source_item=item,
            qif_kind=c.kind if len(c.kind) <= MAX_QIF_KIND else None,
            design_tolerance=_design_tolerance(c),
        )
        requirement = _requirement(spec, where)
        probe = model.Characteristic("", balloon, spec.ctype, requirement, c.sheet, c.zone)
        planned.append(
            (
                spec,
                requirement,
                ImportedCharacteristic(
                    balloon=balloon,
                    ctype=spec.ctype,
                    requirement=requirement.text,
                    designator=spec.designator,
                    reference_location=probe.reference_location,
                    source_item=item,
                    numbered=numbered,
                ),
            )
        )
    return planned


def _plan_notes(
    document: CharacteristicDocument, name: str, taken: set[str]
) -> list[tuple[CharacteristicSpec, Requirement, ImportedCharacteristic]]:
    """The file's general notes as note characteristics: ballooned as the file gives them
    when that balloon is free, else N1, N2, ... (the flag of a general note on a drawing)."""
    planned = []
    flags = (f"N{n}" for n in range(1, 10_000))
    for note in document.notes:
        own = note.designator
        balloon = own if own and own not in taken and len(own) <= MAX_BALLOON else None
        numbered = balloon is None
        if balloon is None:
            balloon = next(f for f in flags if f not in taken)
        taken.add(balloon)
        item = note.item_id[:MAX_SOURCE_ITEM]
        spec = CharacteristicSpec(
            balloon=balloon,
            ctype=model.CharacteristicType.NOTE,
            requirement=note.text,
            source_document=name,
            source_sha256=document.file_sha256,
            source_item=item,
        )
        requirement = _requirement(spec, f"{name}: note {balloon} (QIF item {note.item_id})")
        row = ImportedCharacteristic(
            balloon, spec.ctype, requirement.text, None, None, item, numbered
        )
        planned.append((spec, requirement, row))
    return planned


def _requirement(spec: CharacteristicSpec, where: str) -> Requirement:
    try:
        return spec.build_requirement()
    except TextNotAllowedError as error:
        raise TextNotAllowedError(f"{where}: {error.message}", **error.details) from None
    except ValidationError as error:
        raise QifImportError(f"{where}: {error.message}", **error.details) from None


def _balloons(characteristics: Sequence[DesignCharacteristic], name: str) -> list[tuple[str, bool]]:
    """(balloon, numbered by firstarticle) for each characteristic, unique, in file order.

    A designator the file repeats is refused (DuplicateBalloonError): renumbering it would
    give one of the two a balloon that is on no drawing.
    """
    designators = [c.designator for c in characteristics]
    for c in characteristics:
        if c.designator is not None and len(c.designator) > MAX_BALLOON:
            raise QifImportError(
                f"{name}: the designator {c.designator[:40]!r} of QIF item {c.item_id} is "
                f"longer than {MAX_BALLOON} characters.",
                file=name,
            )
    repeated = repeated_balloons(designators)
    if repeated:
        balloon, positions = next(iter(repeated.items()))
        items = ", ".join(characteristics[p].item_id for p in positions)
        raise DuplicateBalloonError(
            f"{name}: balloon {balloon} is given to {len(positions)} characteristics (QIF items "
            f"{items}); a balloon number names one characteristic of the drawing. Correct the "
            "file's designators and import it again.",
            file=name,
            balloons=sorted(repeated),
        )
    return number_balloons(designators)
