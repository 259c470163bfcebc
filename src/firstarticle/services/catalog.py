"""Sites, customers, parts, revisions, drawings and characteristics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from firstarticle.domain import model
from firstarticle.domain.access import ForbiddenError, Permission
from firstarticle.domain.classification import ExportClassification, ExportRegime
from firstarticle.domain.errors import ConflictError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.mirror import refuse_manual_change
from firstarticle.domain.records import CharacteristicSpec as CharacteristicSpec
from firstarticle.ports import Page
from firstarticle.services import (
    ServiceContext,
    allowed,
    created,
    found,
    record,
    require_technical,
    trigger_detection,
    visible,
)


def create_site(
    ctx: ServiceContext,
    *,
    code: str,
    name: str,
    timezone: str = "UTC",
    nonconformance_authority: model.NonconformanceOrigin = model.NonconformanceOrigin.QMS,
) -> model.Site:
    """Create a site; site codes are unique. Only an administrator of every site may.

    ``nonconformance_authority`` says where its nonconformances are decided: its QMS
    (mirrored), or firstarticle's local lifecycle for a plant without one."""
    allowed(ctx, Permission.SITE_MANAGE)
    if ctx.principal.site_ids is not None:
        raise ForbiddenError("Only an administrator of every site creates sites.")
    site = model.Site(
        code=model.require_text(code, "code").upper(),
        name=model.require_text(name, "name"),
        timezone=timezone,
        nonconformance_authority=nonconformance_authority,
    )
    with ctx.uow_factory() as uow:
        if uow.sites.by_code(site.code):
            raise ConflictError(f"Site {site.code} already exists.", code=site.code)
        uow.sites.add(site)
        record(
            uow,
            ctx,
            [
                created(
                    ctx,
                    "site",
                    site.id,
                    site.id,
                    {
                        "code": site.code,
                        "name": site.name,
                        "nonconformance_authority": nonconformance_authority.value,
                    },
                )
            ],
        )
        uow.commit()
    return site


def get_site(ctx: ServiceContext, site_id: str) -> model.Site:
    """The site, or NotFoundError (also for a site the caller does not work at)."""
    allowed(ctx, Permission.READ, site_id)
    with ctx.uow_factory() as uow:
        return found(uow.sites.get(site_id), "Site", site_id)


def site_by_code(ctx: ServiceContext, code: str) -> model.Site:
    """The site with that code, or NotFoundError."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        site = found(uow.sites.by_code(code.upper()), "Site", code)
    ctx.principal.require_site(site.id, "site")
    return site


def list_sites(
    ctx: ServiceContext, limit: int | None = None, offset: int | None = None
) -> Page[model.Site]:
    """A page of the sites the caller works at, by code."""
    allowed(ctx, Permission.READ)
    size, start = ctx.page(limit, offset)
    with ctx.uow_factory() as uow:
        return uow.sites.list(size, start, ctx.principal.site_ids)


def create_customer(
    ctx: ServiceContext,
    *,
    code: str,
    name: str,
    channel: model.CustomerChannel = model.CustomerChannel.PORTAL,
    requires_fai: bool = True,
    ships_on_conditional_acceptance: bool = False,
    vendor_code: str | None = None,
    form_revision: model.FormRevision = model.FormRevision.C,
) -> model.Customer:
    """Create a customer with how it decides on FAIs and the AS9102 numbering its inspectors
    read; codes are unique."""
    allowed(ctx, Permission.CUSTOMER_MANAGE)
    customer = model.Customer(
        code=model.require_text(code, "code").upper(),
        name=model.require_text(name, "name"),
        channel=channel,
        requires_fai=requires_fai,
        ships_on_conditional_acceptance=ships_on_conditional_acceptance,
        vendor_code=vendor_code,
        form_revision=model.FormRevision(form_revision),
    )
    with ctx.uow_factory() as uow:
        if uow.customers.by_code(customer.code):
            raise ConflictError(f"Customer {customer.code} already exists.", code=customer.code)
        uow.customers.add(customer)
        record(
            uow,
            ctx,
            [
                created(
                    ctx,
                    "customer",
                    customer.id,
                    None,
                    {
                        "code": customer.code,
                        "name": customer.name,
                        "channel": customer.channel.value,
                        "form_revision": customer.form_revision.value,
                    },
                )
            ],
        )
        uow.commit()
    return customer


def get_customer(ctx: ServiceContext, customer_id: str) -> model.Customer:
    """The customer, or NotFoundError."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        return found(uow.customers.get(customer_id), "Customer", customer_id)


def customer_by_code(ctx: ServiceContext, code: str) -> model.Customer:
    """The customer with that code, or NotFoundError."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        return found(uow.customers.by_code(code.upper()), "Customer", code)


def list_customers(
    ctx: ServiceContext, limit: int | None = None, offset: int | None = None
) -> Page[model.Customer]:
    """A page of customers by code."""
    allowed(ctx, Permission.READ)
    size, start = ctx.page(limit, offset)
    with ctx.uow_factory() as uow:
        return uow.customers.list(size, start)


def create_part(
    ctx: ServiceContext,
    *,
    number: str,
    name: str,
    export_classification: ExportClassification | None = None,
) -> model.Part:
    """Create a part number; part numbers are unique. Its technical data is restricted until
    someone allowed to classify gives it a label.

    Only a caller who may receive restricted data creates part numbers: numbers are unique
    across export labels, so "already exists" would otherwise tell an uncleared caller that
    a controlled part exists (and it could not see the part it just created either)."""
    allowed(ctx, Permission.PART_MANAGE)
    if export_classification is not None:
        allowed(ctx, Permission.PART_CLASSIFY)
    if not ctx.principal.may_receive(ExportClassification(), ctx.clock.now()):
        raise ForbiddenError(
            "Creating part numbers needs a US-person authorization: a new part's technical "
            "data is restricted until it is classified.",
            reason="export_control",
        )
    part = model.Part(
        number=model.require_text(number, "number"),
        name=model.require_text(name, "name"),
        export_classification=export_classification or ExportClassification(),
    )
    with ctx.uow_factory() as uow:
        if uow.parts.by_number(part.number):
            raise ConflictError(f"Part {part.number} already exists.", number=part.number)
        uow.parts.add(part)
        record(
            uow,
            ctx,
            [
                created(
                    ctx,
                    "part",
                    part.id,
                    None,
                    {
                        "number": part.number,
                        "name": part.name,
                        "export_classification": part.export_classification.text,
                    },
                )
            ],
        )
        uow.commit()
    return part


def get_part(ctx: ServiceContext, part_id: str) -> model.Part:
    """The part with its revisions, drawings and characteristics, or NotFoundError (also
    when the caller may not receive its technical data)."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        part = found(uow.parts.get(part_id), "Part", part_id)
    _require_whole_part(ctx, part)
    return part


def part_number_of(ctx: ServiceContext, part_id: str, need: Permission = Permission.READ) -> str:
    """The number of the part with id ``part_id`` for a caller holding ``need`` (checked
    first, so a missing permission is a 403 whatever the id), or NotFoundError (also when
    the caller may not receive its technical data): routes name parts by id, not number."""
    allowed(ctx, need)
    return get_part(ctx, part_id).number


def _require_whole_part(ctx: ServiceContext, part: model.Part) -> None:
    for revision in part.revisions:
        require_technical(ctx, part, revision, "part")
    require_technical(ctx, part, None, "part")


def part_by_number(ctx: ServiceContext, number: str) -> model.Part:
    """The part with that number, or NotFoundError."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        part = found(uow.parts.by_number(number), "Part", number)
    _require_whole_part(ctx, part)
    return part


def list_parts(
    ctx: ServiceContext, limit: int | None = None, offset: int | None = None
) -> Page[model.Part]:
    """A page of the parts whose technical data the caller may receive, by number."""
    allowed(ctx, Permission.READ)
    size, start = ctx.page(limit, offset)
    with ctx.uow_factory() as uow:
        return uow.parts.list(size, start, visible(ctx))


@dataclass(frozen=True)
class DrawingSpec:
    """A drawing or model-based definition named by a new revision."""

    number: str
    revision: str
    kind: model.DefinitionKind = model.DefinitionKind.DRAWING


def add_revision(
    ctx: ServiceContext,
    part_id: str,
    *,
    revision: str,
    drawings: Sequence[DrawingSpec],
    status: model.RevisionStatus = model.RevisionStatus.RELEASED,
) -> model.PartRevision:
    """Add a revision with its drawings; releasing it makes the previous release obsolete."""
    allowed(ctx, Permission.PART_MANAGE)
    if not drawings:
        raise ValidationError(
            "A revision is defined by at least one drawing or model.", field="drawings"
        )
    if len({d.number for d in drawings}) != len(drawings):
        raise ValidationError("A drawing number appears twice.", field="drawings")
    now = ctx.clock.now()
    with ctx.uow_factory() as uow:
        part = found(uow.parts.get(part_id), "Part", part_id)
        require_technical(ctx, part, None, "part")
        name = model.require_text(revision, "revision")
        if part.revision(name):
            raise ConflictError(f"{part.number} rev {name} already exists.", revision=name)
        events: list[Event] = []
        rev = model.PartRevision(
            part.id, name, status, now if status is model.RevisionStatus.RELEASED else None
        )
        if status is model.RevisionStatus.RELEASED:
            for older in part.revisions:
                if older.status is model.RevisionStatus.RELEASED:
                    older.status = model.RevisionStatus.OBSOLETE
                    events.append(
                        Event(
                            action="part_revision.obsoleted",
                            record_type="part_revision",
                            record_id=older.id,
                            site_id=None,
                            actor=ctx.actor,
                            at=now,
                            changes={"status": ("released", "obsolete")},
                        )
                    )
        for spec in drawings:
            rev.drawings.append(
                model.Drawing(
                    rev.id,
                    model.require_text(spec.number, "drawing number"),
                    model.require_text(spec.revision, "drawing revision"),
                    spec.kind,
                )
            )
        part.revisions.append(rev)
        # Releasing a revision of a part with an approved FAI raises a design-change trigger.
        events += trigger_detection.on_revision_released(uow, ctx, part, rev)
        events.insert(
            0,
            created(
                ctx,
                "part_revision",
                rev.id,
                None,
                {
                    "part": part.number,
                    "revision": rev.revision,
                    "status": rev.status.value,
                    "drawings": [f"{d.number} rev {d.revision}" for d in rev.drawings],
                },
            ),
        )
        record(uow, ctx, events)
        uow.commit()
    return rev


def get_revision(ctx: ServiceContext, revision_id: str) -> model.PartRevision:
    """The revision with drawings and characteristics, or NotFoundError."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        rev = found(uow.parts.revision(revision_id), "Part revision", revision_id)
        part = found(uow.parts.header(rev.part_id), "Part", rev.part_id)
    require_technical(ctx, part, rev, "part revision")
    return rev


def add_characteristics(
    ctx: ServiceContext, revision_id: str, drawing_number: str, specs: Sequence[CharacteristicSpec]
) -> list[model.Characteristic]:
    """Add characteristics to one drawing of a revision, all or none."""
    allowed(ctx, Permission.PART_MANAGE)
    built = [(spec, spec.build_requirement()) for spec in specs]
    with ctx.uow_factory() as uow:
        rev = found(uow.parts.revision(revision_id), "Part revision", revision_id)
        part = found(uow.parts.header(rev.part_id), "Part", rev.part_id)
        require_technical(ctx, part, rev, "part revision")
        refuse_manual_change(rev.provenance, f"Revision {rev.revision}")
        drawing = next((d for d in rev.drawings if d.number == drawing_number), None)
        drawing = found(drawing, "Drawing", f"{drawing_number} on this revision")
        added = []
        for spec, requirement in built:
            characteristic = drawing.add_characteristic(
                spec.on_drawing(
                    drawing.id, requirement, model.require_text(spec.balloon, "balloon")
                )
            )
            added.append(characteristic)
        record(uow, ctx, [characteristic_created(ctx, c, drawing) for c in added])
        uow.commit()
    return added


def characteristic_created(
    ctx: ServiceContext, c: model.Characteristic, drawing: model.Drawing, **more: object
) -> Event:
    """The audit event of a characteristic added to ``drawing`` (``more``: further values)."""
    return created(
        ctx,
        "characteristic",
        c.id,
        None,
        {
            "balloon": c.balloon,
            "drawing": f"{drawing.number} rev {drawing.revision}",
            "type": c.ctype.value,
            "requirement": c.requirement.text,
            **more,
        },
    )


def classify(
    ctx: ServiceContext,
    part_id: str,
    *,
    regime: ExportRegime,
    category: str | None = None,
    revision_id: str | None = None,
    reason: str,
) -> model.Part:
    """Give a part (or one of its revisions) its export label, with a reason.

    Only a caller allowed to classify who may receive the data under its current label may;
    the label changes nowhere else (generic updates cannot set it).
    """
    allowed(ctx, Permission.PART_CLASSIFY)
    label = ExportClassification(regime, category)
    if not (reason or "").strip():
        raise ValidationError("Say on what basis the data is classified.", field="reason")
    with ctx.uow_factory() as uow:
        part = found(uow.parts.header(part_id), "Part", part_id)
        target: model.Part | model.PartRevision = part
        if revision_id is not None:
            rev = next((r for r in part.revisions if r.id == revision_id), None)
            target = found(rev, "Part revision", revision_id)
            require_technical(ctx, part, rev, "part revision")
        else:
            require_technical(ctx, part, None, "part")
        before = target.export_classification
        target.export_classification = label
        record_type = "part" if target is part else "part_revision"
        record(
            uow,
            ctx,
            [
                Event(
                    action=f"{record_type}.classified",
                    record_type=record_type,
                    record_id=target.id,
                    site_id=None,
                    actor=ctx.actor,
                    at=ctx.clock.now(),
                    changes={
                        "export_classification": (before.text if before else None, label.text)
                    },
                    reason=reason,
                )
            ],
        )
        uow.commit()
        return part
