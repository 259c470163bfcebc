"""Records as they come in, before a use case applies them.

A drawing's characteristics and a work order's operations as they are described when created
by hand, imported from a file or mirrored; and the mirrored records as PLM, ERP and QMS send
them (applied by services/mirror.py under the rules of domain/mirror.py). The services, the
record adapters and the faces all build these; they check nothing but a requirement's shape
(:meth:`CharacteristicSpec.build_requirement`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from firstarticle.domain import model, requirement_text
from firstarticle.domain.errors import ValidationError
from firstarticle.domain.text import check_text
from firstarticle.domain.tolerancing import DesignTolerance
from firstarticle.domain.values import Requirement, normalize_unit


@dataclass(frozen=True)
class CharacteristicSpec:
    """A characteristic as a drawing or model defines it.

    Give ``nominal`` with ``upper_tolerance`` and ``lower_tolerance`` (signed), or
    ``lower_limit`` and/or ``upper_limit``, or only ``requirement`` text for notes.
    """

    balloon: str
    ctype: model.CharacteristicType
    requirement: str | None = None
    nominal: Decimal | None = None
    upper_tolerance: Decimal | None = None
    lower_tolerance: Decimal | None = None
    lower_limit: Decimal | None = None
    upper_limit: Decimal | None = None
    units: str | None = None
    sheet: str | None = None
    zone: str | None = None
    designator: model.CharacteristicDesignator | None = None
    source_document: str | None = None
    source_sha256: str | None = None
    source_item: str | None = None
    qif_kind: str | None = None
    design_tolerance: DesignTolerance | None = None

    def build_requirement(self) -> Requirement:
        """The requirement these fields describe, or ValidationError; a drawing text given
        with numbers must name them (RequirementTextMismatchError otherwise); a text breaking
        the plant's text rule is refused (TextNotAllowedError), whichever way it came in."""
        self._check_texts()
        requirement = self._requirement()
        if self.requirement is not None and requirement.is_numeric:
            requirement_text.check(
                requirement.text,
                requirement.nominal,
                requirement.lower_limit,
                requirement.upper_limit,
                requirement.units,
            )
        return requirement

    def _check_texts(self) -> None:
        check_text(self.balloon, "balloon")
        check_text(self.requirement, "requirement", multiline=True)
        for name in ("units", "sheet", "zone", "source_document", "source_item"):
            check_text(getattr(self, name), name)

    def _requirement(self) -> Requirement:
        tolerances = (self.upper_tolerance, self.lower_tolerance)
        if any(t is not None for t in tolerances):
            if self.nominal is None or None in tolerances:
                raise ValidationError(
                    "Toleranced requirements need nominal and both tolerances.", field="nominal"
                )
            if self.lower_limit is not None or self.upper_limit is not None:
                raise ValidationError("Give tolerances or limits, not both.", field="lower_limit")
            if self.units is None:
                raise ValidationError("A numeric requirement needs explicit units.", field="units")
            assert self.upper_tolerance is not None
            assert self.lower_tolerance is not None
            return Requirement.toleranced(
                self.nominal,
                self.upper_tolerance,
                self.lower_tolerance,
                self.units,
                self.requirement,
            )
        units = normalize_unit(self.units) if self.units is not None else None
        text = self.requirement
        if text is None and (self.lower_limit is not None or self.upper_limit is not None):
            text = _limits_text(self.lower_limit, self.upper_limit, units or "")
        if text is None:
            raise ValidationError("A characteristic needs its requirement.", field="requirement")
        return Requirement(
            text=text,
            nominal=self.nominal,
            lower_limit=self.lower_limit,
            upper_limit=self.upper_limit,
            units=units,
        )

    def on_drawing(
        self, drawing_id: str, requirement: Requirement, balloon: str | None = None
    ) -> model.Characteristic:
        """The characteristic these fields define on a drawing, with the requirement built
        from them (and ``balloon`` when the caller has checked or keyed it)."""
        return model.Characteristic(
            drawing_id,
            self.balloon if balloon is None else balloon,
            self.ctype,
            requirement,
            self.sheet,
            self.zone,
            self.designator,
            self.source_document,
            self.source_sha256,
            self.source_item,
            self.qif_kind,
            self.design_tolerance,
        )


def _limits_text(low: Decimal | None, high: Decimal | None, units: str) -> str:
    if low is not None and high is not None:
        return f"{low} - {high} {units}".strip()
    if high is not None:
        return f"{high} {units} max".replace("  ", " ")
    return f"{low} {units} min".replace("  ", " ")


@dataclass(frozen=True)
class OperationSpec:
    """One routing operation of a new work order."""

    sequence: int
    name: str
    work_center: str | None = None
    special_process: bool = False
    supplier: str | None = None
    completed_at: datetime | None = None  # when the operation was completed (last production)
    tooling: str | None = None
    material: str | None = None
    nc_program: str | None = None
    inspection_method: str | None = None
    balloons: tuple[str, ...] = ()

    def made_with(self) -> dict[str, str | None]:
        """Tooling, material, NC program and inspection method, by name."""
        return {name: getattr(self, name) for name in MADE_WITH}


# What a routing operation is made with and checked by: a change of one is a re-FAI trigger.
MADE_WITH = ("tooling", "material", "nc_program", "inspection_method")


# --- mirrored records, as their owners send them ---------------------------------------------


@dataclass(frozen=True)
class DrawingRecord:
    """A drawing (or MBD) of a PLM revision with its characteristic definitions."""

    number: str
    revision: str
    kind: model.DefinitionKind = model.DefinitionKind.DRAWING
    characteristics: tuple[CharacteristicSpec, ...] = ()


@dataclass(frozen=True)
class BomLineRecord:
    """One line of an assembly's bill of materials: the component at its find number."""

    find_number: str
    part_number: str
    part_name: str
    part_type: model.IndexPartType
    quantity: int = 1
    revision: str | None = None  # optional for standard catalogue items and COTS

    def on_revision(self, part_revision_id: str) -> model.BomLine:
        """The line as the revision's BOM holds it."""
        return model.BomLine(
            part_revision_id,
            self.find_number,
            self.part_number,
            self.part_name,
            self.part_type,
            self.quantity,
            self.revision,
        )


@dataclass(frozen=True)
class PartRevisionRecord:
    """PLM: a part revision, its release state, its drawings and, for an assembly, its
    bill of materials (PLM sends the whole BOM each time; none sent: the revision has none)."""

    external_id: str
    source_version: int
    part_number: str
    part_name: str
    revision: str
    status: model.RevisionStatus
    drawings: tuple[DrawingRecord, ...]
    bill_of_materials: tuple[BomLineRecord, ...] = ()


@dataclass(frozen=True)
class CustomerRecord:
    """ERP: a customer and how it decides on FAIs."""

    external_id: str
    source_version: int
    code: str
    name: str
    channel: model.CustomerChannel = model.CustomerChannel.PORTAL
    requires_fai: bool = True
    ships_on_conditional_acceptance: bool = False
    vendor_code: str | None = None
    form_revision: model.FormRevision = model.FormRevision.C


@dataclass(frozen=True)
class WorkOrderRecord:
    """ERP: a work order with its routing and serials."""

    external_id: str
    source_version: int
    site: str
    number: str
    part_number: str
    revision: str
    quantity: int
    customer: str | None = None
    router: str | None = None
    lot: str | None = None
    purchase_order: str | None = None
    status: model.WorkOrderStatus = model.WorkOrderStatus.RELEASED
    operations: tuple[OperationSpec, ...] = ()
    program: str | None = None
    serial_numbers: tuple[str, ...] = ()
    starts_at: datetime | None = None  # planned start of production


@dataclass(frozen=True)
class NonconformanceRecord:
    """QMS: a nonconformance, deviation, concession or rework and its disposition."""

    external_id: str
    source_version: int
    site: str
    fair_identifier: str
    number: str
    kind: model.NonconformanceKind = model.NonconformanceKind.NONCONFORMANCE
    status: model.NonconformanceStatus = model.NonconformanceStatus.OPEN
    disposition: model.Disposition | None = None
    title: str | None = None
    balloons: tuple[str, ...] = ()
    # The corrective action (CAR number) the QMS opened to complete the FAI, if any.
    corrective_action: str | None = None


MirrorRecord = PartRevisionRecord | CustomerRecord | WorkOrderRecord | NonconformanceRecord
