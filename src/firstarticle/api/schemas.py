"""Request and response bodies of the HTTP API.

Field formats and the shapes shared with the mirrored-record adapter (operations, a
characteristic's definition) come from integrations/record_fields.py, so that a record is
validated alike whether it is posted here or arrives in a file or a feed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from firstarticle.domain import model
from firstarticle.domain.holds import Decision, GateKind, HoldKind, HoldSource, HoldStatus
from firstarticle.domain.lifecycle import FaiAction, FaiStatus
from firstarticle.domain.readiness import Severity
from firstarticle.domain.values import AttributeResult, Conformance
from firstarticle.integrations.record_fields import (
    CharacteristicFields,
    Code,
    CustomerFields,
    In,
    LongText,
    Number,
    OperationIn,
    Text,
)

T = TypeVar("T")


# Units and revision levels are short by nature; the columns say how short.
Units = Annotated[Code, StringConstraints(max_length=32)]
Rev = Annotated[Code, StringConstraints(max_length=16)]


class Out(BaseModel):
    """Base of response bodies, read from domain objects."""

    model_config = ConfigDict(from_attributes=True)


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class SiteIn(In):
    code: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$"
        ),
    ]
    name: Text
    timezone: Code = "UTC"
    nonconformance_authority: model.NonconformanceOrigin = model.NonconformanceOrigin.QMS


class SiteOut(Out):
    id: str
    code: str
    name: str
    timezone: str
    nonconformance_authority: model.NonconformanceOrigin


class CustomerIn(CustomerFields):
    """A customer created by hand (a mirrored one comes from ERP)."""


class CustomerOut(Out):
    id: str
    code: str
    name: str
    channel: model.CustomerChannel
    requires_fai: bool
    ships_on_conditional_acceptance: bool
    vendor_code: str | None
    form_revision: model.FormRevision
    refai_lapse_months: int | None = Field(
        default=None, description="The customer's re-FAI lapse; null: AS9102's 24 months."
    )


class PartIn(In):
    number: Code
    name: Text


class DrawingIn(In):
    number: Code
    revision: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
    kind: model.DefinitionKind = model.DefinitionKind.DRAWING


class RevisionIn(In):
    revision: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
    status: model.RevisionStatus = model.RevisionStatus.RELEASED
    drawings: list[DrawingIn] = Field(min_length=1, max_length=50)


class RequirementOut(Out):
    text: str
    nominal: Decimal | None
    lower_limit: Decimal | None
    upper_limit: Decimal | None
    upper_tolerance: Decimal | None
    lower_tolerance: Decimal | None
    units: str | None


class CharacteristicIn(CharacteristicFields):
    drawing_number: Code
    ctype: model.CharacteristicType = model.CharacteristicType.DIMENSIONAL
    units: Units | None = None


class CharacteristicsIn(In):
    characteristics: list[CharacteristicIn] = Field(min_length=1, max_length=5000)


class CharacteristicOut(Out):
    id: str
    drawing_id: str
    balloon: str
    ctype: model.CharacteristicType
    requirement: RequirementOut
    sheet: str | None
    zone: str | None
    reference_location: str | None
    designator: model.CharacteristicDesignator | None
    source_document: str | None
    source_sha256: str | None
    source_item: str | None


class DrawingOut(Out):
    id: str
    number: str
    revision: str
    kind: model.DefinitionKind
    characteristics: list[CharacteristicOut]


class BomLineOut(Out):
    id: str
    find_number: str
    part_number: str
    part_name: str
    part_type: model.IndexPartType
    revision: str | None
    quantity: int


class RevisionOut(Out):
    id: str
    part_id: str
    revision: str
    status: model.RevisionStatus
    released_at: datetime | None
    drawings: list[DrawingOut]
    bill_of_materials: list[BomLineOut] = Field(
        default_factory=list, description="An assembly's bill of materials as PLM released it."
    )


class RevisionSummaryOut(Out):
    id: str
    revision: str
    status: model.RevisionStatus
    released_at: datetime | None


class ClassificationOut(Out):
    regime: str
    category: str | None
    text: str


class PartOut(Out):
    id: str
    number: str
    name: str
    export_classification: ClassificationOut
    revisions: list[RevisionSummaryOut]


class WorkOrderIn(In):
    site_id: str
    number: Code
    part_revision_id: str
    quantity: int = Field(ge=1, le=10_000_000)
    customer_id: str | None = None
    router: Code | None = None
    lot: Code | None = None
    purchase_order: Code | None = None
    operations: list[OperationIn] = Field(default_factory=list, max_length=500)
    serial_numbers: list[Code] = Field(default_factory=list, max_length=10_000)
    program: Code | None = None


class SerialsIn(In):
    serial_numbers: list[Code] = Field(min_length=1, max_length=10_000)
    lot: Code | None = None


class OperationOut(Out):
    id: str
    sequence: int
    name: str
    work_center: str | None
    special_process: bool
    supplier: str | None
    tooling: str | None
    material: str | None
    nc_program: str | None
    inspection_method: str | None
    balloons: list[str]


class SerialOut(Out):
    id: str
    number: str
    lot: str | None


class WorkOrderOut(Out):
    id: str
    site_id: str
    number: str
    part_revision_id: str
    quantity: int
    customer_id: str | None
    router: str | None
    lot: str | None
    purchase_order: str | None
    status: model.WorkOrderStatus
    operations: list[OperationOut]
    serials: list[SerialOut]
    program: str | None = None


class FirstArticleIn(In):
    work_order_id: str
    fai_type: model.FaiType = model.FaiType.DETAIL
    scope: model.FaiScope = model.FaiScope.FULL
    reason: LongText = Field(min_length=1)
    balloons: list[Code] | None = Field(default=None, max_length=5000)
    serial_numbers: list[Code] | None = Field(default=None, max_length=1000)
    fair_identifier: Code | None = None
    baseline_part_number: Code | None = None
    baseline_part_revision: Rev | None = None
    baseline_fair_identifier: Code | None = None
    additional_changes: LongText | None = None
    supplier_code: Code | None = None
    purchase_order: Code | None = None
    comments: LongText | None = None


class FirstArticlePatch(In):
    """Form 1 header fields a person may change; anything else is refused."""

    reason: LongText | None = None
    additional_changes: LongText | None = None
    supplier_code: Code | None = None
    purchase_order: Code | None = None
    comments: LongText | None = None
    baseline_part_number: Code | None = None
    baseline_part_revision: Rev | None = None
    baseline_fair_identifier: Code | None = None
    expected_version: int | None = None


class IndexEntryIn(In):
    part_number: Code
    part_name: Text
    part_type: model.IndexPartType
    revision: Rev | None = None
    fair_identifier: Code | None = None


class Form2RowIn(In):
    kind: model.Form2Kind
    name: Text
    specification: Text | None = None
    code: Code | None = None
    supplier: Text | None = None
    customer_approval: model.CustomerApprovalVerification | None = None
    certificate_number: Code | None = None
    functional_test_procedure: Code | None = None
    acceptance_report: Code | None = None
    comments: LongText | None = None


class Form3RowIn(In):
    tooling: Text | None = None
    comments: LongText | None = None


class ScopeIn(In):
    balloons: list[Code] = Field(min_length=1, max_length=5000)


class UnitsIn(In):
    serial_numbers: list[Code] = Field(min_length=1, max_length=1000)


class ResultIn(In):
    balloon: Code
    measured_at: AwareDatetime
    source: model.ResultSource = model.ResultSource.MANUAL_ENTRY
    value: Number | None = None
    units: Units | None = None
    attribute: AttributeResult | None = None
    serial_number: Code | None = None
    operator: Code | None = None
    device: Text | None = None
    source_reference: Annotated[str, StringConstraints(max_length=500)] | None = None
    stated_status: Literal["PASS", "FAIL"] | None = None


class ResultsIn(In):
    results: list[ResultIn] = Field(min_length=1, max_length=10_000)


class NonconformanceIn(In):
    kind: model.NonconformanceKind = model.NonconformanceKind.NONCONFORMANCE
    number: Code
    title: Annotated[str, StringConstraints(max_length=500)] | None = None
    balloons: list[Code] = Field(default_factory=list, max_length=500)


class NonconformanceUpdateIn(In):
    status: model.NonconformanceStatus
    disposition: model.Disposition | None = None


class ReasonIn(In):
    reason: LongText = Field(min_length=1)


class Form2StatementIn(In):
    kind: model.Form2Kind
    reason: LongText = Field(min_length=1)


class OmissionIn(In):
    balloon: Code
    reason: LongText = Field(min_length=1)


class EvidenceIn(In):
    kind: model.EvidenceKind
    uri: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class TransitionIn(In):
    action: FaiAction
    reason: LongText | None = None
    superseded_by: Code | None = None


class HoldIn(In):
    site_id: str
    kind: HoldKind
    part_revision_id: str
    reason: LongText = Field(min_length=1)
    customer_id: str | None = None
    work_order_id: str | None = None
    serial_numbers: list[Code] = Field(default_factory=list, max_length=10_000)
    lots: list[Code] = Field(default_factory=list, max_length=1000)
    first_article_id: str | None = None


class OverrideIn(In):
    reason: LongText = Field(min_length=1)
    expires_at: AwareDatetime
    serial_numbers: list[Code] = Field(default_factory=list, max_length=10_000)
    lots: list[Code] = Field(default_factory=list, max_length=1000)


class RevocationIn(In):
    reason: LongText = Field(min_length=1)


class OverrideOut(Out):
    id: str
    hold_id: str
    reason: str
    expires_at: datetime
    requested_by: str
    requested_at: datetime
    serial_numbers: list[str]
    lots: list[str]
    second_signer: str | None
    second_signed_at: datetime | None
    revoked_by: str | None
    revoked_at: datetime | None


class HoldOut(Out):
    id: str
    site_id: str
    kind: HoldKind
    source: HoldSource
    status: HoldStatus
    part_revision_id: str
    customer_id: str | None
    work_order_id: str | None
    serial_numbers: list[str]
    lots: list[str]
    first_article_id: str | None
    reason: str
    placed_by: str
    placed_at: datetime
    released_by: str | None
    released_at: datetime | None
    release_reason: str | None
    overrides: list[OverrideOut]


class GateCheckIn(In):
    """The gate question. Unknown identifiers are answered with a deny, not an error."""

    site: Code
    customer: Code
    part_number: Code
    part_revision: Code
    kind: GateKind = GateKind.SHIPMENT
    serial_numbers: list[Code] = Field(default_factory=list, max_length=1000)
    lot: Code | None = None
    work_order: Code | None = None


class GateReasonOut(Out):
    code: str
    message: str
    record_type: str | None = None
    record_id: str | None = None


class GateCheckOut(BaseModel):
    decision: Decision
    decision_id: str
    at: datetime
    reasons: list[GateReasonOut]


class GateDecisionOut(BaseModel):
    id: str
    site_id: str | None
    at: datetime
    kind: str
    decision: Decision
    caller: str
    request: dict[str, Any]
    reasons: list[dict[str, Any]]
    data_version: dict[str, Any]


class RecordRefOut(Out):
    type: str
    id: str
    label: str


class FindingOut(Out):
    rule: str
    severity: Severity
    message: str
    records: list[RecordRefOut]


class ReadinessOut(BaseModel):
    first_article_id: str
    fair_identifier: str
    ready: bool
    blocking: int
    warnings: int
    findings: list[FindingOut]


class IndexEntryOut(Out):
    id: str
    part_number: str
    part_name: str
    part_type: model.IndexPartType
    revision: str | None
    fair_identifier: str | None
    origin: model.IndexOrigin = Field(
        description="hand: keyed in; bom: built from the part revision's bill of materials."
    )


class Form2RowOut(Out):
    id: str
    kind: model.Form2Kind
    name: str
    specification: str | None
    code: str | None
    supplier: str | None
    customer_approval: model.CustomerApprovalVerification | None
    certificate_number: str | None
    functional_test_procedure: str | None
    acceptance_report: str | None
    comments: str | None


class Form2StatementOut(Out):
    kind: model.Form2Kind
    reason: str
    stated_by: str
    stated_at: datetime


class OmissionOut(Out):
    characteristic_id: str
    reason: str
    recorded_by: str
    recorded_at: datetime


class ResultLineOut(Out):
    result_id: str
    serial_number: str | None
    value: Decimal | None
    units: str | None
    attribute: str | None
    conformance: Conformance
    source: model.ResultSource
    operator: str | None
    device: str | None
    measured_at: datetime
    recorded_by: str
    verified_by: str | None
    superseded: bool
    nonconformance_number: str | None = None
    shown_value: str | None = None


class Form3LineOut(Out):
    characteristic_id: str
    char_no: str
    reference_location: str | None
    designator: str | None
    ctype: model.CharacteristicType
    requirement: str
    nominal: Decimal | None
    lower_limit: Decimal | None
    upper_limit: Decimal | None
    units: str | None
    results: list[ResultLineOut]
    tooling: str | None
    nonconformance_numbers: list[str]
    comments: str | None
    tooling_offered: list[str] = []


class DecisionOut(Out):
    id: str
    attempt: int
    outcome: model.DecisionOutcome
    channel: model.CustomerChannel
    decided_by: str
    decided_at: datetime
    reference: str | None
    comments: str | None
    recorded_by: str
    recorded_at: datetime


class DrawingLineOut(Out):
    number: str
    revision: str
    kind: model.DefinitionKind


class Form1Out(Out):
    part_number: str
    part_name: str
    serial_numbers: list[str]
    fair_identifier: str
    part_revision: str
    drawings: list[DrawingLineOut]
    additional_changes: str | None
    manufacturing_process_reference: str
    organization_name: str
    supplier_code: str | None
    purchase_order: str | None
    fai_type: model.FaiType
    scope: model.FaiScope
    baseline: str | None
    reason: str
    index: list[IndexEntryOut]
    documented_nonconformances: bool
    comments: str | None
    customer_decision: DecisionOut | None


class NonconformanceOut(Out):
    id: str
    kind: model.NonconformanceKind
    number: str
    status: model.NonconformanceStatus
    disposition: model.Disposition | None
    title: str | None
    characteristic_ids: list[str]
    origin: model.NonconformanceOrigin


class EvidenceOut(Out):
    id: str
    kind: model.EvidenceKind
    uri: str
    sha256: str
    title: str
    added_by: str
    added_at: datetime


class FirstArticleSummaryOut(Out):
    id: str
    site_id: str
    fair_identifier: str
    part_revision_id: str
    work_order_id: str
    customer_id: str | None
    fai_type: model.FaiType
    scope: model.FaiScope
    status: FaiStatus
    submission_attempt: int
    created_at: datetime | None
    updated_at: datetime | None
    version: int
    # The re-FAI trigger kind whose evaluation opened this FAI, if one did.
    refai_trigger: str | None = None


class FirstArticleOut(FirstArticleSummaryOut):
    status_label: str
    reason: str
    superseded_by_id: str | None
    form1: Form1Out
    form2: list[Form2RowOut]
    form2_none_applies: list[Form2StatementOut]
    form3: list[Form3LineOut] = Field(
        description="The first Form 3 lines (at most form3_inline); every line, paged, at "
        "GET /first-articles/{fai_id}/form3."
    )
    form3_total: int
    form3_inline: int
    omitted: list[OmissionOut]
    nonconformances: list[NonconformanceOut]
    evidence: list[EvidenceOut]
    decisions: list[DecisionOut]
    ready: bool
    findings: list[FindingOut]
    allowed_actions: list[FaiAction]


class AuditEntryOut(BaseModel):
    position: int
    at: datetime
    actor: str
    action: str
    record_type: str
    record_id: str
    changes: dict[str, Any]
    reason: str | None
    request_id: str | None


class HealthOut(BaseModel):
    status: str
    version: str


class ReadyOut(BaseModel):
    status: str
    database: str
    schema_revision: str | None
    head_revision: str | None
    version: str
    detail: str | None = None
