"""The first article: creation, package content, readiness and the lifecycle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from firstarticle.domain import model, readiness
from firstarticle.domain.access import Permission
from firstarticle.domain.classification import ExportClassification
from firstarticle.domain.errors import ConflictError, NotFoundError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.forms import Form1, Form3Line, build_form1, build_form3
from firstarticle.domain.lifecycle import FaiAction, FaiStatus, actions_from
from firstarticle.domain.mirror import refuse_manual_change
from firstarticle.domain.signatures import (
    CONTENT_MEANINGS,
    MEANING_RULES,
    SignatureRequiredError,
)
from firstarticle.domain.values import AttributeResult, normalize_unit
from firstarticle.ports import Page, UnitOfWork
from firstarticle.services import (
    ServiceContext,
    allowed,
    created,
    found,
    holds,
    record,
    require_technical,
    visible,
)


@dataclass(frozen=True)
class FirstArticleDetail:
    """An FAI with its forms, readiness findings and the actions open to it now."""

    fai: model.FirstArticle
    part: model.Part
    revision: model.PartRevision
    work_order: model.WorkOrder
    site: model.Site
    customer: model.Customer | None
    form1: Form1
    form3: list[Form3Line]
    findings: list[readiness.Finding]
    actions: tuple[FaiAction, ...]
    evidence: tuple[model.EvidenceLink, ...] = ()


@dataclass
class _Loaded:
    fai: model.FirstArticle
    context: readiness.ReadinessContext
    site: model.Site
    customer: model.Customer | None
    # Evidence whose own label the caller may not receive is left out of every view.
    hidden_evidence: frozenset[str] = frozenset()

    @cached_property
    def characteristic_index(
        self,
    ) -> tuple[dict[str, model.Characteristic], dict[str, list[model.Characteristic]]]:
        """The revision's characteristics by id and by balloon, built once per request."""
        by_id: dict[str, model.Characteristic] = {}
        by_balloon: dict[str, list[model.Characteristic]] = {}
        for c in self.context.revision.characteristics:
            by_id[c.id] = c
            by_balloon.setdefault(c.balloon, []).append(c)
        return by_id, by_balloon


def _load(uow: UnitOfWork, ctx: ServiceContext, fai_id: str, permission: Permission) -> _Loaded:
    """The FAI and what its forms need, if the caller holds ``permission``, works at its site,
    may see its customer and may receive its part's technical data; else an error that does
    not reveal whether it exists."""
    allowed(ctx, permission)
    fai = found(uow.first_articles.get(fai_id), "First article", fai_id)
    ctx.principal.require_site(fai.site_id, "first article")
    if not ctx.principal.sees_customer(fai.customer_id):
        raise NotFoundError("No such first article.", record="first article")
    return _assemble(uow, ctx, fai)


def _assemble(
    uow: UnitOfWork, ctx: ServiceContext, fai: model.FirstArticle, *, check_labels: bool = True
) -> _Loaded:
    """What the forms and readiness of ``fai`` need. ``check_labels`` off skips the caller's
    technical-data check: only for work the system does on an FAI it already holds (signature
    re-checks inside a mirror update), never to answer a caller."""
    revision = found(
        uow.parts.revision(fai.part_revision_id), "Part revision", fai.part_revision_id
    )
    part = found(uow.parts.header(revision.part_id), "Part", revision.part_id)
    if check_labels:
        require_technical(ctx, part, revision, "first article")
    work_order = found(uow.work_orders.get(fai.work_order_id), "Work order", fai.work_order_id)
    characteristics = {c.id: c for c in revision.characteristics}
    strays = [r.characteristic_id for r in fai.results] + [r.characteristic_id for r in fai.form3]
    missing = [cid for cid in strays if cid not in characteristics]
    characteristics.update(uow.parts.characteristics(missing))
    statuses = uow.first_articles.statuses(
        [e.fair_identifier for e in fai.index if e.fair_identifier]
    )
    site = found(uow.sites.get(fai.site_id), "Site", fai.site_id)
    customer = uow.customers.get(fai.customer_id) if fai.customer_id else None
    hidden = frozenset(
        e.id
        for e in fai.evidence
        if not ctx.principal.may_receive(e.export_classification, ctx.clock.now())
    )
    context = readiness.ReadinessContext(part, revision, work_order, characteristics, statuses)
    return _Loaded(fai, context, site, customer, hidden)


def _detail(loaded: _Loaded) -> FirstArticleDetail:
    c = loaded.context
    return FirstArticleDetail(
        fai=loaded.fai,
        part=c.part,
        revision=c.revision,
        work_order=c.work_order,
        site=loaded.site,
        customer=loaded.customer,
        form1=build_form1(
            loaded.fai,
            part=c.part,
            revision=c.revision,
            work_order=c.work_order,
            site=loaded.site,
            characteristics=c.characteristics,
        ),
        form3=build_form3(loaded.fai, c.characteristics),
        findings=readiness.evaluate(loaded.fai, c),
        actions=actions_from(loaded.fai.status),
        evidence=tuple(e for e in loaded.fai.evidence if e.id not in loaded.hidden_evidence),
    )


def _event(
    ctx: ServiceContext,
    fai: model.FirstArticle,
    action: str,
    changes: dict[str, tuple[Any, Any]],
    reason: str | None = None,
) -> Event:
    return Event(
        action=action,
        record_type="first_article",
        record_id=fai.id,
        site_id=fai.site_id,
        actor=ctx.actor,
        at=ctx.clock.now(),
        changes=changes,
        reason=reason,
    )


def _characteristic(loaded: _Loaded, key: str) -> model.Characteristic:
    """Resolve a balloon number or characteristic id within the FAI's revision."""
    by_id, by_balloon = loaded.characteristic_index
    if key in by_id:
        return by_id[key]
    matches = by_balloon.get(key, [])
    if len(matches) > 1:
        raise ValidationError(
            f"Balloon {key} is on several drawings; give the characteristic id.",
            field="balloon",
        )
    return found(
        matches[0] if matches else None,
        "Characteristic",
        f"balloon {key} of rev {loaded.context.revision.revision}",
    )


def _commit_fai(
    uow: UnitOfWork, ctx: ServiceContext, loaded: _Loaded, events: list[Event]
) -> FirstArticleDetail:
    loaded.fai.touch(ctx.clock.now())
    record(uow, ctx, events)
    uow.commit()
    return _detail(loaded)


# --- creation and reading -----------------------------------------------------------------


def create_first_article(
    ctx: ServiceContext,
    *,
    work_order_id: str,
    fai_type: model.FaiType,
    scope: model.FaiScope,
    reason: str,
    balloons: Sequence[str] | None = None,
    serial_numbers: Sequence[str] | None = None,
    fair_identifier: str | None = None,
    baseline_part_number: str | None = None,
    baseline_part_revision: str | None = None,
    baseline_fair_identifier: str | None = None,
    additional_changes: str | None = None,
    supplier_code: str | None = None,
    purchase_order: str | None = None,
    comments: str | None = None,
) -> FirstArticleDetail:
    """Open an FAI in draft for a work order's part revision.

    A full FAI accounts for every characteristic of the revision; a partial FAI for the
    balloons given. Serials default to the first serial built on the work order.
    """
    allowed(ctx, Permission.FAI_CREATE)
    now = ctx.clock.now()
    with ctx.uow_factory() as uow:
        work_order = found(uow.work_orders.get(work_order_id), "Work order", work_order_id)
        ctx.principal.require_site(work_order.site_id, "work order")
        site = found(uow.sites.get(work_order.site_id), "Site", work_order.site_id)
        revision = found(
            uow.parts.revision(work_order.part_revision_id),
            "Part revision",
            work_order.part_revision_id,
        )
        require_technical(
            ctx,
            found(uow.parts.header(revision.part_id), "Part", revision.part_id),
            revision,
            "work order",
        )
        customer = uow.customers.get(work_order.customer_id) if work_order.customer_id else None
        if fair_identifier is None:
            # Identifiers given explicitly (imports, a customer's numbering) may already hold
            # a number of the sequence: skip those rather than fail the creation.
            while True:
                number = uow.first_articles.next_fair_number(site.id, now.year)
                fair_identifier = f"FAIR-{site.code}-{now.year}-{number:04d}"
                if uow.first_articles.by_fair_identifier(fair_identifier) is None:
                    break
        elif uow.first_articles.by_fair_identifier(fair_identifier.strip()):
            raise ConflictError(
                f"{fair_identifier} already exists.", fair_identifier=fair_identifier
            )
        if scope is model.FaiScope.PARTIAL and not balloons:
            raise ValidationError(
                "A partial FAI lists the changed and affected balloons.", field="balloons"
            )
        fai = model.FirstArticle(
            site_id=site.id,
            fair_identifier=fair_identifier,
            part_revision_id=revision.id,
            work_order_id=work_order.id,
            fai_type=fai_type,
            scope=scope,
            reason=reason,
            customer_id=work_order.customer_id,
            baseline_part_number=baseline_part_number,
            baseline_part_revision=baseline_part_revision,
            baseline_fair_identifier=baseline_fair_identifier,
            additional_changes=additional_changes,
            supplier_code=supplier_code or (customer.vendor_code if customer else None),
            purchase_order=purchase_order or work_order.purchase_order,
            comments=comments,
            created_at=now,
            updated_at=now,
        )
        loaded = _Loaded(
            fai,
            readiness.ReadinessContext(
                found(uow.parts.get(revision.part_id), "Part", revision.part_id),
                revision,
                work_order,
                {c.id: c for c in revision.characteristics},
            ),
            site,
            customer,
        )
        if scope is model.FaiScope.FULL and balloons:
            raise ValidationError(
                "A full FAI covers every characteristic; do not list balloons.", field="balloons"
            )
        chosen = (
            [_characteristic(loaded, b) for b in balloons] if balloons else revision.characteristics
        )
        fai.add_many_to_scope(chosen)
        wanted = (
            list(serial_numbers)
            if serial_numbers is not None
            else ([work_order.serials[0].number] if work_order.serials else [])
        )
        for wanted_number in wanted:
            serial = next((s for s in work_order.serials if s.number == wanted_number), None)
            fai.add_unit(found(serial, "Serial", f"{wanted_number} on {work_order.number}"))
        uow.first_articles.add(fai)
        record(
            uow,
            ctx,
            [
                created(
                    ctx,
                    "first_article",
                    fai.id,
                    site.id,
                    {
                        "fair_identifier": fai.fair_identifier,
                        "work_order": work_order.number,
                        "part_revision_id": revision.id,
                        "fai_type": fai_type.value,
                        "scope": scope.value,
                        "reason": reason,
                        "balloons": [c.balloon for c in chosen],
                        "serials": [u.serial_number for u in fai.units],
                    },
                )
            ],
        )
        uow.commit()
        return _detail(loaded)


def get_first_article(ctx: ServiceContext, fai_id: str) -> FirstArticleDetail:
    """The FAI with its forms and readiness, or NotFoundError."""
    with ctx.uow_factory() as uow:
        return _detail(_load(uow, ctx, fai_id, Permission.READ))


def first_article_by_fair(ctx: ServiceContext, fair_identifier: str) -> FirstArticleDetail:
    """The FAI with that FAIR identifier, or NotFoundError."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        fai = found(
            uow.first_articles.by_fair_identifier(fair_identifier), "First article", fair_identifier
        )
        return _detail(_load(uow, ctx, fai.id, Permission.READ))


def list_first_articles(
    ctx: ServiceContext,
    *,
    site_id: str | None = None,
    status: FaiStatus | None = None,
    part_revision_id: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[model.FirstArticle]:
    """A page of FAIs, newest first, filtered by site, status and revision."""
    allowed(ctx, Permission.READ)
    size, start = ctx.page(limit, offset)
    with ctx.uow_factory() as uow:
        return uow.first_articles.list(
            site_id=site_id,
            status=status,
            part_revision_id=part_revision_id,
            limit=size,
            offset=start,
            visible=visible(ctx),
        )


def evaluate_readiness(ctx: ServiceContext, fai_id: str) -> list[readiness.Finding]:
    """The readiness findings of the FAI, computed now."""
    with ctx.uow_factory() as uow:
        loaded = _load(uow, ctx, fai_id, Permission.READ)
        return readiness.evaluate(loaded.fai, loaded.context)


def audit_trail(ctx: ServiceContext, fai_id: str) -> list[dict[str, Any]]:
    """The FAI's audit entries in order, for callers who may see the FAI."""
    with ctx.uow_factory() as uow:
        _load(uow, ctx, fai_id, Permission.READ)
        return uow.audit.for_record("first_article", fai_id)


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
        loaded = _load(uow, ctx, fai_id, Permission.FAI_EDIT)
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
            return _detail(loaded)  # nothing changes, so nothing is written or audited
        for name, (_old, new) in diff.items():
            setattr(fai, name, new)
        return _commit_fai(uow, ctx, loaded, [_event(ctx, fai, "fai.updated", diff)])


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
        loaded = _load(uow, ctx, fai_id, Permission.FAI_EDIT)
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
        return _commit_fai(
            uow,
            ctx,
            loaded,
            [
                _event(
                    ctx,
                    fai,
                    "fai.index_entry_added",
                    {"index_entry": (None, f"{entry.part_number} {entry.part_type.value}")},
                )
            ],
        )


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
        loaded = _load(uow, ctx, fai_id, Permission.FAI_EDIT)
        fai = loaded.fai
        fai.ensure_editable()
        row = model.Form2Row(fai.site_id, fai.id, kind, model.require_text(name, "name"), **fields)
        fai.form2.append(row)
        return _commit_fai(
            uow,
            ctx,
            loaded,
            [
                _event(
                    ctx,
                    fai,
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
            ],
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
        loaded = _load(uow, ctx, fai_id, Permission.FAI_EDIT)
        fai = loaded.fai
        fai.ensure_editable()
        characteristic = _characteristic(loaded, balloon)
        row = next((r for r in fai.form3 if r.characteristic_id == characteristic.id), None)
        row = found(row, "Form 3 line", f"balloon {balloon}")
        diff: dict[str, tuple[str | None, str]] = {}
        if tooling is not None and tooling != row.tooling:
            diff["tooling"], row.tooling = (row.tooling, tooling), tooling
        if comments is not None and comments != row.comments:
            diff["comments"], row.comments = (row.comments, comments), comments
        if not diff:
            return _detail(loaded)  # nothing changes, so nothing is written or audited
        return _commit_fai(
            uow,
            ctx,
            loaded,
            [
                _event(
                    ctx,
                    fai,
                    "fai.form3_row_updated",
                    {f"{balloon}.{k}": v for k, v in diff.items()},
                )
            ],
        )


def add_to_scope(ctx: ServiceContext, fai_id: str, balloons: Sequence[str]) -> FirstArticleDetail:
    """Add characteristics to a partial FAI's Form 3."""
    with ctx.uow_factory() as uow:
        loaded = _load(uow, ctx, fai_id, Permission.FAI_EDIT)
        added = [loaded.fai.add_to_scope(_characteristic(loaded, b)) for b in balloons]
        return _commit_fai(
            uow,
            ctx,
            loaded,
            [
                _event(
                    ctx,
                    loaded.fai,
                    "fai.scope_extended",
                    {
                        "balloons": (
                            None,
                            [
                                loaded.context.characteristics[r.characteristic_id].balloon
                                for r in added
                            ],
                        )
                    },
                )
            ],
        )


def add_units(
    ctx: ServiceContext, fai_id: str, serial_numbers: Sequence[str]
) -> FirstArticleDetail:
    """Put more serials of the work order in the FAI's scope."""
    with ctx.uow_factory() as uow:
        loaded = _load(uow, ctx, fai_id, Permission.FAI_EDIT)
        wo = loaded.context.work_order
        for number in serial_numbers:
            serial = next((s for s in wo.serials if s.number == number), None)
            loaded.fai.add_unit(found(serial, "Serial", f"{number} on {wo.number}"))
        return _commit_fai(
            uow,
            ctx,
            loaded,
            [_event(ctx, loaded.fai, "fai.units_added", {"serials": (None, list(serial_numbers))})],
        )


@dataclass(frozen=True)
class ResultInput:
    """A result to record: a measured value with units, or an attribute verdict."""

    balloon: str
    measured_at: datetime
    source: model.ResultSource
    value: Decimal | None = None
    units: str | None = None
    attribute: AttributeResult | None = None
    serial_number: str | None = None
    operator: str | None = None
    device: str | None = None
    source_reference: str | None = None


def record_results(
    ctx: ServiceContext, fai_id: str, inputs: Sequence[ResultInput]
) -> list[model.InspectionResult]:
    """Record results, all or none; each is judged against its requirement when read."""
    now = ctx.clock.now()
    with ctx.uow_factory() as uow:
        loaded = _load(uow, ctx, fai_id, Permission.RESULT_RECORD)
        fai = loaded.fai
        serials = {u.serial_number: u.serial_id for u in fai.units}
        results: list[model.InspectionResult] = []
        pairs: list[tuple[model.InspectionResult, model.Characteristic]] = []
        for item in inputs:
            if item.measured_at.tzinfo is None:
                raise ValidationError("measured_at needs a time zone.", field="measured_at")
            if item.measured_at > now:
                raise ValidationError("measured_at is in the future.", field="measured_at")
            characteristic = _characteristic(loaded, item.balloon)
            serial_id = None
            if item.serial_number is not None:
                serial_id = found(
                    serials.get(item.serial_number),
                    "Serial",
                    f"{item.serial_number} in this FAI's scope",
                )
            elif len(serials) > 1:
                raise ValidationError(
                    "Name the serial: this FAI covers several.", field="serial_number"
                )
            elif serials:
                serial_id = next(iter(serials.values()))
            result = model.InspectionResult(
                site_id=fai.site_id,
                first_article_id=fai.id,
                characteristic_id=characteristic.id,
                source=item.source,
                recorded_by=ctx.actor,
                recorded_at=now,
                measured_at=item.measured_at,
                value=item.value,
                units=normalize_unit(item.units) if item.units else None,
                attribute=item.attribute,
                serial_id=serial_id,
                operator=item.operator,
                device=item.device,
                source_reference=item.source_reference,
            )
            pairs.append((result, characteristic))
            results.append(result)
        events = fai.record_results(pairs, ctx.actor)
        record(uow, ctx, events)
        uow.commit()
        return results


def verify_result(ctx: ServiceContext, fai_id: str, result_id: str) -> FirstArticleDetail:
    """A second person verifies a manually entered result."""
    with ctx.uow_factory() as uow:
        loaded = _load(uow, ctx, fai_id, Permission.RESULT_VERIFY)
        events = loaded.fai.verify_result(result_id, ctx.actor, ctx.clock.now())
        return _commit_fai(uow, ctx, loaded, events)


def link_nonconformance(
    ctx: ServiceContext,
    fai_id: str,
    *,
    kind: model.NonconformanceKind,
    number: str,
    status: model.NonconformanceStatus,
    disposition: model.Disposition | None = None,
    title: str | None = None,
    balloons: Sequence[str] = (),
) -> FirstArticleDetail:
    """Link a QMS nonconformance, deviation, concession or rework to the FAI."""
    with ctx.uow_factory() as uow:
        loaded = _load(uow, ctx, fai_id, Permission.FAI_EDIT)
        fai = loaded.fai
        number = model.require_text(number, "number")
        if any(nc.kind is kind and nc.number == number for nc in fai.nonconformances):
            raise ConflictError(
                f"{kind.value.capitalize()} {number} is already linked.", number=number
            )
        chars = [_characteristic(loaded, b) for b in balloons]
        nc = model.NonconformanceLink(
            fai.site_id, fai.id, kind, number, status, disposition, title, [c.id for c in chars]
        )
        fai.nonconformances.append(nc)
        return _commit_fai(
            uow,
            ctx,
            loaded,
            [
                _event(
                    ctx,
                    fai,
                    "fai.nonconformance_linked",
                    {
                        "nonconformance": (
                            None,
                            {
                                "kind": kind.value,
                                "number": number,
                                "status": status.value,
                                "balloons": [c.balloon for c in chars],
                            },
                        )
                    },
                )
            ],
        )


def update_nonconformance(
    ctx: ServiceContext,
    fai_id: str,
    nc_id: str,
    *,
    status: model.NonconformanceStatus,
    disposition: model.Disposition | None,
) -> FirstArticleDetail:
    """Record the QMS status and disposition of a linked document (allowed in any status)."""
    with ctx.uow_factory() as uow:
        loaded = _load(uow, ctx, fai_id, Permission.FAI_EDIT)
        fai = loaded.fai
        nc = found(
            next((n for n in fai.nonconformances if n.id == nc_id), None),
            "Nonconformance link",
            nc_id,
        )
        refuse_manual_change(nc.provenance, f"{nc.kind.value.capitalize()} {nc.number}")
        if status is not model.NonconformanceStatus.OPEN and disposition is None:
            raise ValidationError(
                "A dispositioned or closed document states its disposition.", field="disposition"
            )
        diff = {
            f"{nc.number}.status": (nc.status.value, status.value),
            f"{nc.number}.disposition": (nc.disposition, disposition),
        }
        nc.status, nc.disposition = status, disposition
        return _commit_fai(uow, ctx, loaded, [_event(ctx, fai, "fai.nonconformance_updated", diff)])


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
        loaded = _load(uow, ctx, fai_id, Permission.FAI_EDIT)
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
        return _commit_fai(
            uow,
            ctx,
            loaded,
            [
                _event(
                    ctx,
                    fai,
                    "fai.evidence_added",
                    {
                        "evidence": (
                            None,
                            {"kind": kind.value, "uri": uri, "sha256": evidence.sha256},
                        )
                    },
                )
            ],
        )


# --- lifecycle ----------------------------------------------------------------------------

CUSTOMER_ACTIONS = frozenset({FaiAction.APPROVE, FaiAction.ACCEPT_CONDITIONALLY, FaiAction.REJECT})
# Field 20 and field 22 are signed, and the signature moves the FAI: never a bare transition.
SIGNED_ACTIONS = {
    rule.action: rule.meaning
    for rule in MEANING_RULES
    if rule.action is not None and rule.meaning in CONTENT_MEANINGS
}
RESETTING_ACTIONS = frozenset({FaiAction.RETURN_TO_WORK, FaiAction.REWORK, FaiAction.CANCEL})


def transition(
    ctx: ServiceContext,
    fai_id: str,
    action: FaiAction,
    *,
    reason: str | None = None,
    superseded_by: str | None = None,
) -> FirstArticleDetail:
    """Move the FAI through the lifecycle; readiness guards review and submission."""
    if action in CUSTOMER_ACTIONS:
        raise ValidationError(
            "Customer outcomes are recorded as customer decisions.", field="action"
        )
    if action in SIGNED_ACTIONS:
        raise SignatureRequiredError(
            f"To {action.value.replace('_', ' ')}, sign the FAI "
            f"(POST /first-articles/{{id}}/signatures, meaning {SIGNED_ACTIONS[action].value}): "
            "the signature performs the transition.",
            meaning=SIGNED_ACTIONS[action].value,
        )
    with ctx.uow_factory() as uow:
        loaded = _load(uow, ctx, fai_id, Permission.FAI_TRANSITION)
        events = _apply_action(uow, ctx, loaded, action, reason=reason, superseded_by=superseded_by)
        if action in RESETTING_ACTIONS:
            # A package sent back, reworked or cancelled is no longer what was signed.
            from firstarticle.services import signatures

            events += signatures.withdraw_content_signatures(
                uow, ctx, loaded.fai, reason or action.value
            )
        return _commit_fai(uow, ctx, loaded, events)


def _apply_action(
    uow: UnitOfWork,
    ctx: ServiceContext,
    loaded: _Loaded,
    action: FaiAction,
    *,
    reason: str | None = None,
    superseded_by: str | None = None,
) -> list[Event]:
    """Take ``action`` on the loaded FAI in the caller's unit of work, with the readiness
    guard and the superseding FAI checked; the events to record, or raise and change nothing.
    """
    fai = loaded.fai
    superseded_by_id = None
    if action is FaiAction.SUPERSEDE:
        newer = found(
            uow.first_articles.by_fair_identifier(superseded_by or ""),
            "First article",
            superseded_by or "(none given)",
        )
        if (
            newer.part_revision_id == fai.part_revision_id
            and newer.created_at
            and fai.created_at
            and newer.created_at < fai.created_at
        ):
            raise ValidationError("An FAI is superseded by a newer one.", field="superseded_by")
        superseded_by_id = newer.id
    findings = readiness.blocking(readiness.evaluate(fai, loaded.context))
    return fai.apply(
        action,
        actor=ctx.actor,
        at=ctx.clock.now(),
        reason=reason,
        blocking_findings=findings,
        superseded_by_id=superseded_by_id,
    )


def record_customer_decision(
    ctx: ServiceContext,
    fai_id: str,
    *,
    outcome: model.DecisionOutcome,
    decided_by: str,
    decided_at: datetime,
    reference: str | None = None,
    comments: str | None = None,
    containment: bool = False,
    containment_serial_numbers: Sequence[str] = (),
    containment_lots: Sequence[str] = (),
) -> FirstArticleDetail:
    """Record what the customer decided in its channel, and move the lifecycle accordingly.

    Approval (and conditional acceptance where the customer ships on it) releases the holds
    the lifecycle lifts; a rejection asking for containment places a containment hold.
    """
    with ctx.uow_factory() as uow:
        loaded = _load(uow, ctx, fai_id, Permission.CUSTOMER_DECISION_RECORD)
        events = _decide(
            uow,
            ctx,
            loaded,
            outcome=outcome,
            decided_by=decided_by,
            decided_at=decided_at,
            reference=reference,
            comments=comments,
            containment=containment,
            containment_serial_numbers=containment_serial_numbers,
            containment_lots=containment_lots,
        )
        return _commit_fai(uow, ctx, loaded, events)


def _decide(
    uow: UnitOfWork,
    ctx: ServiceContext,
    loaded: _Loaded,
    *,
    outcome: model.DecisionOutcome,
    decided_by: str,
    decided_at: datetime,
    reference: str | None = None,
    comments: str | None = None,
    containment: bool = False,
    containment_serial_numbers: Sequence[str] = (),
    containment_lots: Sequence[str] = (),
) -> list[Event]:
    """Record a customer decision on the loaded FAI in the caller's unit of work: the
    lifecycle move, the decision, the holds it releases or the containment it asks for."""
    if (containment_serial_numbers or containment_lots) and not containment:
        raise ValidationError(
            "Containment serials or lots are given without containment.", field="containment"
        )
    if containment and outcome is not model.DecisionOutcome.REJECTED:
        raise ValidationError("Only a rejection asks for containment.", field="containment")
    now = ctx.clock.now()
    if decided_at.tzinfo is None:
        raise ValidationError("decided_at needs a time zone.", field="decided_at")
    if decided_at > now:
        raise ValidationError("decided_at is in the future.", field="decided_at")
    fai = loaded.fai
    if fai.customer_id is None or loaded.customer is None:
        raise ValidationError("The FAI's work order names no customer.", field="customer")
    reason = comments if outcome is not model.DecisionOutcome.APPROVED else None
    events = fai.apply(outcome.action, actor=ctx.actor, at=now, reason=reason)
    decision = model.CustomerDecision(
        fai.site_id,
        fai.id,
        fai.submission_attempt,
        outcome,
        loaded.customer.channel,
        model.require_text(decided_by, "decided_by"),
        decided_at,
        ctx.actor,
        now,
        reference,
        comments,
    )
    fai.decisions.append(decision)
    events.append(
        _event(
            ctx,
            fai,
            "fai.customer_decision_recorded",
            {
                "customer_decision": (
                    None,
                    {
                        "outcome": outcome.value,
                        "decided_by": decided_by,
                        "decided_at": decided_at.isoformat(),
                        "channel": decision.channel.value,
                        "reference": reference,
                    },
                )
            },
            comments,
        )
    )
    events += holds.release_by_lifecycle(uow, ctx, fai, loaded.customer)
    if containment:
        events += holds.place_containment(
            uow,
            ctx,
            fai,
            containment_serial_numbers,
            containment_lots,
            f"Containment asked by {loaded.customer.name} on rejecting "
            f"{fai.fair_identifier}: {comments or 'no reason given'}",
        )
    return events
