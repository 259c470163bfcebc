"""Rows of a results file matched against the FAI, one by one (services/result_import.py).

A row is matched to a characteristic by balloon within the FAI's drawing revision and to a
serial in the FAI's scope, its value compared with the requirement in comparable units, and
checked against everything the module docstring of result_import lists; accepted results are
handed to the unit of work's bulk writer in batches.
"""

from __future__ import annotations

import array
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from firstarticle.domain import model
from firstarticle.domain.errors import UnitMismatchError, ValidationError
from firstarticle.domain.inspection_files import (
    IncomingResult,
    ResultFile,
    RowProblem,
)
from firstarticle.domain.model import new_ids
from firstarticle.domain.text import WHY, text_problem
from firstarticle.domain.values import (
    AttributeResult,
    Conformance,
    Requirement,
    convert_exactly,
    normalize_unit,
    same_at_precision,
)
from firstarticle.ports import ResultRow, UnitOfWork
from firstarticle.services import (
    ServiceContext,
    found,
)
from firstarticle.services.result_report import ImportReport, RowIssue

BATCH: Final = 5_000
# Column sizes of inspection_results (a longer value would fail the whole transaction).
_MAX_TEXT: Final = {"units": 32, "operator": 100, "device": 200, "nonconformance": 64}
_MAX_NAME: Final = 400
# Every text of a row that is stored or shown: the plant's text rule (domain/text.py) applies
# to a file's cells as to the API's fields, whichever reader (CSV, Calypso, QIF) read them.
_TEXTS: Final = ("serial", "units", "attribute", "nonconformance", "device", "operator", "program")
# A converted value longer than this is kept as the file wrote it (the column holds 64).
_MAX_DIGITS: Final = 60


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
class Target:
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
    organization: str = ""
    purchase_order: str | None = None


def target_of(uow: UnitOfWork, fai: model.FirstArticle) -> Target:
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
    return Target(
        fai=fai,
        revision=revision,
        part=part,
        by_balloon=by_balloon,
        serial_ids=serial_ids,
        serial_index=serial_index,
        built_serials={s.number for s in work_order.serials},
        nc_numbers={nc.number for nc in fai.nonconformances},
        plant_zone=zone,
        organization=site.name,
        purchase_order=fai.purchase_order or work_order.purchase_order,
    )


def same_text(a: str | None, b: str | None) -> bool:
    return (a or "").strip().casefold() == (b or "").strip().casefold()


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


class RowImporter:
    """Checks rows one by one and hands accepted results to the writer in batches."""

    def __init__(
        self,
        ctx: ServiceContext,
        uow: UnitOfWork,
        target: Target,
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
        # An FAI a re-FAI trigger opened takes results of product made after the change.
        fai = target.fai
        self.changed_at = (
            uow.triggers.changed_at(fai.site_id, fai.id) if fai.refai_trigger else None
        )
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
        for column in _TEXTS:
            text = getattr(row, column)
            problem = text_problem(text) if text else None
            if problem is not None:
                # Named before any matching: a hidden character would otherwise surface as a
                # puzzling "serial not in scope".
                self.refuse(row, problem, f"{column}: {WHY[problem]}", column)
                return None
        balloon = (row.balloon or "").strip()
        if row.part_number and not same_text(row.part_number, t.part.number):
            self.refuse(
                row,
                "wrong_part",
                f"the row is for part {row.part_number}, the FAI for {t.part.number}",
                "part_number",
            )
            return None
        if row.part_revision and not same_text(row.part_revision, t.revision.revision):
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
        value = row.value
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
            value, units = self.in_requirement_units(row.value, units, requirement)
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
            value,
            units,
            attribute.value if attribute is not None else None,
            source.value,
            f"{self.name}; sha256:{self.report.sha256}; row {row.row}",
            row.operator,
            row.device,
            measured_at,
            self.actor,
            self.recorded_at,
            row.nonconformance,
            row.status if row.status in {"PASS", "FAIL"} else None,
        )

    @staticmethod
    def in_requirement_units(
        value: Decimal, units: str, requirement: Requirement
    ) -> tuple[Decimal, str]:
        """The value in the drawing's units where the conversion is exact (in to mm always
        is), else as the file states it; the verdict was judged exactly either way."""
        if requirement.units is None or units == requirement.units:
            return value, units
        converted = convert_exactly(value, units, requirement.units)
        if converted is None or len(str(converted)) > _MAX_DIGITS:
            return value, units
        return converted, requirement.units

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
        if self.changed_at is not None and utc < self.changed_at:
            self.refuse(
                row,
                "measured_before_change",
                f"measured at {utc.isoformat()}, before the change of "
                f"{self.changed_at.isoformat()} that opened this FAI",
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
                    "computed one counts, and readiness asks a person to resolve the "
                    "disagreement with a reason",
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
                # The file writes our limit in its own units, to its own digits.
                differs = not same_at_precision(
                    theirs, self.unit(row.units or units), mine, requirement.units
                )
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
