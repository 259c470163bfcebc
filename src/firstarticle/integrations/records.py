"""Mirrored records as they arrive from outside: JSON bodies and CSV files, validated.

One pydantic model per record kind checks an incoming object and turns it into the service's
record; CSV files are read row by row into the same objects. The column formats are described
in ``docs/imports.md``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Annotated, Any, BinaryIO

from pydantic import AwareDatetime, Field, StringConstraints, ValidationError

from firstarticle.domain import model
from firstarticle.domain import records as mirror
from firstarticle.domain.errors import ValidationError as DomainValidationError
from firstarticle.domain.records import CharacteristicSpec, OperationSpec
from firstarticle.integrations.record_fields import (
    BomLineIn,
    CharacteristicFields,
    Code,
    CustomerFields,
    In,
    OperationIn,
    Text,
)

Rev = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
Version = Annotated[int, Field(ge=0, le=2**62)]


class CharacteristicIn(CharacteristicFields):
    type: model.CharacteristicType = model.CharacteristicType.DIMENSIONAL
    units: Annotated[str, StringConstraints(max_length=32)] | None = None

    def spec(self) -> CharacteristicSpec:
        return CharacteristicSpec(
            balloon=self.balloon,
            ctype=self.type,
            requirement=self.requirement or None,
            nominal=self.nominal,
            upper_tolerance=self.upper_tolerance,
            lower_tolerance=self.lower_tolerance,
            lower_limit=self.lower_limit,
            upper_limit=self.upper_limit,
            units=self.units or None,
            sheet=self.sheet or None,
            zone=self.zone or None,
            designator=self.designator,
        )


class DrawingIn(In):
    number: Code
    revision: Rev
    kind: model.DefinitionKind = model.DefinitionKind.DRAWING
    characteristics: list[CharacteristicIn] = Field(default_factory=list, max_length=50_000)


class PartRevisionIn(In):
    """PLM: a released (or in-work, obsolete) part revision with its drawings and, for an
    assembly, its bill of materials (the whole BOM each time)."""

    external_id: Code
    source_version: Version
    part_number: Code
    part_name: Text
    revision: Rev
    status: model.RevisionStatus = model.RevisionStatus.RELEASED
    drawings: list[DrawingIn] = Field(min_length=1, max_length=50)
    bill_of_materials: list[BomLineIn] = Field(default_factory=list, max_length=5_000)

    def record(self) -> mirror.PartRevisionRecord:
        return mirror.PartRevisionRecord(
            self.external_id,
            self.source_version,
            self.part_number,
            self.part_name,
            self.revision,
            self.status,
            tuple(
                mirror.DrawingRecord(
                    d.number, d.revision, d.kind, tuple(c.spec() for c in d.characteristics)
                )
                for d in self.drawings
            ),
            tuple(mirror.BomLineRecord(**line.model_dump()) for line in self.bill_of_materials),
        )


class CustomerIn(CustomerFields):
    """ERP: a customer."""

    external_id: Code
    source_version: Version

    def record(self) -> mirror.CustomerRecord:
        return mirror.CustomerRecord(**self.model_dump())


class WorkOrderIn(In):
    """ERP: a work order at a site, for one part revision."""

    external_id: Code
    source_version: Version
    site: Code
    number: Code
    part_number: Code
    revision: Rev
    quantity: int = Field(ge=1, le=10_000_000)
    customer: Code | None = None
    router: Code | None = None
    lot: Code | None = None
    purchase_order: Code | None = None
    status: model.WorkOrderStatus = model.WorkOrderStatus.RELEASED
    operations: list[OperationIn] = Field(default_factory=list, max_length=500)
    program: Code | None = None
    serial_numbers: list[Code] = Field(default_factory=list, max_length=10_000)
    starts_at: AwareDatetime | None = None

    def record(self) -> mirror.WorkOrderRecord:
        data = self.model_dump(exclude={"operations", "serial_numbers"})
        return mirror.WorkOrderRecord(
            **data,
            operations=tuple(OperationSpec(**o.model_dump()) for o in self.operations),
            serial_numbers=tuple(self.serial_numbers),
        )


class NonconformanceIn(In):
    """QMS: a nonconformance (deviation, concession, rework) linked to an FAI."""

    external_id: Code
    source_version: Version
    site: Code
    fair_identifier: Code
    number: Code
    kind: model.NonconformanceKind = model.NonconformanceKind.NONCONFORMANCE
    status: model.NonconformanceStatus = model.NonconformanceStatus.OPEN
    disposition: model.Disposition | None = None
    title: Annotated[str, StringConstraints(max_length=500)] | None = None
    balloons: list[Code] = Field(default_factory=list, max_length=500)
    corrective_action: Code | None = None

    def record(self) -> mirror.NonconformanceRecord:
        data = self.model_dump(exclude={"balloons"})
        return mirror.NonconformanceRecord(**data, balloons=tuple(self.balloons))


MODELS: dict[str, type[PartRevisionIn | CustomerIn | WorkOrderIn | NonconformanceIn]] = {
    "part-revisions": PartRevisionIn,
    "customers": CustomerIn,
    "work-orders": WorkOrderIn,
    "nonconformances": NonconformanceIn,
}

# Columns whose values are numbers: a leading minus there is a sign, not a formula.
_NUMERIC = {
    "source_version",
    "quantity",
    "nominal",
    "upper_tolerance",
    "lower_tolerance",
    "lower_limit",
    "upper_limit",
}
MAX_FILE_BYTES = 200 * 1024 * 1024


class RecordFileError(DomainValidationError):
    """An import file cannot be read as records of its kind; nothing was written."""

    code = "import_file_invalid"


def parse(kind: str, items: Iterable[tuple[str, dict[str, Any]]]) -> list[mirror.MirrorRecord]:
    """Validate raw objects (with a location each, for messages) into service records."""
    if kind not in MODELS:
        raise RecordFileError(f"Unknown record kind {kind!r}; one of {', '.join(MODELS)}.")
    model_cls = MODELS[kind]
    records: list[mirror.MirrorRecord] = []
    for where, raw in items:
        try:
            records.append(model_cls.model_validate(raw).record())
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise RecordFileError(
                f"{where}: {field}: {first['msg']}", location=where, field=field
            ) from None
        except DomainValidationError as error:
            raise RecordFileError(f"{where}: {error.message}", location=where) from None
    return records


def read_file(kind: str, name: str, handle: BinaryIO) -> list[mirror.MirrorRecord]:
    """Read a ``.json`` or ``.csv`` file of records of ``kind``."""
    data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise RecordFileError(f"{name} is larger than {MAX_FILE_BYTES // 2**20} MiB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RecordFileError(
            f"{name} is not UTF-8 (byte {error.start}); save it as UTF-8."
        ) from None
    if name.lower().endswith(".json"):
        return parse(kind, _json_items(name, text))
    if name.lower().endswith(".csv"):
        return parse(kind, _csv_items(kind, name, text))
    raise RecordFileError(f"{name}: import files end in .csv or .json.")


def _json_items(name: str, text: str) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise RecordFileError(f"{name}: not JSON at line {error.lineno}: {error.msg}.") from None
    items = document.get("records") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise RecordFileError(f'{name}: expected a list of records (or {{"records": [...]}}).')
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise RecordFileError(f"{name}: record {index + 1} is not an object.")
        yield f"{name} record {index + 1}", item


def _csv_items(kind: str, name: str, text: str) -> Iterator[tuple[str, dict[str, Any]]]:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames or "external_id" not in reader.fieldnames:
        raise RecordFileError(f"{name}: the first row names the columns, external_id first.")
    rows = []
    for line, row in enumerate(reader, start=2):
        if None in row:
            raise RecordFileError(f"{name} line {line}: more cells than columns.")
        clean = {k.strip(): (v.strip() if v is not None else "") for k, v in row.items()}
        for column, value in clean.items():
            if column not in _NUMERIC and value[:1] in ("=", "+", "-", "@"):
                raise RecordFileError(
                    f"{name} line {line}, column {column}: a value starting with "
                    f"{value[:1]!r} could run as a formula in a spreadsheet; refused.",
                    location=f"line {line}",
                    field=column,
                )
        rows.append((line, {k: v for k, v in clean.items() if v != ""}))
    yield from _GROUPERS[kind](name, rows)


def _same(name: str, group: list[tuple[int, dict[str, str]]], keys: Iterable[str]) -> None:
    first_line, first = group[0]
    for line, row in group[1:]:
        for key in keys:
            if row.get(key) != first.get(key):
                raise RecordFileError(
                    f"{name} line {line}: {key} differs from line "
                    f"{first_line} of the same external_id."
                )


def _grouped(rows: list[tuple[int, dict[str, str]]]) -> dict[str, list[tuple[int, dict[str, str]]]]:
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for line, row in rows:
        groups.setdefault(row.get("external_id", f"(line {line})"), []).append((line, row))
    return groups


_REV_HEADER = ("source_version", "part_number", "part_name", "revision", "status")
_CHAR_COLUMNS = (
    "balloon",
    "type",
    "requirement",
    "nominal",
    "upper_tolerance",
    "lower_tolerance",
    "lower_limit",
    "upper_limit",
    "units",
    "sheet",
    "zone",
    "designator",
)


def _part_revisions(
    name: str, rows: list[tuple[int, dict[str, str]]]
) -> Iterator[tuple[str, dict[str, Any]]]:
    for external_id, group in _grouped(rows).items():
        _same(name, group, _REV_HEADER)
        head = group[0][1]
        drawings: dict[str, dict[str, Any]] = {}
        for _line, row in group:
            number = row.get("drawing_number", "")
            drawing = drawings.setdefault(
                number,
                {
                    "number": number,
                    "revision": row.get("drawing_revision", ""),
                    "kind": row.get("drawing_kind", "drawing"),
                    "characteristics": [],
                },
            )
            if row.get("balloon"):
                drawing["characteristics"].append({k: row[k] for k in _CHAR_COLUMNS if k in row})
        item = {k: head[k] for k in _REV_HEADER if k in head}
        item.update(external_id=external_id, drawings=list(drawings.values()))
        yield f"{name} line {group[0][0]}", item


def _customers(
    name: str, rows: list[tuple[int, dict[str, str]]]
) -> Iterator[tuple[str, dict[str, Any]]]:
    for line, row in rows:
        item: dict[str, Any] = dict(row)
        for flag in ("requires_fai", "ships_on_conditional_acceptance"):
            if flag in item:
                item[flag] = _boolean(name, line, flag, item[flag])
        yield f"{name} line {line}", item


def _work_orders(
    name: str, rows: list[tuple[int, dict[str, str]]]
) -> Iterator[tuple[str, dict[str, Any]]]:
    header = (
        "source_version",
        "site",
        "number",
        "part_number",
        "revision",
        "quantity",
        "customer",
        "router",
        "lot",
        "purchase_order",
        "status",
    )
    for external_id, group in _grouped(rows).items():
        _same(name, group, header)
        head = group[0][1]
        item: dict[str, Any] = {k: head[k] for k in header if k in head}
        item.update(
            external_id=external_id,
            serial_numbers=[r["serial_number"] for _l, r in group if r.get("serial_number")],
        )
        yield f"{name} line {group[0][0]}", item


def _nonconformances(
    name: str, rows: list[tuple[int, dict[str, str]]]
) -> Iterator[tuple[str, dict[str, Any]]]:
    for line, row in rows:
        item: dict[str, Any] = dict(row)
        item["balloons"] = [b for b in item.get("balloons", "").replace(";", " ").split() if b]
        yield f"{name} line {line}", item


def _boolean(name: str, line: int, column: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in {"true", "yes", "1", "y"}:
        return True
    if lowered in {"false", "no", "0", "n"}:
        return False
    raise RecordFileError(f"{name} line {line}, column {column}: {value!r} is not yes/no.")


_GROUPERS = {
    "part-revisions": _part_revisions,
    "customers": _customers,
    "work-orders": _work_orders,
    "nonconformances": _nonconformances,
}
