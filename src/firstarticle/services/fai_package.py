"""The FAI package content: Form 1 fields, the index, Form 2 rows, Form 3 scope and rows,
serials and evidence. Each change is refused once the package can no longer change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from firstarticle.domain import model
from firstarticle.domain.access import Permission
from firstarticle.domain.classification import ExportClassification
from firstarticle.domain.errors import ConflictError, ValidationError
from firstarticle.domain.lifecycle import FaiStatus
from firstarticle.ports import UnitOfWork
from firstarticle.services import (
    ServiceContext,
    allowed,
    found,
)
from firstarticle.services.fai_record import (
    FirstArticleDetail,
    characteristic_of,
    commit_change,
    detail_of,
    load_fai,
)

# --- package content ----------------------------------------------------------------------

UPDATABLE_FIELDS = frozenset(
    {
        "reason",
        "additional_changes",
        "supplier_code",
        "purchase_order",
        "comments",
        "baseline_part_number",
        "baseline_part_revision",
        "baseline_fair_identifier",
    }
)


def update_first_article(
    ctx: ServiceContext, fai_id: str, changes: dict[str, Any], expected_version: int | None = None
) -> FirstArticleDetail:
    """Change Form 1 header fields; status, signatures and derived fields are not among them."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError(
            f"These fields cannot be changed here: {', '.join(sorted(unknown))}.",
            field=sorted(unknown)[0],
        )
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.FAI_EDIT)
        fai = loaded.fai
        if expected_version is not None and expected_version != fai.version:
            raise ConflictError(
                "The FAI was changed since you read it; reload and try again.",
                expected_version=expected_version,
                version=fai.version,
            )
        fai.ensure_editable()
        diff = {k: (getattr(fai, k), v) for k, v in changes.items() if getattr(fai, k) != v}
        if "reason" in changes:
            model.require_text(changes["reason"], "reason")
        if fai.scope is model.FaiScope.PARTIAL:
            for name in ("baseline_part_number", "baseline_part_revision"):
                if name in changes:
                    model.require_text(changes[name], name)
        if not diff:
            return detail_of(loaded)  # nothing changes, so nothing is written or audited
        for name, (_old, new) in diff.items():
            setattr(fai, name, new)
        return commit_change(uow, ctx, loaded, "fai.updated", diff)


def add_index_entry(
    ctx: ServiceContext,
    fai_id: str,
    *,
    part_number: str,
    part_name: str,
    part_type: model.IndexPartType,
    revision: str | None = None,
    fair_identifier: str | None = None,
) -> FirstArticleDetail:
    """Add a bill-of-materials item to an assembly FAI's index (Form 1 fields 15-18)."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.FAI_EDIT)
        fai = loaded.fai
        fai.ensure_editable()
        if fai.fai_type is not model.FaiType.ASSEMBLY:
            raise ValidationError("Only an assembly FAI has an index.", field="part_type")
        entry = model.IndexEntry(
            fai.site_id,
            fai.id,
            model.require_text(part_number, "part_number"),
            model.require_text(part_name, "part_name"),
            part_type,
            revision,
            fair_identifier,
        )
        fai.index.append(entry)
        return commit_change(
            uow,
            ctx,
            loaded,
            "fai.index_entry_added",
            {"index_entry": (None, f"{entry.part_number} {entry.part_type.value}")},
        )


def component_fairs(
    uow: UnitOfWork, site_id: str, lines: Iterable[model.BomLine]
) -> dict[str, str | None]:
    """Per find number of a detail or sub-assembly, the FAIR of its component's FAI at
    ``site_id``: the newest approved one, else the newest live one (neither cancelled nor
    superseded), else None (no FAI yet, or the component is not a part known here)."""
    fairs: dict[str, str | None] = {}
    for line in lines:
        if not line.part_type.needs_own_fai or line.revision is None:
            continue
        revision = uow.parts.revision_by_number(line.part_number, line.revision)
        live = uow.first_articles.covering(site_id, revision.id, None) if revision else []
        approved = [f for f in live if f.status is FaiStatus.APPROVED]
        newest = (approved or live)[-1] if live else None  # covering lists oldest first
        fairs[line.find_number] = newest.fair_identifier if newest else None
    return fairs


def index_from_bom(
    uow: UnitOfWork, fai: model.FirstArticle, revision: model.PartRevision
) -> dict[str, tuple[Any, Any]]:
    """Build ``fai``'s index from its revision's BOM, FAIRs resolved now (see
    :meth:`model.FirstArticle.index_from_bom`); the index before and after, for the audit."""
    before = index_lines(fai.index)
    fai.index_from_bom(
        revision.bill_of_materials,
        component_fairs(uow, fai.site_id, revision.bill_of_materials),
    )
    return {"index": (before, index_lines(fai.index))}


def index_lines(entries: Iterable[model.IndexEntry]) -> list[str]:
    """The index as the audit trail shows it: item, type, FAIR and origin."""
    return [
        f"{e.names} ({e.part_type.value}) {e.fair_identifier or '-'} [{e.origin.value}]"
        for e in entries
    ]


def rebuild_index_from_bom(ctx: ServiceContext, fai_id: str) -> FirstArticleDetail:
    """Rebuild an editable assembly FAI's index from its revision's current BOM, each
    detail's and sub-assembly's FAIR resolved now; entries keyed in by hand for parts the
    BOM does not list are kept. NoBillOfMaterialsError when the revision has no BOM."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.FAI_EDIT)
        fai, revision = loaded.fai, loaded.context.revision
        fai.ensure_editable()
        if not revision.bill_of_materials:
            raise model.NoBillOfMaterialsError(
                f"Rev {revision.revision} of {loaded.context.part.number} has no bill of "
                "materials from PLM to build the index from.",
                part_revision_id=revision.id,
            )
        changes = index_from_bom(uow, fai, revision)
        # Readiness reads the statuses of the FAIRs the index now names.
        loaded.context = dataclasses.replace(
            loaded.context,
            index_statuses=uow.first_articles.statuses(
                [e.fair_identifier for e in fai.index if e.fair_identifier]
            ),
        )
        return commit_change(uow, ctx, loaded, "fai.index_built_from_bom", changes)


def add_form2_row(
    ctx: ServiceContext, fai_id: str, *, kind: model.Form2Kind, name: str, **fields: Any
) -> FirstArticleDetail:
    """Account for a material, special process or functional test on Form 2."""
    allowed = {
        "specification",
        "code",
        "supplier",
        "customer_approval",
        "certificate_number",
        "functional_test_procedure",
        "acceptance_report",
        "comments",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(
            f"Unknown Form 2 fields: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0]
        )
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.FAI_EDIT)
        fai = loaded.fai
        fai.ensure_editable()
        if any(st.kind is kind for st in fai.form2_statements):
            raise ConflictError(
                f"Someone stated that no {kind.value.replace('_', ' ')} applies; withdraw the "
                "statement before listing one.",
                kind=kind.value,
            )
        row = model.Form2Row(fai.site_id, fai.id, kind, model.require_text(name, "name"), **fields)
        fai.form2.append(row)
        return commit_change(
            uow,
            ctx,
            loaded,
            "fai.form2_row_added",
            {
                "form2_row": (
                    None,
                    {
                        "kind": kind.value,
                        "name": row.name,
                        **{k: str(v) for k, v in fields.items() if v is not None},
                    },
                )
            },
        )


def update_form3_row(
    ctx: ServiceContext,
    fai_id: str,
    balloon: str,
    *,
    tooling: str | None = None,
    comments: str | None = None,
) -> FirstArticleDetail:
    """Set the designed/qualified tooling and comments of a Form 3 line."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.FAI_EDIT)
        fai = loaded.fai
        fai.ensure_editable()
        characteristic = characteristic_of(loaded, balloon)
        row = next((r for r in fai.form3 if r.characteristic_id == characteristic.id), None)
        row = found(row, "Form 3 line", f"balloon {balloon}")
        diff: dict[str, tuple[str | None, str]] = {}
        if tooling is not None and tooling != row.tooling:
            diff["tooling"], row.tooling = (row.tooling, tooling), tooling
        if comments is not None and comments != row.comments:
            diff["comments"], row.comments = (row.comments, comments), comments
        if not diff:
            return detail_of(loaded)  # nothing changes, so nothing is written or audited
        return commit_change(
            uow,
            ctx,
            loaded,
            "fai.form3_row_updated",
            {f"{balloon}.{k}": v for k, v in diff.items()},
        )


def add_to_scope(ctx: ServiceContext, fai_id: str, balloons: Sequence[str]) -> FirstArticleDetail:
    """Add characteristics to a partial FAI's Form 3."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.FAI_EDIT)
        added = [loaded.fai.add_to_scope(characteristic_of(loaded, b)) for b in balloons]
        return commit_change(
            uow,
            ctx,
            loaded,
            "fai.scope_extended",
            {
                "balloons": (
                    None,
                    [loaded.context.characteristics[r.characteristic_id].balloon for r in added],
                )
            },
        )


def add_units(
    ctx: ServiceContext, fai_id: str, serial_numbers: Sequence[str]
) -> FirstArticleDetail:
    """Put more serials of the work order in the FAI's scope."""
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.FAI_EDIT)
        wo = loaded.context.work_order
        for number in serial_numbers:
            serial = next((s for s in wo.serials if s.number == number), None)
            loaded.fai.add_unit(found(serial, "Serial", f"{number} on {wo.number}"))
        return commit_change(
            uow, ctx, loaded, "fai.units_added", {"serials": (None, list(serial_numbers))}
        )


def add_evidence(
    ctx: ServiceContext,
    fai_id: str,
    *,
    kind: model.EvidenceKind,
    uri: str,
    sha256: str,
    title: str,
    export_classification: ExportClassification | None = None,
) -> FirstArticleDetail:
    """Link evidence kept elsewhere by URI and content hash; it is restricted until
    classified."""
    if export_classification is not None:
        allowed(ctx, Permission.PART_CLASSIFY)
    with ctx.uow_factory() as uow:
        loaded = load_fai(uow, ctx, fai_id, Permission.FAI_EDIT)
        fai = loaded.fai
        evidence = model.EvidenceLink(
            fai.site_id,
            fai.id,
            kind,
            uri,
            sha256,
            model.require_text(title, "title"),
            ctx.actor,
            ctx.clock.now(),
            export_classification or ExportClassification(),
        )
        fai.evidence.append(evidence)
        return commit_change(
            uow,
            ctx,
            loaded,
            "fai.evidence_added",
            {
                "evidence": (
                    None,
                    {"kind": kind.value, "uri": uri, "sha256": evidence.sha256},
                )
            },
        )
