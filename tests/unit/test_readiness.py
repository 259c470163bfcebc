"""Readiness findings (firstarticle.domain.readiness): every rule fires, and goes when fixed.

Each scenario starts from ``a_ready_world()`` (a complete FAI with no findings), breaks it in
one way and, when asked, fixes it again. The scenario table must cover every rule id in
``readiness.RULES``; a new rule without a scenario fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from builders import (
    INSPECTOR,
    World,
    a_characteristic,
    a_ready_world,
    a_released_part_with,
    a_requirement,
    a_review_task,
    a_work_order,
    an_fai,
    an_index_entry,
    an_nc,
    another_revision_of,
    at,
    record,
)

from firstarticle.domain import model, readiness
from firstarticle.domain.access import Role
from firstarticle.domain.errors import ConflictError, ValidationError
from firstarticle.domain.lifecycle import FaiAction, FaiStatus
from firstarticle.domain.readiness import Severity
from firstarticle.domain.tasks import Answer, ChecklistAnswer
from firstarticle.domain.values import AttributeResult

NCS = model.NonconformanceStatus
BLOCKING, WARNING = Severity.BLOCKING, Severity.WARNING


@dataclass
class Case:
    """A world, and what the finding of the rule under test must say about it."""

    world: World
    names: tuple[str, ...]  # text the message must contain to name the record
    record_id: str  # the id of the record the finding must reference


@dataclass
class Scenario:
    """How to make a rule fire (fixed=False) or not (fixed=True), and its severity."""

    severity: Severity
    build: Callable[[bool], Case]


SCENARIOS: dict[str, Scenario] = {}


def scenario(rule: str, severity: Severity):
    """Register the decorated builder as the scenario of ``rule``."""

    def register(build: Callable[[bool], Case]) -> Callable[[bool], Case]:
        SCENARIOS[rule] = Scenario(severity, build)
        return build

    return register


@scenario("REV_NOT_RELEASED", BLOCKING)
def _a_newer_revision_is_released(fixed: bool) -> Case:
    w = a_ready_world()
    newer = another_revision_of(w.released, "B", status=model.RevisionStatus.RELEASED)
    if fixed:
        newer.revision.status = model.RevisionStatus.IN_WORK
    return Case(w, ("P-100 rev A", "released revision is B"), w.released.revision.id)


@scenario("REV_WORK_ORDER_MISMATCH", BLOCKING)
def _the_work_order_builds_another_revision(fixed: bool) -> Case:
    w = a_ready_world()
    right = w.work_order.part_revision_id
    w.work_order.part_revision_id = "rev-of-something-else"
    if fixed:
        w.work_order.part_revision_id = right
    return Case(w, ("Work order WO-1000", "rev A"), w.work_order.id)


@scenario("CHAR_NOT_ACCOUNTED", BLOCKING)
def _a_new_characteristic_is_not_on_form_3(fixed: bool) -> Case:
    w = a_ready_world()
    added = w.released.add("3", model.Requirement(text="Ra 1.6 max"))
    if fixed:
        w.fai.add_to_scope(added)
        record(w.fai, added, attribute=AttributeResult.ACCEPT, serial=w.serial("SN-001"))
    return Case(w, ("Balloon 3", "Ra 1.6 max"), added.id)


@scenario("CHAR_WRONG_REVISION", BLOCKING)
def _form_3_names_a_characteristic_of_another_revision(fixed: bool) -> Case:
    w = a_ready_world()
    other = another_revision_of(w.released, "B", status=model.RevisionStatus.IN_WORK)
    foreign = other.characteristics[0]
    w.other_characteristics.append(foreign)
    w.fai.add_to_scope(foreign)
    if fixed:
        w.fai.form3 = [row for row in w.fai.form3 if row.characteristic_id != foreign.id]
    return Case(w, ("Balloon 9", "rev A"), foreign.id)


@scenario("RESULT_MISSING", BLOCKING)
def _a_second_serial_is_not_measured(fixed: bool) -> Case:
    w = a_ready_world()
    sn2 = w.work_order.add_serial("SN-002")
    w.fai.add_unit(sn2)
    if fixed:
        for characteristic in w.released.characteristics:
            record(w.fai, characteristic, serial=sn2)
    return Case(w, ("Balloon 1", "serial SN-002"), w.released.characteristics[0].id)


@scenario("RESULT_ATTRIBUTE_ON_VARIABLE", BLOCKING)
def _a_toleranced_dimension_gets_a_go_no_go_verdict(fixed: bool) -> Case:
    w = a_ready_world()
    c1, sn = w.released.characteristics[0], w.serial("SN-001")
    record(w.fai, c1, attribute=AttributeResult.ACCEPT, serial=sn, measured_at=at(10))
    if fixed:
        record(w.fai, c1, "10.02", serial=sn, measured_at=at(20))
    return Case(w, ("Balloon 1", "10.00 ±0.05 mm", "serial SN-001"), c1.id)


@scenario("RESULT_NONCONFORMING_WITHOUT_NC", BLOCKING)
def _an_out_of_tolerance_result_has_no_nc_number(fixed: bool) -> Case:
    w = a_ready_world()
    c1 = w.released.characteristics[0]
    record(w.fai, c1, "10.07", serial=w.serial("SN-001"), measured_at=at(10))
    if fixed:
        an_nc(w.fai, c1, status=NCS.CLOSED, disposition=model.Disposition.USE_AS_IS)
    return Case(w, ("Balloon 1", "10.07 mm", "10.00 ±0.05 mm"), c1.id)


@scenario("RESULT_MANUAL_UNVERIFIED", BLOCKING)
def _a_manual_entry_is_not_verified(fixed: bool) -> Case:
    w = a_ready_world()
    c2 = w.released.characteristics[1]
    result = record(
        w.fai,
        c2,
        "20.01",
        serial=w.serial("SN-001"),
        measured_at=at(10),
        source=model.ResultSource.MANUAL_ENTRY,
        recorded_by="ed",
    )
    if fixed:
        w.fai.verify_result(result.id, INSPECTOR, at(15))
    return Case(w, ("balloon 2", "serial SN-001"), c2.id)


@scenario("NC_OPEN", BLOCKING)
def _a_linked_nc_is_open(fixed: bool) -> Case:
    w = a_ready_world()
    nc = an_nc(w.fai, w.released.characteristics[0], number="NC-0031")
    if fixed:
        nc.status, nc.disposition = NCS.CLOSED, model.Disposition.REWORK
    return Case(w, ("Nonconformance NC-0031",), nc.id)


@scenario("NC_DISPOSITIONED_NOT_CLOSED", WARNING)
def _a_linked_nc_is_dispositioned_but_not_closed(fixed: bool) -> Case:
    w = a_ready_world()
    nc = an_nc(
        w.fai,
        number="DEV-0004",
        kind=model.NonconformanceKind.DEVIATION,
        status=NCS.DISPOSITIONED,
        disposition=model.Disposition.USE_AS_IS,
    )
    if fixed:
        nc.status = NCS.CLOSED
    return Case(w, ("Deviation DEV-0004", "use_as_is"), nc.id)


def _form2_row(w: World, kind: model.Form2Kind) -> model.Form2Row:
    return next(row for row in w.fai.form2 if row.kind is kind)


@scenario("FORM2_CERTIFICATE_MISSING", BLOCKING)
def _a_material_has_no_certificate(fixed: bool) -> Case:
    w = a_ready_world()
    row = _form2_row(w, model.Form2Kind.MATERIAL)
    row.certificate_number = None
    if fixed:
        row.certificate_number = "COC-881"
    return Case(w, ("Al 7075-T6 bar",), row.id)


@scenario("FORM2_APPROVAL_MISSING", BLOCKING)
def _a_special_process_does_not_state_customer_approval(fixed: bool) -> Case:
    w = a_ready_world()
    row = _form2_row(w, model.Form2Kind.SPECIAL_PROCESS)
    row.customer_approval = None
    if fixed:
        row.customer_approval = model.CustomerApprovalVerification.NOT_APPLICABLE
    return Case(w, ("Anodize type II",), row.id)


@scenario("FORM2_UNAPPROVED_SOURCE", BLOCKING)
def _a_special_process_comes_from_an_unapproved_source(fixed: bool) -> Case:
    w = a_ready_world()
    row = _form2_row(w, model.Form2Kind.SPECIAL_PROCESS)
    row.customer_approval = model.CustomerApprovalVerification.NO
    if fixed:
        row.customer_approval = model.CustomerApprovalVerification.YES
    return Case(w, ("Anodize type II", "Plating Co"), row.id)


@scenario("FORM2_TEST_INCOMPLETE", BLOCKING)
def _a_functional_test_has_no_acceptance_report(fixed: bool) -> Case:
    w = a_ready_world()
    row = _form2_row(w, model.Form2Kind.FUNCTIONAL_TEST)
    row.acceptance_report = None
    if fixed:
        row.acceptance_report = "AR-77"
    return Case(w, ("Leak test",), row.id)


@scenario("FORM1_FIELD_MISSING", BLOCKING)
def _an_assembly_has_no_index(fixed: bool) -> Case:
    w = a_ready_world()
    w.fai.fai_type = model.FaiType.ASSEMBLY
    if fixed:
        an_index_entry(w.fai, "MS24665-132", part_type=model.IndexPartType.STANDARD_CATALOGUE)
    # The finding names the Form 1 field; its record is the FAI itself.
    return Case(w, ("Form 1 field 15-18",), w.fai.id)


@scenario("INDEX_FAI_MISSING", BLOCKING)
def _an_index_detail_names_no_fair(fixed: bool) -> Case:
    w = a_ready_world()
    w.fai.fai_type = model.FaiType.ASSEMBLY
    entry = an_index_entry(w.fai, "P-200", fair_identifier=None)
    if fixed:
        entry.fair_identifier = "FAIR-0042"
        w.index_statuses["FAIR-0042"] = FaiStatus.APPROVED
    return Case(w, ("P-200", "detail"), entry.id)


@scenario("INDEX_FAI_NOT_APPROVED", BLOCKING)
def _an_index_sub_assembly_fai_is_only_submitted(fixed: bool) -> Case:
    w = a_ready_world()
    w.fai.fai_type = model.FaiType.ASSEMBLY
    entry = an_index_entry(w.fai, "P-300", part_type=model.IndexPartType.SUB_ASSEMBLY)
    w.index_statuses["FAIR-0042"] = FaiStatus.SUBMITTED
    if fixed:
        w.index_statuses["FAIR-0042"] = FaiStatus.APPROVED
    return Case(w, ("FAIR-0042", "P-300", "submitted"), entry.id)


@scenario("FORM2_CATEGORY_UNACCOUNTED", BLOCKING)
def _a_full_fai_lists_no_functional_test_and_nobody_says_none_applies(fixed: bool) -> Case:
    w = a_ready_world()
    w.fai.form2 = [r for r in w.fai.form2 if r.kind is not model.Form2Kind.FUNCTIONAL_TEST]
    if fixed:
        w.fai.state_none_applies(
            model.Form2Kind.FUNCTIONAL_TEST, "No functional test on this drawing.", "qe", at()
        )
    return Case(w, ("functional test", "none applies"), w.fai.id)


def _a_partial_fai(w: World) -> None:
    w.fai.scope = model.FaiScope.PARTIAL
    w.fai.baseline_part_number, w.fai.baseline_part_revision = "P-100", "0"


def _a_baseline_where_balloon_2_had_another_tolerance(w: World) -> model.PartRevision:
    """Rev 0 of the same drawing: balloon 1 as now, balloon 2 with a wider tolerance."""
    rev = model.PartRevision(part_id=w.released.part.id, revision="0")
    drawing = model.Drawing(rev.id, w.released.drawing.number, "0")
    rev.drawings.append(drawing)
    drawing.add_characteristic(a_characteristic("1", a_requirement("10.00")))
    drawing.add_characteristic(a_characteristic("2", a_requirement("20.00", "0.2", "-0.2")))
    return rev


@scenario("PARTIAL_BASELINE_UNKNOWN", BLOCKING)
def _a_partial_fai_names_a_baseline_nobody_knows(fixed: bool) -> Case:
    w = a_ready_world()
    _a_partial_fai(w)
    if fixed:
        w.baseline = _a_baseline_where_balloon_2_had_another_tolerance(w)
    return Case(w, ("P-100 rev 0",), w.fai.id)


@scenario("PARTIAL_CHANGE_NOT_COVERED", BLOCKING)
def _a_partial_fai_leaves_out_the_characteristic_whose_tolerance_changed(fixed: bool) -> Case:
    w = a_ready_world()
    _a_partial_fai(w)
    w.baseline = _a_baseline_where_balloon_2_had_another_tolerance(w)
    changed = w.released.characteristics[1]
    w.fai.form3 = [r for r in w.fai.form3 if r.characteristic_id != changed.id]
    w.fai.results = [r for r in w.fai.results if r.characteristic_id != changed.id]
    if fixed:
        w.fai.omit(
            changed, "Balloon 2 is machined on a later operation; see FAIR-0043.", "qe", at()
        )
    return Case(w, ("Balloon 2", "limits", "rev 0"), changed.id)


def _in_review_with_a_task(checklist: tuple[str, ...], fixed: bool) -> Case:
    w = a_ready_world()
    w.fai.status = FaiStatus.PENDING_INTERNAL_REVIEW
    task = a_review_task(w.fai, checklist=checklist)
    w.tasks.append(task)
    if fixed:
        answers = {key: ChecklistAnswer(Answer.YES) for key in checklist}
        task.complete("q.lead", {Role.QUALITY_ENGINEER}, answers, at(5))
    return Case(w, ("Quality check", "approve internally"), task.id)


@scenario("REVIEW_TASK_OPEN", BLOCKING)
def _a_required_review_task_is_open(fixed: bool) -> Case:
    return _in_review_with_a_task((), fixed)


@scenario("REVIEW_CHECKLIST_UNANSWERED", BLOCKING)
def _a_review_task_checklist_item_is_unanswered(fixed: bool) -> Case:
    case = _in_review_with_a_task(("drawing-revision",), fixed)
    return Case(case.world, ("drawing-revision", "Quality check"), case.record_id)


RULE_IDS = sorted(readiness.RULES)


# --- the table -----------------------------------------------------------------------------


def test_every_readiness_rule_has_a_scenario():
    """Each rule id in readiness.RULES is exercised below, and no scenario is orphaned."""
    assert set(SCENARIOS) == set(readiness.RULES)


def test_a_complete_fai_has_no_findings():
    """The starting world of every scenario is ready: no finding at all."""
    assert a_ready_world().findings() == []


@pytest.mark.parametrize("rule", RULE_IDS)
def test_a_rule_fires_with_its_severity_and_names_the_record(rule):
    """Broken one way, the FAI gets that rule's finding, at its severity, naming the record."""
    spec = SCENARIOS[rule]
    case = spec.build(False)
    matching = [f for f in case.world.findings() if f.rule == rule]
    assert matching, f"{rule} did not fire"
    finding = matching[0]
    assert finding.severity is spec.severity
    assert finding.blocking is (spec.severity is BLOCKING)
    for text in case.names:
        assert text in finding.message
    assert case.record_id in {ref.id for ref in finding.records}


@pytest.mark.parametrize("rule", RULE_IDS)
def test_the_same_setup_fixed_makes_the_rule_disappear(rule):
    """Fixing what broke it leaves the FAI with no finding of that rule, nor any other."""
    findings = SCENARIOS[rule].build(True).world.findings()
    assert rule not in {f.rule for f in findings}
    assert findings == []


# --- more about particular rules -----------------------------------------------------------


def test_a_revision_still_in_work_says_that_none_is_released():
    """When PLM has released no revision at all, the message says 'none'."""
    world = a_ready_world()
    world.released.revision.status = model.RevisionStatus.IN_WORK
    [finding] = [f for f in world.findings() if f.rule == "REV_NOT_RELEASED"]
    assert "released revision is none" in finding.message


def test_a_partial_fai_does_not_demand_characteristics_outside_its_scope():
    """A partial FAI lists only changed and affected characteristics."""
    released = a_released_part_with(3)
    work_order = a_work_order(released.revision.id)
    fai = an_fai(released, work_order, scope=model.FaiScope.PARTIAL, all_characteristics=False)
    fai.add_to_scope(released.characteristics[1])
    record(fai, released.characteristics[1], serial=work_order.serials[0])
    world = World(released, work_order, fai)
    assert "CHAR_NOT_ACCOUNTED" not in {f.rule for f in world.findings()}
    fai.scope = model.FaiScope.FULL
    missing = [f for f in world.findings() if f.rule == "CHAR_NOT_ACCOUNTED"]
    assert sorted(f.message.split()[1] for f in missing) == ["1", "3"]


def test_a_result_missing_without_serials_names_no_serial():
    """An FAI without serialized units needs one result per characteristic."""
    released = a_released_part_with(1)
    work_order = a_work_order(released.revision.id, serials=())
    world = World(released, work_order, an_fai(released, work_order))
    [finding] = [f for f in world.findings() if f.rule == "RESULT_MISSING"]
    assert finding.message == "Balloon 1 has no result."


def test_a_nonconforming_result_with_only_a_deviation_still_lacks_an_nc_number():
    """Form 3 field 11 takes an NC number; a deviation alone does not provide one."""
    world = a_ready_world()
    c1 = world.released.characteristics[0]
    record(world.fai, c1, "10.07", serial=world.serial("SN-001"), measured_at=at(10))
    an_nc(
        world.fai,
        c1,
        kind=model.NonconformanceKind.DEVIATION,
        status=NCS.CLOSED,
        disposition=model.Disposition.USE_AS_IS,
    )
    assert "RESULT_NONCONFORMING_WITHOUT_NC" in {f.rule for f in world.findings()}


@pytest.mark.parametrize(
    ("breaks", "field"),
    [
        ("units", "Form 1 field 3 (serial number)"),
        ("drawings", "Form 1 field 6 (drawing number)"),
        ("index", "Form 1 field 15-18"),
        ("form3", "Form 1 field 5 of Form 3"),
    ],
)
def test_each_missing_form_1_field_is_named(breaks, field):
    """Serials, drawings, an assembly's index and Form 3 content are each reported by field."""
    world = a_ready_world()
    if breaks == "units":
        world.fai.units = []
    elif breaks == "drawings":
        world.released.revision.drawings = []
    elif breaks == "index":
        world.fai.fai_type = model.FaiType.ASSEMBLY
    else:
        world.fai.form3 = []
    messages = [f.message for f in world.findings() if f.rule == "FORM1_FIELD_MISSING"]
    assert [m for m in messages if m.startswith(field)], messages


@pytest.mark.parametrize(
    "part_type",
    [
        model.IndexPartType.COTS,
        model.IndexPartType.STANDARD_CATALOGUE,
        model.IndexPartType.SOFTWARE,
    ],
)
def test_catalogue_cots_and_software_index_items_need_no_fai_of_their_own(part_type):
    """Only details and sub-assemblies in the index need their own approved FAIR."""
    world = a_ready_world()
    world.fai.fai_type = model.FaiType.ASSEMBLY
    an_index_entry(world.fai, "NAS1149", part_type=part_type, fair_identifier=None)
    assert world.findings() == []


def test_an_index_fai_unknown_to_the_context_is_reported_as_unknown():
    """A FAIR identifier with no known status is not approved, and the message says so."""
    world = a_ready_world()
    world.fai.fai_type = model.FaiType.ASSEMBLY
    an_index_entry(world.fai, "P-200", fair_identifier="FAIR-0999")
    [finding] = world.findings()
    assert finding.message == (
        "FAIR-0999 for index item P-200 rev A (detail) is unknown here, not approved."
    )


def test_a_wrong_revision_finding_spells_a_lettered_balloon_as_drawn():
    """Balloon 9B of another revision is reported as 'Balloon 9B', not 'Balloon 9b'."""
    world = a_ready_world()
    other = another_revision_of(world.released, "B", status=model.RevisionStatus.IN_WORK)
    foreign = other.drawing.add_characteristic(
        model.Characteristic("", "9B", model.CharacteristicType.NOTE, model.Requirement("Note 4"))
    )
    world.other_characteristics.append(foreign)
    world.fai.add_to_scope(foreign)
    [finding] = [f for f in world.findings() if f.rule == "CHAR_WRONG_REVISION"]
    assert "Balloon 9B" in finding.message


# --- ordering and the guard ----------------------------------------------------------------


def test_findings_list_blocking_ones_first_then_by_rule():
    """A warning comes after every blocking finding; rules are in id order within each."""
    world = a_ready_world()
    an_nc(world.fai, number="NC-1", status=NCS.DISPOSITIONED, disposition=model.Disposition.REWORK)
    an_nc(world.fai, number="NC-2")
    world.fai.form2[0].certificate_number = None
    findings = world.findings()
    assert [(f.rule, f.severity) for f in findings] == [
        ("FORM2_CERTIFICATE_MISSING", BLOCKING),
        ("NC_OPEN", BLOCKING),
        ("NC_DISPOSITIONED_NOT_CLOSED", WARNING),
    ]
    assert [f.rule for f in readiness.blocking(findings)] == [
        "FORM2_CERTIFICATE_MISSING",
        "NC_OPEN",
    ]


def test_readiness_is_the_same_for_the_same_records():
    """Evaluating twice gives equal findings: nothing is stored or drifts."""
    world = a_ready_world()
    world.fai.form3 = []
    world.fai.form2[1].customer_approval = None
    assert world.findings() == world.findings()


def test_a_warning_alone_does_not_stop_review():
    """Only blocking findings feed the lifecycle guard; a dispositioned NC does not block."""
    world = a_ready_world()
    an_nc(world.fai, number="NC-1", status=NCS.DISPOSITIONED, disposition=model.Disposition.REWORK)
    blocking = readiness.blocking(world.findings())
    world.fai.apply(FaiAction.REQUEST_REVIEW, actor="qe", at=at(1), blocking_findings=blocking)
    assert world.fai.status is FaiStatus.PENDING_INTERNAL_REVIEW


def test_a_partial_fai_covering_only_an_unchanged_characteristic_is_not_ready():
    """The case seen in the field: a partial FAI for a new revision that covers only the
    unchanged balloon 1 and not balloon 2, whose tolerance changed, is not ready."""
    w = a_ready_world()
    _a_partial_fai(w)
    w.baseline = _a_baseline_where_balloon_2_had_another_tolerance(w)
    changed = w.released.characteristics[1]
    w.fai.form3 = [r for r in w.fai.form3 if r.characteristic_id != changed.id]
    w.fai.results = [r for r in w.fai.results if r.characteristic_id != changed.id]
    assert [f.rule for f in readiness.blocking(w.findings())] == ["PARTIAL_CHANGE_NOT_COVERED"]


def test_an_added_characteristic_must_be_covered_too():
    """A characteristic the new revision adds is part of the delta like a redefined one."""
    w = a_ready_world()
    _a_partial_fai(w)
    w.baseline = _a_baseline_where_balloon_2_had_another_tolerance(w)
    added = w.released.add("3", a_requirement("30.00"))
    findings = [f for f in w.findings() if f.rule == "PARTIAL_CHANGE_NOT_COVERED"]
    assert [r.id for f in findings for r in f.records] == [added.id]
    assert "was added" in findings[0].message


def test_a_full_fai_with_nothing_on_form_2_is_not_ready():
    """The case seen in the field: nothing on Form 2 and no statement gives one finding per
    category; stating 'none applies' for each clears them."""
    w = a_ready_world()
    w.fai.form2 = []
    unaccounted = [f for f in w.findings() if f.rule == "FORM2_CATEGORY_UNACCOUNTED"]
    assert len(unaccounted) == 3
    for kind in model.Form2Kind:
        w.fai.state_none_applies(kind, "Bought-in finished part.", "qe", at())
    assert w.findings() == []


def test_none_applies_cannot_be_stated_beside_rows_of_its_kind():
    """A statement that contradicts Form 2 is refused, and rows cannot follow one either."""
    w = a_ready_world()
    with pytest.raises(ConflictError):
        w.fai.state_none_applies(model.Form2Kind.MATERIAL, "none", "qe", at())


def test_only_a_partial_fai_omits_characteristics():
    """A full FAI covers every characteristic: omitting one is refused."""
    w = a_ready_world()
    with pytest.raises(ValidationError):
        w.fai.omit(w.released.characteristics[0], "not needed", "qe", at())


def test_putting_an_omitted_characteristic_on_form_3_takes_the_omission_back():
    """Form 3 and the omission list never both hold a characteristic."""
    w = a_ready_world()
    _a_partial_fai(w)
    changed = w.released.characteristics[1]
    w.fai.form3 = [r for r in w.fai.form3 if r.characteristic_id != changed.id]
    w.fai.omit(changed, "later operation", "qe", at())
    w.fai.add_to_scope(changed)
    assert w.fai.omissions == []


@scenario("RESULT_VERDICT_DISAGREES", BLOCKING)
def _the_files_verdict_differs_from_the_computed_one(fixed: bool) -> Case:
    """The file says FAIL for 10.01 against 10.00 ±0.05 (conforming); resolved with a reason."""
    w = a_ready_world()
    c1 = w.released.characteristics[0]
    result = record(w.fai, c1, "10.01", serial=w.serial("SN-001"), measured_at=at(10))
    result.stated_status = "FAIL"
    if fixed:
        w.fai.resolve_verdict_disagreement(
            result.id, "CMM program used the old tolerance", INSPECTOR, at(15)
        )
    return Case(w, ("Balloon 1", "says FAIL", "conforming", "10.00 ±0.05 mm"), c1.id)
