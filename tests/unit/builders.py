"""Small builders of plain domain objects for unit tests (no database, fixed UTC clock).

Every builder has sensible defaults so a test names only what it is about. ``a_ready_world``
builds a complete detail FAI on which readiness finds nothing; readiness tests break it one
way at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from firstarticle.domain import model, readiness
from firstarticle.domain.lifecycle import FaiAction, FaiStatus
from firstarticle.domain.review_templates import ChecklistItem, Stage
from firstarticle.domain.tasks import Task
from firstarticle.domain.values import AttributeResult, Requirement

NOW = datetime(2024, 3, 4, 9, 30, tzinfo=UTC)
SITE_ID = "site-tls"
OPERATOR = "op-ana"
RECORDER = "cmm-link"
INSPECTOR = "insp-bea"


def at(minutes: int = 0) -> datetime:
    """The fixed test clock, ``minutes`` later (or earlier when negative)."""
    return NOW + timedelta(minutes=minutes)


# --- part, drawing, characteristics ------------------------------------------------------


def a_requirement(
    nominal: str = "25.00", plus: str = "0.05", minus: str = "-0.05", units: str = "mm"
) -> Requirement:
    """A toleranced dimension, ``25.00 ±0.05 mm`` unless told otherwise."""
    return Requirement.toleranced(Decimal(nominal), Decimal(plus), Decimal(minus), units)


def a_note(text: str = "Break all sharp edges") -> Requirement:
    """A text requirement (a drawing note), verified by an attribute result."""
    return Requirement(text=text)


def a_characteristic(
    balloon: str = "1",
    requirement: Requirement | None = None,
    *,
    ctype: model.CharacteristicType = model.CharacteristicType.DIMENSIONAL,
) -> model.Characteristic:
    """A ballooned characteristic, not yet on a drawing."""
    return model.Characteristic(
        drawing_id="",
        balloon=balloon,
        ctype=ctype,
        requirement=requirement or a_requirement(),
        sheet="1",
        zone="B3",
    )


@dataclass
class ReleasedPart:
    """A part with one released revision defined by one drawing."""

    part: model.Part
    revision: model.PartRevision
    drawing: model.Drawing

    @property
    def characteristics(self) -> list[model.Characteristic]:
        """The characteristics of the revision, in balloon order of creation."""
        return self.revision.characteristics

    def add(self, balloon: str, requirement: Requirement | None = None) -> model.Characteristic:
        """Add a characteristic to the drawing (as a new PLM release would)."""
        return self.drawing.add_characteristic(a_characteristic(balloon, requirement))


def a_released_part_with(
    n_characteristics: int = 2, *, number: str = "P-100", revision: str = "A"
) -> ReleasedPart:
    """A released part revision whose drawing has ``n`` toleranced dimensions.

    Balloon ``i`` asks for ``(10 * i).00 ±0.05 mm`` so each characteristic has its own nominal.
    """
    part = model.Part(number=number, name="Bracket")
    rev = model.PartRevision(
        part_id=part.id,
        revision=revision,
        status=model.RevisionStatus.RELEASED,
        released_at=at(-30 * 24 * 60),
    )
    part.revisions.append(rev)
    drawing = model.Drawing(part_revision_id=rev.id, number=f"DWG-{number}", revision=revision)
    rev.drawings.append(drawing)
    for i in range(1, n_characteristics + 1):
        drawing.add_characteristic(a_characteristic(str(i), a_requirement(f"{10 * i}.00")))
    return ReleasedPart(part, rev, drawing)


def another_revision_of(
    released: ReleasedPart, revision: str = "B", *, status: model.RevisionStatus
) -> ReleasedPart:
    """A second revision of the same part with one characteristic (balloon 9)."""
    rev = model.PartRevision(
        part_id=released.part.id,
        revision=revision,
        status=status,
        released_at=at(-24 * 60) if status is model.RevisionStatus.RELEASED else None,
    )
    released.part.revisions.append(rev)
    drawing = model.Drawing(rev.id, released.drawing.number, revision)
    rev.drawings.append(drawing)
    drawing.add_characteristic(a_characteristic("9", a_requirement("90.00")))
    return ReleasedPart(released.part, rev, drawing)


# --- work order ----------------------------------------------------------------------------


def a_work_order(
    part_revision_id: str,
    *,
    number: str = "WO-1000",
    serials: Iterable[str] = ("SN-001",),
    lot: str | None = "LOT-7",
    quantity: int = 5,
) -> model.WorkOrder:
    """A released work order at the test site with the given serials built on it."""
    work_order = model.WorkOrder(
        site_id=SITE_ID,
        number=number,
        part_revision_id=part_revision_id,
        quantity=quantity,
        router="RT-12",
        lot=lot,
        purchase_order="PO-55",
    )
    work_order.add_operation(10, "Mill")
    for serial in serials:
        work_order.add_serial(serial)
    return work_order


# --- the first article ---------------------------------------------------------------------

# How to reach each status through the lifecycle from draft.
_PATHS: dict[FaiStatus, tuple[FaiAction, ...]] = {
    FaiStatus.DRAFT: (),
    FaiStatus.IN_PROGRESS: (FaiAction.START,),
    FaiStatus.PENDING_INTERNAL_REVIEW: (FaiAction.START, FaiAction.REQUEST_REVIEW),
}
_PATHS[FaiStatus.INTERNALLY_APPROVED] = (
    *_PATHS[FaiStatus.PENDING_INTERNAL_REVIEW],
    FaiAction.APPROVE_INTERNALLY,
)
_PATHS[FaiStatus.SUBMITTED] = (*_PATHS[FaiStatus.INTERNALLY_APPROVED], FaiAction.SUBMIT)
_PATHS[FaiStatus.CONDITIONALLY_ACCEPTED] = (
    *_PATHS[FaiStatus.SUBMITTED],
    FaiAction.ACCEPT_CONDITIONALLY,
)
_PATHS[FaiStatus.REJECTED] = (*_PATHS[FaiStatus.SUBMITTED], FaiAction.REJECT)
_PATHS[FaiStatus.APPROVED] = (*_PATHS[FaiStatus.SUBMITTED], FaiAction.APPROVE)
_PATHS[FaiStatus.SUPERSEDED] = (*_PATHS[FaiStatus.APPROVED], FaiAction.SUPERSEDE)
_PATHS[FaiStatus.CANCELLED] = (FaiAction.CANCEL,)


def walk_to(fai: model.FirstArticle, status: FaiStatus) -> model.FirstArticle:
    """Move a draft FAI to ``status`` through the lifecycle, giving reasons where needed."""
    for action in _PATHS[status]:
        fai.apply(
            action, actor="qe-carl", at=NOW, reason="for the test", superseded_by_id="fai-next"
        )
    assert fai.status is status
    return fai


def a_bare_fai(
    *,
    status: FaiStatus = FaiStatus.DRAFT,
    scope: model.FaiScope = model.FaiScope.FULL,
    fai_type: model.FaiType = model.FaiType.DETAIL,
    part_revision_id: str = "rev-a",
    work_order_id: str = "wo-1000",
) -> model.FirstArticle:
    """An FAI with no content, constructed directly in ``status`` (for lifecycle tests)."""
    return model.FirstArticle(
        site_id=SITE_ID,
        fair_identifier="FAIR-0001",
        part_revision_id=part_revision_id,
        work_order_id=work_order_id,
        fai_type=fai_type,
        scope=scope,
        reason="New part",
        status=status,
        baseline_part_number="P-100" if scope is model.FaiScope.PARTIAL else None,
        baseline_part_revision="A" if scope is model.FaiScope.PARTIAL else None,
        created_at=NOW,
    )


def an_fai(
    released: ReleasedPart,
    work_order: model.WorkOrder,
    *,
    scope: model.FaiScope = model.FaiScope.FULL,
    fai_type: model.FaiType = model.FaiType.DETAIL,
    all_characteristics: bool = True,
    all_serials: bool = True,
    fair_identifier: str = "FAIR-0001",
) -> model.FirstArticle:
    """An in-progress FAI for the part's revision and the work order.

    By default every characteristic of the revision is on Form 3 and every serial of the work
    order is in scope; no results yet.
    """
    fai = model.FirstArticle(
        site_id=SITE_ID,
        fair_identifier=fair_identifier,
        part_revision_id=released.revision.id,
        work_order_id=work_order.id,
        fai_type=fai_type,
        scope=scope,
        reason="New part",
        baseline_part_number="P-100" if scope is model.FaiScope.PARTIAL else None,
        baseline_part_revision="A" if scope is model.FaiScope.PARTIAL else None,
        created_at=NOW,
    )
    fai.apply(FaiAction.START, actor="qe-carl", at=NOW)
    if all_characteristics:
        for characteristic in released.characteristics:
            fai.add_to_scope(characteristic, tooling="CMM-3")
    if all_serials:
        for serial in work_order.serials:
            fai.add_unit(serial)
    return fai


def a_result(
    characteristic: model.Characteristic,
    value: str | None = None,
    *,
    units: str | None = None,
    attribute: AttributeResult | None = None,
    serial: model.SerialNumber | None = None,
    source: model.ResultSource = model.ResultSource.DEVICE_IMPORT,
    measured_at: datetime = NOW,
    recorded_at: datetime | None = None,
    recorded_by: str = RECORDER,
    operator: str | None = OPERATOR,
    verified_by: str | None = None,
    fai_id: str = "fai",
) -> model.InspectionResult:
    """A result for ``characteristic``; by default its nominal, measured now by a CMM import.

    Give ``attribute`` for a verdict instead of a value.
    """
    number: Decimal | None = None
    if attribute is None:
        nominal = characteristic.requirement.nominal
        number = Decimal(value) if value is not None else nominal
        units = units or characteristic.requirement.units
    return model.InspectionResult(
        site_id=SITE_ID,
        first_article_id=fai_id,
        characteristic_id=characteristic.id,
        source=source,
        recorded_by=recorded_by,
        recorded_at=recorded_at or measured_at,
        measured_at=measured_at,
        value=number,
        units=units if attribute is None else None,
        attribute=attribute,
        serial_id=serial.id if serial else None,
        operator=operator,
        device="CMM-3" if source is model.ResultSource.DEVICE_IMPORT else None,
        verified_by=verified_by,
        verified_at=NOW if verified_by else None,
    )


def record(
    fai: model.FirstArticle, characteristic: model.Characteristic, value: str | None = None, **kw
) -> model.InspectionResult:
    """Build a result with :func:`a_result` and record it on ``fai``; return it."""
    result = a_result(characteristic, value, fai_id=fai.id, **kw)
    fai.record_result(result, characteristic, actor=result.recorded_by)
    return result


def an_nc(
    fai: model.FirstArticle,
    *characteristics: model.Characteristic,
    number: str = "NC-0001",
    status: model.NonconformanceStatus = model.NonconformanceStatus.OPEN,
    disposition: model.Disposition | None = None,
    kind: model.NonconformanceKind = model.NonconformanceKind.NONCONFORMANCE,
) -> model.NonconformanceLink:
    """Link a QMS document naming ``characteristics`` to ``fai``; return the link."""
    nc = model.NonconformanceLink(
        site_id=SITE_ID,
        first_article_id=fai.id,
        kind=kind,
        number=number,
        status=status,
        disposition=disposition,
        title="Out of tolerance",
        characteristic_ids=[c.id for c in characteristics],
    )
    fai.nonconformances.append(nc)
    return nc


def a_form2_row(
    fai: model.FirstArticle,
    kind: model.Form2Kind = model.Form2Kind.MATERIAL,
    *,
    name: str = "Al 7075-T6 bar",
    certificate_number: str | None = "COC-881",
    customer_approval: model.CustomerApprovalVerification | None = (
        model.CustomerApprovalVerification.YES
    ),
    supplier: str | None = "Alu Supply",
    functional_test_procedure: str | None = None,
    acceptance_report: str | None = None,
) -> model.Form2Row:
    """Add a complete Form 2 row of ``kind`` to ``fai``; return it."""
    row = model.Form2Row(
        site_id=SITE_ID,
        first_article_id=fai.id,
        kind=kind,
        name=name,
        specification="AMS 4124",
        supplier=supplier,
        customer_approval=customer_approval,
        certificate_number=certificate_number,
        functional_test_procedure=functional_test_procedure,
        acceptance_report=acceptance_report,
    )
    fai.form2.append(row)
    return row


def an_index_entry(
    fai: model.FirstArticle,
    part_number: str = "P-200",
    *,
    part_type: model.IndexPartType = model.IndexPartType.DETAIL,
    fair_identifier: str | None = "FAIR-0042",
) -> model.IndexEntry:
    """Add an item of an assembly's index (Form 1 fields 15-18); return it."""
    entry = model.IndexEntry(
        site_id=SITE_ID,
        first_article_id=fai.id,
        part_number=part_number,
        part_name="Bushing",
        part_type=part_type,
        revision="A",
        fair_identifier=fair_identifier,
    )
    fai.index.append(entry)
    return entry


def an_evidence(
    uri: str = "https://mes.example/travelers/881", sha256: str = "a" * 64
) -> model.EvidenceLink:
    """An evidence link to a traveler step."""
    return model.EvidenceLink(
        site_id=SITE_ID,
        first_article_id="fai",
        kind=model.EvidenceKind.TRAVELER_STEP,
        uri=uri,
        sha256=sha256,
        title="Traveler op 10",
        added_by=INSPECTOR,
        added_at=NOW,
    )


# --- a complete world for readiness --------------------------------------------------------


@dataclass
class World:
    """A part, a work order and an FAI, with whatever else readiness looks at."""

    released: ReleasedPart
    work_order: model.WorkOrder
    fai: model.FirstArticle
    other_characteristics: list[model.Characteristic] = field(default_factory=list)
    index_statuses: dict[str, FaiStatus] = field(default_factory=dict)
    baseline: model.PartRevision | None = None
    tasks: list[Task] = field(default_factory=list)

    @property
    def characteristics(self) -> dict[str, model.Characteristic]:
        """Every characteristic readiness may meet, by id (this revision and others)."""
        known = [*self.released.characteristics, *self.other_characteristics]
        return {c.id: c for c in known}

    @property
    def ctx(self) -> readiness.ReadinessContext:
        """The readiness context of this world."""
        return readiness.ReadinessContext(
            part=self.released.part,
            revision=self.released.revision,
            work_order=self.work_order,
            characteristics=self.characteristics,
            index_statuses=dict(self.index_statuses),
            baseline=self.baseline,
            drawing_numbers={
                d.id: d.number
                for rev in (self.released.revision, self.baseline)
                if rev is not None
                for d in rev.drawings
            },
            tasks=self.tasks,
        )

    def findings(self) -> list[readiness.Finding]:
        """Readiness findings of the FAI as the world stands."""
        return readiness.evaluate(self.fai, self.ctx)

    def serial(self, number: str) -> model.SerialNumber:
        """The work order's serial called ``number``."""
        return next(s for s in self.work_order.serials if s.number == number)


def a_ready_world(n_characteristics: int = 2) -> World:
    """A complete detail FAI on which readiness finds nothing.

    Every characteristic is measured conforming on serial SN-001; a material, a special
    process and a functional test are fully accounted for on Form 2.
    """
    released = a_released_part_with(n_characteristics)
    work_order = a_work_order(released.revision.id)
    fai = an_fai(released, work_order)
    serial = work_order.serials[0]
    for characteristic in released.characteristics:
        record(fai, characteristic, serial=serial)
    a_form2_row(fai)
    a_form2_row(
        fai,
        model.Form2Kind.SPECIAL_PROCESS,
        name="Anodize type II",
        certificate_number="COC-902",
        supplier="Plating Co",
    )
    a_form2_row(
        fai,
        model.Form2Kind.FUNCTIONAL_TEST,
        name="Leak test",
        certificate_number=None,
        customer_approval=None,
        supplier=None,
        functional_test_procedure="FTP-12",
        acceptance_report="AR-77",
    )
    return World(released, work_order, fai)


def a_review_task(
    fai: model.FirstArticle, *, checklist: Iterable[str] = (), required: bool = True
) -> Task:
    """An open review task of ``fai`` for quality, guarding internal approval, with a
    checklist item per key of ``checklist``."""
    stage = Stage(
        "quality-check",
        "Quality check",
        "quality",
        checklist=tuple(ChecklistItem(key, f"Is {key} right?") for key in checklist),
        required=required,
    )
    return Task.for_stage(
        stage,
        0,
        site_id=fai.site_id,
        first_article_id=fai.id,
        template=("t-1", 1),
        attempt=1,
        cycle=1,
        actor="q.engineer",
        at=at(),
    )
