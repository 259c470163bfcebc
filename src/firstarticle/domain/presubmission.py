"""The pre-submission check: readiness plus the paperwork rules a customer's inspector applies.

Most customer rejections are paperwork: an unsigned field, a signature given on other content,
a material listed on Form 1 instead of Form 2. These rules add to :mod:`readiness`; together
they decide whether a package may go to the customer (a draft may always be built).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from firstarticle.domain import model
from firstarticle.domain.readiness import Finding, RecordRef, Severity
from firstarticle.domain.triggers import ReFaiTrigger

RULES: Mapping[str, str] = {
    "SIGNATURE_MISSING": "Fields 20 and 22 carry a valid signature.",
    "SIGNATURE_STALE": "Fields 20 and 22 were signed on the FAI's current content.",
    "FORM2_ITEM_ON_FORM1": "Materials and special processes are on Form 2, not in the Form 1 "
    "index.",
    "FIELD14_REASON_MISSING": "Field 14 states why the FAI was done.",
    "FIELD14_TRIGGER_NOT_NAMED": "An FAI opened by a re-FAI trigger names that trigger in "
    "field 14.",
    "FIELD14_BASELINE_MISSING": "A partial FAI names its baseline (part number and revision) "
    "in field 14.",
    "FIELD14_PARTIAL_WITHOUT_TRIGGER": "A partial FAI says which change it covers.",
}

SIGNED_FIELDS = {"20/21": "Field 20 (FAIR verified by)", "22/23": "Field 22 (reviewed/approved)"}


def paperwork_findings(
    fai: model.FirstArticle, signatures: Iterable[tuple[str | None, bool, bool]]
) -> list[Finding]:
    """Findings on signatures and on where items are listed.

    ``signatures`` gives, per signature of the FAI, its Form 1 fields ("20/21"), whether it
    stands (not invalidated) and whether it was given on the current content hash.
    """
    out: list[Finding] = []
    given: dict[str, tuple[bool, bool]] = {}
    for fields, standing, current in signatures:
        if fields in SIGNED_FIELDS and standing:
            previous = given.get(fields, (False, False))
            given[fields] = (True, previous[1] or current)
    for fields, label in SIGNED_FIELDS.items():
        state = given.get(fields)
        if state is None:
            out.append(Finding("SIGNATURE_MISSING", Severity.BLOCKING, f"{label} is not signed."))
        elif not state[1]:
            out.append(
                Finding(
                    "SIGNATURE_STALE",
                    Severity.BLOCKING,
                    f"{label} was signed on other content; the FAI changed since.",
                )
            )
    form2_names = {_key(r.name) for r in fai.form2} | {
        _key(r.specification) for r in fai.form2 if r.specification
    }
    for entry in fai.index:
        if _key(entry.part_number) in form2_names or _key(entry.part_name) in form2_names:
            out.append(
                Finding(
                    "FORM2_ITEM_ON_FORM1",
                    Severity.BLOCKING,
                    f"{entry.part_number} is a Form 2 material or process; remove it from "
                    "the Form 1 index.",
                    (RecordRef("index_entry", entry.id, entry.part_number),),
                )
            )
    return out + field14_findings(fai)


def field14_findings(fai: model.FirstArticle) -> list[Finding]:
    """Form 1 field 14 as a customer's inspector reads it: a reason, consistent with what
    opened the FAI. A re-FAI trigger must be named (its words, e.g. "Design change"); a
    partial FAI names its baseline, and one without a recorded trigger is flagged so that a
    person states the change it covers."""
    out: list[Finding] = []
    reason = " ".join((fai.reason or "").split())
    if not reason:
        out.append(
            Finding("FIELD14_REASON_MISSING", Severity.BLOCKING, "Field 14 gives no reason.")
        )
    if fai.refai_trigger is not None:
        trigger = ReFaiTrigger(fai.refai_trigger)
        if trigger.label.lower() not in reason.lower():
            out.append(
                Finding(
                    "FIELD14_TRIGGER_NOT_NAMED",
                    Severity.BLOCKING,
                    f"This FAI was opened by a re-FAI evaluation ({trigger.label.lower()}); "
                    f'field 14 must say so: "{trigger.label}: ...".',
                )
            )
    if fai.scope is model.FaiScope.PARTIAL:
        if not (fai.baseline_part_number and fai.baseline_part_revision):
            out.append(
                Finding(
                    "FIELD14_BASELINE_MISSING",
                    Severity.BLOCKING,
                    "A partial FAI names the part number and revision of its baseline.",
                )
            )
        if fai.refai_trigger is None:
            out.append(
                Finding(
                    "FIELD14_PARTIAL_WITHOUT_TRIGGER",
                    Severity.WARNING,
                    "No re-FAI evaluation opened this partial FAI: check that field 14 "
                    "names the change it covers.",
                )
            )
    return out


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def presubmission(readiness: Sequence[Finding], paperwork: Sequence[Finding]) -> list[Finding]:
    """Every finding, blocking first, each rule once per message."""
    seen: set[tuple[str, str]] = set()
    out = []
    for finding in [*readiness, *paperwork]:
        if (finding.rule, finding.message) not in seen:
            seen.add((finding.rule, finding.message))
            out.append(finding)
    return sorted(out, key=lambda f: (not f.blocking, f.rule))
