"""The first article: creation and reading, and the lifecycle use cases.

Where to look:

- what makes an FAI ready: domain/readiness.py (the rules), evaluated here on every read;
- the FAI as every use case loads and commits it: services/fai_record.py;
- package content (Form 1 to 3, scope, serials, evidence): services/fai_package.py;
- results and nonconformances: services/fai_results.py;
- lifecycle steps (readiness guard, customer decisions, holds): services/fai_lifecycle.py;
- signatures that perform a transition: services/signatures.py.

The use cases of those modules are re-exported here, so that the faces call
``first_articles.<use case>`` for every FAI intention.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from firstarticle.domain import coverage, model, readiness
from firstarticle.domain.access import Permission
from firstarticle.domain.errors import ConflictError, ValidationError
from firstarticle.domain.events import Event
from firstarticle.domain.lifecycle import FaiAction, FaiStatus
from firstarticle.domain.signatures import (
    SignatureRequiredError,
)
from firstarticle.ports import FaiFilter, FaiSort, Page, StatusCount, UnitOfWork
from firstarticle.services import (
    ServiceContext,
    allowed,
    created,
    decision_paths,
    found,
    record,
    require_technical,
    signatures,
    visible,
)
from firstarticle.services.fai_lifecycle import (
    CUSTOMER_ACTIONS,
    RESETTING_ACTIONS,
    SIGNED_ACTIONS,
    apply_action,
)
from firstarticle.services.fai_package import (
    UPDATABLE_FIELDS,
    add_evidence,
    add_form2_row,
    add_index_entry,
    add_to_scope,
    add_units,
    index_from_bom,
    rebuild_index_from_bom,
    update_first_article,
    update_form3_row,
)
from firstarticle.services.fai_record import (
    FirstArticleDetail,
    LoadedFai,
    baseline_of,
    characteristic_of,
    commit_fai,
    detail_of,
    load_fai,
)
from firstarticle.services.fai_results import (
    ResultInput,
    link_nonconformance,
    record_results,
    resolve_verdict_disagreement,
    update_nonconformance,
    verify_result,
)

__all__ = [
    "CUSTOMER_ACTIONS",
    "RESETTING_ACTIONS",
    "SIGNED_ACTIONS",
    "UPDATABLE_FIELDS",
    "FirstArticleDetail",
    "ResultInput",
    "add_evidence",
    "add_form2_row",
    "add_index_entry",
    "add_to_scope",
    "add_units",
    "audit_trail",
    "create_first_article",
    "evaluate_readiness",
    "first_article_by_fair",
    "get_first_article",
    "link_nonconformance",
    "list_first_articles",
    "rebuild_index_from_bom",
    "record_results",
    "resolve_verdict_disagreement",
    "status_counts",
    "transition",
    "update_first_article",
    "update_form3_row",
    "update_nonconformance",
    "verify_result",
]


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
    with ctx.uow_factory() as uow:
        loaded, event = open_first_article(
            uow,
            ctx,
            work_order_id=work_order_id,
            fai_type=fai_type,
            scope=scope,
            reason=reason,
            balloons=balloons,
            serial_numbers=serial_numbers,
            fair_identifier=fair_identifier,
            baseline_part_number=baseline_part_number,
            baseline_part_revision=baseline_part_revision,
            baseline_fair_identifier=baseline_fair_identifier,
            additional_changes=additional_changes,
            supplier_code=supplier_code,
            purchase_order=purchase_order,
            comments=comments,
        )
        record(uow, ctx, [event])
        uow.commit()
        return detail_of(loaded)


def open_first_article(
    uow: UnitOfWork,
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
    refai_trigger: str | None = None,
) -> tuple[LoadedFai, Event]:
    """Build and add the FAI :func:`create_first_article` describes in the caller's unit of
    work (the caller checks the permission, records the event and commits)."""
    now = ctx.clock.now()
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
        raise ConflictError(f"{fair_identifier} already exists.", fair_identifier=fair_identifier)
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
        refai_trigger=refai_trigger,
    )
    # An assembly's index starts as its bill of materials, each component's FAIR found now.
    built = (
        index_from_bom(uow, fai, revision)
        if fai_type is model.FaiType.ASSEMBLY and revision.bill_of_materials
        else {}
    )
    baseline = baseline_of(uow, fai)
    loaded = LoadedFai(
        fai,
        readiness.ReadinessContext(
            found(uow.parts.get(revision.part_id), "Part", revision.part_id),
            revision,
            work_order,
            {c.id: c for c in revision.characteristics},
            uow.first_articles.statuses(
                [e.fair_identifier for e in fai.index if e.fair_identifier]
            ),
            baseline=baseline,
            drawing_numbers={
                d.id: d.number for d in revision.drawings + (baseline.drawings if baseline else [])
            },
        ),
        site,
        customer,
    )
    if scope is model.FaiScope.PARTIAL and not balloons and baseline is None:
        raise ValidationError(
            "A partial FAI lists the changed and affected balloons, or names a known baseline "
            "revision to take them from.",
            field="balloons",
        )
    if scope is model.FaiScope.FULL and balloons:
        raise ValidationError(
            "A full FAI covers every characteristic; do not list balloons.", field="balloons"
        )
    if balloons:
        chosen = [characteristic_of(loaded, b) for b in balloons]
    elif scope is model.FaiScope.PARTIAL and baseline is not None:
        # A partial FAI starts with exactly what changed since its baseline.
        delta = {
            snapshot.characteristic_id
            for snapshot, _how in coverage.partial_delta(
                baseline, revision, loaded.context.drawing_numbers
            )
        }
        chosen = [c for c in revision.characteristics if c.id in delta]
    else:
        chosen = revision.characteristics
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
    event = created(
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
            "refai_trigger": refai_trigger,
            **({"index": built["index"][1]} if built else {}),
        },
    )
    return loaded, event


def get_first_article(ctx: ServiceContext, fai_id: str) -> FirstArticleDetail:
    """The FAI with its forms and readiness, or NotFoundError."""
    with ctx.uow_factory() as uow:
        return detail_of(load_fai(uow, ctx, fai_id, Permission.READ))


def first_article_by_fair(ctx: ServiceContext, fair_identifier: str) -> FirstArticleDetail:
    """The FAI with that FAIR identifier, or NotFoundError."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        fai = found(
            uow.first_articles.by_fair_identifier(fair_identifier), "First article", fair_identifier
        )
        return detail_of(load_fai(uow, ctx, fai.id, Permission.READ))


def list_first_articles(
    ctx: ServiceContext,
    *,
    site_id: str | None = None,
    status: FaiStatus | None = None,
    part_revision_id: str | None = None,
    part_id: str | None = None,
    customer_id: str | None = None,
    program: str | None = None,
    sort: FaiSort = FaiSort.CREATED,
    descending: bool = True,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[model.FirstArticle]:
    """A page of the FAIs the caller may see, filtered, sorted (newest first by default)
    with the id breaking ties, so consecutive pages neither repeat nor skip a row. Two
    queries whatever the page size."""
    allowed(ctx, Permission.READ)
    size, start = ctx.page(limit, offset)
    which = FaiFilter(site_id, status, part_revision_id, part_id, customer_id, program)
    with ctx.uow_factory() as uow:
        return uow.first_articles.list(
            which, size, start, visible=visible(ctx), sort=sort, descending=descending
        )


def status_counts(ctx: ServiceContext, which: FaiFilter) -> list[StatusCount]:
    """Per lifecycle status, how many of the FAIs the caller may see stand in it and when
    the oldest was opened; one query whatever the data. Statuses with none are left out."""
    allowed(ctx, Permission.READ)
    with ctx.uow_factory() as uow:
        return uow.first_articles.status_counts(which, visible=visible(ctx))


def evaluate_readiness(ctx: ServiceContext, fai_id: str) -> list[readiness.Finding]:
    """The readiness findings of the FAI, computed now."""
    with ctx.uow_factory() as uow:
        return load_fai(uow, ctx, fai_id, Permission.READ, lines=False).findings()


def audit_trail(ctx: ServiceContext, fai_id: str) -> list[dict[str, Any]]:
    """The FAI's audit entries in order, for callers who may see the FAI."""
    with ctx.uow_factory() as uow:
        load_fai(uow, ctx, fai_id, Permission.READ)
        return uow.audit.for_record("first_article", fai_id)


def audit_trail_page(
    ctx: ServiceContext, fai_id: str, limit: int | None, offset: int | None
) -> Page[dict[str, Any]]:
    """One page of the FAI's audit entries in order, for callers who may see the FAI."""
    size, start = ctx.page(limit, offset)
    with ctx.uow_factory() as uow:
        load_fai(uow, ctx, fai_id, Permission.READ)
        return uow.audit.page_for_record("first_article", fai_id, size, start)


# --- lifecycle ----------------------------------------------------------------------------


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
        loaded = load_fai(uow, ctx, fai_id, Permission.FAI_TRANSITION)
        events = apply_action(uow, ctx, loaded, action, reason=reason, superseded_by=superseded_by)
        if action is FaiAction.SUBMIT:
            events += decision_paths.on_submission(uow, ctx, loaded)
        if action in RESETTING_ACTIONS:
            # A package sent back, reworked or cancelled is no longer what was signed.
            events += signatures.withdraw_content_signatures(
                uow, ctx, loaded.fai, reason or action.value
            )
        return commit_fai(uow, ctx, loaded, events)
