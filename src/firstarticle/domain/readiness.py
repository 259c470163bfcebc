"""Readiness of an FAI: a list of findings computed from the records, never a stored flag.

Each rule has a stable id. An FAI with no blocking finding is ready.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from firstarticle.domain import coverage, model, review_readiness
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.domain.readiness_types import Finding, RecordRef, Severity
from firstarticle.domain.requirement_text import shown_value
from firstarticle.domain.tasks import Task
from firstarticle.domain.values import Conformance, Requirement

__all__ = [
    "RULES",
    "CharacteristicFacts",
    "Finding",
    "ReadinessContext",
    "RecordRef",
    "Severity",
    "blocking",
    "characteristic_facts",
    "evaluate",
]


@dataclass(frozen=True)
class ReadinessContext:
    """What readiness needs beyond the FAI aggregate itself."""

    part: model.Part
    revision: model.PartRevision
    work_order: model.WorkOrder
    characteristics: Mapping[str, model.Characteristic]
    # FAIR identifier -> status of the FAIs named in an assembly's index.
    index_statuses: Mapping[str, FaiStatus] = field(default_factory=dict)
    # A partial FAI's baseline revision (None: not known), and drawing id -> number for the
    # revision diff.
    baseline: model.PartRevision | None = None
    drawing_numbers: Mapping[str, str] = field(default_factory=dict)
    # The FAI's review tasks (a list, so a commit's new tasks join it).
    tasks: list[Task] = field(default_factory=list)


RULES: Mapping[str, str] = {
    "REV_NOT_RELEASED": "The FAI's part revision is the released revision.",
    "REV_WORK_ORDER_MISMATCH": "The work order builds the FAI's part revision.",
    "CHAR_NOT_ACCOUNTED": "Every characteristic of the drawing revision is on Form 3.",
    "CHAR_WRONG_REVISION": "Form 3 and results only name characteristics of the FAI's revision.",
    "RESULT_MISSING": (
        "Every characteristic has a result for each serial in scope (basic and reference "
        "dimensions need none)."
    ),
    "RESULT_ATTRIBUTE_ON_VARIABLE": "Toleranced requirements have variables data.",
    "RESULT_NONCONFORMING_WITHOUT_NC": "Every nonconforming result carries an NC number.",
    "RESULT_VERDICT_DISAGREES": (
        "Where a results file's PASS / FAIL differs from the computed conformance, a person "
        "has resolved it with a reason."
    ),
    "RESULT_MANUAL_UNVERIFIED": "Manually entered results are verified by a second person.",
    "NC_OPEN": "No linked NC, deviation, concession or rework is open without disposition.",
    "NC_DISPOSITIONED_NOT_CLOSED": "Dispositioned NCs are closed before customer submission.",
    "FORM2_CERTIFICATE_MISSING": "Material and special process rows carry a certificate number.",
    "FORM2_APPROVAL_MISSING": "Material and special process rows state customer approval.",
    "FORM2_UNAPPROVED_SOURCE": "No material or process comes from an unapproved source.",
    "FORM2_TEST_INCOMPLETE": "Functional tests name their procedure and acceptance report.",
    "FORM1_FIELD_MISSING": "Required and conditionally required Form 1 fields are filled.",
    "INDEX_FAI_MISSING": "Every detail and sub-assembly in the index names its FAIR.",
    "INDEX_FAI_NOT_APPROVED": "Every FAI named in the index is approved.",
    **coverage.RULES,
    **review_readiness.RULES,
}


def _ref(c: model.Characteristic) -> RecordRef:
    return RecordRef("characteristic", c.id, f"balloon {c.balloon}")


def evaluate(
    fai: model.FirstArticle, ctx: ReadinessContext, facts: CharacteristicFacts | None = None
) -> list[Finding]:
    """All findings for ``fai``, blocking first; deterministic for the same records.

    Without ``facts`` the characteristic rules read the loaded aggregate (its Form 3 and
    results); with them (the database's), they read only those.
    """
    facts = facts if facts is not None else characteristic_facts(fai, ctx)
    findings: list[Finding] = []
    findings += _revision_rules(fai, ctx)
    findings += _characteristic_rules(fai, ctx, facts)
    findings += _nonconformance_rules(fai)
    findings += _form2_rules(fai)
    findings += coverage.form2_findings(fai)
    findings += coverage.partial_findings(fai, ctx.revision, ctx.baseline, ctx.drawing_numbers)
    findings += _form1_rules(fai, ctx, facts.has_form3)
    findings += [
        Finding(b.rule, Severity.BLOCKING, b.message, (RecordRef("task", b.task_id, b.task_label),))
        for b in review_readiness.review_blockers(fai.status, ctx.tasks)
    ]
    return sorted(findings, key=lambda f: (not f.blocking, f.rule))


def blocking(findings: list[Finding]) -> list[Finding]:
    """The findings that stop the FAI."""
    return [f for f in findings if f.blocking]


def _revision_rules(fai: model.FirstArticle, ctx: ReadinessContext) -> list[Finding]:
    out = []
    released = ctx.part.released_revision
    if released is None or released.id != ctx.revision.id:
        out.append(
            Finding(
                "REV_NOT_RELEASED",
                Severity.BLOCKING,
                f"The FAI is for {ctx.part.number} rev {ctx.revision.revision}, but the released "
                f"revision is {released.revision if released else 'none'}.",
                (RecordRef("part_revision", ctx.revision.id, ctx.revision.revision),),
            )
        )
    if ctx.work_order.part_revision_id != fai.part_revision_id:
        out.append(
            Finding(
                "REV_WORK_ORDER_MISMATCH",
                Severity.BLOCKING,
                f"Work order {ctx.work_order.number} builds another revision than the FAI's "
                f"rev {ctx.revision.revision}.",
                (RecordRef("work_order", ctx.work_order.id, ctx.work_order.number),),
            )
        )
    return out


@dataclass(frozen=True)
class CharacteristicFacts:
    """What the characteristic rules read, gathered in memory (:func:`characteristic_facts`)
    or by the database (only the characteristics that can have a finding).

    ``checked`` lists, in Form 3 order, Form 3 characteristics of the revision with every
    result the FAI holds for them; a characteristic left out must have no finding.
    ``foreign`` maps ids on Form 3 or in results that are not the revision's to a label.
    """

    has_form3: bool
    not_accounted: list[model.Characteristic]
    foreign: dict[str, str]
    checked: list[tuple[model.Characteristic, list[model.InspectionResult]]]


def characteristic_facts(fai: model.FirstArticle, ctx: ReadinessContext) -> CharacteristicFacts:
    """The facts from the loaded aggregate: every Form 3 characteristic is checked."""
    in_revision = {c.id: c for c in ctx.revision.characteristics}
    on_form3 = {row.characteristic_id for row in fai.form3}
    not_accounted = []
    if fai.scope is model.FaiScope.FULL:
        not_accounted = [c for c in in_revision.values() if c.id not in on_form3]
    foreign = {}
    for char_id in (on_form3 | {r.characteristic_id for r in fai.results}) - in_revision.keys():
        known = ctx.characteristics.get(char_id)
        foreign[char_id] = f"balloon {known.balloon}" if known else char_id
    by_characteristic: dict[str, list[model.InspectionResult]] = {}
    for result in fai.results:
        by_characteristic.setdefault(result.characteristic_id, []).append(result)
    checked = [
        (in_revision[row.characteristic_id], by_characteristic.get(row.characteristic_id, []))
        for row in fai.form3
        if row.characteristic_id in in_revision
    ]
    return CharacteristicFacts(bool(fai.form3), not_accounted, foreign, checked)


def _characteristic_rules(
    fai: model.FirstArticle, ctx: ReadinessContext, facts: CharacteristicFacts
) -> list[Finding]:
    out: list[Finding] = [
        Finding(
            "CHAR_NOT_ACCOUNTED",
            Severity.BLOCKING,
            f"Balloon {c.balloon} ({c.requirement.text}) is not on Form 3.",
            (_ref(c),),
        )
        for c in facts.not_accounted
    ]
    for char_id in sorted(facts.foreign):
        label = facts.foreign[char_id]
        out.append(
            Finding(
                "CHAR_WRONG_REVISION",
                Severity.BLOCKING,
                f"{label[:1].upper() + label[1:]} does not belong to rev {ctx.revision.revision}.",
                (RecordRef("characteristic", char_id, label),),
            )
        )
    serials: list[str | None] = [u.serial_id for u in fai.units] or [None]
    serial_numbers = {u.serial_id: u.serial_number for u in fai.units}
    for c, results in facts.checked:
        # The result that counts per serial: the latest measured (FirstArticle.latest_results).
        latest: dict[str | None, model.InspectionResult] = {}
        for result in sorted(results, key=lambda r: (r.measured_at, r.recorded_at)):
            latest[result.serial_id] = result
        for serial_id in serials:
            where = f" for serial {serial_numbers[serial_id]}" if serial_id else ""
            out += _result_findings(fai, c, latest.get(serial_id), where)
    return out


def _result_findings(
    fai: model.FirstArticle,
    c: model.Characteristic,
    result: model.InspectionResult | None,
    where: str,
) -> list[Finding]:
    """What is wrong with the result that counts for one characteristic and serial."""
    if result is None and not c.is_inspected:
        return []  # a basic or reference dimension needs no result
    if result is None:
        return [
            Finding(
                "RESULT_MISSING",
                Severity.BLOCKING,
                f"Balloon {c.balloon} has no result{where}.",
                (_ref(c),),
            )
        ]
    out: list[Finding] = []
    refs = (_ref(c), RecordRef("inspection_result", result.id, f"balloon {c.balloon}"))
    if c.requirement.is_numeric and not result.is_variables_data:
        out.append(
            Finding(
                "RESULT_ATTRIBUTE_ON_VARIABLE",
                Severity.BLOCKING,
                f"Balloon {c.balloon} is toleranced ({c.requirement.text}) but its "
                f"result{where} is an attribute verdict; record the measured value.",
                refs,
            )
        )
    if result.conformance(c.requirement) is Conformance.NONCONFORMING and not fai.nc_numbers_for(
        c.id
    ):
        out.append(
            Finding(
                "RESULT_NONCONFORMING_WITHOUT_NC",
                Severity.BLOCKING,
                f"Balloon {c.balloon} is nonconforming{where} "
                f"({_shown(result, c.requirement)} against {c.requirement.text}) and "
                "has no NC number.",
                refs,
            )
        )
    if result.verdict_disagrees(c.requirement):
        computed = result.conformance(c.requirement).value
        out.append(
            Finding(
                "RESULT_VERDICT_DISAGREES",
                Severity.BLOCKING,
                f"Balloon {c.balloon}{where}: the results file says "
                f"{result.stated_status}, the computed result is {computed} "
                f"({_shown(result, c.requirement)} against {c.requirement.text}); "
                "a person resolves the disagreement with a reason.",
                refs,
            )
        )
    if result.needs_verification:
        out.append(
            Finding(
                "RESULT_MANUAL_UNVERIFIED",
                Severity.BLOCKING,
                f"The manually entered result of balloon {c.balloon}{where} is not "
                "verified by a second person.",
                refs,
            )
        )
    return out


def _shown(result: model.InspectionResult, requirement: Requirement) -> str:
    """The result as Form 3 shows it (at the drawing's precision)."""
    if result.value is not None:
        return f"{shown_value(result.value, result.units, requirement)} {result.units}"
    return str(result.attribute)


def _nonconformance_rules(fai: model.FirstArticle) -> list[Finding]:
    out = []
    for nc in fai.nonconformances:
        ref = (RecordRef("nonconformance", nc.id, nc.number),)
        if nc.status is model.NonconformanceStatus.OPEN:
            out.append(
                Finding(
                    "NC_OPEN",
                    Severity.BLOCKING,
                    f"{nc.kind.value.capitalize()} {nc.number} is open without disposition.",
                    ref,
                )
            )
        elif nc.status is model.NonconformanceStatus.DISPOSITIONED:
            out.append(
                Finding(
                    "NC_DISPOSITIONED_NOT_CLOSED",
                    Severity.WARNING,
                    f"{nc.kind.value.capitalize()} {nc.number} is dispositioned "
                    f"({nc.disposition}) but not closed in the QMS.",
                    ref,
                )
            )
    return out


def _form2_rules(fai: model.FirstArticle) -> list[Finding]:
    out = []
    for row in fai.form2:
        ref = (RecordRef("form2_row", row.id, row.name),)
        if row.kind in {model.Form2Kind.MATERIAL, model.Form2Kind.SPECIAL_PROCESS}:
            if not row.certificate_number:
                out.append(
                    Finding(
                        "FORM2_CERTIFICATE_MISSING",
                        Severity.BLOCKING,
                        f"Form 2 row '{row.name}' has no certificate of conformance number.",
                        ref,
                    )
                )
            if row.customer_approval is None:
                out.append(
                    Finding(
                        "FORM2_APPROVAL_MISSING",
                        Severity.BLOCKING,
                        f"Form 2 row '{row.name}' does not state customer approval "
                        "verification (yes, no or NA).",
                        ref,
                    )
                )
            elif row.customer_approval is model.CustomerApprovalVerification.NO:
                out.append(
                    Finding(
                        "FORM2_UNAPPROVED_SOURCE",
                        Severity.BLOCKING,
                        f"Form 2 row '{row.name}' comes from a source the customer "
                        f"has not approved ({row.supplier or 'supplier unknown'}).",
                        ref,
                    )
                )
        elif not (row.functional_test_procedure and row.acceptance_report):
            out.append(
                Finding(
                    "FORM2_TEST_INCOMPLETE",
                    Severity.BLOCKING,
                    f"Functional test '{row.name}' needs its procedure number and "
                    "acceptance report number.",
                    ref,
                )
            )
    return out


def _form1_rules(fai: model.FirstArticle, ctx: ReadinessContext, has_form3: bool) -> list[Finding]:
    out = []
    fai_ref = (RecordRef("first_article", fai.id, fai.fair_identifier),)

    def missing(field_no: str, what: str) -> None:
        out.append(
            Finding(
                "FORM1_FIELD_MISSING",
                Severity.BLOCKING,
                f"Form 1 field {field_no} ({what}) is empty.",
                fai_ref,
            )
        )

    if ctx.work_order.serials and not fai.units:
        missing("3", "serial number")
    if not ctx.revision.drawings:
        missing("6", "drawing number")
    if fai.fai_type is model.FaiType.ASSEMBLY and not fai.index:
        missing("15-18", "index of the assembly's parts")
    if not has_form3:
        missing("5 of Form 3", "characteristics")
    for entry in fai.index:
        ref = (RecordRef("index_entry", entry.id, entry.names),)
        if not entry.part_type.needs_own_fai:
            continue
        item = f"{entry.names} ({entry.part_type.value.replace('_', '-')})"
        if not entry.fair_identifier:
            out.append(
                Finding(
                    "INDEX_FAI_MISSING",
                    Severity.BLOCKING,
                    f"Index item {item} names no FAIR: it needs its own approved FAI "
                    "before the assembly's.",
                    ref,
                )
            )
            continue
        status = ctx.index_statuses.get(entry.fair_identifier)
        if status is not FaiStatus.APPROVED:
            out.append(
                Finding(
                    "INDEX_FAI_NOT_APPROVED",
                    Severity.BLOCKING,
                    f"{entry.fair_identifier} for index item {item} is "
                    f"{status.label.lower() if status else 'unknown here'}, "
                    "not approved.",
                    ref,
                )
            )
    return out
