"""Readiness rules on what an FAI must account for: Form 2 categories and a partial FAI's delta.

A full FAI accounts for every Form 2 category (material, special process, functional test)
with rows or with a statement that none applies; a partial FAI covers every characteristic
the revision diff from its baseline marks added or redefined, or says why it leaves one out.
"""

from __future__ import annotations

from collections.abc import Mapping

from firstarticle.domain import model
from firstarticle.domain.characteristic_diff import CharacteristicSnapshot, diff_characteristics
from firstarticle.domain.readiness_types import Finding, RecordRef, Severity

RULES: Mapping[str, str] = {
    "FORM2_CATEGORY_UNACCOUNTED": (
        "A full FAI lists materials, special processes and functional tests on Form 2, or "
        "states per category that none applies."
    ),
    "PARTIAL_BASELINE_UNKNOWN": "A partial FAI names a baseline revision that exists.",
    "PARTIAL_CHANGE_NOT_COVERED": (
        "A partial FAI covers every characteristic the revision diff marks added or changed, "
        "or records why it leaves one out."
    ),
}


def form2_findings(fai: model.FirstArticle) -> list[Finding]:
    """FORM2_CATEGORY_UNACCOUNTED for each empty category of a full FAI without a statement."""
    if fai.scope is not model.FaiScope.FULL:
        return []
    listed = {row.kind for row in fai.form2} | {st.kind for st in fai.form2_statements}
    ref = (RecordRef("first_article", fai.id, fai.fair_identifier),)
    return [
        Finding(
            "FORM2_CATEGORY_UNACCOUNTED",
            Severity.BLOCKING,
            f"Form 2 lists no {kind.value.replace('_', ' ')} and nobody has stated that none "
            "applies.",
            ref,
        )
        for kind in model.Form2Kind
        if kind not in listed
    ]


def partial_findings(
    fai: model.FirstArticle,
    revision: model.PartRevision,
    baseline: model.PartRevision | None,
    drawing_numbers: Mapping[str, str],
) -> list[Finding]:
    """The partial-FAI rules: a known baseline, and every added or redefined characteristic
    on Form 3 or omitted with a reason."""
    if fai.scope is not model.FaiScope.PARTIAL:
        return []
    fai_ref = (RecordRef("first_article", fai.id, fai.fair_identifier),)
    if baseline is None:
        return [
            Finding(
                "PARTIAL_BASELINE_UNKNOWN",
                Severity.BLOCKING,
                f"The baseline {fai.baseline_part_number} rev {fai.baseline_part_revision} "
                "is not known, so the characteristics to re-inspect cannot be established.",
                fai_ref,
            )
        ]
    accounted = {row.characteristic_id for row in fai.form3} | {
        o.characteristic_id for o in fai.omissions
    }
    return [
        Finding(
            "PARTIAL_CHANGE_NOT_COVERED",
            Severity.BLOCKING,
            f"Balloon {snapshot.balloon} was {how} since rev {baseline.revision}; put it on "
            "Form 3 or record why it is left out.",
            (
                RecordRef(
                    "characteristic", snapshot.characteristic_id, f"balloon {snapshot.balloon}"
                ),
            ),
        )
        for snapshot, how in partial_delta(baseline, revision, drawing_numbers)
        if snapshot.characteristic_id not in accounted
    ]


def partial_delta(
    baseline: model.PartRevision,
    revision: model.PartRevision,
    drawing_numbers: Mapping[str, str],
) -> list[tuple[CharacteristicSnapshot, str]]:
    """The characteristics of ``revision`` a partial FAI from ``baseline`` must cover: added,
    and redefined (requirement, limits, type or designator), each with how it changed."""
    diff = diff_characteristics(baseline.characteristics, revision.characteristics, drawing_numbers)
    return [(s, "added") for s in diff.added] + [
        (c.after, "changed in " + ", ".join(f.value for f in c.fields))
        for c in diff.changed
        if c.affects_design
    ]
