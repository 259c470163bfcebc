"""Import inspection results from a file (generic CSV, Zeiss Calypso, QIF 3.0 Results).

One call imports one file into one FAI, in one transaction:

- the format is detected from the content (or given), the file read by its streaming reader
  (QIF validated against the packaged schema first);
- the file's metadata (part number, part revision, drawing and its revision) must be the
  FAI's: otherwise the whole file is refused;
- each row is matched to a characteristic by balloon number within the FAI's drawing
  revision, and to a serial in the FAI's scope; unmatched balloons, balloons not on the FAI's
  Form 3, serials outside the scope, repeated balloon and serial pairs, rows for another
  part or revision, values in units that cannot be compared with the requirement, values on
  a requirement that has no limits, measurement times in the future and over-long text are
  refused, each with its row (line number; for QIF the measurement's position);
- rows the file states are not results (a basic dimension, a helper characteristic without a
  balloon number) are skipped and listed;
- a stated PASS / FAIL that disagrees with the computed conformance, a requirement in the file
  that differs from the drawing's, an NC number the FAI does not link, an attribute verdict on
  a toleranced characteristic, and measurement times the file does not give are warnings:
  the computed conformance is what counts;
- if any row is refused, nothing is written and :class:`ResultImportRefusedError` carries the
  report, unless ``partial`` is asked: then the valid rows are recorded and the audit entry
  says it was a partial import, with its counts and the file's SHA-256;
- a file whose SHA-256 is already on results of the FAI is not imported again: the call is a
  no-op and says so (``status == "already_imported"``);
- ``dry_run`` checks everything and writes nothing.

Results are recorded with source ``device_import`` for Calypso and QIF files (CMM output) and
for CSV rows marked ``entry=device``, ``manual_entry`` for CSV rows marked ``entry=manual``
(they then need a second person's verification, which readiness asks for), ``file_import``
otherwise; ``source_reference`` is ``<file name>; sha256:<hash>; row <n>``. Rows are written
in batches through the unit of work's bulk port (COPY on PostgreSQL); the import writes one
audit entry with its counts. The results themselves carry who recorded them and when.
"""

from __future__ import annotations

import array
import hashlib
import io
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import BinaryIO, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.domain.errors import UnitMismatchError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.inspection_files import (
    FileMetadata,
    IncomingResult,
    ResultFile,
    ResultFileError,
    RowProblem,
    UnsupportedResultFormatError,
)
from firstarticle.domain.model import new_ids
from firstarticle.domain.values import (
    AttributeResult,
    Conformance,
    Requirement,
    compare,
    normalize_unit,
)
from firstarticle.ports import ResultFileReader, ResultRow, UnitOfWork
from firstarticle.services import (
    ServiceContext,
    allowed,
    found,
    record,
    require_revision_data,
)

__all__ = [
    "ImportReport",
    "ResultFileRefusedError",
    "ResultImportRefusedError",
    "RowIssue",
    "UnsupportedResultFormatError",
    "import_results",
]

BATCH: Final = 5_000
MAX_LISTED: Final = 1_000
_PROGRESS_EVERY: Final = 2_000
# Column sizes of inspection_results (a longer value would fail the whole transaction).
_MAX_TEXT: Final = {"units": 32, "operator": 100, "device": 200}
_MAX_NAME: Final = 400

Progress = Callable[[str, int, int], None]
Source = str | os.PathLike[str] | bytes | BinaryIO


class ResultFileRefusedError(ValidationError):
    """The file cannot be read as results at all (encoding, structure, schema, size)."""

    code = "result_file_invalid"


class ResultImportRefusedError(ValidationError):
    """Rows were refused and no partial import was asked: nothing was written."""

    code = "result_import_refused"

    def __init__(self, report: ImportReport) -> None:
        super().__init__(
            f"{report.rows_refused} of {report.rows_read} rows of {report.file_name} were "
            "refused; nothing was recorded (fix them, or import the valid rows with partial)",
            report=report.as_dict(),
        )
        self.report = report


@dataclass(frozen=True)
class RowIssue:
    """A refused, skipped or warned row: where (``row`` None: the file), why, and what."""

    row: int | None
    code: str
    message: str
    balloon: str | None = None
    serial: str | None = None
    column: str | None = None


@dataclass
class ImportReport:
    """What an import did or would do, row by row where it matters."""

    first_article_id: str
    fair_identifier: str
    file_name: str
    sha256: str
    format: str
    partial: bool
    dry_run: bool
    status: str = "refused"
    rows_read: int = 0
    results_accepted: int = 0
    results_recorded: int = 0
    rows_refused: int = 0
    rows_skipped: int = 0
    characteristics: int = 0
    serials: int = 0
    nonconforming: int = 0
    stated_fail: int = 0
    refused: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)
    skipped: list[RowIssue] = field(default_factory=list)
    refused_by_code: dict[str, int] = field(default_factory=dict)
    warnings_by_code: dict[str, int] = field(default_factory=dict)
    issues_truncated: bool = False
    metadata: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """True when every row was accepted or skipped."""
        return self.rows_refused == 0

    def as_dict(self) -> dict[str, object]:
        """The report as plain data (JSON-ready but for nothing: all fields are plain)."""
        return asdict(self)

    def _add(self, into: list[RowIssue], issue: RowIssue) -> None:
        if len(into) < MAX_LISTED:
            into.append(issue)
        else:
            self.issues_truncated = True

    def refuse(self, issue: RowIssue) -> None:
        self.rows_refused += 1
        self.refused_by_code[issue.code] = self.refused_by_code.get(issue.code, 0) + 1
        self._add(self.refused, issue)

    def warn(self, issue: RowIssue) -> None:
        self.warnings_by_code[issue.code] = self.warnings_by_code.get(issue.code, 0) + 1
        self._add(self.warnings, issue)

    def skip(self, issue: RowIssue) -> None:
        self.rows_skipped += 1
        self._add(self.skipped, issue)


# --- the file -------------------------------------------------------------------------------


class _Tracked(io.RawIOBase):
    """A read-only view of the source that reports the bytes read to a progress callback."""

    def __init__(self, raw: BinaryIO, report: Callable[[int], None]) -> None:
        self.raw = raw
        self.count = 0
        self.report = report
        self.next_report = 1 << 20

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.raw.seekable()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def _counted(self, data: bytes) -> bytes:
        self.count += len(data)
        if self.count >= self.next_report:
            self.next_report = self.count + (1 << 20)
            self.report(self.count)
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._counted(self.raw.read(-1 if size is None else size))

    def readline(self, size: int | None = -1) -> bytes:
        return self._counted(self.raw.readline(-1 if size is None else size))


def _open(source: Source) -> tuple[BinaryIO, str, Callable[[], None]]:
    """A seekable binary stream over ``source``, its name, and how to close what we opened."""
    if isinstance(source, bytes):
        return io.BytesIO(source), "<upload>", lambda: None
    if isinstance(source, str | os.PathLike):
        handle = open(source, "rb")  # noqa: SIM115 - closed by the caller through close()
        return handle, os.path.basename(os.fspath(source)), handle.close
    name = getattr(source, "name", None)
    label = os.path.basename(name) if isinstance(name, str) else "<stream>"
    if source.seekable():
        return source, label, lambda: None
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - see close
    while chunk := source.read(1 << 20):
        spool.write(chunk)
    spool.seek(0)
    return spool, label, spool.close  # type: ignore[return-value]


def _sha256(stream: BinaryIO) -> tuple[str, int]:
    start = stream.tell()
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(start)
    return digest.hexdigest(), size


def _read(files: ResultFileReader, fmt: str, stream: BinaryIO, name: str) -> ResultFile:
    try:
        return files.read(fmt, stream, name)
    except ResultFileError as error:
        raise ResultFileRefusedError(
            f"{name} cannot be imported: {error}", field="file", line=error.line, reason=error.code
        ) from None


# --- matching against the FAI ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Char:
    """A characteristic as rows are checked against it: read off the ORM object once."""

    id: str
    balloon: str
    requirement: Requirement
    index: int
    in_scope: bool


@dataclass
class _Target:
    """The FAI as the import needs it, resolved once."""

    fai: model.FirstArticle
    revision: model.PartRevision
    part: model.Part
    by_balloon: dict[str, list[_Char]]
    serial_ids: dict[str, str]
    serial_index: dict[str | None, int]
    built_serials: set[str]
    nc_numbers: set[str]
    plant_zone: tzinfo


def _target(uow: UnitOfWork, fai: model.FirstArticle) -> _Target:
    revision = found(
        uow.parts.revision(fai.part_revision_id), "Part revision", fai.part_revision_id
    )
    part = found(uow.parts.header(revision.part_id), "Part", revision.part_id)
    work_order = found(uow.work_orders.get(fai.work_order_id), "Work order", fai.work_order_id)
    site = found(uow.sites.get(fai.site_id), "Site", fai.site_id)
    in_scope = {row.characteristic_id for row in fai.form3}
    by_balloon: dict[str, list[_Char]] = {}
    for index, c in enumerate(revision.characteristics):
        char = _Char(c.id, c.balloon.strip(), c.requirement, index, c.id in in_scope)
        by_balloon.setdefault(char.balloon, []).append(char)
    serial_ids = {u.serial_number: u.serial_id for u in fai.units}
    serial_index: dict[str | None, int] = {None: 0}
    for number in serial_ids:
        serial_index[number] = len(serial_index)
    try:
        zone: tzinfo = ZoneInfo(site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return _Target(
        fai=fai,
        revision=revision,
        part=part,
        by_balloon=by_balloon,
        serial_ids=serial_ids,
        serial_index=serial_index,
        built_serials={s.number for s in work_order.serials},
        nc_numbers={nc.number for nc in fai.nonconformances},
        plant_zone=zone,
    )


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").strip().casefold() == (b or "").strip().casefold()


def _file_level(t: _Target, meta: FileMetadata, report: ImportReport) -> None:
    """Refuse a file whose metadata names another part, revision or drawing revision."""
    if meta.part_number and not _same(meta.part_number, t.part.number):
        report.refuse(
            RowIssue(
                None,
                "wrong_part",
                f"The file is for part {meta.part_number}; this FAI is for {t.part.number}.",
            )
        )
    if meta.part_revision and not _same(meta.part_revision, t.revision.revision):
        report.refuse(
            RowIssue(
                None,
                "wrong_revision",
                f"The file is for revision {meta.part_revision}; this FAI is for "
                f"{t.part.number} rev {t.revision.revision}.",
            )
        )
    if meta.drawing_number:
        drawing = next(
            (d for d in t.revision.drawings if _same(d.number, meta.drawing_number)), None
        )
        if drawing is None:
            report.warn(
                RowIssue(
                    None,
                    "drawing_unknown",
                    f"The file names drawing {meta.drawing_number}, which is not among the "
                    f"drawings of rev {t.revision.revision}; balloons are matched on those.",
                )
            )
        elif meta.drawing_revision and not _same(meta.drawing_revision, drawing.revision):
            report.refuse(
                RowIssue(
                    None,
                    "wrong_revision",
                    f"The file measured drawing {drawing.number} rev {meta.drawing_revision}; "
                    f"the FAI's drawing is rev {drawing.revision}.",
                )
            )


def _judge(requirement: Requirement, value: Decimal, units: str) -> Conformance:
    """Requirement.evaluate, with its same-units case inlined (the import's hot path).

    Limits are inclusive, as in the domain; other units go through the domain's exact
    comparison (and its UnitMismatchError / ValidationError).
    """
    if units == requirement.units:
        lower, upper = requirement.lower_limit, requirement.upper_limit
        if lower is not None and value < lower:
            return Conformance.NONCONFORMING
        if upper is not None and value > upper:
            return Conformance.NONCONFORMING
        if lower is not None or upper is not None:
            return Conformance.CONFORMING
    return requirement.evaluate(value, units)


class _FirstRows:
    """The first row of each (characteristic, serial) pair: memory bounded by the FAI."""

    # 4 bytes per pair of the FAI (64 MB at most); a larger FAI falls back to a dictionary.
    MAX_TABLE: Final = 16 * 1024 * 1024

    def __init__(self, chars: int, serials: int) -> None:
        self.width = serials
        size = chars * serials
        self.table: array.array[int] | None = (
            array.array("I", bytes(4 * size)) if 0 < size <= self.MAX_TABLE else None
        )
        self.overflow: dict[int, int] = {}

    def first(self, char: int, serial: int, row: int) -> int | None:
        """The earlier row of the pair, or None (and remember ``row``) if it is the first."""
        key = char * self.width + serial
        if self.table is not None and key < len(self.table):
            stored = self.table[key]
            if stored:
                return stored
            self.table[key] = row
            return None
        earlier = self.overflow.get(key)
        if earlier is None:
            self.overflow[key] = row
        return earlier


class _Importer:
    """Checks rows one by one and hands accepted results to the writer in batches."""

    def __init__(
        self,
        ctx: ServiceContext,
        uow: UnitOfWork,
        target: _Target,
        file: ResultFile,
        report: ImportReport,
        *,
        write: bool,
        partial: bool,
    ) -> None:
        self.ctx = ctx
        self.uow = uow
        self.t = target
        self.file = file
        self.report = report
        self.write = write
        self.partial = partial
        self.now = ctx.clock.now()
        self.batch: list[ResultRow] = []
        self.first_rows = _FirstRows(len(target.revision.characteristics), len(target.serial_index))
        self.site_id, self.fai_id, self.actor = target.fai.site_id, target.fai.id, ctx.actor
        self.recorded_at = self.now.astimezone(UTC)
        self.ids: list[str] = []
        self.units: dict[str, str] = {}
        self.limits_checked: set[str] = set()
        self.times: dict[datetime, datetime] = {}
        self.balloons: set[str] = set()
        self.serials: set[str | None] = set()
        self.warned: set[tuple[str, str]] = set()
        self.untimed = 0
        self.name = file.name[-_MAX_NAME:]
        self.source = {
            "qif": model.ResultSource.DEVICE_IMPORT,
            "calypso": model.ResultSource.DEVICE_IMPORT,
        }.get(file.fmt, model.ResultSource.FILE_IMPORT)

    # -- one row ---------------------------------------------------------------------------

    def refuse(
        self, row: IncomingResult, code: str, message: str, column: str | None = None
    ) -> None:
        self.report.refuse(RowIssue(row.row, code, message, row.balloon, row.serial, column))

    def warn_once(self, key: tuple[str, str], issue: RowIssue) -> None:
        if key not in self.warned:
            self.warned.add(key)
            self.report.warn(issue)
        else:
            self.report.warnings_by_code[issue.code] = (
                self.report.warnings_by_code.get(issue.code, 0) + 1
            )

    def take(self, item: IncomingResult | RowProblem) -> None:
        self.report.rows_read += 1
        if isinstance(item, RowProblem):
            self.report.refuse(RowIssue(item.row, item.code, item.message, column=item.column))
            return
        if item.skip is not None:
            self.report.skip(RowIssue(item.row, "skipped", item.skip, item.balloon, item.serial))
            return
        result = self.check(item)
        if result is None:
            return
        self.report.results_accepted += 1
        if self.write and (self.partial or self.report.rows_refused == 0):
            self.batch.append(result)
            if len(self.batch) >= BATCH:
                self.flush()

    def check(self, row: IncomingResult) -> ResultRow | None:
        t = self.t
        balloon = (row.balloon or "").strip()
        if row.part_number and not _same(row.part_number, t.part.number):
            self.refuse(
                row,
                "wrong_part",
                f"the row is for part {row.part_number}, the FAI for {t.part.number}",
                "part_number",
            )
            return None
        if row.part_revision and not _same(row.part_revision, t.revision.revision):
            self.refuse(
                row,
                "wrong_revision",
                f"the row is for revision {row.part_revision}, the FAI for rev "
                f"{t.revision.revision}",
                "part_revision",
            )
            return None
        candidates = t.by_balloon.get(balloon, [])
        if not candidates:
            self.refuse(
                row,
                "unmatched_balloon",
                f"balloon {balloon} is not a characteristic of {t.part.number} rev "
                f"{t.revision.revision}",
                "balloon",
            )
            return None
        if len(candidates) > 1:
            self.refuse(
                row,
                "ambiguous_balloon",
                f"balloon {balloon} is on several drawings of rev {t.revision.revision}",
                "balloon",
            )
            return None
        characteristic = candidates[0]
        if not characteristic.in_scope:
            self.refuse(
                row,
                "not_in_scope",
                f"balloon {balloon} is not on this FAI's Form 3 (a partial FAI lists only "
                "changed and affected characteristics)",
                "balloon",
            )
            return None
        serial = (row.serial or "").strip() or None
        if serial is None:
            if len(t.serial_ids) > 1:
                self.refuse(
                    row,
                    "serial_missing",
                    "the row names no serial and this FAI covers several",
                    "serial_number",
                )
                return None
            serial = next(iter(t.serial_ids), None)
        if serial is not None and serial not in t.serial_ids:
            hint = (
                "it was built on the FAI's work order but is not in the FAI's scope"
                if serial in t.built_serials
                else "it is not a serial of the FAI's work order"
            )
            self.refuse(
                row,
                "serial_not_in_scope",
                f"serial {serial} is not in this FAI's scope: {hint}",
                "serial_number",
            )
            return None
        requirement = characteristic.requirement
        for column, limit in _MAX_TEXT.items():
            text = getattr(row, column)
            if text is not None and len(text) > limit:
                self.refuse(row, "too_long", f"{column} is longer than {limit} characters", column)
                return None
        units = None
        conformance: Conformance
        attribute = None
        if row.value is not None:
            if not row.units:
                self.refuse(row, "units_missing", "the value has no units", "units")
                return None
            units = self.unit(row.units)
            try:
                conformance = _judge(requirement, row.value, units)
            except UnitMismatchError:
                self.refuse(
                    row,
                    "units_incomparable",
                    f"a value in {row.units!r} cannot be compared with balloon {balloon}'s "
                    f"requirement in {requirement.units!r}",
                    "units",
                )
                return None
            except ValidationError:
                self.refuse(
                    row,
                    "value_on_text_requirement",
                    f"balloon {balloon} ({requirement.text[:80]}) has no limits to judge a "
                    "value against; record an accept / reject verdict",
                    "value",
                )
                return None
        else:
            attribute = AttributeResult(row.attribute or "")
            conformance = (
                Conformance.CONFORMING
                if attribute is AttributeResult.ACCEPT
                else Conformance.NONCONFORMING
            )
            if requirement.is_numeric:
                self.warn_once(
                    ("attribute", characteristic.id),
                    RowIssue(
                        row.row,
                        "attribute_on_toleranced",
                        f"balloon {balloon} is toleranced ({requirement.text[:80]}); an "
                        "attribute verdict will not satisfy readiness",
                        balloon,
                        serial,
                    ),
                )
        measured_at = self.measured_at(row)
        if measured_at is None:
            return None
        # Last of the checks, so that "already given in row N" names an accepted row.
        earlier = self.first_rows.first(characteristic.index, t.serial_index[serial], row.row)
        if earlier is not None:
            self.refuse(
                row,
                "duplicate",
                f"balloon {balloon}{f' serial {serial}' if serial else ''} was already given "
                f"in row {earlier}",
                "balloon",
            )
            return None
        self.observe(row, balloon, serial, characteristic, conformance, units)
        source = self.source
        if row.entry == "manual":
            source = model.ResultSource.MANUAL_ENTRY
        elif row.entry == "device":
            source = model.ResultSource.DEVICE_IMPORT
        # The rules of model.InspectionResult hold by construction: a value comes with its
        # units or an attribute stands alone; times are UTC; characteristic and serial are
        # the FAI's.
        return ResultRow(
            self.site_id,
            self.next_id(),
            self.fai_id,
            characteristic.id,
            t.serial_ids.get(serial) if serial else None,
            row.value,
            units,
            attribute.value if attribute is not None else None,
            source.value,
            f"{self.name}; sha256:{self.report.sha256}; row {row.row}",
            row.operator,
            row.device,
            measured_at,
            self.actor,
            self.recorded_at,
        )

    def unit(self, raw: str) -> str:
        """The canonical spelling of a unit, remembered per spelling met in the file."""
        known = self.units.get(raw)
        if known is None:
            known = self.units[raw] = normalize_unit(raw)
        return known

    def measured_at(self, row: IncomingResult) -> datetime | None:
        """The row's measurement time in UTC (None: refused); rows share few distinct times."""
        when = row.measured_at
        if when is None:
            self.untimed += 1
            return self.recorded_at
        utc = self.times.get(when)
        if utc is None:
            local = when.replace(tzinfo=self.t.plant_zone) if when.tzinfo is None else when
            utc = local.astimezone(UTC)
            if len(self.times) < 65_536:
                self.times[when] = utc
        if utc > self.now:
            self.refuse(
                row,
                "measured_in_future",
                f"measured at {utc.isoformat()}, after the import ({self.now.isoformat()})",
                "measured_at",
            )
            return None
        return utc

    def next_id(self) -> str:
        if not self.ids:
            self.ids = new_ids(BATCH)
        return self.ids.pop()

    def observe(
        self,
        row: IncomingResult,
        balloon: str,
        serial: str | None,
        characteristic: _Char,
        conformance: Conformance,
        units: str | None,
    ) -> None:
        """Counts and warnings of an accepted row."""
        report = self.report
        self.balloons.add(balloon)
        self.serials.add(serial)
        failing = conformance is Conformance.NONCONFORMING
        report.nonconforming += failing
        if row.status == "FAIL":
            report.stated_fail += 1
        if row.status is not None and (row.status == "FAIL") != failing:
            report.warn(
                RowIssue(
                    row.row,
                    "status_disagrees",
                    f"the file says {row.status}, the computed result is "
                    f"{conformance.value} against {characteristic.requirement.text[:80]}; the "
                    "computed one counts",
                    balloon,
                    serial,
                )
            )
        if row.repeats:
            report.warn(
                RowIssue(
                    row.row,
                    "repeated_measurement",
                    f"balloon {balloon} was measured {len(row.repeats) + 1} times for this part "
                    f"(also at {', '.join(map(str, row.repeats[:10]))}); the value farthest "
                    "outside its limits is recorded",
                    balloon,
                    serial,
                )
            )
        requirement = characteristic.requirement
        if (
            units is not None
            and requirement.units is not None
            and (row.upper_limit is not None or row.lower_limit is not None)
            and characteristic.id not in self.limits_checked
        ):
            # A file states one requirement per characteristic: compare it once.
            self.limits_checked.add(characteristic.id)
            for mine, theirs in (
                (requirement.upper_limit, row.upper_limit),
                (requirement.lower_limit, row.lower_limit),
            ):
                if mine is None or theirs is None:
                    continue
                try:
                    differs = compare(theirs, units, mine, requirement.units) != 0
                except (UnitMismatchError, ValidationError):
                    differs = True
                if differs:
                    self.warn_once(
                        ("requirement", characteristic.id),
                        RowIssue(
                            row.row,
                            "requirement_differs",
                            f"the file measured balloon {balloon} against limits "
                            f"{row.lower_limit} – {row.upper_limit} {row.units}; the drawing "
                            f"says {requirement.text[:80]} (a program for another revision?)",
                            balloon,
                            serial,
                        ),
                    )
                    break
        if row.nonconformance and row.nonconformance not in self.t.nc_numbers:
            self.warn_once(
                ("nc", row.nonconformance),
                RowIssue(
                    row.row,
                    "nc_not_linked",
                    f"the file names nonconformance {row.nonconformance}, which is not linked "
                    "to this FAI; link it so that Form 3 field 11 shows it",
                    balloon,
                    serial,
                ),
            )

    def flush(self) -> None:
        if self.batch:
            self.uow.result_imports.add_results(self.batch)
            self.report.results_recorded += len(self.batch)
            self.batch = []


# --- the use case ---------------------------------------------------------------------------


def import_results(
    ctx: ServiceContext,
    fai_id: str,
    file: Source,
    fmt: str = "auto",
    *,
    name: str | None = None,
    partial: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a results file into an FAI, all or nothing (or the valid rows, with ``partial``).

    ``file`` is a path, the file's bytes or a binary stream (read from its position; a stream
    that cannot seek is spooled to a temporary file). ``fmt`` is ``auto`` (from the content),
    ``csv``, ``calypso`` or ``qif``. ``progress(stage, done, total)`` is called as the file is
    read (bytes) and at the end.

    Returns the report; raises ResultImportRefusedError (nothing written) when rows are refused
    without ``partial``, ResultFileRefusedError / UnsupportedResultFormatError when the file
    cannot be read, NotFoundError for an unknown FAI and ConflictError when the FAI's package
    can no longer change.
    """
    files = ctx.inspection_files.results
    wanted = fmt.strip().lower()
    if wanted != "auto" and wanted not in files.formats:
        raise UnsupportedResultFormatError(
            f"Unknown format {fmt!r}; use auto, {', '.join(files.formats)}.", field="format"
        )
    stream, opened_name, close = _open(file)
    label = name or opened_name
    try:
        sha256, size = _sha256(stream)
        start = stream.tell()
        detected = files.detect(stream.read(8192))
        stream.seek(start)
        chosen = detected if wanted == "auto" else wanted
        total = size * (2 if chosen == "qif" else 1)

        def tick(done: int) -> None:
            if progress is not None:
                progress("reading", min(done, total), total)

        allowed(ctx, Permission.RESULT_IMPORT)
        with ctx.uow_factory() as uow:
            fai = found(uow.result_imports.first_article(fai_id), "First article", fai_id)
            ctx.principal.require_site(fai.site_id, "first article")
            require_revision_data(ctx, uow, fai.part_revision_id, "first article")
            fai.ensure_editable()
            report = ImportReport(
                first_article_id=fai.id,
                fair_identifier=fai.fair_identifier,
                file_name=label,
                sha256=sha256,
                format=chosen,
                partial=partial,
                dry_run=dry_run,
            )
            if uow.result_imports.file_imported(fai.site_id, fai.id, sha256):
                report.status = "already_imported"
                report.notes.append(
                    f"results of this file (sha256 {sha256[:12]}…) are already recorded on "
                    f"{fai.fair_identifier}; nothing was imported again"
                )
                return report
            target = _target(uow, fai)
            tracked = _Tracked(stream, tick)
            result_file = _read(files, chosen, tracked, label)  # type: ignore[arg-type]
            report.metadata = result_file.metadata.as_dict()
            report.notes += result_file.notes
            _file_level(target, result_file.metadata, report)
            if report.rows_refused:
                # The file as a whole is for another part or revision: no row of it can be
                # this FAI's, partial import or not.
                raise ResultImportRefusedError(report)
            importer = _Importer(
                ctx, uow, target, result_file, report, write=not dry_run, partial=partial
            )
            _consume(importer, result_file.rows, tracked, total, progress)
            report.characteristics = len(importer.balloons)
            report.serials = len({s for s in importer.serials if s is not None})
            if importer.untimed:
                report.warn(
                    RowIssue(
                        None,
                        "measured_at_missing",
                        f"{importer.untimed} row{'s' if importer.untimed > 1 else ''} state "
                        "no measurement time; the import time is recorded instead",
                    )
                )
                report.warnings_by_code["measured_at_missing"] = importer.untimed
            if not report.accepted and (not partial or report.results_accepted == 0):
                # Refused rows without partial, or partial with no valid row at all.
                report.status = "refused"
                report.results_recorded = 0
                uow.rollback()
                raise ResultImportRefusedError(report)
            if dry_run:
                report.status = "dry_run"
                uow.rollback()
                return report
            importer.flush()
            report.status = "imported" if report.accepted else "partially_imported"
            fai.touch(importer.now)
            record(uow, ctx, [_audit_event(ctx, fai, report, importer.now)])
            uow.commit()
            if progress is not None:
                progress("recorded", report.results_recorded, report.results_recorded)
            return report
    finally:
        close()


def _consume(
    importer: _Importer,
    rows: Iterator[IncomingResult | RowProblem],
    tracked: _Tracked,
    total: int,
    progress: Progress | None,
) -> None:
    try:
        for count, item in enumerate(rows, 1):
            importer.take(item)
            if progress is not None and count % _PROGRESS_EVERY == 0:
                progress("reading", min(tracked.count, total), total)
    except ResultFileError as error:
        raise ResultFileRefusedError(
            f"{importer.file.name} cannot be imported: {error}",
            field="file",
            line=error.line,
            reason=error.code,
        ) from None
    if progress is not None:
        progress("reading", total, total)


def _audit_event(
    ctx: ServiceContext, fai: model.FirstArticle, report: ImportReport, at: datetime
) -> Event:
    summary: dict[str, object] = {
        "file": report.file_name,
        "sha256": report.sha256,
        "format": report.format,
        "partial": report.partial,
        "rows_read": report.rows_read,
        "results_recorded": report.results_recorded,
        "rows_refused": report.rows_refused,
        "rows_skipped": report.rows_skipped,
        "characteristics": report.characteristics,
        "serials": report.serials,
        "nonconforming": report.nonconforming,
        "warnings": sum(report.warnings_by_code.values()),
    }
    reason = None
    if report.partial and report.rows_refused:
        refused = ", ".join(f"{code} {n}" for code, n in Counter(report.refused_by_code).items())
        reason = (
            f"Partial import of {report.file_name} (sha256 {report.sha256}): "
            f"{report.results_recorded} results recorded, {report.rows_refused} rows refused "
            f"({refused})."
        )
    return Event(
        action="fai.results_imported",
        record_type="first_article",
        record_id=fai.id,
        site_id=fai.site_id,
        actor=ctx.actor,
        at=at,
        changes={f"import.{key}": (None, value) for key, value in summary.items()},
        reason=reason,
    )
