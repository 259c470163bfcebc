"""Entities and value objects of a first article inspection, as AS9102 and a plant see them.

Aggregates refer to each other by id; a FirstArticle owns its Form 1 index, Form 2 rows,
Form 3 rows, scope units, results, nonconformance links, evidence and customer decisions.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from firstarticle.domain.classification import ExportClassification
from firstarticle.domain.errors import ConflictError, NotFoundError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.lifecycle import (
    EDITABLE_STATUSES,
    FaiAction,
    FaiStatus,
    plan_transition,
)
from firstarticle.domain.mirror import Provenance
from firstarticle.domain.tolerancing import DesignTolerance
from firstarticle.domain.values import AttributeResult, Conformance, Requirement

_ABSOLUTE_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_id_lock = threading.Lock()
_id_state = {"ms": 0, "seq": 0}


def new_id() -> str:
    """A fresh, never reused record id (UUIDv7 layout, RFC 9562).

    Ids sort in creation order within a process (a 12-bit counter breaks ties in the same
    millisecond), so collections ordered by id keep the order in which things were added.
    """
    with _id_lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _id_state["ms"]:
            ms, seq = _id_state["ms"], _id_state["seq"] + 1
            if seq > 0xFFF:
                ms, seq = ms + 1, 0
        else:
            seq = 0
        _id_state["ms"], _id_state["seq"] = ms, seq
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | seq << 64 | 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))


# The variant digit of a UUID's 17th hex digit: "10" in its two high bits (RFC 9562).
_VARIANT = {f"{d:x}": f"{0x8 | (d & 0x3):x}" for d in range(16)}


def new_ids(count: int) -> list[str]:
    """``count`` fresh ids at once, laid out and ordered as :func:`new_id` makes them.

    For bulk writes: one random read and one lock for the lot, several times faster per id
    than calling :func:`new_id` in a loop.
    """
    if count <= 0:
        return []
    randoms = os.urandom(8 * count).hex()
    with _id_lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _id_state["ms"]:
            ms, seq = _id_state["ms"], _id_state["seq"] + 1
        else:
            seq = 0
        first_ms, first_seq = ms, seq
        last = first_seq + count - 1
        _id_state["ms"], _id_state["seq"] = ms + last // 0x1000, last % 0x1000
    ids = []
    ms, seq = first_ms, first_seq
    stamp = f"{ms & ((1 << 48) - 1):012x}"
    for i in range(count):
        if seq > 0xFFF:
            ms, seq = ms + 1, 0
            stamp = f"{ms & ((1 << 48) - 1):012x}"
        r = randoms[16 * i : 16 * i + 16]
        ids.append(f"{stamp[:8]}-{stamp[8:]}-7{seq:03x}-{_VARIANT[r[0]]}{r[1:4]}-{r[4:]}")
        seq += 1
    return ids


def require_text(value: str | None, field_name: str) -> str:
    """Return ``value`` stripped, or raise ValidationError naming the field when blank."""
    if value is None or not value.strip():
        raise ValidationError(
            f"{field_name.replace('_', ' ').capitalize()} is required.", field=field_name
        )
    return value.strip()


class RevisionStatus(StrEnum):
    """Release state of a part revision, as PLM reports it."""

    IN_WORK = "in_work"
    RELEASED = "released"
    OBSOLETE = "obsolete"


class DefinitionKind(StrEnum):
    """How the design is defined: a drawing, or a model-based definition."""

    DRAWING = "drawing"
    MODEL_BASED_DEFINITION = "model_based_definition"


class CharacteristicType(StrEnum):
    """What kind of design requirement a characteristic is."""

    DIMENSIONAL = "dimensional"
    NOTE = "note"
    MATERIAL = "material"
    SPECIAL_PROCESS = "special_process"
    FUNCTIONAL_TEST = "functional_test"
    SOFTWARE = "software"


class CharacteristicDesignator(StrEnum):
    """Designation of a characteristic (Form 3 field 7): the customer's (key, critical, major,
    minor), or the drawing's for a dimension that is not inspected (basic, reference)."""

    KEY = "key"
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    BASIC = "basic"
    REFERENCE = "ref"


#: Designators of dimensions that Form 3 lists but nobody inspects: a basic (theoretically
#: exact) dimension is verified through the tolerances that refer to it, a reference
#: dimension is information only. Neither needs a result.
NOT_INSPECTED: frozenset[CharacteristicDesignator] = frozenset(
    {CharacteristicDesignator.BASIC, CharacteristicDesignator.REFERENCE}
)


class WorkOrderStatus(StrEnum):
    """A work order's state as ERP reports it."""

    RELEASED = "released"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class FaiType(StrEnum):
    """Form 1 field 13."""

    DETAIL = "detail"
    ASSEMBLY = "assembly"


class FaiScope(StrEnum):
    """Form 1 field 14: a full FAI, or a partial one against a baseline."""

    FULL = "full"
    PARTIAL = "partial"


class IndexPartType(StrEnum):
    """Form 1 field 17: what kind of item an assembly's index entry is."""

    DETAIL = "detail"
    SUB_ASSEMBLY = "sub_assembly"
    SOFTWARE = "software"
    STANDARD_CATALOGUE = "standard_catalogue"
    COTS = "cots"

    @property
    def needs_own_fai(self) -> bool:
        """Details and sub-assemblies need their own FAI; catalogue, COTS, software do not."""
        return self in {IndexPartType.DETAIL, IndexPartType.SUB_ASSEMBLY}

    @property
    def has_revision(self) -> bool:
        """Details, sub-assemblies and software are listed at a revision; catalogue items
        and COTS are known by their part number alone."""
        return self not in {IndexPartType.STANDARD_CATALOGUE, IndexPartType.COTS}


class IndexOrigin(StrEnum):
    """Where an index entry came from: keyed in by a person, or built from the BOM."""

    HAND = "hand"
    BOM = "bom"


class FormRevision(StrEnum):
    """The AS9102 revision whose field numbering a customer reads the forms in."""

    C = "C"
    B = "B"


class Form2Kind(StrEnum):
    """What a Form 2 row accounts for."""

    MATERIAL = "material"
    SPECIAL_PROCESS = "special_process"
    FUNCTIONAL_TEST = "functional_test"


class CustomerApprovalVerification(StrEnum):
    """Form 2 field 9; in Rev C a "no" is a nonconformance."""

    YES = "yes"
    NO = "no"
    NOT_APPLICABLE = "na"


class ResultSource(StrEnum):
    """Where an inspection result came from (provenance)."""

    DEVICE_IMPORT = "device_import"
    FILE_IMPORT = "file_import"
    MANUAL_ENTRY = "manual_entry"


class NonconformanceKind(StrEnum):
    """The QMS document a link points to."""

    NONCONFORMANCE = "nonconformance"
    DEVIATION = "deviation"
    CONCESSION = "concession"
    REWORK = "rework"


class NonconformanceStatus(StrEnum):
    """The QMS state of a linked document."""

    OPEN = "open"
    DISPOSITIONED = "dispositioned"
    CLOSED = "closed"


class NonconformanceOrigin(StrEnum):
    """Which record holds a nonconformance's status and disposition."""

    QMS = "qms"  # the QMS, through its mirror; nobody types its status in firstarticle
    LOCAL = "local"  # a plant without a QMS: firstarticle's own audited lifecycle


# A local nonconformance moves only along these edges; a QMS one moves as its mirror says.
LOCAL_NC_TRANSITIONS: Mapping[NonconformanceStatus, frozenset[NonconformanceStatus]] = {
    NonconformanceStatus.OPEN: frozenset({NonconformanceStatus.DISPOSITIONED}),
    NonconformanceStatus.DISPOSITIONED: frozenset({NonconformanceStatus.CLOSED}),
    NonconformanceStatus.CLOSED: frozenset(),
}


class Disposition(StrEnum):
    """The material review disposition the QMS recorded."""

    USE_AS_IS = "use_as_is"
    REWORK = "rework"
    REPAIR = "repair"
    SCRAP = "scrap"
    RETURN_TO_SUPPLIER = "return_to_supplier"

    @property
    def corrects_product(self) -> bool:
        """True when the disposition removes the nonconformity from the product."""
        return self in {Disposition.REWORK, Disposition.SCRAP, Disposition.RETURN_TO_SUPPLIER}


class EvidenceKind(StrEnum):
    """What an evidence link points at."""

    TRAVELER_STEP = "traveler_step"
    WORK_INSTRUCTION = "work_instruction"
    BUILD_RECORD = "build_record"
    CERTIFICATE = "certificate"
    INSPECTION_REPORT = "inspection_report"
    CUSTOMER_DECISION = "customer_decision"
    OTHER = "other"


class CustomerChannel(StrEnum):
    """Where a customer makes its FAI decision."""

    PORTAL = "portal"
    QMS = "qms"
    SOURCE_INSPECTION = "source_inspection"
    EMAIL_PACKAGE = "email_package"


class DecisionOutcome(StrEnum):
    """What the customer decided on a submission."""

    APPROVED = "approved"
    CONDITIONALLY_ACCEPTED = "conditionally_accepted"
    REJECTED = "rejected"

    @property
    def action(self) -> FaiAction:
        """The lifecycle action this outcome takes."""
        return {
            DecisionOutcome.APPROVED: FaiAction.APPROVE,
            DecisionOutcome.CONDITIONALLY_ACCEPTED: FaiAction.ACCEPT_CONDITIONALLY,
            DecisionOutcome.REJECTED: FaiAction.REJECT,
        }[self]


# --- reference records -------------------------------------------------------------------


@dataclass(eq=False)
class Site:
    """A plant that makes parts; the unit of data ownership and distribution."""

    code: str
    name: str
    timezone: str = "UTC"
    id: str = field(default_factory=new_id)
    # Where the site's nonconformances live: its QMS (mirrored), or firstarticle for a plant
    # that has none.
    nonconformance_authority: NonconformanceOrigin = NonconformanceOrigin.QMS


@dataclass(eq=False)
class Customer:
    """A customer, with how it decides on FAIs."""

    code: str
    name: str
    channel: CustomerChannel = CustomerChannel.PORTAL
    requires_fai: bool = True
    ships_on_conditional_acceptance: bool = False
    vendor_code: str | None = None
    provenance: Provenance | None = None
    id: str = field(default_factory=new_id)
    # The AS9102 numbering the customer's inspectors read (Rev C unless they still want B).
    form_revision: FormRevision = FormRevision.C
    # A customer's re-FAI rule: a production lapse shorter than AS9102's two years (months).
    refai_lapse_months: int | None = None


@dataclass(eq=False)
class Characteristic:
    """A design characteristic of a drawing revision, ballooned (Form 3 fields 5-8)."""

    drawing_id: str
    balloon: str
    ctype: CharacteristicType
    requirement: Requirement
    sheet: str | None = None
    zone: str | None = None
    designator: CharacteristicDesignator | None = None
    # Where the characteristic was extracted from (a QIF MBD or Plan file and its item), so a
    # later revision can be compared item by item and nobody re-keys a requirement.
    source_document: str | None = None
    source_sha256: str | None = None
    source_item: str | None = None
    # The QIF type the file gave it ("Diameter", "Position") and its tolerance as typed, so
    # that the QIF Results export writes the same characteristic; None from other sources.
    qif_kind: str | None = None
    design_tolerance: DesignTolerance | None = None
    id: str = field(default_factory=new_id)

    @property
    def is_inspected(self) -> bool:
        """False for a basic or reference dimension: on Form 3, needing no result."""
        return self.designator not in NOT_INSPECTED

    @property
    def reference_location(self) -> str | None:
        """Sheet and zone as Form 3 field 6 shows them."""
        if self.sheet is None and self.zone is None:
            return None
        parts = []
        if self.sheet is not None:
            parts.append(f"Sheet {self.sheet}")
        if self.zone is not None:
            parts.append(f"Zone {self.zone}")
        return ", ".join(parts)


@dataclass(eq=False)
class Drawing:
    """A drawing (or model-based definition) at one revision, with its characteristics."""

    part_revision_id: str
    number: str
    revision: str
    kind: DefinitionKind = DefinitionKind.DRAWING
    characteristics: list[Characteristic] = field(default_factory=list)
    id: str = field(default_factory=new_id)

    def add_characteristic(self, characteristic: Characteristic) -> Characteristic:
        """Add a characteristic; balloon numbers are unique within the drawing revision."""
        if any(c.balloon == characteristic.balloon for c in self.characteristics):
            raise ConflictError(
                f"Balloon {characteristic.balloon} already exists on drawing "
                f"{self.number} rev {self.revision}.",
                balloon=characteristic.balloon,
            )
        characteristic.drawing_id = self.id
        self.characteristics.append(characteristic)
        return characteristic


@dataclass(eq=False)
class PartRevision:
    """A revision of a part, defined by one or more drawings."""

    part_id: str
    revision: str
    status: RevisionStatus = RevisionStatus.RELEASED
    released_at: datetime | None = None
    drawings: list[Drawing] = field(default_factory=list)
    provenance: Provenance | None = None
    # None: the part's label applies to this revision's drawings, characteristics and results.
    export_classification: ExportClassification | None = None
    id: str = field(default_factory=new_id)

    # The assembly's bill of materials as PLM releases it (empty: a detail, or none sent).
    bill_of_materials: list[BomLine] = field(default_factory=list)

    @property
    def characteristics(self) -> list[Characteristic]:
        """Every characteristic of every drawing of this revision."""
        return [c for d in self.drawings for c in d.characteristics]


@dataclass(eq=False)
class BomLine:
    """One line of an assembly revision's bill of materials (PLM owns it): a component at
    its find number, what kind of item it is and how many the assembly takes."""

    part_revision_id: str
    find_number: str
    part_number: str
    part_name: str
    part_type: IndexPartType
    quantity: int
    revision: str | None = None
    id: str = field(default_factory=new_id)

    @property
    def key(self) -> tuple[str, str, str, IndexPartType, int, str | None]:
        """What the line says, for telling a changed line from an unchanged one."""
        return (
            self.find_number,
            self.part_number,
            self.part_name,
            self.part_type,
            self.quantity,
            self.revision,
        )


def check_bill_of_materials(part_number: str, lines: Iterable[BomLine]) -> list[BomLine]:
    """The lines of the BOM of an assembly numbered ``part_number``, checked: each find number once,
    a quantity of at least one, a revision for what is listed at one (details,
    sub-assemblies, software; optional for catalogue items and COTS), and never the
    assembly itself as its own component; else ValidationError naming the field."""
    checked: list[BomLine] = []
    seen: set[str] = set()
    for line in lines:
        line.find_number = require_text(line.find_number, "find_number")
        line.part_number = require_text(line.part_number, "part_number")
        line.part_name = require_text(line.part_name, "part_name")
        where = f"Find number {line.find_number} ({line.part_number})"
        if line.find_number in seen:
            raise ValidationError(
                f"Find number {line.find_number} appears twice in the bill of materials.",
                field="find_number",
            )
        seen.add(line.find_number)
        if line.quantity < 1:
            raise ValidationError(f"{where}: the quantity is at least 1.", field="quantity")
        if line.revision is not None and not line.revision.strip():
            line.revision = None
        if line.part_type.has_revision and line.revision is None:
            raise ValidationError(
                f"{where}: a {line.part_type.value.replace('_', ' ')} is listed at its revision.",
                field="revision",
            )
        if line.part_number == part_number:
            raise ValidationError(
                f"{where}: {part_number} cannot be a component of itself.", field="part_number"
            )
        checked.append(line)
    return checked


@dataclass(eq=False)
class Part:
    """A part number and name, as PLM releases it."""

    number: str
    name: str
    revisions: list[PartRevision] = field(default_factory=list)
    export_classification: ExportClassification = field(default_factory=ExportClassification)
    id: str = field(default_factory=new_id)

    def revision(self, revision: str) -> PartRevision | None:
        """The revision called ``revision``, if any."""
        return next((r for r in self.revisions if r.revision == revision), None)

    @property
    def released_revision(self) -> PartRevision | None:
        """The most recently released revision (PLM releases one at a time)."""
        released = [r for r in self.revisions if r.status is RevisionStatus.RELEASED]
        if not released:
            return None
        return max(released, key=lambda r: r.released_at or datetime.min.replace(tzinfo=UTC))


# --- site-owned execution records ----------------------------------------------------------


@dataclass(eq=False)
class RoutingOperation:
    """One operation of a work order's routing."""

    site_id: str
    work_order_id: str
    sequence: int
    name: str
    work_center: str | None = None
    special_process: bool = False
    supplier: str | None = None
    id: str = field(default_factory=new_id)
    completed_at: datetime | None = None  # when MES completed it (last production)
    # What the operation is made with and checked by (ERP/MES routing): a change of any of
    # them after an approved FAI is a re-FAI trigger (AS9102 Rev C 4.6).
    tooling: str | None = None
    material: str | None = None
    nc_program: str | None = None
    inspection_method: str | None = None
    # The characteristics (balloons) this operation produces, as the routing's inspection
    # plan lists them: what a partial FAI re-inspects when the operation changes.
    balloons: list[str] = field(default_factory=list)


@dataclass(eq=False)
class SerialNumber:
    """A serialized unit built on a work order, optionally within a lot."""

    site_id: str
    work_order_id: str
    number: str
    lot: str | None = None
    id: str = field(default_factory=new_id)


@dataclass(eq=False)
class WorkOrder:
    """A work order to build a quantity of one part revision, at one site."""

    site_id: str
    number: str
    part_revision_id: str
    quantity: int
    customer_id: str | None = None
    router: str | None = None
    lot: str | None = None
    purchase_order: str | None = None
    status: WorkOrderStatus = WorkOrderStatus.RELEASED
    operations: list[RoutingOperation] = field(default_factory=list)
    serials: list[SerialNumber] = field(default_factory=list)
    provenance: Provenance | None = None
    id: str = field(default_factory=new_id)
    program: str | None = None  # the customer's program, where channels differ by program
    starts_at: datetime | None = None  # ERP's planned start of production

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise ValidationError("A work order builds at least one piece.", field="quantity")

    def add_operation(
        self,
        sequence: int,
        name: str,
        work_center: str | None = None,
        special_process: bool = False,
        supplier: str | None = None,
        **made_with: str | None,
    ) -> RoutingOperation:
        """Add a routing operation; sequence numbers are unique within the work order.
        ``made_with`` gives its tooling, material, nc_program and inspection_method."""
        if any(op.sequence == sequence for op in self.operations):
            raise ConflictError(
                f"Operation {sequence} already exists on {self.number}.", sequence=sequence
            )
        operation = RoutingOperation(
            self.site_id,
            self.id,
            sequence,
            require_text(name, "operation_name"),
            work_center,
            special_process,
            supplier,
            **made_with,  # type: ignore[arg-type]
        )
        self.operations.append(operation)
        return operation

    def add_serial(self, number: str, lot: str | None = None) -> SerialNumber:
        """Add a serial number; it is unique within the work order."""
        number = require_text(number, "serial_number")
        if any(s.number == number for s in self.serials):
            raise ConflictError(
                f"Serial {number} already exists on {self.number}.", serial_number=number
            )
        serial = SerialNumber(self.site_id, self.id, number, lot or self.lot)
        self.serials.append(serial)
        return serial


# --- the first article and what it owns ----------------------------------------------------


@dataclass(eq=False)
class IndexEntry:
    """Form 1 fields 15-18: one item of an assembly's bill of materials."""

    site_id: str
    first_article_id: str
    part_number: str
    part_name: str
    part_type: IndexPartType
    revision: str | None = None
    fair_identifier: str | None = None
    id: str = field(default_factory=new_id)
    origin: IndexOrigin = IndexOrigin.HAND

    @property
    def names(self) -> str:
        """The item as a finding names it: part number and revision, if any."""
        return f"{self.part_number} rev {self.revision}" if self.revision else self.part_number


@dataclass(eq=False)
class Form2Row:
    """Form 2: a material, special process or functional test accounted for."""

    site_id: str
    first_article_id: str
    kind: Form2Kind
    name: str
    specification: str | None = None
    code: str | None = None
    supplier: str | None = None
    customer_approval: CustomerApprovalVerification | None = None
    certificate_number: str | None = None
    functional_test_procedure: str | None = None
    acceptance_report: str | None = None
    comments: str | None = None
    id: str = field(default_factory=new_id)


@dataclass(eq=False)
class Form3Row:
    """Form 3: one characteristic in the FAI's scope, with its tooling and comments.

    Results (field 9) and the NC number (field 11) are derived from results and NC links.
    """

    site_id: str
    first_article_id: str
    characteristic_id: str
    tooling: str | None = None
    comments: str | None = None
    id: str = field(default_factory=new_id)


@dataclass(eq=False)
class ScopeUnit:
    """A serialized unit whose inspection this FAI documents (Form 1 field 3)."""

    site_id: str
    first_article_id: str
    serial_id: str
    serial_number: str
    id: str = field(default_factory=new_id)


@dataclass(eq=False)
class InspectionResult:
    """One measured value or attribute verdict, with where it came from.

    Results are never edited: a re-measurement is a new result, and the newest counts.
    """

    site_id: str
    first_article_id: str
    characteristic_id: str
    source: ResultSource
    recorded_by: str
    recorded_at: datetime
    measured_at: datetime
    value: Decimal | None = None
    units: str | None = None
    attribute: AttributeResult | None = None
    serial_id: str | None = None
    operator: str | None = None
    device: str | None = None
    source_reference: str | None = None
    verified_by: str | None = None
    verified_at: datetime | None = None
    # The NC number the results file states for it (Form 3 field 11), as stated.
    nonconformance_number: str | None = None
    # The verdict the results file states (PASS / FAIL), and who resolved a disagreement
    # between it and the computed conformance, with why.
    stated_status: str | None = None
    disagreement_resolved_by: str | None = None
    disagreement_reason: str | None = None
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        if (self.value is None) == (self.attribute is None):
            raise ValidationError(
                "A result is either a measured value with units or an attribute verdict.",
                field="value",
            )
        if self.value is not None and self.units is None:
            raise ValidationError("A measured value needs its units.", field="units")

    @property
    def is_variables_data(self) -> bool:
        """True for a measured value, False for an attribute verdict."""
        return self.value is not None

    def verdict_disagrees(self, requirement: Requirement) -> bool:
        """True while the file's stated PASS / FAIL differs from the computed conformance and
        nobody has resolved it."""
        if self.stated_status not in {"PASS", "FAIL"} or self.disagreement_reason is not None:
            return False
        failing = self.conformance(requirement) is Conformance.NONCONFORMING
        return (self.stated_status == "FAIL") != failing

    def conformance(self, requirement: Requirement) -> Conformance:
        """Judge this result against ``requirement``; computed, never stored."""
        if self.attribute is not None:
            return (
                Conformance.CONFORMING
                if self.attribute is AttributeResult.ACCEPT
                else Conformance.NONCONFORMING
            )
        assert self.value is not None
        assert self.units is not None
        return requirement.evaluate(self.value, self.units)

    @property
    def needs_verification(self) -> bool:
        """Manual entries need a second person's verification."""
        return self.source is ResultSource.MANUAL_ENTRY and self.verified_by is None


@dataclass(eq=False)
class NonconformanceLink:
    """A link to a QMS nonconformance, deviation, concession or rework order."""

    site_id: str
    first_article_id: str
    kind: NonconformanceKind
    number: str
    status: NonconformanceStatus = NonconformanceStatus.OPEN
    disposition: Disposition | None = None
    title: str | None = None
    characteristic_ids: list[str] = field(default_factory=list)
    provenance: Provenance | None = None
    id: str = field(default_factory=new_id)
    origin: NonconformanceOrigin = NonconformanceOrigin.QMS

    @property
    def is_open(self) -> bool:
        """True until the QMS closes the document."""
        return self.status is not NonconformanceStatus.CLOSED

    def advance_locally(
        self, status: NonconformanceStatus, disposition: Disposition | None
    ) -> dict[str, tuple[object, object]]:
        """Move a local nonconformance one step of :data:`LOCAL_NC_TRANSITIONS`; the changes.

        A QMS document is refused: its status and disposition come only from the QMS mirror.
        """
        label = f"{self.kind.value.capitalize()} {self.number}"
        if self.origin is not NonconformanceOrigin.LOCAL:
            raise NonconformanceOwnedByQmsError(
                f"{label} belongs to the QMS: its status and disposition come only from the "
                "QMS mirror.",
                number=self.number,
            )
        if status not in LOCAL_NC_TRANSITIONS[self.status]:
            raise ConflictError(
                f"{label} is {self.status.value}; it cannot become {status.value}.",
                current_status=self.status.value,
            )
        if status is NonconformanceStatus.DISPOSITIONED and disposition is None:
            raise ValidationError(
                "A dispositioned document states its disposition.", field="disposition"
            )
        if status is NonconformanceStatus.CLOSED and disposition not in {None, self.disposition}:
            raise ValidationError(
                "Closing keeps the disposition given; it cannot change it.", field="disposition"
            )
        changes: dict[str, tuple[object, object]] = {
            f"{self.number}.status": (self.status.value, status.value)
        }
        if status is NonconformanceStatus.DISPOSITIONED:
            changes[f"{self.number}.disposition"] = (None, disposition)
            self.disposition = disposition
        self.status = status
        return changes


class NoBillOfMaterialsError(ConflictError):
    """The FAI's part revision has no bill of materials to build the index from."""

    code = "no_bill_of_materials"


class NonconformanceOwnedByQmsError(ConflictError):
    """A person tried to set what only the QMS may say of a nonconformance."""

    code = "nonconformance_owned_by_qms"


@dataclass(eq=False)
class Form2Statement:
    """A person's statement that no Form 2 entry of ``kind`` applies to this FAI."""

    site_id: str
    first_article_id: str
    kind: Form2Kind
    reason: str
    stated_by: str
    stated_at: datetime
    id: str = field(default_factory=new_id)


@dataclass(eq=False)
class Form3Omission:
    """A characteristic a partial FAI leaves out although the revision diff marks it, and why."""

    site_id: str
    first_article_id: str
    characteristic_id: str
    reason: str
    recorded_by: str
    recorded_at: datetime
    id: str = field(default_factory=new_id)


@dataclass(eq=False)
class EvidenceLink:
    """A pointer to evidence kept elsewhere: URI, content hash, title."""

    site_id: str
    first_article_id: str
    kind: EvidenceKind
    uri: str
    sha256: str
    title: str
    added_by: str
    added_at: datetime
    export_classification: ExportClassification = field(default_factory=ExportClassification)
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        digest = self.sha256.lower()
        if len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest):
            raise ValidationError("sha256 must be 64 hexadecimal characters.", field="sha256")
        self.sha256 = digest
        if not _ABSOLUTE_URI.match(self.uri) or (
            "://" not in self.uri and not self.uri.lower().startswith("urn:")
        ):
            raise ValidationError(
                "uri must be an absolute URI (scheme://... or urn:...).", field="uri"
            )


@dataclass(eq=False)
class CustomerDecision:
    """What the customer decided on one submission, as recorded from its channel."""

    site_id: str
    first_article_id: str
    attempt: int
    outcome: DecisionOutcome
    channel: CustomerChannel
    decided_by: str
    decided_at: datetime
    recorded_by: str
    recorded_at: datetime
    reference: str | None = None
    comments: str | None = None
    id: str = field(default_factory=new_id)


@dataclass(eq=False)
class FirstArticle:
    """A first article inspection report (FAIR) with every Form 1 field.

    Status changes only through :meth:`apply`; package content changes only while the
    status is editable.
    """

    site_id: str
    fair_identifier: str
    part_revision_id: str
    work_order_id: str
    fai_type: FaiType
    scope: FaiScope
    reason: str
    customer_id: str | None = None
    baseline_part_number: str | None = None
    baseline_part_revision: str | None = None
    baseline_fair_identifier: str | None = None
    additional_changes: str | None = None
    supplier_code: str | None = None
    purchase_order: str | None = None
    comments: str | None = None
    status: FaiStatus = FaiStatus.DRAFT
    submission_attempt: int = 0
    superseded_by_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1
    index: list[IndexEntry] = field(default_factory=list)
    form2: list[Form2Row] = field(default_factory=list)
    form3: list[Form3Row] = field(default_factory=list)
    units: list[ScopeUnit] = field(default_factory=list)
    results: list[InspectionResult] = field(default_factory=list)
    nonconformances: list[NonconformanceLink] = field(default_factory=list)
    evidence: list[EvidenceLink] = field(default_factory=list)
    decisions: list[CustomerDecision] = field(default_factory=list)
    id: str = field(default_factory=new_id)
    form2_statements: list[Form2Statement] = field(default_factory=list)
    omissions: list[Form3Omission] = field(default_factory=list)
    # The re-FAI trigger kind (domain/triggers.py ReFaiTrigger) whose evaluation opened it.
    refai_trigger: str | None = None

    def __post_init__(self) -> None:
        self.fair_identifier = require_text(self.fair_identifier, "fair_identifier")
        self.reason = require_text(self.reason, "reason")
        if self.scope is FaiScope.PARTIAL:
            require_text(self.baseline_part_number, "baseline_part_number")
            require_text(self.baseline_part_revision, "baseline_part_revision")

    # --- lifecycle ---

    def apply(
        self,
        action: FaiAction,
        *,
        actor: str,
        at: datetime,
        reason: str | None = None,
        blocking_findings: Iterable[object] = (),
        superseded_by_id: str | None = None,
    ) -> list[Event]:
        """Move the FAI through the lifecycle; return the events, or raise and change nothing."""
        transition = plan_transition(
            self.status, action, reason=reason, blocking_findings=blocking_findings
        )
        if action is FaiAction.SUPERSEDE:
            if not superseded_by_id or superseded_by_id == self.id:
                raise ValidationError(
                    "Name the FAI that supersedes this one.", field="superseded_by"
                )
            self.superseded_by_id = superseded_by_id
        before = self.status
        self.status = transition.target
        changes: dict[str, tuple[object, object]] = {"status": (before.value, self.status.value)}
        if action is FaiAction.SUBMIT:
            self.submission_attempt += 1
            changes["submission_attempt"] = (self.submission_attempt - 1, self.submission_attempt)
        self.touch(at)
        return [self._event(f"fai.{action.value}", actor, at, changes, reason)]

    def ensure_editable(self) -> None:
        """Raise unless the package content may still change in the current status."""
        if self.status not in EDITABLE_STATUSES:
            raise ConflictError(
                f"FAI {self.fair_identifier} is {self.status.label.lower()}; "
                "its package cannot change now.",
                current_status=self.status.value,
            )

    def touch(self, at: datetime) -> None:
        """Record a change; storage bumps ``version`` for optimistic locking on every write."""
        self.updated_at = at

    # --- package content ---

    def index_from_bom(
        self, lines: Iterable[BomLine], fairs: Mapping[str, str | None]
    ) -> tuple[list[IndexEntry], list[IndexEntry]]:
        """Make the index list the BOM: one entry per line (in find-number order) naming the
        FAIR ``fairs`` gives for its find number (catalogue items, COTS and software need
        none). Entries built from the BOM before are replaced, and so is an entry keyed in by
        hand for a part number the BOM lists; other hand entries are kept. Where no FAIR is
        found, the FAIR a replaced entry named for the same part and revision is kept (a
        supplier's FAIR, say). Returns (removed, added); refused unless editable."""
        self.ensure_editable()
        if self.fai_type is not FaiType.ASSEMBLY:
            raise ValidationError("Only an assembly FAI has an index.", field="fai_type")
        lines = sorted(lines, key=lambda b: b.find_number)
        listed = {b.part_number for b in lines}
        removed = [e for e in self.index if e.origin is IndexOrigin.BOM or e.part_number in listed]
        earlier = {
            (e.part_number, e.revision): e.fair_identifier
            for e in removed
            if e.fair_identifier and e.part_type.needs_own_fai
        }
        added = [
            IndexEntry(
                self.site_id,
                self.id,
                b.part_number,
                b.part_name,
                b.part_type,
                b.revision,
                (fairs.get(b.find_number) or earlier.get((b.part_number, b.revision)))
                if b.part_type.needs_own_fai
                else None,
                origin=IndexOrigin.BOM,
            )
            for b in lines
        ]
        self.index = [e for e in self.index if e not in removed] + added
        return removed, added

    def add_to_scope(
        self,
        characteristic: Characteristic,
        tooling: str | None = None,
        comments: str | None = None,
    ) -> Form3Row:
        """Account for ``characteristic`` on Form 3; each characteristic appears once."""
        (row,) = self.add_many_to_scope([characteristic])
        row.tooling, row.comments = tooling, comments
        return row

    def add_many_to_scope(self, characteristics: Iterable[Characteristic]) -> list[Form3Row]:
        """Account for several characteristics at once (linear in their number)."""
        self.ensure_editable()
        present = {row.characteristic_id for row in self.form3}
        rows = []
        for characteristic in characteristics:
            if characteristic.id in present:
                raise ConflictError(
                    f"Balloon {characteristic.balloon} is already on Form 3.",
                    balloon=characteristic.balloon,
                )
            present.add(characteristic.id)
            rows.append(Form3Row(self.site_id, self.id, characteristic.id))
        self.form3.extend(rows)
        # A characteristic put on Form 3 is no longer omitted.
        self.omissions = [o for o in self.omissions if o.characteristic_id not in present]
        return rows

    def add_unit(self, serial: SerialNumber) -> ScopeUnit:
        """Put a serialized unit of the FAI's work order in scope."""
        self.ensure_editable()
        if serial.work_order_id != self.work_order_id:
            raise ValidationError(
                f"Serial {serial.number} was not built on the FAI's work order.",
                field="serial_number",
            )
        if any(u.serial_id == serial.id for u in self.units):
            raise ConflictError(
                f"Serial {serial.number} is already in scope.", serial_number=serial.number
            )
        unit = ScopeUnit(self.site_id, self.id, serial.id, serial.number)
        self.units.append(unit)
        return unit

    def state_none_applies(
        self, kind: Form2Kind, reason: str, by: str, at: datetime
    ) -> Form2Statement:
        """Record that no Form 2 entry of ``kind`` applies; refused while rows of it exist."""
        self.ensure_editable()
        if any(row.kind is kind for row in self.form2):
            raise ConflictError(
                f"Form 2 lists {kind.value.replace('_', ' ')} entries; remove them before "
                "stating that none applies.",
                kind=kind.value,
            )
        if any(st.kind is kind for st in self.form2_statements):
            raise ConflictError(
                f"'None applies' is already stated for {kind.value.replace('_', ' ')}.",
                kind=kind.value,
            )
        statement = Form2Statement(
            self.site_id, self.id, kind, require_text(reason, "reason"), by, at
        )
        self.form2_statements.append(statement)
        self.touch(at)
        return statement

    def withdraw_none_applies(self, kind: Form2Kind, at: datetime) -> Form2Statement:
        """Take back a 'none applies' statement (before adding rows of that kind)."""
        self.ensure_editable()
        statement = next((st for st in self.form2_statements if st.kind is kind), None)
        if statement is None:
            raise NotFoundError(
                f"No 'none applies' statement for {kind.value}.", record="form2", key=kind.value
            )
        self.form2_statements.remove(statement)
        self.touch(at)
        return statement

    def omit(
        self, characteristic: Characteristic, reason: str, by: str, at: datetime
    ) -> Form3Omission:
        """Leave a characteristic out of a partial FAI's Form 3 with a recorded reason."""
        self.ensure_editable()
        if self.scope is not FaiScope.PARTIAL:
            raise ValidationError(
                "Only a partial FAI leaves characteristics out; a full FAI covers them all.",
                field="scope",
            )
        if any(row.characteristic_id == characteristic.id for row in self.form3):
            raise ConflictError(
                f"Balloon {characteristic.balloon} is on Form 3; it is not omitted.",
                balloon=characteristic.balloon,
            )
        if any(o.characteristic_id == characteristic.id for o in self.omissions):
            raise ConflictError(
                f"Balloon {characteristic.balloon} is already omitted.",
                balloon=characteristic.balloon,
            )
        omission = Form3Omission(
            self.site_id, self.id, characteristic.id, require_text(reason, "reason"), by, at
        )
        self.omissions.append(omission)
        self.touch(at)
        return omission

    def record_result(
        self, result: InspectionResult, characteristic: Characteristic, actor: str
    ) -> list[Event]:
        """Add a result for a characteristic in scope and a unit in scope."""
        return self.record_results([(result, characteristic)], actor)

    def record_results(
        self, items: Iterable[tuple[InspectionResult, Characteristic]], actor: str
    ) -> list[Event]:
        """Add results, each for a characteristic and a unit in scope; all or none.

        Linear in the number of results, so a CMM file of thousands stays cheap.
        """
        self.ensure_editable()
        on_form3 = {row.characteristic_id for row in self.form3}
        in_scope = {u.serial_id for u in self.units}
        accepted: list[InspectionResult] = []
        for result, characteristic in items:
            if characteristic.id not in on_form3:
                raise ValidationError(
                    f"Balloon {characteristic.balloon} is not in this FAI's Form 3.",
                    field="balloon",
                )
            if result.serial_id is not None and result.serial_id not in in_scope:
                raise ValidationError(
                    "The result's serial is not in this FAI's scope.", field="serial_number"
                )
            if result.value is not None:
                # Judging once here refuses values in units the requirement cannot be
                # compared with.
                result.conformance(characteristic.requirement)
            if (
                result.source is ResultSource.MANUAL_ENTRY
                and result.verified_by is not None
                and result.verified_by in {result.recorded_by, result.operator}
            ):
                raise ValidationError(
                    "A manual entry is verified by a second person.", field="verified_by"
                )
            result.characteristic_id = characteristic.id
            accepted.append(result)
        self.results.extend(accepted)
        if accepted:
            self.touch(max(r.recorded_at for r in accepted))
        return [
            self._event("result.recorded", actor, r.recorded_at, {"result": (None, r.id)})
            for r in accepted
        ]

    def verify_result(self, result_id: str, verifier: str, at: datetime) -> list[Event]:
        """A second person verifies a manually entered result."""
        self.ensure_editable()
        result = next((r for r in self.results if r.id == result_id), None)
        if result is None:
            raise NotFoundError("No such result on this FAI.", record="result", key=result_id)
        if result.source is not ResultSource.MANUAL_ENTRY:
            raise ValidationError("Only manual entries need verification.", field="result_id")
        if result.verified_by is not None:
            raise ConflictError("The result is already verified.", verified_by=result.verified_by)
        if verifier in {result.recorded_by, result.operator}:
            raise ValidationError(
                "The verifier must not be the person who measured or entered the result.",
                field="verified_by",
            )
        result.verified_by, result.verified_at = verifier, at
        self.touch(at)
        return [self._event("result.verified", verifier, at, {"verified_by": (None, verifier)})]

    def resolve_verdict_disagreement(
        self, result_id: str, reason: str, by: str, at: datetime
    ) -> list[Event]:
        """A person settles a result whose file verdict differs from the computed one, saying
        why (the computed conformance still counts; an out-of-tolerance result still needs
        its NC)."""
        self.ensure_editable()
        result = next((r for r in self.results if r.id == result_id), None)
        if result is None:
            raise NotFoundError("No such result on this FAI.", record="result", key=result_id)
        if result.stated_status is None:
            raise ValidationError("The result's file stated no verdict.", field="result_id")
        if result.disagreement_reason is not None:
            raise ConflictError(
                "The disagreement is already resolved.", resolved_by=result.disagreement_resolved_by
            )
        text = require_text(reason, "reason")
        result.disagreement_resolved_by, result.disagreement_reason = by, text
        self.touch(at)
        return [
            self._event(
                "result.verdict_disagreement_resolved",
                by,
                at,
                {"disagreement_reason": (None, text)},
                reason=text,
            )
        ]

    def latest_results(self) -> dict[tuple[str, str | None], InspectionResult]:
        """The result that counts for each (characteristic, serial): the latest measured."""
        latest: dict[tuple[str, str | None], InspectionResult] = {}
        for result in sorted(self.results, key=lambda r: (r.measured_at, r.recorded_at)):
            latest[(result.characteristic_id, result.serial_id)] = result
        return latest

    def nonconforming_results(
        self, characteristics: Mapping[str, Characteristic]
    ) -> list[InspectionResult]:
        """Latest results that do not meet their requirement."""
        return [
            r
            for r in self.latest_results().values()
            if r.conformance(characteristics[r.characteristic_id].requirement)
            is Conformance.NONCONFORMING
        ]

    def nc_numbers_for(self, characteristic_id: str) -> list[str]:
        """Form 3 field 11: numbers of the NC documents that name this characteristic."""
        return [
            nc.number
            for nc in self.nonconformances
            if characteristic_id in nc.characteristic_ids
            and nc.kind is NonconformanceKind.NONCONFORMANCE
        ]

    def is_cleared(
        self, nc: NonconformanceLink, characteristics: Mapping[str, Characteristic]
    ) -> bool:
        """An NC is cleared when closed with a correcting disposition and re-verified conforming.

        A use-as-is or repair disposition leaves the product nonconforming by design, so the
        FAIR still contains a documented nonconformance.
        """
        if nc.is_open or nc.disposition is None or not nc.disposition.corrects_product:
            return False
        latest = self.latest_results()
        for characteristic_id in nc.characteristic_ids:
            requirement = characteristics[characteristic_id].requirement
            for (char_id, _serial), result in latest.items():
                if (
                    char_id == characteristic_id
                    and result.conformance(requirement) is Conformance.NONCONFORMING
                ):
                    return False
        return True

    def has_documented_nonconformances(self, characteristics: Mapping[str, Characteristic]) -> bool:
        """Form 1 field 19, derived: an uncleared NC or a nonconforming latest result exists."""
        if self.nonconforming_results(characteristics):
            return True
        return any(
            nc.kind is NonconformanceKind.NONCONFORMANCE
            and not self.is_cleared(nc, characteristics)
            for nc in self.nonconformances
        )

    def _event(
        self,
        action: str,
        actor: str,
        at: datetime,
        changes: dict[str, tuple[object, object]],
        reason: str | None = None,
    ) -> Event:
        return Event(
            action=action,
            record_type="first_article",
            record_id=self.id,
            site_id=self.site_id,
            actor=actor,
            at=at,
            changes=changes,
            reason=reason,
        )
